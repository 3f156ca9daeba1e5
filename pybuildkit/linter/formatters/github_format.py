"""GitHub Actions workflow commands: `::warning file=...,line=...,col=...,title=RULE::message`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pybuildkit.linter.model import Finding, Severity


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def command(severity: Severity) -> str:
    match severity:
        case Severity.ERROR:
            return "error"
        case Severity.WARNING:
            return "warning"
        case Severity.INFO | Severity.STYLE:
            return "notice"


def render(findings: Sequence[Finding], *, files: Sequence[str], sources: Mapping[str, str]) -> str:
    lines = []
    for f in findings:
        props = (
            f"file={_property(f.file)},line={f.line},col={f.column},"
            f"endLine={f.end_line},endColumn={f.end_column},title={_property(f.rule)}"
        )
        lines.append(f"::{command(f.severity)} {props}::{_data(f.message)}")
    return "".join(line + "\n" for line in lines)
