"""Tests of the result stage."""
