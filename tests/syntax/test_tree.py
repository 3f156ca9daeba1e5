"""The tree itself: spans, exact text, flags, ONBUILD triggers, heredoc bodies, comments, CRLF, BOM, escape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pybuildkit.source import Position, Span
from pybuildkit.syntax import Comment, Directive, InstructionNode, Keyword, dump_sexp, parse
from tests.support import REPO
from tests.syntax._data import case_id, read_text

FIXTURE_CASES = sorted(p for p in (REPO / "fixtures" / "syntax").iterdir() if (p / "Dockerfile").is_file())


def span(a: int, b: int, c: int, d: int) -> Span:
    return Span(start=Position(line=a, column=b), end=Position(line=c, column=d))


@pytest.mark.parametrize("engine", ["fast", "grammar"])
@pytest.mark.parametrize("case", FIXTURE_CASES, ids=case_id)
def test_fixture_dump(case: Path, engine: str) -> None:
    text = read_text(case / "Dockerfile")
    tree = parse(text, engine=engine)  # type: ignore[arg-type]
    assert tree.to_source() == text
    assert dump_sexp(tree) + "\n" == (case / "result").read_text(encoding="utf-8")


def test_items_and_spans() -> None:
    text = "# syntax=docker/dockerfile:1\n\n# base image\nFROM alpine AS a\nRUN --mount=type=cache,target=/x \\\n  # note\n  make \\\n  install\n"
    tree = parse(text)
    kinds = [type(item) for item in tree.items]
    assert kinds == [Directive, Comment, Comment, InstructionNode, InstructionNode]
    directive = tree.directives[0]
    assert (directive.name, directive.value, directive.span) == (
        "syntax",
        "docker/dockerfile:1",
        span(1, 1, 1, 29),
    )
    run = tree.instructions[1]
    assert run.kind is Keyword.RUN
    assert run.span == span(5, 1, 8, 10)
    assert run.text == "RUN --mount=type=cache,target=/x \\\n  # note\n  make \\\n  install\n"
    assert run.original == "RUN --mount=type=cache,target=/x   make   install"
    assert run.args == ("make   install",)
    (flag,) = run.flags
    assert (flag.name, flag.value, flag.text, flag.span) == (
        "mount",
        "type=cache,target=/x",
        "--mount=type=cache,target=/x",
        span(5, 5, 5, 33),
    )
    assert tree.instructions[0].comments == ("base image",)


def test_flag_span_on_a_continuation_line() -> None:
    tree = parse("FROM a\nCOPY \\\n    --from=build \\\n  --chown=1:1 a b\n")
    copy = tree.instructions[1]
    assert [(f.name, f.value, f.span) for f in copy.flags] == [
        ("from", "build", span(3, 5, 3, 17)),
        ("chown", "1:1", span(4, 3, 4, 14)),
    ]
    assert copy.args == ("a", "b")


def test_flag_quotes_removed_and_bare_flag() -> None:
    node = parse(
        'FROM a\nRUN --mount="type=secret,id=a b" --network=none --privileged -- --not-a-flag\n'
    ).instructions[1]
    assert [f.text for f in node.flags] == ["--mount=type=secret,id=a b", "--network=none", "--privileged"]
    assert node.flags[2].value is None
    assert node.args == ("--not-a-flag",)


def test_onbuild_trigger() -> None:
    text = "FROM a\nONBUILD  COPY --from=b x /y\n"
    node = parse(text).instructions[1]
    assert node.kind is Keyword.ONBUILD and node.args == () and node.flags == ()
    trigger = node.trigger
    assert trigger is not None
    assert (trigger.keyword, trigger.kind, trigger.args, trigger.original) == (
        "COPY",
        Keyword.COPY,
        ("x", "/y"),
        "COPY --from=b x /y",
    )
    assert [f.span for f in trigger.flags] == [span(2, 15, 2, 23)]
    assert trigger.span == span(2, 10, 2, 28)
    assert trigger.text == "COPY --from=b x /y\n"


def test_onbuild_heredoc_belongs_to_both() -> None:
    node = parse("FROM a\nONBUILD RUN <<EOF\nhi\nEOF\n").instructions[1]
    assert node.trigger is not None
    assert [h.name for h in node.heredocs] == ["EOF"] == [h.name for h in node.trigger.heredocs]
    assert node.span == span(2, 1, 4, 4)


def test_heredoc_span_and_text() -> None:
    text = "FROM a\nCOPY <<A <<-B /dst\none\nA\n\ttwo\n\tB\nRUN true\n"
    tree = parse(text)
    copy = tree.instructions[1]
    assert copy.text == "COPY <<A <<-B /dst\none\nA\n\ttwo\n\tB\n"
    assert [(h.name, h.content, h.chomp, h.span) for h in copy.heredocs] == [
        ("A", "one\n", False, span(3, 1, 4, 2)),
        ("B", "\ttwo\n", True, span(5, 1, 6, 3)),
    ]
    assert tree.instructions[2].span.start.line == 7


def test_unknown_instruction_is_kept() -> None:
    node = parse("FROM a\nCOPPY a b\n").instructions[1]
    assert node.kind is None and node.keyword == "COPPY" and node.args == ("",)


def test_crlf_bom_and_backtick() -> None:
    text = "\ufeff# escape=`\r\nFROM a\r\nRUN echo `\r\n  done\r\n"
    tree = parse(text)
    assert tree.bom and tree.escape == "`"
    assert tree.to_source() == text
    run = tree.instructions[1]
    assert run.args == ("echo   done",)
    assert run.span == span(3, 1, 4, 7)


def test_keyword_case_and_empty_values() -> None:
    tree = parse("from a\nUser\nHEALTHCHECK\nonbuild\nCmd []\n")
    assert [(n.keyword, n.kind, n.args, n.json) for n in tree.instructions] == [
        ("from", Keyword.FROM, ("a",), False),
        ("User", Keyword.USER, (), False),
        ("HEALTHCHECK", Keyword.HEALTHCHECK, (), False),
        ("onbuild", Keyword.ONBUILD, (), False),
        ("Cmd", Keyword.CMD, (), True),
    ]


@pytest.mark.parametrize(
    ("text", "args", "is_json"),
    [
        ('CMD ["a"] extra', ('["a"] extra',), False),  # trailing text: shell form since frontend 1.9
        ("CMD ['a']", ("['a']",), False),
        ('CMD ["a", NaN]', ('["a", NaN]',), False),  # not JSON for Go: shell form, not a type error
        ('CMD ["a", 1e999]', ('["a", 1e999]',), False),  # Go cannot decode the number: shell form
        ('CMD ["\\ud800"]', ("\ufffd",), True),  # a lone surrogate decodes to U+FFFD, as in Go
        ("CMD " + "[" * 10001 + "]" * 10001, ("[" * 10001 + "]" * 10001,), False),  # deeper than Go allows
        ('COPY ["a b", "c"]', ("a b", "c"), True),
        ("COPY [a b] c", ("[a", "b]", "c"), False),
    ],
    ids=[
        "trailing",
        "single-quotes",
        "nan",
        "huge-number",
        "surrogate",
        "too-deep",
        "copy-json",
        "copy-words",
    ],
)
def test_json_edges(text: str, args: tuple[str, ...], is_json: bool) -> None:
    for engine in ("fast", "grammar"):
        node = parse("FROM a\n" + text + "\n", engine=engine).instructions[1]  # type: ignore[arg-type]
        assert (node.args, node.json) == (args, is_json)


def test_json_nested_deep_but_valid_is_fatal() -> None:
    from pybuildkit.errors import DockerfileSyntaxError

    with pytest.raises(DockerfileSyntaxError, match="strings only"):
        parse("FROM a\nCMD " + "[" * 3000 + "]" * 3000 + "\n")


def test_lone_escape_line_and_empty_keyword() -> None:
    tree = parse("\\\nFROM a\n\\\n")
    assert [(n.keyword, n.span.start.line, n.span.end.line) for n in tree.instructions] == [
        ("FROM", 1, 2),
        ("", 3, 3),
    ]
    assert dump_sexp(tree) == '(from "a")\n("")'


def test_import_does_not_load_lark() -> None:
    code = "import sys, pybuildkit, pybuildkit.syntax; pybuildkit.parse('FROM a\\nRUN x\\n'); print('lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_grammar_file_is_found_and_lalr() -> None:
    from pybuildkit.syntax.grammar import grammar_text, parser

    assert "json_array" in grammar_text()
    assert parser().options.parser == "lalr"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM a\n" + "ONBUILD " * 500 + "RUN x\n", "ONBUILD nested more than 64 levels deep"),
        ("FROM a\nRUN <<EOF " + "${a:-" * 3000 + "\nEOF\n", "variable expansions are nested too deeply"),
    ],
    ids=["onbuild", "expansions"],
)
def test_absurd_nesting_is_an_error_not_a_crash(text: str, message: str) -> None:
    from pybuildkit.errors import DockerfileSyntaxError

    for engine in ("fast", "grammar"):
        with pytest.raises(DockerfileSyntaxError, match=message):
            parse(text, engine=engine)  # type: ignore[arg-type]


def test_long_blank_runs_stay_linear() -> None:
    import time

    start = time.process_time()
    tree = parse("# syntax=x" + " " * 30000 + "y\n# a=" + " " * 30000 + "\nFROM a" + " " * 30000 + "\n")
    assert time.process_time() - start < 2  # the directive regexp alone took minutes here once
    assert tree.directives[0].value == "x" + " " * 30000 + "y"


def test_comments_directly_above_an_instruction() -> None:
    """BuildKit's PrevComment (TestCommentsDetection): comment lines above, `#` alone resets, directives left out."""
    text = (
        "# syntax=x\n# about a\nARG a\n\n# base defines first stage\nFROM busybox AS base\n"
        "# dropped\n#\n# kept\n\nRUN x \\\n  # not a doc comment\n  y\nARG b\n"
    )
    assert [n.comments for n in parse(text).instructions] == [
        ("about a",),
        ("base defines first stage",),
        ("kept",),
        (),
    ]
