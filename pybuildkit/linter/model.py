"""The linter's data: severities, rule metadata, findings.

A `Rule` is metadata plus a `check` function that reads an `Analysis` (see `analysis.py`) and yields
`Hit`s; the engine turns hits into `Finding`s after suppression and severity overrides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from pybuildkit.source import Span

if TYPE_CHECKING:
    from pybuildkit.linter.analysis import Analysis
    from pybuildkit.syntax.nodes import InstructionNode

DOCS_BASE = "https://github.com/pybuildkit/pybuildkit/blob/main/docs/rules/"


class Severity(StrEnum):
    """hadolint's levels; BuildKit's checks are all warnings. `none` only as a failure threshold."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    STYLE = "style"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        match self:
            case Severity.ERROR:
                return 4
            case Severity.WARNING:
                return 3
            case Severity.INFO:
                return 2
            case Severity.STYLE:
                return 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """What a rule reports: where, what, and the instruction it belongs to (for suppression)."""

    span: Span
    message: str
    node: InstructionNode | None = None


CheckFunction = Callable[["Analysis"], Iterator[Hit]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One lint rule. `id` is its own name; `aliases` are the other scheme's IDs for the same check."""

    id: str
    aliases: tuple[str, ...]
    severity: Severity
    summary: str
    origin: str  # "buildkit", "hadolint" or "buildkit+hadolint"
    check: CheckFunction
    bad: str  # a Dockerfile that triggers the rule (docs and tests)
    good: str  # the same intent, written so the rule stays quiet
    enabled: bool = True  # off by default: experimental BuildKit checks, hadolint's "ignore" level
    fixable: bool = False  # `lint --fix` / `fmt` rewrites it
    needs: str = ""  # extra input the rule needs to say anything: "context", "shellcheck", "label-schema"

    @property
    def url(self) -> str:
        return f"{DOCS_BASE}{self.id}.md"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One reported problem, in the shape every output format uses."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule: str
    aliases: tuple[str, ...]
    severity: Severity
    message: str
    url: str
    hint: str | None = None  # how to fix it, for errors the build would also report (SyntaxError)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "rule": self.rule,
            "aliases": list(self.aliases),
            "severity": str(self.severity),
            "message": self.message,
            "url": self.url,
        }
        if self.hint is not None:
            out["hint"] = self.hint
        return out

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.rule, self.message)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """Something the user should know about the run itself (not the Dockerfile): returned, never printed."""

    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LintReport:
    """Findings in position order, plus notices (e.g. "shellcheck is not installed; SC checks skipped")."""

    findings: tuple[Finding, ...]
    notices: tuple[Notice, ...] = ()
    fixed_source: str | None = None  # set by `fix=True` when the text changed
