"""Applying layers onto a directory: round trips, whiteouts, opaque directories, and no way out of the root."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import tarfile
from pathlib import Path

import pytest
import zstandard

from pybuildkit.layers import (
    UNCOMPRESSED,
    Entry,
    EntryKind,
    LayerError,
    WhiteoutMode,
    apply_layer,
    entry_from_path,
    tree_entries,
)
from tests.layers.helpers import info, members, tar_bytes, write

IS_ROOT = os.geteuid() == 0


def _apply(blob: bytes, root: Path, **kwargs: object) -> None:
    apply_layer(io.BytesIO(blob), root, **kwargs)  # type: ignore[arg-type]


def _snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    out: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        rel = str(path.relative_to(root))
        kind = stat.S_IFMT(st.st_mode)
        extra: object = None
        if stat.S_ISREG(st.st_mode):
            extra = path.read_bytes()
        elif stat.S_ISLNK(st.st_mode):
            extra = os.readlink(path)
        out[rel] = (kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, int(st.st_mtime), extra)
    return out


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "d" / "e").mkdir(parents=True)
    (source / "d" / "f").write_bytes(b"data")
    os.link(source / "d" / "f", source / "hl")
    os.symlink("../d/f", source / "d" / "e" / "ln")
    os.mkfifo(source / "p")
    (source / "sticky").mkdir()
    os.chmod(source / "sticky", 0o1777)
    (source / "suid").write_bytes(b"")
    os.chmod(source / "suid", 0o4711)
    if IS_ROOT:
        os.chown(source / "d" / "f", 123, 456)
    for path in [*source.rglob("*")]:
        os.utime(path, (1_500_000_000, 1_500_000_000), follow_symlinks=False)
    _, blob = write(tree_entries(source))
    target = tmp_path / "out"
    _apply(blob, target)
    assert _snapshot(target) == _snapshot(source)
    assert (target / "hl").stat().st_ino == (target / "d" / "f").stat().st_ino


def _layer(*entries: Entry) -> bytes:
    return write(list(entries), compression=UNCOMPRESSED)[1]


def test_whiteouts_and_opaque_directories(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _apply(
        _layer(
            Entry.directory("a"),
            Entry.regular("a/x", b"x"),
            Entry.directory("a/sub"),
            Entry.regular("a/sub/y", b"y"),
            Entry.regular("b", b"b"),
            Entry.directory("c"),
            Entry.regular("c/keep", b"k"),
            Entry.regular("c/drop", b"d"),
        ),
        root,
    )
    _apply(
        _layer(
            Entry.whiteout("b"),
            Entry.directory("a"),
            Entry.opaque("a"),
            Entry.regular("a/z", b"z"),
            Entry.whiteout("c/drop"),
            Entry.whiteout("never-existed"),
        ),
        root,
    )
    assert sorted(str(path.relative_to(root)) for path in root.rglob("*")) == ["a", "a/z", "c", "c/keep"]


def test_opaque_marker_after_siblings_keeps_them(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "old").write_bytes(b"old")
    # Some writers put the marker after the directory's new entries; those must survive it.
    blob = tar_bytes((info("a/new"), b"new"), (info("a/.wh..wh..opq"), b""))
    _apply(blob, root)
    assert sorted(os.listdir(root / "a")) == ["new"]


def test_whiteouts_kept_as_files_on_request(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _apply(tar_bytes((info(".wh.x"), b"")), root, whiteouts=WhiteoutMode.KEEP)
    assert (root / ".wh.x").is_file()


def test_dotdot_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    with pytest.raises(LayerError, match="leaves the root"):
        _apply(tar_bytes((info("a/../../evil"), b"x")), root)
    assert not (tmp_path / "evil").exists()


def test_absolute_names_stay_inside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _apply(tar_bytes((info("/etc/x"), b"x"), (info("./etc/y"), b"y")), root)
    assert (root / "etc" / "x").read_bytes() == b"x"
    assert (root / "etc" / "y").read_bytes() == b"y"


@pytest.mark.parametrize(
    "target", ["/", "../../..", "/../..", "sub/../../.."], ids=["absolute", "dotdot", "mixed", "inner"]
)
def test_symlinks_are_resolved_inside_the_root(tmp_path: Path, target: str) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    _apply(tar_bytes((info("link", tarfile.SYMTYPE, linkname=target), None)), root)
    _apply(tar_bytes((info("link/escaped"), b"pwned"), (info("link/outside/f"), b"f")), root)
    assert not (tmp_path / "escaped").exists()
    assert not (outside / "f").exists()
    assert (root / "escaped").read_bytes() == b"pwned"
    assert (root / "outside" / "f").read_bytes() == b"f"


def test_symlink_into_root_is_followed_inside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "usr" / "lib").mkdir(parents=True)
    os.symlink("usr/lib", root / "lib")
    _apply(tar_bytes((info("lib/libfoo.so"), b"so")), root)
    assert (root / "usr" / "lib" / "libfoo.so").read_bytes() == b"so"
    assert (root / "lib").is_symlink()


def test_final_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"safe")
    os.symlink(str(victim), root / "f")
    _apply(tar_bytes((info("f"), b"new")), root)
    assert victim.read_bytes() == b"safe"
    assert not (root / "f").is_symlink() and (root / "f").read_bytes() == b"new"


def test_hardlink_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(LayerError):
        _apply(tar_bytes((info("h", tarfile.LNKTYPE, linkname="../../etc/passwd"), None)), root)
    for missing in ("missing", "no/such/dir/file"):
        with pytest.raises(LayerError, match="does not have"):
            _apply(tar_bytes((info("h", tarfile.LNKTYPE, linkname=missing), None)), root)


@pytest.mark.parametrize(
    "blob",
    [b"\x1f\x8b\x08garbage-after-gzip-magic", b"\x28\xb5\x2f\xfdnot zstd", b"x" * 1024],
    ids=["bad-gzip", "bad-zstd", "not-a-tar"],
)
def test_unreadable_layers_are_layer_errors(tmp_path: Path, blob: bytes) -> None:
    with pytest.raises(LayerError):
        _apply(blob, tmp_path / "root")


def test_types_replace_each_other(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _apply(_layer(Entry.regular("x", b"file"), Entry.directory("y"), Entry.regular("y/inner", b"i")), root)
    _apply(_layer(Entry.directory("x"), Entry.regular("x/f", b"f"), Entry.regular("y", b"now a file")), root)
    assert (root / "x" / "f").read_bytes() == b"f"
    assert (root / "y").read_bytes() == b"now a file"


def test_existing_directories_merge_and_take_new_metadata(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _apply(_layer(Entry.directory("d", mode=0o700), Entry.regular("d/a", b"a")), root)
    _apply(_layer(Entry.directory("d", mode=0o755, mtime=42), Entry.regular("d/b", b"b")), root)
    assert sorted(os.listdir(root / "d")) == ["a", "b"]
    assert stat.S_IMODE((root / "d").stat().st_mode) == 0o755
    assert int((root / "d").stat().st_mtime) == 42


@pytest.mark.skipif(not IS_ROOT, reason="owners are applied only as root")
def test_owners_and_xattrs_applied_as_root(tmp_path: Path) -> None:
    source = tmp_path / "f"
    source.write_bytes(b"f")
    try:
        os.setxattr(source, "user.k", b"v")
    except OSError:
        pytest.skip("no user xattrs here")
    blob = _layer(entry_from_path(source, "f", uid=7, gid=8))
    root = tmp_path / "root"
    result = apply_layer(io.BytesIO(blob), root)
    assert ((root / "f").stat().st_uid, (root / "f").stat().st_gid) == (7, 8)
    assert os.getxattr(root / "f", "user.k") == b"v"
    assert result.warnings == []
    mapped = tmp_path / "mapped"
    apply_layer(io.BytesIO(blob), mapped, chown=lambda uid, gid: (uid + 100000, gid + 100000))
    assert (mapped / "f").stat().st_uid == 100007


@pytest.mark.parametrize(
    "pack",
    [
        gzip.compress,
        lambda data: zstandard.ZstdCompressor().compress(data),
        bz2.compress,
        lzma.compress,
        lambda data: data,
    ],
    ids=["gzip", "zstd", "bzip2", "xz", "plain"],
)
def test_any_compression_is_detected(tmp_path: Path, pack: object) -> None:
    blob = pack(tar_bytes((info("hello.txt"), b"hello")))  # type: ignore[operator]
    _apply(blob, tmp_path / "root")
    assert (tmp_path / "root" / "hello.txt").read_bytes() == b"hello"


@pytest.mark.skipif(not IS_ROOT, reason="char-device whiteouts need root")
def test_overlay_mode_writes_whiteouts_overlayfs_reads(tmp_path: Path) -> None:
    from pybuildkit.layers import upperdir_entries

    blob = _layer(
        Entry.whiteout("etc/gone"), Entry.directory("var"), Entry.opaque("var"), Entry.regular("var/f", b"f")
    )
    lower = tmp_path / "lower"
    _apply(blob, lower, whiteouts=WhiteoutMode.OVERLAY)
    st = (lower / "etc" / "gone").lstat()
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert os.getxattr(lower / "var", "trusted.overlay.opaque") == b"y"
    # And back: the same directory read as an upperdir gives the same layer.
    again = write(upperdir_entries(lower), compression=UNCOMPRESSED)[1]
    assert [m.name for m in members(again)] == ["etc", "etc/.wh.gone", "var", "var/.wh..wh..opq", "var/f"]


def test_metadata_tracks_what_the_disk_may_not_hold(tmp_path: Path) -> None:
    root = tmp_path / "root"
    metadata: dict[str, tarfile.TarInfo] = {}
    first = _layer(
        Entry.directory("etc"),
        Entry.regular("etc/shadow", b"x", mode=0o640, uid=0, gid=42),
        Entry.directory("home/u", uid=1000, gid=1000),
        Entry.regular("home/u/f", b"f", uid=1000, gid=1000),
        Entry(path="dev/null", kind=EntryKind.CHAR_DEVICE, mode=0o666, devmajor=1, devminor=3),
    )
    apply_layer(io.BytesIO(first), root, same_owner=False, metadata=metadata)
    assert (metadata["home/u/f"].uid, metadata["etc/shadow"].gid) == (1000, 42)
    assert metadata["dev/null"].ischr() and metadata["dev/null"].devminor == 3
    second = _layer(Entry.whiteout("home"), Entry.regular("etc/shadow", b"y", uid=5))
    apply_layer(io.BytesIO(second), root, same_owner=False, metadata=metadata)
    assert sorted(metadata) == ["dev/null", "etc", "etc/shadow"]
    assert metadata["etc/shadow"].uid == 5
