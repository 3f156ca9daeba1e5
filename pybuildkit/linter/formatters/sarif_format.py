"""SARIF 2.1.0, as GitHub code scanning reads it: one run, the rules that fired in `tool.driver.rules`,
one result per finding with a physical location (a path relative to the working directory)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from pybuildkit import __version__
from pybuildkit.linter.model import Finding, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/pybuildkit/pybuildkit"


def level(severity: Severity) -> str:
    match severity:
        case Severity.ERROR:
            return "error"
        case Severity.WARNING:
            return "warning"
        case Severity.INFO | Severity.STYLE:
            return "note"


def document(findings: Sequence[Finding]) -> dict[str, object]:
    from pybuildkit.linter.registry import find_rule

    rule_ids: list[str] = []
    rules: list[dict[str, object]] = []
    for f in findings:
        if f.rule in rule_ids:
            continue
        rule_ids.append(f.rule)
        entry = find_rule(f.rule)
        description = entry.summary if entry is not None else f.message
        rules.append(
            {
                "id": f.rule,
                "name": f.rule,
                "shortDescription": {"text": description},
                "helpUri": f.url,
                "defaultConfiguration": {"level": level(entry.severity if entry is not None else f.severity)},
                "properties": {"aliases": list(f.aliases)},
            }
        )
    results = []
    for f in findings:
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": rule_ids.index(f.rule),
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f.file.replace("\\", "/")},
                            "region": {
                                "startLine": f.line,
                                "startColumn": f.column,
                                "endLine": f.end_line,
                                "endColumn": f.end_column,
                            },
                        }
                    }
                ],
            }
        )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pybuildkit",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def render(findings: Sequence[Finding], *, files: Sequence[str], sources: Mapping[str, str]) -> str:
    return json.dumps(document(findings), indent=2, ensure_ascii=False) + "\n"
