"""The hand-written shortcuts give what the general code gives: flags, heredoc words, JSON, keyword split."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybuildkit.source import Position, Span, line_span, new_position, new_span
from pybuildkit.syntax import args as A
from pybuildkit.syntax import heredoc as H
from pybuildkit.syntax import parser as P
from pybuildkit.syntax.grammar import build_parser, parse_json_array
from pybuildkit.syntax.nodes import Comment, Flag, InstructionNode

FAST = settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
ascii_bits = st.text(alphabet=st.sampled_from(list("ab-=,/ \t\"'\\`$<0E\x0b\x85")), max_size=30)


@FAST
@given(
    st.lists(
        st.sampled_from(["--a", "--mount=type=cache", "--", "-x", " ", "\t", "b", "c=d", "--é"]), max_size=8
    )
)
def test_plain_flags_shortcut(words: list[str]) -> None:
    tail = "".join(words)
    if not tail.startswith("--"):
        return
    fast = A._simple_flags(tail)
    if fast is not None:
        assert fast == A.extract_builder_flags(tail, "\\")


@FAST
@given(ascii_bits)
def test_plain_heredoc_shortcut(line: str) -> None:
    line = "RUN " + line

    def reference() -> list[H.HeredocMarker]:
        try:
            words = H._Lexer(line, raw_quotes=True, raw_escapes=True).words()
        except H._LexError:
            return []
        return [m for w in words if (m := H.parse_heredoc(w))]

    def outcome(fn: object) -> object:
        try:
            return fn()  # type: ignore[operator]
        except H.HeredocError as error:
            return ("error", str(error))

    assert outcome(lambda: H.heredocs_from_line(line)) == outcome(reference)


@FAST
@given(
    st.text(alphabet=st.sampled_from(list("ab =\"'\\` \t\u00a0é$")), max_size=20),
    st.sampled_from(["\\", "`"]),
)
def test_words_shortcut(rest: str, escape: str) -> None:
    assert A.parse_words(rest, escape) == A._parse_words_machine(rest, escape)


def test_words_regex_is_linear() -> None:
    A.parse_words("a" * 5000 + "\\", "\\")  # no closing: the full match fails at once, no backtracking storm


json_texts = st.one_of(
    st.recursive(
        st.one_of(st.text(max_size=5), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()),
        lambda inner: st.lists(inner, max_size=4),
        max_leaves=8,
    ).map(lambda v: __import__("json").dumps([v])),
    st.text(alphabet=st.sampled_from(list('[]{}",: a1eE.-\\ntu0NaIfy')), max_size=20).map(lambda t: "[" + t),
)


@FAST
@given(json_texts)
def test_json_shortcut_agrees_with_grammar(text: str) -> None:
    def verdict(grammar: bool) -> object:
        try:
            return A.parse_json(text, parse_json_array if grammar else None)
        except A.ArgumentError as error:
            return error.message

    assert verdict(False) == verdict(True)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("RUN a", ("RUN", 0, [], "a", 4)),
        ("RUN\ta  ", ("RUN", 0, [], "a", 4)),
        ("  RUN  a", ("RUN", 2, [], "a", 7)),
        ("RUN --x=1  a", ("RUN", 0, [A.RawFlag("--x=1", 4, 9)], "a", 11)),
        ("RUN -- --x", ("RUN", 0, [], "--x", 7)),
        ("RUN \u00a0a", ("RUN", 0, [], "a", 5)),
        (
            "COPY --chown=é a",
            ("COPY", 0, [A.RawFlag("--chown=Ã©", 5, 14)], "a", 15),
        ),  # Go reads flags bytewise
    ],
    ids=["plain", "tab", "indented", "flag", "end-of-flags", "nbsp", "bytes"],
)
def test_split_command(line: str, expected: tuple[object, ...]) -> None:
    assert A.split_command(line, "\\") == expected


def test_lark_cache_file(tmp_path: Path) -> None:
    cache = tmp_path / "grammar.cache"
    first = build_parser(str(cache))
    assert cache.is_file() and cache.stat().st_size > 0
    second = build_parser(str(cache))  # loaded from the cache
    for parser in (first, second):
        assert parser.parse('["a"]', start="json_array") == ["a"]


@pytest.mark.parametrize("cls", list(P.FAST_FIELDS), ids=lambda cls: cls.__name__)
def test_fast_constructors_set_every_field(cls: type) -> None:
    assert P.FAST_FIELDS[cls] == tuple(f.name for f in dataclasses.fields(cls))


def test_fast_source_constructors_equal_the_dataclass_ones() -> None:
    start, end = Position(line=3, column=1), Position(line=3, column=7)
    assert new_position(3, 1) == start
    assert hash(new_position(3, 7)) == hash(end)
    assert new_span(start, end) == Span(start=start, end=end)
    assert line_span(3, 1, 7) == Span(start=start, end=end)
    with pytest.raises(dataclasses.FrozenInstanceError):
        new_position(1, 1).line = 2  # type: ignore[misc]


def test_fast_nodes_equal_the_dataclass_ones() -> None:
    tree = P.parse("# doc\nRUN --mount=type=cache,target=/x echo hi\n")
    comment, node = tree.items
    assert isinstance(comment, Comment) and isinstance(node, InstructionNode)
    assert comment == Comment(span=comment.span, text="# doc\n")
    (flag,) = node.flags
    assert flag == Flag(name="mount", value="type=cache,target=/x", span=flag.span)
    assert node == dataclasses.replace(node)


@FAST
@given(
    st.lists(
        st.sampled_from(
            [
                "COPY",
                "run",
                " ",
                "\t",
                "\x0b",
                "--a",
                "--from=x",
                "--",
                "-x",
                "b",
                '"q"',
                "\\",
                "é",
                "\x85",
                "\u3000",
            ]
        ),
        max_size=10,
    )
)
def test_split_command_shortcuts(words: list[str]) -> None:
    line = "".join(words)
    assert A.split_command(line, "\\") == A.split_command_general(line, "\\")
