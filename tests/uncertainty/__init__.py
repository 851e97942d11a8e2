"""Tests of the uncertainty stage."""
