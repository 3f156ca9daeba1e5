"""Tests of pybuildkit.layers."""
