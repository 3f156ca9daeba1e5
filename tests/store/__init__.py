"""Tests of pybuildkit.store."""
