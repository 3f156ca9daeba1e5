"""Dockerfile text → the frozen, lossless tree of `syntax/nodes.py`.

`parse` runs the line pass (`lines.scan`), which hands each logical instruction to a line parser: the
hand-written one in `args.py` (default, fast) or the Lark grammar (`engine="grammar"`). Both give BuildKit's
node values; this module only attaches spans and exact source text.
"""

from __future__ import annotations

from typing import Any, Literal

from pybuildkit.errors import DockerfileError
from pybuildkit.source import Position, Span, line_span, new_position, new_span
from pybuildkit.syntax import _go
from pybuildkit.syntax.args import ParsedLine, parse_line
from pybuildkit.syntax.lines import (
    RawDirective,
    RawInstruction,
    content_of,
    position_in,
    scan,
)
from pybuildkit.syntax.nodes import (
    Comment,
    Directive,
    Dockerfile,
    Flag,
    Heredoc,
    InstructionNode,
    Item,
    Keyword,
    ParseWarning,
)

Engine = Literal["fast", "grammar"]
_KEYWORDS = {**{k.value: k for k in Keyword}, **{k.value.upper(): k for k in Keyword}}

# The tree's frozen dataclasses are built here through their slot descriptors: the generated __init__ calls
# object.__setattr__ once per field, which was a fifth of the parse time. FAST_FIELDS lists what each fast
# constructor sets; tests/syntax/test_fast_paths.py checks it against dataclasses.fields, so a field added to
# nodes.py cannot be left unset.
_new: Any = object.__new__
FAST_FIELDS: dict[type, tuple[str, ...]] = {
    Comment: ("span", "text"),
    Dockerfile: ("filename", "items", "escape", "bom", "warnings"),
    Flag: ("name", "value", "span"),
    InstructionNode: (
        "keyword",
        "kind",
        "flags",
        "args",
        "json",
        "original",
        "heredocs",
        "trigger",
        "span",
        "text",
        "comments",
    ),
}


def _setters(cls: type) -> tuple[Any, ...]:
    return tuple(cls.__dict__[name].__set__ for name in FAST_FIELDS[cls])


_COMMENT_SET = _setters(Comment)
_FLAG_SET = _setters(Flag)
_NODE_SET = _setters(InstructionNode)
_FILE_SET = _setters(Dockerfile)


def parse(text: str, *, filename: str = "Dockerfile", engine: Engine = "fast") -> Dockerfile:
    """Parse Dockerfile text. Raises DockerfileSyntaxError (with file, span and source) for what BuildKit rejects."""
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text
    if engine == "grammar":
        from pybuildkit.syntax.grammar import parse_line_grammar

        line_parser = parse_line_grammar
    else:
        line_parser = parse_line
    try:
        result = scan(body, line_parser)
    except DockerfileError as error:
        raise error.located(filename=filename, source=body) from None
    lines = result.lines
    items: list[Item] = []
    warnings: list[ParseWarning] = []
    for raw in result.items:
        if isinstance(raw, RawInstruction):
            node = _instruction(raw, lines)
            items.append(node)
            if raw.empty_continuation_line >= 0:
                warnings.append(_empty_continuation(raw, lines))
        elif isinstance(raw, int):
            row = raw
            line = lines[row]
            end = len(line) + 1 - (2 if line[-2:] == "\r\n" else line[-1:] == "\n")
            comment = _new(Comment)
            set_span, set_text = _COMMENT_SET
            set_span(comment, line_span(row + 1, 1, end))
            set_text(comment, line)
            items.append(comment)
        else:
            items.append(_directive(raw, lines))
    tree: Dockerfile = _new(Dockerfile)
    s_filename, s_items, s_escape, s_bom, s_warnings = _FILE_SET
    s_filename(tree, filename)
    s_items(tree, tuple(items))
    s_escape(tree, result.escape)
    s_bom(tree, bom)
    s_warnings(tree, tuple(warnings) if warnings else ())
    return tree


def _line_span(index: int, lines: list[str], column: int) -> Span:
    return line_span(index + 1, column + 1, len(content_of(lines[index])) + 1)


