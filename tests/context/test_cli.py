"""`pybuildkit context ls|why`, run in-process through the subcommand's own `register`."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pybuildkit.cli.context import register
from pybuildkit.errors import PyBuildKitError


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Parse like `pybuildkit` does and render errors as its `main` does."""
    parser = argparse.ArgumentParser(prog="pybuildkit")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        status = int(args.func(args))
    except PyBuildKitError as error:
        print(f"error: {error.render()}", file=__import__("sys").stderr)
        status = 1
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for path in ("Dockerfile", "a.log", "keep.log", "docs/README.md", "docs/other.md", "src/app.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(path)
    (tmp_path / "link").symlink_to("../outside")
    (tmp_path / ".dockerignore").write_text("# comment\n*.log\ndocs\n\n!keep.log\n!docs/README.md\n")
    return tmp_path


def test_ls_lists_what_a_build_sees(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["context", "ls", str(project)], capsys)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        ".dockerignore",
        "Dockerfile",
        "docs",
        "docs/README.md",
        "keep.log",
        "link",
        "src",
        "src/app.py",
    ]


def test_ls_long_shows_kinds(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["context", "ls", "-l", str(project)], capsys)
    assert status == 0
    assert "dir docs" in out.splitlines() and "symlink link" in out.splitlines()


def test_ls_with_dockerfile_specific_ignore(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "build").mkdir()
    (project / "build/app.Dockerfile").write_text("FROM scratch\n")
    (project / "build/app.Dockerfile.dockerignore").write_text("src\nbuild\n")
    status, out, _ = run(["context", "ls", "-f", str(project / "build/app.Dockerfile"), str(project)], capsys)
    assert status == 0
    assert "src/app.py" not in out and "a.log" in out and "build" not in out.split()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("a.log", "excluded by .dockerignore:2: *.log\n", id="excluded"),
        pytest.param("keep.log", "included (re-included by .dockerignore:5: !keep.log)\n", id="re-included"),
        pytest.param("src/app.py", "included (no pattern matches)\n", id="no-match"),
        pytest.param("./docs/other.md", "excluded by .dockerignore:3: docs\n", id="under-excluded-dir"),
        pytest.param(
            "docs",
            "excluded by .dockerignore:3: docs\n"
            "note: the directory itself is still sent, since something under it is re-included\n",
            id="excluded-dir-still-sent",
        ),
        pytest.param(
            "gone.log",
            "excluded by .dockerignore:2: *.log\nnote: gone.log does not exist in {dir}\n",
            id="absent",
        ),
    ],
)
def test_why(project: Path, capsys: pytest.CaptureFixture[str], path: str, expected: str) -> None:
    status, out, err = run(["context", "why", str(project), path], capsys)
    assert (status, err) == (0, "")
    assert out == expected.format(dir=project)


def test_why_without_ignore_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("")
    assert run(["context", "why", str(tmp_path), "f"], capsys)[1] == "included (no .dockerignore)\n"


def test_invalid_pattern_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".dockerignore").write_text("ok\n\n[abc\n")
    status, out, err = run(["context", "ls", str(project)], capsys)
    assert (status, out) == (1, "")
    assert err.splitlines() == [
        "error: .dockerignore:3: invalid pattern '[abc': syntax error in pattern",
        "hint: escape a literal `[`, `]`, `*`, `?` or `\\` with a backslash (Go filepath.Match syntax)",
    ]


def test_why_rejects_a_path_outside(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["context", "why", str(project), "../x"], capsys)
    assert status == 1 and "is outside the build context" in err


def test_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["context", "ls", str(tmp_path / "nope")], capsys)
    assert status == 1 and "build context is not a directory" in err
