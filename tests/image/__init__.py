"""Tests of pybuildkit.image."""
