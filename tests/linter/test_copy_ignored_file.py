"""CopyIgnoredFile reads the context's ignore file (semantics.md §7.4; BuildKit testCopyIgnoredFiles)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybuildkit.linter import LintConfig, lint

CASES = [
    # .dockerignore, Dockerfile body after FROM, expected messages
    (
        "Dockerfile\n",
        "COPY Dockerfile .\n",
        ['Attempting to Copy file "Dockerfile" that is excluded by .dockerignore'],
    ),
    (
        "Dockerfile\n",
        "ADD ./Dockerfile /x\n",
        ['Attempting to Add file "Dockerfile" that is excluded by .dockerignore'],
    ),
    (
        "secrets/\n",
        "COPY secrets/key.pem /x\n",
        ['Attempting to Copy file "secrets/key.pem" that is excluded by .dockerignore'],
    ),
    ("**\n!Dockerfile\n", "COPY . .\n", []),  # exceptions: BuildKit does not decide statically
    (".*\n", "COPY . .\n", []),
    ("*\n", "COPY . .\n", ['Attempting to Copy file "." that is excluded by .dockerignore']),
    ("Dockerfile\n", "COPY --from=build Dockerfile .\n", []),
    ("Dockerfile\n", "COPY app.py .\n", []),
    (
        "app.py\n",
        "ARG SRC=app.py\nCOPY $SRC .\n",
        ['Attempting to Copy file "app.py" that is excluded by .dockerignore'],
    ),
]


@pytest.mark.parametrize(("ignore", "body", "expected"), CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_copy_ignored_file(tmp_path: Path, ignore: str, body: str, expected: list[str]) -> None:
    (tmp_path / ".dockerignore").write_text(ignore)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine:3\n" + body)
    found = [
        f.message
        for f in lint(dockerfile, config=LintConfig(shellcheck=False))
        if f.rule == "CopyIgnoredFile"
    ]
    assert found == expected


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("app.py\n")
    (tmp_path / "build.Dockerfile.dockerignore").write_text("other.py\n")
    dockerfile = tmp_path / "build.Dockerfile"
    dockerfile.write_text("FROM alpine:3\nCOPY app.py other.py /x/\n")
    found = [
        f.message
        for f in lint(dockerfile, config=LintConfig(shellcheck=False))
        if f.rule == "CopyIgnoredFile"
    ]
    assert found == ['Attempting to Copy file "other.py" that is excluded by .dockerignore']


def test_context_dir_is_explicit(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / ".dockerignore").write_text("app.py\n")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine:3\nCOPY app.py /x/\n")
    config = LintConfig(shellcheck=False)
    assert [f.rule for f in lint(dockerfile, config=config) if f.rule == "CopyIgnoredFile"] == []
    found = lint(dockerfile, config=config, context_dir=context)
    assert [f.rule for f in found if f.rule == "CopyIgnoredFile"] == ["CopyIgnoredFile"]


def test_bad_ignore_file_does_not_crash(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("[\n")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine:3\nCOPY a /x/\n")
    assert all(f.rule != "CopyIgnoredFile" for f in lint(dockerfile, config=LintConfig(shellcheck=False)))
