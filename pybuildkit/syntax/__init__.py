"""Dockerfile text → lossless syntax tree (pure: touches no files but the grammar)."""
