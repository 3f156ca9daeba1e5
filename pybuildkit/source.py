"""Source positions and code frames: where in which file a thing was written."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Position:
    """A 1-based line and column (columns count characters, not bytes)."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    """From `start` to `end` (end is exclusive: the position just after the last character)."""

    start: Position
    end: Position

    @classmethod
    def lines(cls, first: int, last: int) -> Span:
        return cls(start=Position(line=first, column=1), end=Position(line=last, column=1))

    def __str__(self) -> str:
        return str(self.start)


def code_frame(text: str, span: Span, *, context: int = 1) -> str:
    """Render the lines of `span` (with `context` lines around) and mark the start column.

    The frame looks like BuildKit's: a gutter with line numbers, `>>>` on the marked lines.
    """
    # Only "\n" ends a line in a Dockerfile; str.splitlines would also split on \x0c, \x85, \u2028...
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines[-1] == "":
        lines.pop()
    if not lines:
        return ""
    first = max(1, span.start.line - context)
    last_marked = max(
        span.start.line,
        span.end.line - (1 if span.end.column == 1 and span.end.line > span.start.line else 0),
    )
    last = min(len(lines), last_marked + context)
    width = len(str(last))
    out: list[str] = []
    for number in range(first, last + 1):
        marked = span.start.line <= number <= last_marked
        gutter = ">>>" if marked else "   "
        out.append(f" {number:>{width}} | {gutter} {lines[number - 1]}")
    return "\n".join(out)
