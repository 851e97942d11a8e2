"""Tests of the solving stage."""
