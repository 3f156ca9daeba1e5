"""GitLab Code Quality report: a JSON array of issues, each with a stable fingerprint (the file, the
rule, the message and the text of the instruction's first line, not its line number, so moving code
does not make GitLab see a new issue)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from pybuildkit.linter.model import Finding, Severity


def _severity(severity: Severity) -> str:
    match severity:
        case Severity.ERROR:
            return "critical"
        case Severity.WARNING:
            return "major"
        case Severity.INFO:
            return "minor"
        case Severity.STYLE:
            return "info"


def fingerprint(finding: Finding, sources: Mapping[str, str]) -> str:
    text = sources.get(finding.file, "")
    lines = text.splitlines()
    line = lines[finding.line - 1].strip() if 0 < finding.line <= len(lines) else str(finding.line)
    key = "\0".join((finding.file, finding.rule, finding.message, line))
    return hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest()


def render(findings: Sequence[Finding], *, files: Sequence[str], sources: Mapping[str, str]) -> str:
    issues = []
    seen: dict[str, int] = {}
    for f in findings:
        base = fingerprint(f, sources)
        count = seen.get(base, 0)
        seen[base] = count + 1
        issues.append(
            {
                "description": f"{f.rule}: {f.message}",
                "check_name": f.rule,
                "fingerprint": base
                if count == 0
                else hashlib.md5(f"{base}{count}".encode(), usedforsecurity=False).hexdigest(),
                "severity": _severity(f.severity),
                "location": {"path": f.file, "lines": {"begin": f.line, "end": f.end_line}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
