"""Source positions and code frames: where in which file a thing was written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


# Fast constructors for the parser, which makes thousands of these per file. A frozen dataclass's __init__
# goes through object.__setattr__ once per field; writing the slots through their descriptors builds the
# very same object (equal, hashable, printable) in about a third of the time.
_new: Any = object.__new__
_set_line: Any = Position.__dict__["line"].__set__
_set_column: Any = Position.__dict__["column"].__set__
_set_start: Any = Span.__dict__["start"].__set__
_set_end: Any = Span.__dict__["end"].__set__


def new_position(line: int, column: int) -> Position:
    """`Position(line=line, column=column)`, faster."""
    position: Position = _new(Position)
    _set_line(position, line)
    _set_column(position, column)
    return position


def new_span(start: Position, end: Position) -> Span:
    """`Span(start=start, end=end)`, faster."""
    span: Span = _new(Span)
    _set_start(span, start)
    _set_end(span, end)
    return span


def line_span(line: int, first_column: int, end_column: int) -> Span:
    """A span on one line: `Span(start=Position(line, first_column), end=Position(line, end_column))`."""
    start: Position = _new(Position)
    _set_line(start, line)
    _set_column(start, first_column)
    end: Position = _new(Position)
    _set_line(end, line)
    _set_column(end, end_column)
    span: Span = _new(Span)
    _set_start(span, start)
    _set_end(span, end)
    return span


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
