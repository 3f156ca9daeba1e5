"""The line pass: physical lines → directives, comments and logical instructions, before any grammar.

It follows BuildKit's `parser.Parse` loop line for line, because these rules are context-sensitive:
* parser directives are read only at the very top, each once (`only one escape parser directive can be
  used`); the first other line ends them, so a directive after a comment is just a comment;
* `# escape=` changes the escape character for the lines after it;
* a line ending in the escape character (plus spaces/tabs) continues on the next line; comment lines inside
  a continuation are dropped, blank ones too (with a NoEmptyContinuation warning); leading whitespace of a
  continuation line is kept, of a first line dropped;
* after an ADD/COPY/RUN line (or ONBUILD of one) that is not JSON, each `<<WORD` takes the following physical
  lines as its body, up to the terminator line;
* a physical line of 64 KiB or more is an error, as Go's bufio.Scanner makes it.

BuildKit's tests that pin these down (data in ../shared/conformance/parser-unit): TestParseIncludesLineNumbers,
TestParseWarnsOnEmptyContinutationLine, TestParseReturnsScannerErrors, TestParseExtractsHeredoc, and the
testfiles `escape-after-comment`, `continue-at-eof`, `continueIndent`, `trailing-backslash`.

Each logical instruction keeps a segment map (logical offset → physical line and column), so a flag or an
error found in the joined line still reports where it was written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from pybuildkit.errors import DockerfileSyntaxError
from pybuildkit.source import Position, Span, new_position
from pybuildkit.syntax import _go
from pybuildkit.syntax._go import GO_SPACES
from pybuildkit.syntax.args import ArgumentError, ParsedLine
from pybuildkit.syntax.directives import DirectiveError, DirectiveParser
from pybuildkit.syntax.heredoc import HeredocError, HeredocMarker, heredocs_from_line

MAX_LINE_BYTES = 65535  # bufio.MaxScanTokenSize - 1
HEREDOC_KEYWORDS = frozenset({"add", "copy", "run"})


# Internal records are NamedTuples and a slotted class, not dataclasses: creating a dataclass costs about
# half a millisecond at import, and `pybuildkit parse` as a process should start fast.


class RawDirective(NamedTuple):
    row: int  # 0-based physical line
    column: int  # 0-based column of the comment character
    name: str
    value: str


class RawHeredoc(NamedTuple):
    marker: HeredocMarker
    content: str
    first: int  # first body line (0-based)
    last: int  # the terminator line


class RawInstruction:
    """One logical instruction as the line pass saw it (0-based physical lines)."""

    __slots__ = (
        "comments",
        "empty_continuation_line",
        "first",
        "heredocs",
        "last",
        "line",
        "node",
        "segments",
    )

    def __init__(
        self,
        first: int,
        last: int,
        line: str,
        segments: list[tuple[int, int, int]],
        node: ParsedLine,
        comments: tuple[str, ...],
        empty_continuation_line: int,
    ) -> None:
        self.first = first
        self.last = last  # heredoc bodies included
        self.line = line  # the logical line (BuildKit's `Original`)
        self.segments = segments  # (logical offset, physical line, column offset), ascending
        self.node = node
        self.heredocs: list[RawHeredoc] = []
        self.comments = comments
        self.empty_continuation_line = empty_continuation_line  # NoEmptyContinuation goes here; -1: none


# A comment or blank line is just its 0-based row: no record to build for the most common kind of line.
RawItem = RawDirective | int | RawInstruction


class Scan(NamedTuple):
    lines: list[str]  # physical lines, each with its "\n" (the last may have none)
    items: list[RawItem]
    escape: str


def physical_lines(text: str) -> list[str]:
    """Split on "\\n" only (Go's scanLines), each line keeping its newline."""
    parts = text.split("\n")
    last = parts.pop()
    lines = [part + "\n" for part in parts]
    if last:
        lines.append(last)
    return lines


def content_of(raw: str) -> str:
    """A physical line without its line ending ("\\n", and a "\\r" before it)."""
    if raw.endswith("\n"):
        raw = raw[:-1]
    return raw[:-1] if raw.endswith("\r") else raw


def _error(
    message: str, first: int, last: int, lines: list[str], hint: str, column: int = 1
) -> DockerfileSyntaxError:
    end_line = min(last, len(lines) - 1) if lines else 0
    end_col = len(content_of(lines[end_line])) + 1 if lines else 1
    span = Span(
        start=Position(line=first + 1, column=column), end=Position(line=end_line + 1, column=end_col)
    )
    return DockerfileSyntaxError(message, span=span, hint=hint)


def position_in(segments: list[tuple[int, int, int]], offset: int) -> Position:
    """Where a logical-line offset was written."""
    chosen = segments[0]
    for segment in segments:
        if segment[0] <= offset:
            chosen = segment
        else:
            break
    start, index, column = chosen
    return new_position(index + 1, column + offset - start + 1)


def scan(text: str, parse_line: Callable[[str, str], ParsedLine]) -> Scan:
    """Run the line pass over `text` (BOM already removed)."""
    lines = physical_lines(text)
    too_long = _first_long_line(text, lines)
    n = len(lines) if too_long is None else too_long
    escape = "\\"
    directives: DirectiveParser | None = None  # made at the first comment line: most files start otherwise
    items: list[RawItem] = []
    comments: list[str] = []
    have_instruction = False
    reading_directives = True  # until the first line that is not a directive
    i = 0
    while i < n:
        raw = lines[i]
        content = raw.rstrip("\r\n")
        stripped = content.lstrip(GO_SPACES)
        is_comment = stripped[:1] == "#"
        if is_comment:
            comment = _go.trim_space(raw[1:])  # BuildKit takes the raw line minus its first byte here
            if comment:
                comments.append(comment)
            else:
                comments = []
        if reading_directives and not is_comment:
            reading_directives = False  # what DirectiveParser says of a line that is not a comment
        elif reading_directives:
            if directives is None:
                directives = DirectiveParser(line=i)
            try:
                directive = directives.parse_line(stripped)
            except DirectiveError as error:
                raise _error(
                    str(error), i, i, lines, f"keep a single `# {error.args[0].split()[2]}=...` line"
                ) from None
            reading_directives = not directives.done
            if directive is not None:
                if directive.name == "escape":
                    if directive.value not in ("`", "\\"):
                        raise _error(
                            f"invalid escape token '{directive.value}' does not match ` or \\",
                            i,
                            i,
                            lines,
                            "the escape character can only be a backslash or a backtick: # escape=`",
                        )
                    escape = directive.value
                if comments:
                    comments.pop()
                items.append(RawDirective(i, len(content) - len(stripped), directive.name, directive.value))
                i += 1
                continue
        if is_comment or not stripped:
            items.append(i)
            i += 1
            continue

        # A logical instruction starts here.
        first = i
        segments = [(0, i, len(content) - len(stripped))]
        has_empty = False
        i += 1
        if stripped.rstrip(" \t")[-1:] != escape:
            line = stripped  # one physical line: the common case
        else:
            piece, ends = _trim_continuation(stripped, escape)
            parts = [piece]
            length = len(piece)
            while not ends and i < n:
                raw = lines[i]
                content = raw.rstrip("\r\n")
                # (BuildKit runs these lines through the directive parser too; the block is over by now.)
                i += 1
                stripped = content.lstrip(GO_SPACES)
                if stripped[:1] == "#":
                    continue
                if not stripped:
                    has_empty = True
                    continue
                piece, ends = _trim_continuation(content, escape)
                segments.append((length, i - 1, 0))
                parts.append(piece)
                length += len(piece)
            line = "".join(parts)
        empty_line = i - 1 if has_empty else -1
        try:
            node = parse_line(line, escape)
        except ArgumentError as error:
            where = position_in(segments, error.offset)
            raise _error(
                error.message, where.line - 1, i - 1, lines, _hint_for(error.message), where.column
            ) from None
        instruction = RawInstruction(
            first, i - 1, line, segments, node, tuple(comments) if comments else (), empty_line
        )
        if "<<" in line and _takes_heredocs(node):
            try:
                markers = heredocs_from_line(line)
            except HeredocError as error:
                raise _error(
                    str(error), first, i - 1, lines, "check the quoting of the heredoc word"
                ) from None
            for marker in markers:
                body_first = i
                body: list[str] = []
                terminated = False
                while i < n:
                    raw = lines[i]
                    i += 1
                    possible = raw.rstrip("\r\n")
                    if marker.chomp:
                        possible = possible.lstrip("\t")
                    if possible == marker.name:
                        terminated = True
                        break
                    body.append(raw)
                if not terminated:
                    raise _error(
                        "unterminated heredoc",
                        first,
                        i - 1,
                        lines,
                        f"end the here-document with a line holding only {marker.name}",
                    )
                instruction.heredocs.append(RawHeredoc(marker, "".join(body), body_first, i - 1))
            instruction.last = i - 1
        items.append(instruction)
        have_instruction = True
        if comments:
            comments = []

    if not have_instruction:
        raise DockerfileSyntaxError(
            "file with no instructions", hint="a Dockerfile needs at least one instruction, usually FROM"
        )
    if too_long is not None:
        raise _error(
            f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES}",
            too_long,
            too_long,
            lines,
            "split the line with a line continuation (the escape character at the end of a line)",
        )
    return Scan(lines, items, escape)  # positional: a NamedTuple takes keywords much more slowly


