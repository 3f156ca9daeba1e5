"""A JSON array of findings, each `{file, line, column, end_line, end_column, rule, aliases, severity,
message, url}`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from pybuildkit.linter.model import Finding


def render(findings: Sequence[Finding], *, files: Sequence[str], sources: Mapping[str, str]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2, ensure_ascii=False) + "\n"
