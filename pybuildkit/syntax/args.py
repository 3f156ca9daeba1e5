"""One logical instruction → keyword, flags and BuildKit's argument list.

These are BuildKit's line parsers (frontend/dockerfile/parser/line_parsers.go and split_command.go), written
again in Python so every value matches the Go parser's node values byte for byte, quirks included:
flags are read byte by byte (a UTF-8 byte 0x85/0xA0 counts as a space there, as in Go), invalid JSON falls
back to shell form, and a valid JSON array holding anything but strings is fatal (TestJSONArraysOfStrings,
the `jeztah-invalid-json-*` and `shykes-nested-json` testfiles). Words keep their quotes (TestParseWords);
ENV/LABEL give key, value, separator triples (TestParseNameValOldFormat/NewFormat/WithoutVal).
Exec-form JSON goes to the Lark grammar (`grammar.parse_json_array`) whenever Python's `json` cannot
settle it on its own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import NamedTuple

from pybuildkit.syntax import _go
from pybuildkit.syntax._go import GO_SPACES, RE_WHITESPACE, trim_left_space, trim_space

NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"

# unicode.IsSpace applied to a single byte (Go's `unicode.IsSpace(rune(line[pos]))`).
_BYTE_SPACES = frozenset("\t\n\v\f\r \x85\xa0")


class ArgumentError(ValueError):
    """BuildKit refuses the instruction's arguments; `offset` is where, in the logical line."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class RawFlag(NamedTuple):
    """A flag word after quote/escape removal, and its raw extent in the logical line."""

    text: str
    start: int
    end: int


class ParsedLine:
    """BuildKit's node for one logical line: keyword, flags, values; offsets are into the logical line.

    A plain class, not a dataclass: it is internal, mutable while built, and import time counts for a CLI.
    """

    __slots__ = (
        "args",
        "flags",
        "json",
        "keyword",
        "keyword_offset",
        "line",
        "rest",
        "rest_offset",
        "trigger",
    )

    def __init__(
        self,
        keyword: str,
        keyword_offset: int,
        flags: list[RawFlag],
        args: tuple[str, ...],
        json: bool,
        rest: str,
        rest_offset: int,
        trigger: ParsedLine | None = None,
        line: str = "",
    ) -> None:
        self.keyword = keyword
        self.keyword_offset = keyword_offset
        self.flags = flags
        self.args = args
        self.json = json
        self.rest = rest  # the arguments after the flags, trimmed (what the line parser got)
        self.rest_offset = rest_offset
        self.trigger = trigger
        self.line = line


# --- splitCommand / extractBuilderFlags -------------------------------------------------------------------


# The usual line: a plain keyword, blanks, then arguments that are not flags. Anything else takes the long way.
_SIMPLE_HEAD = re.compile(r"([A-Za-z]+)[ \t]+(?=[^\s-])")
# A plain keyword, blanks, then a flag: plain flag words are read in place, without slicing the line.
_FLAGS_HEAD = re.compile(r"([A-Za-z]+)[ \t]+(?=--)")


def split_command(line: str, escape: str) -> tuple[str, int, list[RawFlag], str, int]:
    """(keyword, its offset, flags, rest, rest offset) for a logical line (BuildKit `splitCommand`)."""
    simple = _SIMPLE_HEAD.match(line)
    if simple is not None:
        return simple.group(1), 0, [], line[simple.end() :].rstrip(GO_SPACES), simple.end()
    flagged = _FLAGS_HEAD.match(line)
    if flagged is not None:
        # What the general code below does for this line: no leading blanks, so trimming is rstrip only.
        found = _simple_flags(line.rstrip(GO_SPACES), flagged.end())
        if found is not None:
            raw_rest, flags, rest_index = found
            lead = len(raw_rest) - len(raw_rest.lstrip(GO_SPACES))
            return flagged.group(1), 0, flags, trim_space(raw_rest), rest_index + lead
    return split_command_general(line, escape)


