"""Tests of pybuildkit.output."""
