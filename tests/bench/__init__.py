"""Tests of the bench stage."""
