"""`pybuildkit build` refusing bad options and unreadable Dockerfiles: the exact message, status 1, no
traceback, nothing stored; and `-f -` reading the Dockerfile from standard input, as docker build does."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli._support import Outcome, assert_clean_error, permissions_enforced, run

DOCKERFILE = "FROM scratch\nCOPY a /a\n"
PLATFORM_WHY = (
    '"" is an invalid component of "linux/": platform specifier component must match "^[A-Za-z0-9_.-]+$": '
    "invalid argument"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    id: str
    argv: tuple[str, ...]
    err: str  # the whole of standard error


CASES = [
    Case(
        id="missing-dockerfile",
        argv=("-f", "nofile", "ctx"),
        err="error: no such Dockerfile: nofile\n"
        "hint: -f names a file relative to the current directory (or `-` for standard input)\n",
    ),
    Case(
        id="dockerfile-relative-to-the-context",
        argv=("-f", "a", "ctx"),
        err="error: no such Dockerfile: a\n"
        "hint: -f is relative to the current directory, not to the context: did you mean ctx/a?\n",
    ),
    Case(
        id="dockerfile-is-a-directory",
        argv=("-f", "ctx", "ctx"),
        err="error: ctx is a directory, not a Dockerfile\nhint: name the file, e.g. -f ctx/Dockerfile\n",
    ),
    Case(
        id="no-dockerfile-in-context",
        argv=("empty",),
        err="error: no Dockerfile in empty\nhint: write one, or name it with -f FILE (or -f - for standard input)\n",
    ),
    Case(
        id="bad-tag",
        argv=("-t", "ok:1", "-t", "BAD_TAG", "ctx"),
        err="error: invalid tag \"BAD_TAG\": repository name must be lowercase\nhint: use 'bad_tag'\n",
    ),
    Case(
        id="build-context-not-a-directory",
        argv=("--build-context", "foo=/nonexist", "ctx"),
        err="error: --build-context foo=/nonexist: not a directory\n"
        "hint: a named context is a directory, oci-layout://DIR, docker-archive://FILE or docker-image://REF\n",
    ),
    Case(
        id="build-context-unsupported-scheme",
        argv=("--build-context", "foo=git://x", "ctx"),
        err="error: --build-context foo=git://x: unsupported source\n"
        "hint: use a directory, oci-layout://DIR[:tag|@digest], docker-archive://FILE or docker-image://REF\n",
    ),
    Case(
        id="bad-platform",
        argv=("--platform", "linux/", "ctx"),
        err=f"error: --platform linux/: {PLATFORM_WHY}\n"
        "hint: write it as os/arch[/variant], e.g. linux/arm64 or linux/arm/v7\n",
    ),
    Case(
        id="bad-compression",
        argv=("--compression", "lz4", "ctx"),
        err="error: --compression lz4: unknown compression 'lz4'\n"
        "hint: use gzip, zstd or uncompressed, e.g. zstd,level=3\n",
    ),
]


def _listing(root: Path) -> list[tuple[str, int]]:
    if not root.exists():
        return []
    return sorted(
        (str(path.relative_to(root)), path.stat().st_size)
        for path in root.rglob("*")
        if path.is_file() and not path.name.endswith(".lock")
    )


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`ctx/` (a Dockerfile and `a`) and `empty/` in the current directory, and a store `root/` holding one
    earlier build."""
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "ctx" / "a").write_text("a\n")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return tmp_path


def _build(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    return run(capsys, "build", "--root", "root", "--progress", "quiet", *argv)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused_before_anything_is_built(
    world: Path, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    assert _build(capsys, "ctx").status == 0
    # A changed Dockerfile: an accepted build would run a step and write a blob.
    (world / "ctx" / "Dockerfile").write_text(DOCKERFILE + "COPY a /b\n")
    before = _listing(world / "root")
    outcome = _build(capsys, *case.argv)
    assert_clean_error(outcome)
    assert outcome.err == case.err
    assert outcome.out == ""
    assert _listing(world / "root") == before


def test_unreadable_context_names_the_dockerfile(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(world / "ctx", 0)
    try:
        with permissions_enforced():
            outcome = _build(capsys, "ctx")
    finally:
        os.chmod(world / "ctx", 0o755)
    assert_clean_error(outcome)
    assert outcome.err == "error: ctx/Dockerfile: cannot read: Permission denied\n"


def test_unreadable_dockerfile(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(world / "ctx" / "Dockerfile", 0)
    with permissions_enforced():
        outcome = _build(capsys, "-f", "ctx/Dockerfile", "ctx")
    assert_clean_error(outcome)
    assert outcome.err == "error: ctx/Dockerfile: cannot read: Permission denied\n"


def test_dockerfile_from_standard_input(
    world: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sde = ("--build-arg", "SOURCE_DATE_EPOCH=0")
    from_file = _build(capsys, *sde, "ctx")
    assert from_file.status == 0, from_file.err
    # Not the context's Dockerfile: standard input's is used (and names errors `Dockerfile`).
    (world / "ctx" / "Dockerfile").write_text("FROM scratch\nCOPY nothing-here /\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DOCKERFILE.encode())))
    from_stdin = _build(capsys, *sde, "-f", "-", "ctx")
    assert from_stdin.status == 0, from_stdin.err
    assert from_stdin.out == from_file.out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"FROM scratch\nCOPY a\n")))
    bad = _build(capsys, "-f", "-", "ctx")
    assert_clean_error(bad)
    assert bad.err.startswith("Dockerfile:2:1: COPY requires at least two arguments"), bad.err
