"""A real overlayfs upperdir, as the kernel writes it, turned into a layer; applied on the lower layer it gives
what the merged view showed."""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pybuildkit.layers import UNCOMPRESSED, apply_layer, tree_entries, upperdir_entries
from tests.layers.helpers import members, write


@pytest.fixture
def overlay(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    if os.geteuid() != 0:
        pytest.skip("mounting overlayfs needs root here")
    lower, upper, work, merged = (tmp_path / name for name in ("lower", "upper", "work", "merged"))
    for path in (lower / "etc" / "sub", lower / "var", upper, work, merged):
        path.mkdir(parents=True)
    (lower / "etc" / "a").write_text("a")
    (lower / "etc" / "keep").write_text("keep")
    (lower / "etc" / "sub" / "b").write_text("b")
    (lower / "var" / "c").write_text("c")
    options = f"lowerdir={lower},upperdir={upper},workdir={work}"
    done = subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o", options, str(merged)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"overlayfs is not available: {done.stderr.decode().strip()}")
    try:
        yield lower, upper, merged
    finally:
        subprocess.run(["umount", str(merged)], check=False)


def _tree(root: Path) -> dict[str, str | None]:
    return {
        str(path.relative_to(root)): path.read_text() if path.is_file() else None
        for path in sorted(root.rglob("*"))
    }


def test_kernel_upperdir_becomes_the_diff(overlay: tuple[Path, Path, Path], tmp_path: Path) -> None:
    lower, upper, merged = overlay
    (merged / "etc" / "a").unlink()
    subprocess.run(["rm", "-rf", str(merged / "etc" / "sub")], check=True)
    (merged / "etc" / "sub").mkdir()
    (merged / "etc" / "sub" / "new").write_text("new")
    (merged / "var" / "d").write_text("d")
    expected = _tree(merged)
    _, blob = write(upperdir_entries(upper), compression=UNCOMPRESSED, source_date_epoch=0)
    assert [member.name for member in members(blob)] == [
        "etc",
        "etc/.wh.a",
        "etc/sub",
        "etc/sub/.wh..wh..opq",
        "etc/sub/new",
        "var",
        "var/d",
    ]
    assert all(
        not key.startswith("SCHILY.xattr.trusted.overlay") for m in members(blob) for key in m.pax_headers
    )
    # The lower layer, then the diff: the merged view, file for file.
    rootfs = tmp_path / "rootfs"
    _, base = write(tree_entries(lower), compression=UNCOMPRESSED)
    apply_layer(io.BytesIO(base), rootfs)
    apply_layer(io.BytesIO(blob), rootfs)
    assert _tree(rootfs) == expected
