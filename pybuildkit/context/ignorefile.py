"""Reading a .dockerignore file the way BuildKit does (moby/patternmatcher `ignorefile.ReadAll`).

Rules, in order, per physical line (lines split on `\\n`, one trailing `\\r` dropped):
a UTF-8 BOM is stripped from the first line only; a line whose *first character* is `#` is a comment
(`  # x` is a pattern); the line is trimmed and skipped when empty; a leading `!` is split off and the rest
trimmed again; the rest is cleaned like Go's `filepath.Clean` and one leading `/` removed (a lone `/`
stays); the `!` is put back. Nothing else: no trailing comments, backslashes kept verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass

from pybuildkit.context.gopath import go_clean, go_trim_space
from pybuildkit.errors import ContextError

# bufio.Scanner's default limit: BuildKit fails on a longer line rather than truncating it.
_MAX_LINE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoreLine:
    """One pattern of an ignore file, with where it was written."""

    pattern: str
    """What the reader produces (`!` + cleaned text for an exception), as the matcher receives it."""
    line: int
    """1-based physical line number in the file."""
    text: str
    """The line as written, trimmed (what `context why` shows)."""


def read_ignore_lines(text: str | None, *, filename: str = ".dockerignore") -> tuple[IgnoreLine, ...]:
    """The patterns of an ignore file with their line numbers; `None` (no file) gives none."""
    if text is None:
        return ()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        # A final newline ends the last line; it does not start an empty one.
        lines.pop()
    out: list[IgnoreLine] = []
    for number, raw in enumerate(lines, start=1):
        if raw.endswith("\r"):
            raw = raw[:-1]
        if number == 1 and raw.startswith("\ufeff"):
            raw = raw[1:]
        if len(raw.encode("utf-8", "surrogateescape")) >= _MAX_LINE_BYTES:
            raise ContextError(
                f"{filename}:{number}: line is longer than {_MAX_LINE_BYTES - 1} bytes",
                hint="BuildKit rejects ignore files with such lines (bufio.Scanner: token too long)",
            )
        if raw.startswith("#"):
            continue
        pattern = go_trim_space(raw)
        if not pattern:
            continue
        written = pattern
        invert = pattern.startswith("!")
        if invert:
            pattern = go_trim_space(pattern[1:])
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        if invert:
            pattern = "!" + pattern
        out.append(IgnoreLine(pattern=pattern, line=number, text=written))
    return tuple(out)


def read_ignore_file(text: str | None) -> tuple[str, ...]:
    """The pattern list BuildKit hands to the matcher for this file text (`ignorefile.ReadAll`)."""
    return tuple(entry.pattern for entry in read_ignore_lines(text))
