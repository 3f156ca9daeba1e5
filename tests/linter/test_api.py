"""The library API: `lint()` on text and paths, `lint_files()`, deterministic sorted findings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pybuildkit.linter import Finding, LintConfig, Source, lint, lint_files, lint_report

QUIET = LintConfig(shellcheck=False)
TEXT = "FROM debian\nRUN cd /x && sudo apt-get install curl\nMAINTAINER me\ncmd run\n"


def test_text_path_and_str_path_agree(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(TEXT)
    from_text = [(f.line, f.rule) for f in lint(TEXT, config=QUIET)]
    assert [(f.line, f.rule) for f in lint(path, config=QUIET)] == from_text
    assert [(f.line, f.rule) for f in lint(str(path), config=QUIET)] == from_text
    assert {f.file for f in lint(path, config=QUIET)} == {str(path)}
    assert {f.file for f in lint(TEXT, filename="svc/Dockerfile", config=QUIET)} == {"svc/Dockerfile"}


def test_findings_are_sorted_and_deterministic() -> None:
    first = lint(TEXT, config=QUIET)
    assert first == lint(TEXT, config=QUIET)
    assert first == sorted(first, key=lambda f: (f.line, f.column, f.rule, f.message))
    assert [f.line for f in first] == sorted(f.line for f in first)


def test_finding_is_frozen() -> None:
    finding = lint(TEXT, config=QUIET)[0]
    assert isinstance(finding, Finding)
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.line = 9  # type: ignore[misc]


def test_lint_files_gives_one_report_per_source() -> None:
    reports = lint_files(
        [Source(text="FROM debian\n", filename="a"), Source(text="FROM debian:12\n", filename="b")],
        config=QUIET,
    )
    assert [[f.rule for f in r.findings] for r in reports] == [["DL3006"], []]


def test_build_args_reach_the_rules() -> None:
    text = "ARG BASE=debian\nFROM $BASE\n"
    assert [f.rule for f in lint(text, config=QUIET)] == ["DL3006"]
    assert lint(text, config=QUIET, build_args={"BASE": "debian:12"}) == []


def test_report_has_no_notices_when_shellcheck_is_off() -> None:
    assert lint_report(TEXT, config=QUIET).notices == ()


def test_syntax_error_finding_has_the_parser_position() -> None:
    (finding,) = lint("FROM a\nRUN <<EOF\nnever closed\n", config=QUIET)
    assert finding.rule == "SyntaxError" and finding.aliases == ("DL1000",) and finding.line >= 1
