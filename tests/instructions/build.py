"""Hand-built syntax nodes for tests, and `parse_text` that uses the real parser when it is there."""

from __future__ import annotations

import pytest

from pybuildkit.source import Position, Span
from pybuildkit.syntax.nodes import Dockerfile, Flag, Heredoc, InstructionNode, Item, Keyword

SPAN = Span(start=Position(line=1, column=1), end=Position(line=2, column=1))


def node(
    keyword: str,
    *args: str,
    flags: tuple[str, ...] = (),
    json: bool = False,
    heredocs: tuple[Heredoc, ...] = (),
    trigger: InstructionNode | None = None,
    original: str | None = None,
    comments: tuple[str, ...] = (),
    line: int = 1,
) -> InstructionNode:
    """An InstructionNode as the parser would give it (flags written `--name[=value]`)."""
    try:
        kind: Keyword | None = Keyword(keyword.lower())
    except ValueError:
        kind = None
    parsed = []
    for text in flags:
        name, sep, value = text[2:].partition("=")
        parsed.append(Flag(name=name, value=value if sep else None, span=SPAN))
    if original is None:
        original = " ".join((keyword, *flags, *args))
    span = Span(start=Position(line=line, column=1), end=Position(line=line + 1, column=1))
    return InstructionNode(
        keyword=keyword,
        kind=kind,
        flags=tuple(parsed),
        args=args,
        json=json,
        original=original,
        heredocs=heredocs,
        trigger=trigger,
        span=span,
        text=original + "\n",
        comments=comments,
    )


def heredoc(name: str, content: str, *, expand: bool = True, chomp: bool = False, fd: int = 0) -> Heredoc:
    return Heredoc(name=name, content=content, expand=expand, chomp=chomp, file_descriptor=fd, span=SPAN)


def tree(*nodes: InstructionNode, escape: str = "\\") -> Dockerfile:
    """A Dockerfile of hand-built nodes, numbered one per line."""
    items: list[Item] = []
    for i, n in enumerate(nodes, 1):
        span = Span(start=Position(line=i, column=1), end=Position(line=i + 1, column=1))
        flags = []
        for f in n.flags:
            column = n.original.find(f.text) + 1
            start, end = Position(line=i, column=column), Position(line=i, column=column + len(f.text))
            flags.append(Flag(name=f.name, value=f.value, span=Span(start=start, end=end)))
        items.append(
            InstructionNode(
                keyword=n.keyword,
                kind=n.kind,
                flags=tuple(flags),
                args=n.args,
                json=n.json,
                original=n.original,
                heredocs=n.heredocs,
                trigger=n.trigger,
                span=span,
                text=n.text,
                comments=n.comments,
            )
        )
    return Dockerfile(filename="Dockerfile", items=tuple(items), escape=escape)


def real_parser_available() -> bool:
    try:
        import pybuildkit

        pybuildkit.parse("FROM a\n")
    except Exception:
        return False
    return True


def parse_text(text: str) -> Dockerfile:
    """Parse with the real parser; skip the test while the syntax layer is not there yet."""
    import pybuildkit

    try:
        return pybuildkit.parse(text)  # type: ignore[no-any-return]
    except (ImportError, AttributeError, NotImplementedError) as error:  # pragma: no cover
        pytest.skip(f"pybuildkit.parse is not available yet: {error}")
