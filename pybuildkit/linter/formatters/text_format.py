"""`Dockerfile:3:1 DL3008 warning: message`, then the code frame, then the rule's docs link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pybuildkit.linter.model import Finding
from pybuildkit.source import Position, Span, code_frame


def render(findings: Sequence[Finding], *, files: Sequence[str], sources: Mapping[str, str]) -> str:
    blocks = []
    for f in findings:
        lines = [f"{f.file}:{f.line}:{f.column} {f.rule} {f.severity}: {f.message}"]
        text = sources.get(f.file)
        if text:
            span = Span(
                start=Position(line=f.line, column=f.column),
                end=Position(line=f.end_line, column=f.end_column),
            )
            frame = code_frame(text, span, context=0)
            if frame:
                lines.append(frame)
        if f.hint:
            lines.append(f"  hint: {f.hint}")
        lines.append(f"  see {f.url}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
