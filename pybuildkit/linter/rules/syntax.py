"""NoEmptyContinuation: reported by the parser (a `ParseWarning`), surfaced here as a finding."""

from __future__ import annotations

from collections.abc import Iterator

from pybuildkit.linter.analysis import Analysis
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule


@rule(
    id="NoEmptyContinuation",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Empty continuation lines will become errors in a future release",
    bad="FROM alpine\nRUN apk add \\\n\n    curl\n",
    good="FROM alpine\nRUN apk add \\\n    curl\n",
)
def no_empty_continuation(analysis: Analysis) -> Iterator[Hit]:
    for warning in analysis.tree.warnings:
        if warning.rule == "NoEmptyContinuation":
            line = warning.span.start.line
            # BuildKit reports the instruction's last line; suppression follows the instruction.
            node = next(
                (n for n in analysis.instructions if n.span.start.line <= line <= n.span.end.line), None
            )
            yield Hit(span=warning.span, message="Empty continuation line", node=node)
