"""Tests of the instance stage."""
