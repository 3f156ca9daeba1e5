"""`pybuildkit fmt` rewrites a file in place atomically without losing what a rename would: a symlink stays a
symlink, the mode stays, and a file it cannot write is left as it was with a clear message."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.cli._support import assert_clean_error, permissions_enforced, run

UGLY = "from scratch\ncopy a /a\n"
PRETTY = "FROM scratch\nCOPY a /a\n"


def test_symlink_and_mode_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = tmp_path / "real.Dockerfile"
    real.write_text(UGLY)
    real.chmod(0o640)
    link = tmp_path / "Dockerfile"
    link.symlink_to(real.name)
    outcome = run(capsys, "fmt", str(link))
    assert outcome.status == 0 and "reformatted" in outcome.err
    assert link.is_symlink() and real.read_text() == PRETTY
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile", "real.Dockerfile"]  # no temp file left


def test_unwritable_directory_leaves_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    dockerfile = folder / "Dockerfile"
    dockerfile.write_text(UGLY)
    folder.chmod(0o555)
    try:
        with permissions_enforced():
            outcome = run(capsys, "fmt", str(dockerfile))
    finally:
        folder.chmod(0o755)
    assert_clean_error(
        outcome, f"cannot write {dockerfile}", "Permission denied", "hint: the file was left unchanged"
    )
    assert dockerfile.read_text() == UGLY and os.listdir(folder) == ["Dockerfile"]
