"""`layers.remove_path`: the one "remove whatever is there" used by the unpacker and the sandbox snapshots."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pybuildkit.layers import remove_path


def _dir(path: Path) -> None:
    (path / "sub").mkdir(parents=True)
    (path / "sub" / "f").write_text("x")


def _file(path: Path) -> None:
    path.write_text("x")


def _link_to_dir(path: Path) -> None:
    os.symlink(path.parent / "kept", path)


def _dangling(path: Path) -> None:
    os.symlink(path.parent / "missing", path)


def _nothing(path: Path) -> None:
    pass


@pytest.mark.parametrize(
    "make",
    [_dir, _file, _link_to_dir, _dangling, _nothing],
    ids=["directory-tree", "file", "symlink-to-directory", "dangling-symlink", "nothing-there"],
)
def test_removes_the_entry_and_never_follows_it(tmp_path: Path, make: Callable[[Path], None]) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "inside").write_text("keep me")
    target = tmp_path / "target"
    make(target)
    remove_path(str(target))
    assert not os.path.lexists(target)
    assert (kept / "inside").read_text() == "keep me"
