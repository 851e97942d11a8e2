"""Tests of the independent plan checker."""
