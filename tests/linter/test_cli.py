"""`pybuildkit lint` and `pybuildkit fmt` in-process: exit status, formats, thresholds, fixes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pybuildkit.cli as cli


@pytest.fixture(autouse=True)
def _commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # Until the lead lists them in COMMANDS, the tests add "lint" and "fmt" for themselves.
    missing = tuple(c for c in ("lint", "fmt") if c not in cli.COMMANDS)
    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, *missing))


def _write(tmp_path: Path, text: str, name: str = "Dockerfile") -> Path:
    (tmp_path / ".git").mkdir(exist_ok=True)  # keep config discovery inside the test directory
    path = tmp_path / name
    path.write_text(text)
    return path


def test_clean_file_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, 'FROM alpine:3.20\nCMD ["true"]\n')
    assert cli.main(["lint", "--no-shellcheck", str(path)]) == 0
    assert capsys.readouterr().out == ""


def test_findings_exit_one_with_text_and_frame(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "FROM alpine\n")
    assert cli.main(["lint", "--no-shellcheck", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:1:1 DL3006 warning: Always tag the version of an image explicitly" in out
    assert " 1 | >>> FROM alpine" in out


THRESHOLDS = [("error", 0), ("warning", 1), ("info", 1), ("style", 1), ("none", 0)]


@pytest.mark.parametrize(("threshold", "status"), THRESHOLDS, ids=[t for t, _ in THRESHOLDS])
def test_failure_threshold(tmp_path: Path, threshold: str, status: int) -> None:
    path = _write(tmp_path, "FROM alpine\n")  # one warning
    assert cli.main(["lint", "--no-shellcheck", "--failure-threshold", threshold, str(path)]) == status


def test_json_format_and_build_arg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "ARG IMAGE=alpine\nFROM ${IMAGE}\n")
    assert cli.main(["lint", "--no-shellcheck", "-f", "json", str(path)]) == 1
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)] == ["DL3006"]
    assert (
        cli.main(["lint", "--no-shellcheck", "-f", "json", "--build-arg", "IMAGE=alpine:3", str(path)]) == 0
    )
    assert json.loads(capsys.readouterr().out) == []


def test_config_file_and_ignore(tmp_path: Path) -> None:
    path = _write(tmp_path, "FROM alpine\n")
    config = tmp_path / "lint.yaml"
    config.write_text("ignored: [DL3006]\n")
    assert cli.main(["lint", "--no-shellcheck", "--config", str(config), str(path)]) == 0
    assert cli.main(["lint", "--no-shellcheck", "--ignore", "DL3006", str(path)]) == 0


def test_hadolint_yaml_is_found(tmp_path: Path) -> None:
    path = _write(tmp_path, "FROM alpine\n")
    (tmp_path / ".hadolint.yaml").write_text("failure-threshold: error\n")
    assert cli.main(["lint", "--no-shellcheck", str(path)]) == 0


def test_syntax_error_is_a_finding_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "FROM alpine:3\nRUN <<EOF\necho never closed\n")
    assert cli.main(["lint", "--no-shellcheck", "-f", "json", str(path)]) == 1
    found = json.loads(capsys.readouterr().out)
    assert [(f["rule"], f["aliases"], f["severity"]) for f in found] == [("SyntaxError", ["DL1000"], "error")]


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lint", str(tmp_path / "nope")]) == 1
    assert "no such Dockerfile" in capsys.readouterr().err


def test_fix_applies_style_fixes(tmp_path: Path) -> None:
    path = _write(tmp_path, 'from alpine:3.20 as base\nenv A b\ncmd ["a","b"]\n')
    assert cli.main(["lint", "--no-shellcheck", "--fix", str(path)]) == 0
    assert path.read_text() == 'FROM alpine:3.20 AS base\nENV A=b\nCMD ["a", "b"]\n'


def test_fmt_check_diff_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "from alpine:3.20\n")
    assert cli.main(["fmt", "--check", str(path)]) == 1
    assert cli.main(["fmt", "--diff", str(path)]) == 1
    assert "-from alpine:3.20\n+FROM alpine:3.20\n" in capsys.readouterr().out
    assert path.read_text() == "from alpine:3.20\n"
    assert cli.main(["fmt", str(path)]) == 0
    assert path.read_text() == "FROM alpine:3.20\n"
    assert cli.main(["fmt", "--check", str(path)]) == 0


@pytest.mark.parametrize("name", ["sarif", "github", "checkstyle", "gitlab", "junit"])
def test_every_format_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    path = _write(tmp_path, "FROM alpine\n")
    assert cli.main(["lint", "--no-shellcheck", "-f", name, str(path)]) == 1
    assert "DL3006" in capsys.readouterr().out


def test_trusted_registry_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "FROM quay.io/org/app:1\n")
    assert cli.main(["lint", "--no-shellcheck", str(path)]) == 0
    assert cli.main(["lint", "--no-shellcheck", "--trusted-registry", "docker.io", str(path)]) == 1
    assert "DL3026" in capsys.readouterr().out


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("FROM alpine\n"))
    assert cli.main(["lint", "--no-shellcheck", "-f", "json", "-"]) == 1
    assert [(f["file"], f["rule"]) for f in json.loads(capsys.readouterr().out)] == [("-", "DL3006")]
