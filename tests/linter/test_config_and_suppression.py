"""Configuration files (ours and hadolint's) and in-file suppression (BuildKit's and hadolint's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybuildkit.errors import DockerfileSyntaxError
from pybuildkit.linter import LintConfig, LintConfigError, Severity, find_config, lint, load_config_file
from pybuildkit.linter.suppress import parse_check
from tests.linter._support import QUIET, findings, lines

SUPPRESSION = [
    # Dockerfile, rule, lines where it still fires
    ("# check=skip=JSONArgsRecommended\nFROM a:1\nCMD x\n", "JSONArgsRecommended", []),
    ("# check=skip=DL3025\nFROM a:1\nCMD x\n", "JSONArgsRecommended", []),  # either ID
    ("# check=skip=all\nFROM a:1\nCMD x\n", "JSONArgsRecommended", []),
    ("# check=skip=all\nFROM a:1\nRUN cd /x\n", "DL3003", [3]),  # skip=all is BuildKit's checks only
    ("# check=skip=StageNameCasing,FromAsCasing\nFROM a:1 as B\n", "StageNameCasing", []),
    (
        "FROM a:1\n# check=skip=JSONArgsRecommended // shell form on purpose\nCMD x\nCMD y\n",
        "JSONArgsRecommended",
        [4],
    ),
    ("FROM a:1\n# check=skip=DL3003\nRUN cd /x\nRUN cd /y\n", "DL3003", [4]),
    ("FROM a:1\n# hadolint ignore=DL3003\nRUN cd /x\nRUN cd /y\n", "DL3003", [4]),
    ("FROM a:1\n# hadolint ignore=DL3003,DL3004\nRUN cd /x && sudo ls\n", "DL3004", []),
    ("FROM a:1\n# hadolint ignore=JSONArgsRecommended\nCMD x\n", "DL3025", []),
    ("FROM a:1\n# hadolint ignore=DL3003\n\nRUN cd /x\n", "DL3003", [4]),  # only the next line
    ("# hadolint global ignore=DL3003\nFROM a:1\nRUN cd /x\nRUN cd /y\n", "DL3003", []),
    ("FROM a:1\n# hadolint ignore=SC2086\nRUN echo $X\n", "DL3003", []),
]


@pytest.mark.parametrize(
    ("text", "rule", "expected"), SUPPRESSION, ids=[f"case{i}" for i in range(len(SUPPRESSION))]
)
def test_suppression(text: str, rule: str, expected: list[int]) -> None:
    assert lines(text, rule) == expected


def test_check_error_true_makes_buildkit_findings_errors() -> None:
    found = findings("# check=error=true\nFROM a:1\nCMD x\n")
    assert {f.severity for f in found if f.rule == "JSONArgsRecommended"} == {Severity.ERROR}


def test_disable_ignore_pragma() -> None:
    text = "FROM a:1\n# hadolint ignore=DL3003\nRUN cd /x\n"
    assert lines(text, "DL3003", config=LintConfig(shellcheck=False, disable_ignore_pragma=True)) == [3]


def test_bad_check_directive_is_a_syntax_finding() -> None:
    found = findings("# check=skip=A;bogus\nFROM a:1\n")
    assert [(f.rule, f.line) for f in found] == [("SyntaxError", 1)]


CHECK_VALUES = [
    ("skip=A,B", {"skip": frozenset({"A", "B"})}),
    (" skip = all ; error=true", {"skip_all": True, "error": True}),
    ("experimental=all", {"experimental_all": True}),
    ("", {}),
]


@pytest.mark.parametrize(
    ("value", "fields"), CHECK_VALUES, ids=[f"check{i}" for i in range(len(CHECK_VALUES))]
)
def test_parse_check(value: str, fields: dict[str, object]) -> None:
    parsed = parse_check(value)
    for name, expected in fields.items():
        assert getattr(parsed, name) == expected


@pytest.mark.parametrize("value", ["skip", "nope=1", "error=maybe"])
def test_parse_check_rejects(value: str) -> None:
    with pytest.raises(DockerfileSyntaxError):
        parse_check(value)


HADOLINT_YAML = """\
ignored:
  - DL3008
  - UndefinedVar
override:
  error:
    - DL3015
  style:
    - DL3003
trustedRegistries:
  - docker.io
  - "*.example.com"
label-schema:
  author: text
strict-labels: true
failure-threshold: warning
no-fail: false
"""


def test_hadolint_yaml_is_read_as_is(tmp_path: Path) -> None:
    path = tmp_path / ".hadolint.yaml"
    path.write_text(HADOLINT_YAML)
    config = load_config_file(path)
    assert config.ignored == frozenset({"DL3008", "UndefinedVar"})
    assert config.severity_for(("DL3015",), Severity.INFO) is Severity.ERROR
    assert config.trusted_registries == ("docker.io", "*.example.com")
    assert dict(config.label_schema) == {"author": "text"}
    assert config.strict_labels and config.failure_threshold is Severity.WARNING
    found = lint("FROM debian:12\nRUN cd /x && apt-get install -y curl\n", config=config)
    by_rule = {f.rule: f.severity for f in found}
    assert "DL3008" not in by_rule
    assert by_rule["DL3015"] is Severity.ERROR and by_rule["DL3003"] is Severity.STYLE


def test_pyproject_and_pybuildkit_toml(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pybuildkit.lint]\nignored = ["DL3006"]\nfailure-threshold = "error"\n'
    )
    sub = tmp_path / "svc"
    sub.mkdir()
    config = find_config(sub)
    assert config.ignored == frozenset({"DL3006"}) and config.failure_threshold is Severity.ERROR
    (sub / ".pybuildkit.toml").write_text(
        '[lint]\nignored = ["DL3007"]\n[lint.override]\nwarning = ["DL3003"]\n'
    )
    config = find_config(sub)
    assert config.ignored == frozenset({"DL3007"})
    assert config.overrides == (("DL3003", Severity.WARNING),)


def test_no_config_gives_defaults(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert find_config(tmp_path) == LintConfig()


BAD_CONFIGS = [
    (".hadolint.yaml", "ignored: [DL3008\n", "not valid YAML"),
    (".hadolint.yaml", "failure-threshold: fatal\n", "unknown severity"),
    (".hadolint.yaml", "ignore: [DL3008]\n", "did you mean ignored?"),
    (".hadolint.yaml", "label-schema:\n  a: number\n", "unknown type"),
    (".pybuildkit.toml", "[lint]\nignored = 3\n", "expected a list of strings"),
]


@pytest.mark.parametrize(("name", "text", "fragment"), BAD_CONFIGS, ids=[c[2] for c in BAD_CONFIGS])
def test_bad_config_is_a_clear_error(tmp_path: Path, name: str, text: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(LintConfigError) as caught:
        load_config_file(path)
    assert fragment in caught.value.render()


def test_enabled_switches_on_rules_off_by_default() -> None:
    from dataclasses import replace

    config = replace(QUIET, enabled=frozenset({"DL3057"}))
    assert lines("FROM a:1\n", "DL3057", config=config) == [1]