def _directive(raw: RawDirective, lines: list[str]) -> Directive:
    return Directive(
        name=raw.name, value=raw.value, span=_line_span(raw.row, lines, raw.column), text=lines[raw.row]
    )


def _empty_continuation(raw: RawInstruction, lines: list[str]) -> ParseWarning:
    return ParseWarning(
        rule="NoEmptyContinuation",
        message="Empty continuation line found in: " + raw.line,
        span=_line_span(raw.empty_continuation_line, lines, 0),
    )


def _instruction(raw: RawInstruction, lines: list[str]) -> InstructionNode:
    last = lines[raw.last]
    if last[-1:] == "\n":
        last = last[:-2] if last[-2:] == "\r\n" else last[:-1]
    first = raw.first
    if first == raw.last:  # one physical line: the usual case
        span = line_span(first + 1, raw.segments[0][2] + 1, len(last) + 1)
        text = lines[first]
    else:
        span = new_span(
            new_position(first + 1, raw.segments[0][2] + 1), new_position(raw.last + 1, len(last) + 1)
        )
        text = "".join(lines[first : raw.last + 1])
    heredocs = (
        tuple(
            Heredoc(
                name=h.marker.name,
                content=h.content,
                expand=h.marker.expand,
                chomp=h.marker.chomp,
                file_descriptor=h.marker.file_descriptor,
                span=new_span(
                    new_position(h.first + 1, 1), new_position(h.last + 1, len(content_of(lines[h.last])) + 1)
                ),
            )
            for h in raw.heredocs
        )
        if raw.heredocs
        else ()
    )
    return _node(raw.node, raw, lines, span, text, heredocs, raw.line, raw.comments)


def _node(
    parsed: ParsedLine,
    raw: RawInstruction,
    lines: list[str],
    span: Span,
    text: str,
    heredocs: tuple[Heredoc, ...],
    original: str,
    comments: tuple[str, ...],
) -> InstructionNode:
    flags = tuple([_flag(f.text, raw, f.start, f.end) for f in parsed.flags]) if parsed.flags else ()
    trigger = None
    if parsed.trigger is not None:
        inner = parsed.trigger
        where = position_in(raw.segments, inner.keyword_offset)
        inner_span = new_span(where, span.end)
        inner_text = text[_offset_in(text, raw.first, where, lines) :]
        trigger = _node(inner, raw, lines, inner_span, inner_text, heredocs, parsed.rest, ())
    keyword = parsed.keyword
    node: InstructionNode = _new(InstructionNode)
    (
        s_keyword,
        s_kind,
        s_flags,
        s_args,
        s_json,
        s_original,
        s_heredocs,
        s_trigger,
        s_span,
        s_text,
        s_comments,
    ) = _NODE_SET
    s_keyword(node, keyword)
    s_kind(node, _KEYWORDS.get(keyword) or _KEYWORDS.get(_go.lower(keyword)))
    s_flags(node, flags)
    s_args(node, parsed.args)
    s_json(node, parsed.json)
    s_original(node, original)
    s_heredocs(node, heredocs)
    s_trigger(node, trigger)
    s_span(node, span)
    s_text(node, text)
    s_comments(node, comments)
    return node


def _flag(word: str, raw: RawInstruction, start: int, end: int) -> Flag:
    body = word[2:]
    name, sep, value = body.partition("=")
    flag: Flag = _new(Flag)
    set_name, set_value, set_span = _FLAG_SET
    set_name(flag, name)
    set_value(flag, value if sep else None)
    segments = raw.segments
    if len(segments) == 1:  # the usual one-line instruction: no segment to look for
        _, index, column = segments[0]
        set_span(flag, line_span(index + 1, column + start + 1, column + end + 1))
    else:
        set_span(flag, new_span(position_in(segments, start), position_in(segments, end)))
    return flag


def _offset_in(text: str, first: int, where: Position, lines: list[str]) -> int:
    offset = sum(len(lines[i]) for i in range(first, where.line - 1))
    return min(offset + where.column - 1, len(text))
