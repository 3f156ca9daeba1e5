"""Checkstyle XML (what Jenkins' warnings plugin and reviewdog read)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from pybuildkit.linter.model import Finding, Severity


def _severity(severity: Severity) -> str:
    match severity:
        case Severity.ERROR:
            return "error"
        case Severity.WARNING:
            return "warning"
        case Severity.INFO | Severity.STYLE:
            return "info"


def render(findings: Sequence[Finding], *, files: Sequence[str], sources: Mapping[str, str]) -> str:
    root = ET.Element("checkstyle", version="4.3")
    order = list(dict.fromkeys([*files, *(f.file for f in findings)]))
    for name in order:
        element = ET.SubElement(root, "file", name=name)
        for f in findings:
            if f.file == name:
                ET.SubElement(
                    element,
                    "error",
                    line=str(f.line),
                    column=str(f.column),
                    severity=_severity(f.severity),
                    message=f.message,
                    source=f.rule,
                )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
