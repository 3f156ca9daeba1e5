"""Helpers for the linter tests: lint a text and read back where a rule fired."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pybuildkit.linter import Finding, LintConfig, lint

CASES = Path(__file__).parent / "cases"
QUIET = LintConfig(shellcheck=False)


def findings(text: str, *, config: LintConfig | None = None, **kwargs: object) -> list[Finding]:
    return lint(text, config=config or QUIET, **kwargs)  # type: ignore[arg-type]


def lines(text: str, rule: str, *, config: LintConfig | None = None, **kwargs: object) -> list[int]:
    """Lines where `rule` (either ID) fired, in order."""
    return [f.line for f in findings(text, config=config, **kwargs) if rule in (f.rule, *f.aliases)]


def messages(text: str, rule: str, *, config: LintConfig | None = None, **kwargs: object) -> list[str]:
    return [f.message for f in findings(text, config=config, **kwargs) if rule in (f.rule, *f.aliases)]


def enabled(*rules: str, **changes: object) -> LintConfig:
    return replace(QUIET, enabled=frozenset(rules), **changes)  # type: ignore[arg-type]
