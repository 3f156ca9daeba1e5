"""BuildKit's own parser tests, as data: the AST dumps, the negative cases, line numbers, the unit tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pybuildkit.errors import DockerfileError, DockerfileSyntaxError
from pybuildkit.syntax import dump_sexp, parse
from pybuildkit.syntax.args import ArgumentError, parse_json, parse_name_val, parse_words
from pybuildkit.syntax.directives import DirectiveParser, detect_syntax, parse_directive
from pybuildkit.syntax.heredoc import HeredocError, chomp_heredoc_content, heredocs_from_line, parse_heredoc
from tests.syntax._data import CONFORMANCE, case_id, conformance_json, parser_cases, read_text

pytestmark = pytest.mark.skipif(CONFORMANCE is None, reason="conformance data is not present")

ENGINES = ["fast", "grammar"]


def _unit(name: str, *keys: str) -> Any:
    if CONFORMANCE is None:
        return []
    data: Any = conformance_json(name)
    for key in keys:
        data = data[key]
    return data


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", parser_cases(), ids=case_id)
def test_parser_dump_matches_buildkit(case: Path, engine: str) -> None:
    tree = parse(read_text(case / "Dockerfile"), engine=engine)  # type: ignore[arg-type]
    assert dump_sexp(tree) + "\n" == (case / "result").read_bytes().decode()


NEGATIVE = {
    "empty_dockerfile": "file with no instructions",
    "only_comments": "file with no instructions",
    "env_no_value": "ENV must have two arguments",
    "shykes-nested-json": "when using JSON array syntax, arrays must be comprised of strings only",
}


@pytest.mark.parametrize(("case", "message"), sorted(NEGATIVE.items()), ids=sorted(NEGATIVE))
def test_negative_cases_fail_with_buildkit_message(case: str, message: str) -> None:
    assert CONFORMANCE is not None
    with pytest.raises(DockerfileSyntaxError) as caught:
        parse(read_text(CONFORMANCE / "parser-negative" / case / "Dockerfile"))
    assert caught.value.message == message
    assert caught.value.hint


def test_line_numbers() -> None:
    assert CONFORMANCE is not None
    expected = conformance_json("parse_misc.json")["line_numbers"]
    tree = parse(read_text(CONFORMANCE / expected["dockerfile_path"]))
    spans = [(node.span.start.line, node.span.end.line) for node in tree.instructions]
    assert spans == [tuple(pair) for pair in expected["children_lines"]]
    assert spans[0][0] == expected["root_start_line"]
    assert spans[-1][1] == expected["root_end_line"]


def test_empty_continuation_warnings() -> None:
    data = conformance_json("parse_misc.json")["empty_continuation_warnings"]
    tree = parse(data["dockerfile"])
    assert len(tree.warnings) == data["warning_count"]
    for warning, parts in zip(tree.warnings, data["warnings_short_contains"], strict=True):
        assert warning.rule == "NoEmptyContinuation"
        for part in parts:
            assert part in warning.message
    assert [w.span.start.line for w in tree.warnings] == [11, 15]


@pytest.mark.parametrize("size", [65535, 65536])
def test_line_size_limit(size: int) -> None:
    text = "FROM busybox\nLABEL test=" + "a" * (size - len("LABEL test=")) + "\n"
    if size < 65536:
        assert parse(text).instructions[1].args[0] == "test"
        return
    with pytest.raises(DockerfileSyntaxError) as caught:
        parse(text)
    assert caught.value.message == conformance_json("parse_misc.json")["scanner_error"]["error"]
    assert caught.value.span is not None and caught.value.span.start.line == 2


def test_line_size_limit_before_any_instruction() -> None:
    with pytest.raises(DockerfileSyntaxError, match="file with no instructions"):
        parse("# " + "a" * 70000 + "\nFROM busybox\n")


def test_heredoc_extraction() -> None:
    assert CONFORMANCE is not None
    data = conformance_json("heredoc.json")["extract"]
    tree = parse(read_text(CONFORMANCE / data["dockerfile_path"]))
    nodes = tree.instructions
    assert len(nodes) == len(data["expected"]) + 1
    for node, expected in zip(nodes[1:], data["expected"], strict=True):
        assert node.original.startswith(expected["instruction_starts_with"])
        got = [
            {
                "name": h.name,
                "content": h.content,
                "expand": h.expand,
                "chomp": h.chomp,
                "fd": h.file_descriptor,
            }
            for h in node.heredocs
        ]
        assert got == (expected["heredocs"] or [])


def test_json_form_has_no_heredocs() -> None:
    data = conformance_json("heredoc.json")["json_form_has_no_heredocs"]
    nodes = parse(data["dockerfile"]).instructions
    assert [n.heredocs for n in nodes[1:4]] == [(), (), ()]
    assert all(n.json for n in nodes[1:4])


def test_chomp() -> None:
    data = conformance_json("heredoc.json")["chomp"]
    assert chomp_heredoc_content(data["input"]) == data["expected"]


@pytest.mark.parametrize("word", _unit("heredoc.json", "parse_heredoc_word", "valid_name_is_EOF"))
def test_heredoc_word_valid(word: str) -> None:
    marker = parse_heredoc(word)
    assert marker is not None and marker.name == "EOF"


@pytest.mark.parametrize("word", _unit("heredoc.json", "parse_heredoc_word", "invalid_error"))
def test_heredoc_word_invalid(word: str) -> None:
    with pytest.raises(HeredocError):
        parse_heredoc(word)


@pytest.mark.parametrize("word", _unit("heredoc.json", "parse_heredoc_word", "not_heredoc"))
def test_heredoc_word_not_a_heredoc(word: str) -> None:
    assert parse_heredoc(word) is None


@pytest.mark.parametrize(
    "vector", _unit("heredoc.json", "heredocs_from_line", "vectors"), ids=lambda v: v["line"]
)
def test_heredocs_from_line(vector: dict[str, Any]) -> None:
    assert [m.name for m in heredocs_from_line(vector["line"])] == (vector["names"] or [])


@pytest.mark.parametrize("vector", _unit("json_arrays.json", "valid"), ids=lambda v: v["input"])
def test_json_arrays_valid(vector: dict[str, Any]) -> None:
    assert parse_json(vector["input"]) == vector["expected"]


@pytest.mark.parametrize("text", _unit("json_arrays.json", "invalid_not_string_array"))
def test_json_arrays_of_non_strings_are_fatal(text: str) -> None:
    with pytest.raises(ArgumentError, match="arrays must be comprised of strings only"):
        parse_json(text)
    with pytest.raises(DockerfileSyntaxError, match="arrays must be comprised of strings only"):
        parse(f"FROM a\nCMD {text}\n")  # fatal: no fallback to shell form


@pytest.mark.parametrize(
    "vector", _unit("name_val.json", "vectors"), ids=lambda v: f"{v['keyword']} {v['input']}"
)
def test_name_val(vector: dict[str, Any]) -> None:
    if "error" in vector:
        with pytest.raises(ArgumentError, match=vector["error"]):
            parse_name_val(vector["input"], vector["keyword"], "\\")
        return
    assert list(parse_name_val(vector["input"], vector["keyword"], "\\")) == vector["expected_chain"]


@pytest.mark.parametrize("vector", _unit("words.json", "vectors"), ids=lambda v: v["input"])
def test_words(vector: dict[str, Any]) -> None:
    assert parse_words(vector["input"], "\\") == vector["expected"]


@pytest.mark.parametrize("vector", _unit("directives.json", "parse_all"), ids=lambda v: v["text"])
def test_directives_parse_all(vector: dict[str, Any]) -> None:
    found = DirectiveParser().parse_all(vector["text"])
    assert [{"name": d.name, "value": d.value} for d in found] == vector["expected"]
    tree = parse(vector["text"] + "FROM a\n")
    assert [{"name": d.name, "value": d.value} for d in tree.directives] == vector["expected"]


@pytest.mark.parametrize("vector", _unit("directives.json", "detect_syntax"), ids=lambda v: v["text"])
def test_detect_syntax(vector: dict[str, Any]) -> None:
    found = detect_syntax(vector["text"])
    assert (found is not None) == vector["found"]
    if found is not None:
        assert found.value == vector["ref"]
        if "cmdline" in vector:
            assert found.cmdline == vector["cmdline"]
        if "line" in vector:
            assert found.line == vector["line"]


@pytest.mark.parametrize("vector", _unit("directives.json", "parse_directive_check"), ids=lambda v: v["text"])
def test_parse_directive_check(vector: dict[str, Any]) -> None:
    found = parse_directive("check", vector["text"])
    assert (found is not None) == vector["found"]
    if found is not None:
        assert found.value == vector["value"]
        if "cmdline" in vector:
            assert found.cmdline == vector["cmdline"]
        if "line" in vector:
            assert found.line == vector["line"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# escape=`\n# escape=`\nFROM a\n", "only one escape parser directive can be used"),
        (
            "# syntax=a\n# check=skip=all\n# syntax=b\nFROM a\n",
            "only one syntax parser directive can be used",
        ),
        ("# escape=x\nFROM a\n", "invalid escape token 'x' does not match ` or \\"),
    ],
    ids=["escape-twice", "syntax-twice", "bad-escape"],
)
def test_directive_errors(text: str, message: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        parse(text)
    assert caught.value.message == message


@pytest.mark.parametrize(
    "text",
    [
        "FROM a\n# escape=`\n# escape=`\n",  # after an instruction: plain comments
        "# hello\n# escape=`\n# escape=`\nFROM a\n",  # after a comment: plain comments
        "\n# escape=`\n# escape=`\nFROM a\n",  # a blank line ends the block
    ],
    ids=["after-instruction", "after-comment", "after-blank"],
)
def test_directives_only_at_the_top(text: str) -> None:
    tree = parse(text)
    assert tree.directives == ()
    assert tree.escape == "\\"