def split_command_general(line: str, escape: str) -> tuple[str, int, list[RawFlag], str, int]:
    """`split_command` without its shortcuts (what they must agree with)."""
    stripped = trim_left_space(line)
    head = len(line) - len(stripped)
    text = trim_space(stripped)
    match = RE_WHITESPACE.search(text)
    if match is None:
        return text, head, [], "", head + len(text)
    keyword = text[: match.start()]
    tail = text[match.end() :]
    tail_offset = head + match.end()
    if tail[:2] != "--":
        raw_rest, rest_index = tail, 0  # the common case: no flags at all
        flags: list[RawFlag] = []
    else:
        raw_rest, flags, rest_index = _simple_flags(tail) or extract_builder_flags(tail, escape)
    rest = trim_space(raw_rest)
    lead = len(raw_rest) - len(raw_rest.lstrip(GO_SPACES))
    shifted = [RawFlag(f.text, f.start + tail_offset, f.end + tail_offset) for f in flags]
    return keyword, head, shifted, rest, tail_offset + rest_index + lead


# A flag word with nothing to unquote or unescape, then blanks or the end of the line.
_PLAIN_FLAG = re.compile(r"--[^\s\"'\\`]*(?:[ \t]+|\Z)")


def _simple_flags(tail: str, pos: int = 0) -> tuple[str, list[RawFlag], int] | None:
    """The flags of `tail[pos:]` when every flag word is plain ASCII (the usual case), else None.

    Offsets (of the flags and of the rest) are into `tail`.
    """
    flags: list[RawFlag] = []
    while tail.startswith("--", pos):
        match = _PLAIN_FLAG.match(tail, pos)
        if match is None:
            return None
        word = match.group().rstrip(" \t")
        if not word.isascii():
            return None
        if word == "--":
            return tail[pos + 2 :], flags, pos + 2
        flags.append(RawFlag(word, pos, pos + len(word)))
        pos = match.end()
    if pos < len(tail) and tail[pos] in "\x85\xa0\v\f\r\n":
        return None
    return tail[pos:], flags, pos


def extract_builder_flags(tail: str, escape: str) -> tuple[str, list[RawFlag], int]:
    """Leading `--flag` words of `tail`: (rest, flags, index of rest in tail). Byte-level, as Go reads it."""
    if tail.isascii():
        return _extract_flags(tail, escape)
    as_bytes = tail.encode("utf-8", "surrogateescape").decode("latin-1")
    rest, flags, index = _extract_flags(as_bytes, escape)

    def to_chars(byte_offset: int) -> int:
        return len(as_bytes[:byte_offset].encode("latin-1").decode("utf-8", "surrogateescape"))

    fixed = [RawFlag(f.text, to_chars(f.start), to_chars(f.end)) for f in flags]
    return rest.encode("latin-1").decode("utf-8", "surrogateescape"), fixed, to_chars(index)


def _extract_flags(line: str, escape: str) -> tuple[str, list[RawFlag], int]:
    in_spaces, in_word, in_quote = 0, 1, 2
    words: list[RawFlag] = []
    phase = in_spaces
    buf: list[str] = []
    quote = ""
    blank_ok = False
    start = 0
    n = len(line)
    pos = 0
    while pos <= n:
        ch = line[pos] if pos != n else ""
        if phase == in_spaces:
            if pos == n:
                break
            if ch in _BYTE_SPACES:
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or line[pos + 1] != "-":
                return line[pos:], words, pos
            phase = in_word
            start = pos
        if pos == n:
            word = "".join(buf)
            if word != "--" and (blank_ok or word):
                words.append(RawFlag(word, start, pos))
            break
        if phase == in_word:
            if ch in _BYTE_SPACES:
                word = "".join(buf)
                phase = in_spaces
                if word == "--":
                    return line[pos:], words, pos
                if blank_ok or word:
                    words.append(RawFlag(word, start, pos))
                buf = []
                blank_ok = False
                pos += 1
                continue
            if ch == "'" or ch == '"':
                quote = ch
                blank_ok = True
                phase = in_quote
                pos += 1
                continue
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            buf.append(ch)
            pos += 1
            continue
        # in_quote
        if ch == quote:
            phase = in_word
            pos += 1
            continue
        if ch == escape:
            if pos + 1 == n:
                phase = in_word
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        buf.append(ch)
        pos += 1
    return "", words, n


