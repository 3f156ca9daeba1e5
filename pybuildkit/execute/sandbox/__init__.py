"""execute/sandbox."""
