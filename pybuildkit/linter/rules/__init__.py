"""linter/rules."""