# --- line parsers -------------------------------------------------------------------------------------------


def parse_words(rest: str, escape: str) -> list[str]:
    """Whitespace-separated words, quotes and escapes kept (BuildKit `parseWords`, used by ARG/ENV/LABEL)."""
    if '"' not in rest and "'" not in rest and escape not in rest:
        return [w for w in _split_go_space(rest) if w]
    whole, word = _word_patterns(escape)
    if whole.fullmatch(rest):
        # Closed quotes, no escape character at the very end: a word is a run of plain characters,
        # escaped characters and quoted strings, exactly what the state machine below reads.
        return word.findall(rest)
    return _parse_words_machine(rest, escape)


def _parse_words_machine(rest: str, escape: str) -> list[str]:
    """BuildKit's `parseWords` state machine, character by character."""
    in_spaces, in_word, in_quote = 0, 1, 2
    words: list[str] = []
    phase = in_spaces
    quote = ""
    blank_ok = False
    buf: list[str] = []
    n = len(rest)
    pos = 0
    ch = ""
    while pos <= n:
        if pos != n:
            ch = rest[pos]
        if phase == in_spaces:
            if pos == n:
                break
            if _go.is_space(ch):
                pos += 1
                continue
            phase = in_word
        if pos == n:
            if blank_ok or buf:
                words.append("".join(buf))
            break
        if phase == in_word:
            if _go.is_space(ch):
                phase = in_spaces
                if blank_ok or buf:
                    words.append("".join(buf))
                buf = []
                blank_ok = False
                pos += 1
                continue
            if ch == "'" or ch == '"':
                quote = ch
                blank_ok = True
                phase = in_quote
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                buf.append(ch)
                pos += 1
                ch = rest[pos]
            buf.append(ch)
            pos += 1
            continue
        # in_quote
        if ch == quote:
            phase = in_word
        if ch == escape and quote != "'":
            if pos + 1 == n:
                phase = in_word
                pos += 1
                continue
            pos += 1
            buf.append(ch)
            ch = rest[pos]
        buf.append(ch)
        pos += 1
    return words


_GO_SPACE_RUN = re.compile("[" + re.escape(GO_SPACES) + "]+")


