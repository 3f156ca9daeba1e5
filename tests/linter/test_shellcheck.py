"""RUN bodies through ShellCheck (as hadolint does), and one notice when it is not installed."""

from __future__ import annotations

import shutil

import pytest

from pybuildkit.linter import LintConfig, lint, lint_report
from pybuildkit.linter.engine import SHELLCHECK_MISSING

needs_shellcheck = pytest.mark.skipif(
    shutil.which("shellcheck") is None, reason="shellcheck is not installed"
)

TEXT = 'FROM debian:12\nARG NAME=x\nRUN cd /x\nRUN ["cd", "/x"]\nSHELL ["pwsh", "-c"]\nRUN cd /y\n'


@needs_shellcheck
def test_shell_form_runs_are_checked() -> None:
    found = [(f.line, f.rule) for f in lint(TEXT) if f.rule.startswith("SC")]
    # exec form and a non-POSIX SHELL are not shell scripts ShellCheck can read
    assert found == [(3, "SC2164")]


@needs_shellcheck
def test_declared_names_are_not_unassigned() -> None:
    text = 'FROM debian:12\nARG NAME\nENV HOME_DIR=/h\nRUN echo "$NAME" "$HOME_DIR" "$OTHER_THING"\n'
    codes = {f.rule for f in lint(text)}
    assert "SC2154" not in codes or all("OTHER_THING" in f.message for f in lint(text) if f.rule == "SC2154")


@needs_shellcheck
def test_heredoc_bodies_are_checked_and_pragmas_apply() -> None:
    text = "FROM debian:12\nRUN <<EOF\ncd /x\nEOF\n# hadolint ignore=SC2164\nRUN cd /y\n"
    assert [(f.line, f.rule) for f in lint(text) if f.rule.startswith("SC")] == [(2, "SC2164")]


@needs_shellcheck
def test_findings_link_to_the_shellcheck_wiki() -> None:
    finding = next(f for f in lint(TEXT) if f.rule == "SC2164")
    assert finding.url == "https://www.shellcheck.net/wiki/SC2164"


def test_missing_shellcheck_is_one_notice(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    report = lint_report(TEXT)
    assert [n.message for n in report.notices] == [SHELLCHECK_MISSING]
    assert not any(f.rule.startswith("SC") for f in report.findings)


def test_shellcheck_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert lint_report(TEXT, config=LintConfig(shellcheck=False)).notices == ()
