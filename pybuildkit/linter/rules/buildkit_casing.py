"""ConsistentInstructionCasing: every instruction keyword upper or lower, as the majority is
(BuildKit `validateCommandCasing`; global ARGs before the first FROM are not counted)."""

from __future__ import annotations

from collections.abc import Iterator

from pybuildkit.linter.analysis import Analysis
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._util import hit


def majority_lower(analysis: Analysis) -> bool:
    lower = upper = 0
    for stage in analysis.stages:
        for node in (stage.node, *stage.instructions):
            name = node.keyword
            if name == name.lower():
                lower += 1
            elif name == name.upper():
                upper += 1
    return lower > upper


@rule(
    id="ConsistentInstructionCasing",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="All commands within the Dockerfile should use the same casing (either upper or lower)",
    bad="FROM alpine:3\nrun echo hello\n",
    good="FROM alpine:3\nRUN echo hello\n",
    fixable=True,
)
def consistent_instruction_casing(analysis: Analysis) -> Iterator[Hit]:
    lower = majority_lower(analysis)
    for stage in analysis.stages:
        for node in (stage.node, *stage.instructions):
            name = node.keyword
            if lower and name != name.lower():
                yield hit(node, f"Command '{name}' should match the case of the command majority (lowercase)")
            elif not lower and name != name.upper():
                yield hit(node, f"Command '{name}' should match the case of the command majority (uppercase)")