def _takes_heredocs(node: ParsedLine) -> bool:
    """ADD/COPY/RUN (or ONBUILD of one) in shell form: `<<WORD` there opens a here-document."""
    target = node.trigger if node.trigger is not None and _go.lower(node.keyword) == "onbuild" else node
    return not target.json and _go.lower(target.keyword) in HEREDOC_KEYWORDS


def _trim_continuation(line: str, escape: str) -> tuple[str, bool]:
    """(line without the continuation character, True when the logical line ends here).

    BuildKit's regexp `([^E])E[ \t]*$|^E[ \t]*$` (E the escape character), spelled out: the last escape
    character continues the line when only spaces/tabs follow it and it is not itself escaped.
    """
    body = line.rstrip(" \t")
    if not body.endswith(escape):
        return line, True
    if len(body) == 1:
        return "", False
    if body[-2] == escape:
        return line, True  # `\\` at the end: an escaped escape character, not a continuation
    return body[:-1], False


def _first_long_line(text: str, lines: list[str]) -> int | None:
    if len(text) * 4 <= MAX_LINE_BYTES or max(map(len, lines)) * 4 <= MAX_LINE_BYTES:
        return None
    for index, raw in enumerate(lines):
        # A character is at most 4 bytes: only long lines need encoding to be measured.
        if len(raw) * 4 > MAX_LINE_BYTES:
            body = raw[:-1] if raw.endswith("\n") else raw
            if len(body.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES:
                return index
    return None


def _hint_for(message: str) -> str:
    if message.startswith("when using JSON"):
        return 'write every element of the array as a JSON string: ["executable", "arg"]'
    if message.startswith("ONBUILD nested"):
        return "ONBUILD takes one trigger instruction, and that trigger cannot be ONBUILD"
    if message.endswith("must have two arguments"):
        return "give a name and a value: NAME=value (or the legacy form NAME value)"
    if message.startswith("Syntax error - can't find ="):
        return 'every word must be name=value; quote a value that holds spaces: NAME="a b"'
    return "check the instruction's syntax"
