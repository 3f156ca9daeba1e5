"""linter/formatters."""
