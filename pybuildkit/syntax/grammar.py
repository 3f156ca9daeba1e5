"""The Lark grammar (grammar/dockerfile.lark): loaded lazily, once, with Lark's cache.

Nothing here runs at import: `import pybuildkit.syntax` does not import Lark. The parser is built on first
use (LALR(1), contextual lexer, callbacks applied while parsing so deep JSON cannot recurse), from the
analysis cached under the user cache directory when that is writable.

Two uses:
* `parse_json_array`: the exec form. Go's encoding/json decides what BuildKit takes for JSON, and Python's
  `json` differs at the edges (NaN, numbers too big for a float64, nesting deeper than Go's 10,000 levels);
  `args.parse_json` asks the grammar whenever `json.loads` alone does not settle it.
* `parse_line_grammar`: a whole logical instruction (keyword, flags, body) through the grammar. `parse`
  uses hand-written fast paths for the keyword and flags (Lark costs a few microseconds per token, and the
  aim is to parse a file as fast as dockerfile-parse); `parse(..., engine="grammar")` runs every instruction
  through here, and the property tests check that both engines build the same tree.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from pybuildkit.syntax._go import trim_left_space, trim_space
from pybuildkit.syntax.args import (
    NOT_STRING_ARRAY,
    ArgumentError,
    ParsedLine,
    RawFlag,
    _extract_flags,
    _go_string,
    build_node,
    extract_builder_flags,
)

if TYPE_CHECKING:
    from lark import Lark

GO_MAX_JSON_DEPTH = 10_000
_STARTS = ["instruction_backslash", "instruction_backtick", "json_array"]


def grammar_text() -> str:
    """The grammar: from the installed package, else from the source checkout's grammar/."""
    packaged = resources.files("pybuildkit").joinpath("grammar/dockerfile.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "grammar" / "dockerfile.lark").read_text(encoding="utf-8")


def _cache_path(text: str) -> str | None:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "pybuildkit")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None
    if not os.access(directory, os.W_OK):
        return None
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return os.path.join(
        directory, f"lark-dockerfile-{digest}-py{sys.version_info[0]}{sys.version_info[1]}.cache"
    )


@functools.cache
def parser() -> Lark:
    """The LALR parser, built once (from Lark's cache under the user cache directory when possible)."""
    return build_parser(_cache_path(grammar_text()))


def build_parser(cache: str | None) -> Lark:
    """A new LALR parser for the grammar; `cache` is Lark's cache file (None: no cache)."""
    from lark import Lark

    text = grammar_text()
    options: dict[str, Any] = {
        "parser": "lalr",
        "lexer": "contextual",
        "start": _STARTS,
        "maybe_placeholders": False,
        "transformer": _Callbacks(),
    }
    if cache is not None:
        try:
            return Lark(text, cache=cache, **options)
        except OSError:
            pass  # an unwritable cache only costs time
    return Lark(text, **options)


class _Value(NamedTuple):
    """A JSON value that is not a string: how deep it nests, and whether Go fails to decode a number in it."""

    depth: int
    overflow: bool


def _make_callbacks() -> type:
    from lark import Transformer

    class Callbacks(Transformer[Any, Any]):
        """Applied while parsing: builds small values, never a tree."""

        def string(self, children: list[Any]) -> str:
            return _go_string(json.loads(str(children[0]).rstrip(" \t\n\r")))

        def number(self, children: list[Any]) -> _Value:
            value = float(str(children[0]).rstrip(" \t\n\r"))
            # Go decodes into float64; a number out of range is an UnmarshalTypeError, not a string error.
            return _Value(0, value in (float("inf"), float("-inf")))

        def literal(self, children: list[Any]) -> _Value:
            return _Value(0, False)

        def array(self, children: list[Any]) -> _Value:
            return _nested(children)

        def object(self, children: list[Any]) -> _Value:
            return _nested(children)

        def pair(self, children: list[Any]) -> Any:
            return children[1]

        def json_array(self, children: list[Any]) -> list[Any]:
            return children

        def flag_bs(self, children: list[Any]) -> tuple[str, Any]:
            return ("flag", children[0])

        def flag_bt(self, children: list[Any]) -> tuple[str, Any]:
            return ("flag", children[0])

        def end_flags(self, children: list[Any]) -> tuple[str, Any]:
            return ("end", children[0])

        def body(self, children: list[Any]) -> tuple[str, Any]:
            return ("body", children[0])

        def instruction_backslash(self, children: list[Any]) -> list[Any]:
            return children

        def instruction_backtick(self, children: list[Any]) -> list[Any]:
            return children

    return Callbacks