@functools.cache  # compiled on first use: a few milliseconds a CLI run need not pay
def _word_patterns(escape: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    spaces = re.escape(GO_SPACES)
    e = re.escape(escape)
    word = rf"""(?:[^{spaces}"'{e}]|{e}[\s\S]|"(?:[^"{e}]|{e}[\s\S])*"|'[^']*')+"""
    # Words must be separated by spaces here, so the engine never tries to cut one word in many ways.
    return re.compile(rf"[{spaces}]*(?:{word}(?:[{spaces}]+{word})*)?[{spaces}]*"), re.compile(word)


def _split_go_space(text: str) -> list[str]:
    return _GO_SPACE_RUN.split(text)


def parse_name_val(rest: str, key: str, escape: str) -> tuple[str, ...]:
    """ENV/LABEL: `key, value, sep` triples; sep is "" for the legacy `KEY value` form (BuildKit `parseNameVal`)."""
    words = parse_words(rest, escape)
    if not words:
        return ()
    if "=" not in words[0]:
        parts = RE_WHITESPACE.split(rest, 1)  # `rest` is trimmed: same as Go's Split(rest, 2)
        if len(parts) < 2:
            raise ArgumentError(f"{key} must have two arguments", 0)
        return (parts[0], parts[1], "")
    out: list[str] = []
    for word in words:
        if "=" not in word:
            # words keep their quotes and escapes, so each is a substring of `rest`: point at it
            at = max(rest.find(word, sum(len(w) for w in words[: words.index(word)])), 0)
            raise ArgumentError(
                f"Syntax error - can't find = in {_go.quote(word)}. Must be of the form: name=value", at
            )
        name, value = word.split("=", 1)
        out += (name, value, "=")
    return tuple(out)


JsonParser = Callable[[str], "list[str] | None"]


def parse_json(rest: str, grammar: JsonParser | None = None) -> list[str] | None:
    """The strings of a JSON array, or None when `rest` is not one (shell form). Raises for non-strings.

    Python's `json` settles the usual cases: what it rejects as malformed, Go's encoding/json rejects too.
    What it accepts but Go may not (NaN, numbers beyond float64, nesting past Go's 10,000 levels), and any
    array holding non-strings, goes to the Lark grammar, which gives Go's verdict. `grammar` forces that
    path for every array (the grammar engine).
    """
    text = rest if rest[:1] == "[" else trim_left_space(rest)  # `rest` comes trimmed, mostly
    if text[:1] != "[":
        return None
    if grammar is None:
        import json

        try:
            decoded = json.loads(text)
        except ValueError:
            return None
        except RecursionError:
            decoded = None
        if isinstance(decoded, list) and all(type(item) is str for item in decoded):
            return [item if item.isascii() else _go_string(item) for item in decoded]
        from pybuildkit.syntax.grammar import parse_json_array

        grammar = parse_json_array
    try:
        return grammar(text)
    except ArgumentError as error:
        raise ArgumentError(error.message, len(rest) - len(text) + _first_non_string(text)) from None


def _first_non_string(text: str) -> int:
    """Where the first element that is not a string starts in a JSON array (0 when that cannot be told)."""
    import json

    decoder = json.JSONDecoder()
    blanks = " \t\n\r"
    pos = 1
    while True:
        while pos < len(text) and text[pos] in blanks:
            pos += 1
        try:
            value, end = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return 0
        if not isinstance(value, str):
            return pos
        pos = end
        while pos < len(text) and text[pos] in blanks:
            pos += 1
        if text[pos : pos + 1] != ",":
            return 0
        pos += 1


def _go_string(text: str) -> str:
    """Go decodes a lone surrogate escape (`\\ud800`) to U+FFFD; Python keeps it."""
    if text.isascii():
        return text
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def parse_maybe_json(rest: str, grammar: JsonParser | None = None) -> tuple[tuple[str, ...], bool]:
    """RUN/CMD/ENTRYPOINT/SHELL: JSON strings (exec form), else the whole rest as one string."""
    if rest == "":
        return (), False
    values = parse_json(rest, grammar)
    if values is not None:
        return tuple(values), True
    return (rest,), False


def parse_maybe_json_to_list(rest: str, grammar: JsonParser | None = None) -> tuple[tuple[str, ...], bool]:
    """ADD/COPY/VOLUME: JSON strings, else the rest split on whitespace."""
    values = parse_json(rest, grammar)
    if values is not None:
        return tuple(values), True
    return parse_strings_whitespace(rest), False


def parse_strings_whitespace(rest: str) -> tuple[str, ...]:
    """FROM/EXPOSE (and the ADD/COPY/VOLUME fallback): split on runs of ASCII whitespace."""
    if rest == "":
        return ()
    # `rest` is trimmed, so Python's split agrees with Go's regexp.Split here (no empty first/last field)
    return tuple(RE_WHITESPACE.split(rest))


def parse_health(rest: str, grammar: JsonParser | None = None) -> tuple[tuple[str, ...], bool]:
    """HEALTHCHECK: the first word (CMD, NONE...), then the rest as for CMD. Byte-level split, as Go."""
    data = rest if rest.isascii() else rest.encode("utf-8", "surrogateescape").decode("latin-1")
    sep = 0
    while sep < len(data) and data[sep] not in _BYTE_SPACES:
        sep += 1
    following = sep
    while following < len(data) and data[following] in _BYTE_SPACES:
        following += 1
    if sep == 0:
        return (), False
    kind, tail = data[:sep], data[following:]
    if data is not rest:
        kind = kind.encode("latin-1").decode("utf-8", "surrogateescape")
        tail = tail.encode("latin-1").decode("utf-8", "surrogateescape")
    try:
        values, is_json = parse_maybe_json(tail, grammar)
    except ArgumentError as error:
        raise ArgumentError(error.message, len(rest) - len(tail) + error.offset) from None
    return (kind, *values), is_json


def parse_line(line: str, escape: str, depth: int = 0) -> ParsedLine:
    """BuildKit's `newNodeFromLine`: split the line, then run the keyword's line parser."""
    keyword, keyword_offset, flags, rest, rest_offset = split_command(line, escape)
    return build_node(line, keyword, keyword_offset, flags, rest, rest_offset, escape, depth=depth)


# BuildKit's parser nests ONBUILD without limit and its instructions layer then refuses any `ONBUILD ONBUILD`.
# The tree here is recursive (compared and printed recursively), so a line of thousands of ONBUILDs stops at
# the parser, with an error, rather than overflowing Python's stack.
MAX_ONBUILD_DEPTH = 64


def build_node(
    line: str,
    keyword: str,
    keyword_offset: int,
    flags: list[RawFlag],
    rest: str,
    rest_offset: int,
    escape: str,
    *,
    sub_parser: Callable[[str, str, int], ParsedLine] | None = None,
    json_parser: JsonParser | None = None,
    depth: int = 0,
) -> ParsedLine:
    """Dispatch on the keyword, as BuildKit's table in parser.go does."""
    name = _NAMES.get(keyword) or _go.lower(keyword)
    node = ParsedLine(keyword, keyword_offset, flags, (), False, rest, rest_offset, None, line)
    try:
        match name:
            case "run" | "cmd" | "entrypoint" | "shell":
                node.args, node.json = parse_maybe_json(rest, json_parser)
            case "add" | "copy" | "volume":
                node.args, node.json = parse_maybe_json_to_list(rest, json_parser)
            case "from" | "expose":
                node.args = parse_strings_whitespace(rest)
            case "env":
                node.args = parse_name_val(rest, "ENV", escape)
            case "label":
                node.args = parse_name_val(rest, "LABEL", escape)
            case "arg":
                node.args = tuple(parse_words(rest, escape))
            case "healthcheck":
                node.args, node.json = parse_health(rest, json_parser)
            case "maintainer" | "user" | "workdir" | "stopsignal":
                node.args = (rest,) if rest else ()
            case "onbuild":
                if rest:
                    if depth >= MAX_ONBUILD_DEPTH:
                        raise ArgumentError(f"ONBUILD nested more than {MAX_ONBUILD_DEPTH} levels deep", 0)
                    parse = sub_parser or parse_line
                    inner = parse(rest, escape, depth + 1)
                    node.trigger = _shift(inner, rest_offset)
            case _:
                node.args = ("",)  # BuildKit keeps an unknown instruction with one empty value
    except ArgumentError as error:
        raise ArgumentError(error.message, rest_offset + error.offset) from None
    return node


_KEYWORD_NAMES = [
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
]
_NAMES = {**{k: k for k in _KEYWORD_NAMES}, **{k.upper(): k for k in _KEYWORD_NAMES}}


def _shift(node: ParsedLine, offset: int) -> ParsedLine:
    node.keyword_offset += offset
    node.rest_offset += offset
    node.flags = [RawFlag(f.text, f.start + offset, f.end + offset) for f in node.flags]
    if node.trigger is not None:
        _shift(node.trigger, offset)
    return node
