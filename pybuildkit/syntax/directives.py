"""Parser directives: `# syntax=`, `# escape=`, `# check=` at the very top of a Dockerfile.

The rules are BuildKit's `DirectiveParser` (frontend/dockerfile/parser/directives.go): each line must start
with the comment prefix and match `name = value`; the first line that does not (a blank line, an instruction,
a plain comment, an unknown name) ends the directive block for good; a name seen twice is an error
(TestDirectives, TestParseDirective; testfile `escape-after-comment`).
`detect_syntax` and `parse_directive` are BuildKit's `DetectSyntax`/`ParseDirective`, which also look past a
shebang line and accept `//` and JSON forms for `syntax` (TestDetectSyntax).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pybuildkit.syntax._go import trim_left_space

VALID_DIRECTIVES = frozenset({"syntax", "escape", "check"})

# BuildKit matches `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (Go RE2: `\s` is [\t\n\f\r ]). Python's
# backtracking engine takes quadratic time on that pattern for a long run of blanks, so the value part is
# computed by hand, with the same result: `_directive_match`.
_DIRECTIVE_HEAD = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=")
_RE2_SPACES = "\t\n\f\r "


def _directive_match(text: str) -> tuple[str, str] | None:
    """(name, value) as BuildKit's directive regexp would capture them, or None."""
    head = _DIRECTIVE_HEAD.match(text)
    if head is None:
        return None
    after = text[head.end() :]
    rest = after.lstrip(_RE2_SPACES)
    if rest:
        return head.group(1), rest.rstrip(_RE2_SPACES)
    if after:
        return head.group(1), after[-1]  # only blanks: `(.+?)` still takes one of them, the last
    return None


class DirectiveError(ValueError):
    """A directive line BuildKit rejects (a repeated name); `line` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class DirectiveMatch(NamedTuple):
    """One directive found by `DirectiveParser`: lower-cased name, raw value, 1-based line."""

    name: str
    value: str
    line: int


class DirectiveParser:
    """Feeds lines one by one, as BuildKit's parser does while it reads the top of the file."""

    __slots__ = ("comment", "done", "line", "seen")

    def __init__(self, *, comment: str = "#", line: int = 0) -> None:
        self.comment = comment
        self.line = line
        self.seen: set[str] = set()
        self.done = False

    def parse_line(self, line: str) -> DirectiveMatch | None:
        """The directive on `line` (newline already trimmed), or None. Raises DirectiveError on a repeat."""
        self.line += 1
        if self.done:
            return None
        if not line.startswith(self.comment):
            self.done = True
            return None
        match = _directive_match(trim_left_space(line[len(self.comment) :]))
        if match is None:
            self.done = True
            return None
        name = match[0].lower()
        if name not in VALID_DIRECTIVES:
            self.done = True
            return None
        if name in self.seen:
            raise DirectiveError(f"only one {name} parser directive can be used", self.line)
        self.seen.add(name)
        return DirectiveMatch(name=name, value=match[1], line=self.line)

    def parse_all(self, text: str) -> list[DirectiveMatch]:
        """Every directive at the top of `text` (BuildKit's `ParseAll`; a repeat stops the scan)."""
        found: list[DirectiveMatch] = []
        for raw in _scanner_lines(text):
            if self.done:
                break
            try:
                directive = self.parse_line(raw)
            except DirectiveError:
                break
            if directive is not None:
                found.append(directive)
        return found


class DetectedDirective(NamedTuple):
    """What `detect_syntax`/`parse_directive` found: the first word, the whole value, and its line."""

    value: str  # the first space-separated word (the frontend reference for `syntax`)
    cmdline: str  # the whole value
    line: int  # 1-based; 0 for the JSON form without a shebang


def detect_syntax(text: str) -> DetectedDirective | None:
    """The `syntax` directive, looked for as `#`, then `//`, then a JSON object (BuildKit's `DetectSyntax`)."""
    return _parse_directive("syntax", text, any_format=True)


def parse_directive(key: str, text: str) -> DetectedDirective | None:
    """A `#`-style directive such as `check` (BuildKit's `ParseDirective`)."""
    return _parse_directive(key, text, any_format=False)


def _parse_directive(key: str, text: str, *, any_format: bool) -> DetectedDirective | None:
    text = text.removeprefix("\ufeff")
    first, sep, rest = text.partition("\n")
    line = 0
    if first.startswith("#!"):
        text = rest if sep else ""
        line = 1
    found = _detect_with(key, text, DirectiveParser(line=line))
    if found is not None or not any_format:
        return found
    found = _detect_with(key, text, DirectiveParser(comment="//", line=line))
    if found is not None:
        return found
    import json

    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(decoded, dict):
        value = decoded.get(key)
        if isinstance(value, str):
            return DetectedDirective(value=value, cmdline=value, line=line)
    return None


def _detect_with(key: str, text: str, parser: DirectiveParser) -> DetectedDirective | None:
    for directive in parser.parse_all(text):
        if directive.name == key:
            word = directive.value.split(" ", 1)[0]
            return DetectedDirective(value=word, cmdline=directive.value, line=directive.line)
    return None


def _scanner_lines(text: str) -> list[str]:
    """Go's bufio.ScanLines: split on \\n, drop one trailing \\r from each line."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]