def _nested(children: list[Any]) -> _Value:
    depth = 0
    overflow = False
    for child in children:
        if isinstance(child, _Value):
            depth = max(depth, child.depth)
            overflow = overflow or child.overflow
    return _Value(depth + 1, overflow)


def _Callbacks() -> Any:  # a factory in place of the class, which needs lark imported
    return _make_callbacks()()


def parse_json_array(text: str) -> list[str] | None:
    """Go's verdict on `text` (starting with `[`): the strings, None for "not JSON" (shell form), or the
    fatal "arrays must be comprised of strings only" error as ArgumentError."""
    from lark.exceptions import LarkError

    try:
        values: list[Any] = cast(list[Any], parser().parse(text, start="json_array"))
    except LarkError:
        return None
    top = _nested(values)
    if top.depth > GO_MAX_JSON_DEPTH or top.overflow:
        return None  # Go: "exceeded max depth" (a syntax error) / a number it cannot decode: shell form
    if any(not isinstance(v, str) for v in values):
        raise ArgumentError(NOT_STRING_ARRAY, 0)
    return [v for v in values if isinstance(v, str)]


def parse_line_grammar(line: str, escape: str, depth: int = 0) -> ParsedLine:
    """BuildKit's `newNodeFromLine` with the keyword and flags read by the Lark grammar."""
    from lark.exceptions import LarkError

    stripped = trim_left_space(line)
    head = len(line) - len(stripped)
    text = trim_space(stripped)
    if not text:
        return build_node(
            line,
            "",
            head,
            [],
            "",
            head,
            escape,
            sub_parser=parse_line_grammar,
            json_parser=parse_json_array,
            depth=depth,
        )
    start = "instruction_backtick" if escape == "`" else "instruction_backslash"
    try:
        parts: list[Any] = cast(list[Any], parser().parse(text, start=start))
    except LarkError as error:  # pragma: no cover - every logical line is an instruction to this grammar
        raise ArgumentError(f"cannot parse instruction: {error}", 0) from None
    keyword = str(parts[0])
    flags: list[RawFlag] = []
    rest = ""
    rest_at = len(text)
    items = parts[1:]
    tail_at = items[0][1].start_pos if items else len(text)
    if items and not text[tail_at:].isascii() and items[0][0] == "flag":
        # Go reads flags byte by byte; outside ASCII only the byte-level reader agrees with it.
        raw_rest, byte_flags, index = extract_builder_flags(text[tail_at:], escape)
        flags = [RawFlag(f.text, f.start + tail_at + head, f.end + tail_at + head) for f in byte_flags]
        rest = trim_space(raw_rest)
        rest_at = tail_at + index + len(raw_rest) - len(trim_left_space(raw_rest))
        items = []
    for kind, token in items:
        if kind == "flag":
            words = _extract_flags(str(token), escape)[1]
            if not words:
                # a flag whose text reduces to `--` (`--""`) ends the flags, like a bare `--`
                rest_raw = text[token.end_pos :]
                rest = trim_space(rest_raw)
                rest_at = token.end_pos + len(rest_raw) - len(trim_left_space(rest_raw))
                break
            flags.append(RawFlag(words[0].text, head + token.start_pos, head + token.end_pos))
        elif kind == "end":
            continue
        else:
            raw = str(token)
            rest = trim_space(raw)
            rest_at = token.start_pos + len(raw) - len(trim_left_space(raw))
    return build_node(
        line,
        keyword,
        head,
        flags,
        rest,
        head + rest_at,
        escape,
        sub_parser=parse_line_grammar,
        json_parser=parse_json_array,
        depth=depth,
    )
