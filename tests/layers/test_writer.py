"""The layer writer, checked entry by entry with stdlib tarfile: order, owners, modes, links, xattrs,
devices, whiteouts, clamped mtimes, compression and the digests."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybuildkit.image import mediatypes
from pybuildkit.layers import (
    GZIP,
    UNCOMPRESSED,
    ZSTD,
    Compression,
    CompressionKind,
    Entry,
    EntryKind,
    LayerError,
    entry_from_path,
    tree_entries,
    upperdir_entries,
    write_layer,
)
from tests.layers.helpers import contents, decompress, members, sha256, write

IS_ROOT = os.geteuid() == 0
# A file capability (cap_net_bind_service+ep), as `setcap` writes it: VFS_CAP_REVISION_2.
CAPABILITY = bytes.fromhex("0100000200040000000000000000000000000000")


def _can_xattr(path: Path, name: str, value: bytes) -> bool:
    try:
        os.setxattr(path, name, value, follow_symlinks=False)
        return True
    except OSError:
        return False


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "b" / "c").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha\n")
    (root / "b" / "c" / "deep").write_bytes(b"deep\n")
    (root / "b" / "x").write_bytes(b"x" * 1000)
    os.link(root / "b" / "x", root / "b" / "c" / "x-link")
    os.link(root / "b" / "x", root / "hard")
    os.symlink("b/c/deep", root / "sym")
    os.mkfifo(root / "fifo")
    (root / "setuid").write_bytes(b"#!/bin/sh\n")
    os.chmod(root / "setuid", 0o4755)
    (root / "secret").write_bytes(b"s")
    os.chmod(root / "secret", 0o600)
    (root / "é-ünïcode").write_bytes(b"u")
    long_dir = root / ("d" * 60) / ("e" * 60)
    long_dir.mkdir(parents=True)
    (long_dir / "long-file-name").write_bytes(b"long")
    if IS_ROOT:
        os.chown(root / "secret", 1000, 1001)
        os.mknod(root / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    for path in [root, *root.rglob("*")]:
        os.utime(path, (2_000_000_000, 2_000_000_000), follow_symlinks=False)
    return root


def test_tree_layer_entry_by_entry(tree: Path) -> None:
    layer, blob = write(tree_entries(tree), compression=UNCOMPRESSED)
    found = members(blob)
    names = [member.name for member in found]
    expected = [
        "a.txt",
        "b",
        "b/c",
        "b/c/deep",
        "b/c/x-link",
        "b/x",
        "d" * 60,
        "d" * 60 + "/" + "e" * 60,
        "d" * 60 + "/" + "e" * 60 + "/long-file-name",
        "fifo",
        "hard",
        *(["null"] if IS_ROOT else []),
        "secret",
        "setuid",
        "sym",
        "é-ünïcode",
    ]
    assert names == expected
    by_name = {member.name: member for member in found}
    assert all(member.uname == "" and member.gname == "" for member in found)
    assert by_name["b"].isdir() and by_name["b"].mode == 0o755
    # The first path of a hardlinked inode, in layer order, holds the content; the others link to it.
    assert by_name["b/c/x-link"].isreg() and by_name["b/c/x-link"].size == 1000
    assert by_name["b/x"].islnk() and by_name["b/x"].linkname == "b/c/x-link"
    assert by_name["hard"].islnk() and by_name["hard"].linkname == "b/c/x-link"
    assert by_name["sym"].issym() and by_name["sym"].linkname == "b/c/deep"
    assert by_name["fifo"].isfifo()
    assert by_name["setuid"].mode == 0o4755
    assert by_name["secret"].mode == 0o600
    if IS_ROOT:
        assert (by_name["secret"].uid, by_name["secret"].gid) == (1000, 1001)
        assert by_name["null"].ischr() and (by_name["null"].devmajor, by_name["null"].devminor) == (1, 3)
    assert all(member.mtime == 2_000_000_000 for member in found)
    assert contents(blob)["b/c/x-link"] == b"x" * 1000
    # Directory names carry the trailing slash Docker's tools write; PAX records only where needed.
    raw = decompress(blob)
    assert b"b/c/\x00" in raw
    assert layer.entries == len(expected)
    assert raw.endswith(b"\0" * 1024) and len(raw) % 512 == 0


def test_mtimes_are_clamped_to_source_date_epoch(tree: Path) -> None:
    _, blob = write(tree_entries(tree), source_date_epoch=1_000_000)
    assert {member.mtime for member in members(blob)} == {1_000_000}
    later, _ = write(tree_entries(tree), source_date_epoch=3_000_000_000)
    _, unclamped = write(tree_entries(tree))
    assert later.digest == sha256(unclamped)


def test_same_input_same_digest_whatever_the_disk_times(tree: Path) -> None:
    first, _ = write(tree_entries(tree), source_date_epoch=100)
    for path in tree.rglob("*"):
        os.utime(path, (2_100_000_000, 2_100_000_000), follow_symlinks=False)
    second, _ = write(tree_entries(tree), source_date_epoch=100)
    assert first == second


@pytest.mark.parametrize(
    ("compression", "media_type", "magic"),
    [
        (GZIP, mediatypes.OCI_LAYER_GZIP, b"\x1f\x8b\x08\x00\x00\x00\x00\x00"),
        (Compression(kind=CompressionKind.GZIP, level=9), mediatypes.OCI_LAYER_GZIP, b"\x1f\x8b"),
        (ZSTD, mediatypes.OCI_LAYER_ZSTD, b"\x28\xb5\x2f\xfd"),
        (Compression(kind=CompressionKind.ZSTD, level=19), mediatypes.OCI_LAYER_ZSTD, b"\x28\xb5\x2f\xfd"),
        (UNCOMPRESSED, mediatypes.OCI_LAYER, b"a.txt"),
    ],
    ids=["gzip", "gzip-9", "zstd", "zstd-19", "none"],
)
def test_compression_and_digests(tree: Path, compression: Compression, media_type: str, magic: bytes) -> None:
    layer, blob = write(tree_entries(tree), compression=compression)
    assert blob.startswith(magic)
    assert layer.media_type == media_type
    assert layer.digest == sha256(blob) and layer.size == len(blob)
    plain = decompress(blob)
    assert layer.diff_id == sha256(plain) and layer.uncompressed_size == len(plain)
    assert layer.descriptor().media_type == media_type
    assert layer.descriptor(docker=True).media_type == mediatypes.to_docker(media_type)


@pytest.mark.parametrize(
    ("text", "kind", "level"),
    [
        ("gzip", CompressionKind.GZIP, None),
        ("zstd,level=12", CompressionKind.ZSTD, 12),
        ("uncompressed", CompressionKind.NONE, None),
        ("none", CompressionKind.NONE, None),
        ("gzip,compression-level=1", CompressionKind.GZIP, 1),
    ],
    ids=["gzip", "zstd-level", "uncompressed", "none", "buildkit-spelling"],
)
def test_compression_parse(text: str, kind: CompressionKind, level: int | None) -> None:
    assert Compression.parse(text) == Compression(kind=kind, level=level)


@pytest.mark.parametrize("text", ["brotli", "zstd,level=30", "gzip,level=x", "gzip,fast"], ids=str)
def test_compression_parse_refuses(text: str) -> None:
    with pytest.raises(LayerError):
        Compression.parse(text)


def test_prefix_adds_parent_directories(tree: Path) -> None:
    _, blob = write(tree_entries(tree / "b", prefix="/app/src/", uid=5, gid=6))
    found = members(blob)
    assert [member.name for member in found[:4]] == ["app", "app/src", "app/src/c", "app/src/c/deep"]
    assert all((member.uid, member.gid) == (5, 6) for member in found)


@pytest.mark.skipif(not IS_ROOT, reason="char-device whiteouts and trusted.* xattrs need root")
def test_upperdir_whiteouts_and_opaque_directories(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    (upper / "etc" / "opq").mkdir(parents=True)
    os.mknod(upper / "etc" / "gone", stat.S_IFCHR, os.makedev(0, 0))
    os.mknod(upper / "gonedir", stat.S_IFCHR, os.makedev(0, 0))
    os.setxattr(upper / "etc" / "opq", "trusted.overlay.opaque", b"y")
    (upper / "etc" / "opq" / "-first").write_bytes(b"1")  # sorts before the marker by bytes
    (upper / "etc" / "opq" / "new").write_bytes(b"2")
    (upper / "user-opq").mkdir()
    os.setxattr(upper / "user-opq", "user.overlay.opaque", b"y")
    (upper / "xattr-whiteout").write_bytes(b"")
    os.setxattr(upper / "xattr-whiteout", "trusted.overlay.whiteout", b"y")
    (upper / "kept").write_bytes(b"k")
    os.setxattr(upper / "kept", "user.note", b"hello")
    _, blob = write(upperdir_entries(upper), source_date_epoch=0)
    found = members(blob)
    assert [member.name for member in found] == [
        ".wh.gonedir",
        ".wh.xattr-whiteout",
        "etc",
        "etc/.wh.gone",
        "etc/opq",
        "etc/opq/.wh..wh..opq",
        "etc/opq/-first",
        "etc/opq/new",
        "kept",
        "user-opq",
        "user-opq/.wh..wh..opq",
    ]
    by_name = {member.name: member for member in found}
    for name in (".wh.gonedir", "etc/.wh.gone", "etc/opq/.wh..wh..opq"):
        assert by_name[name].isreg() and by_name[name].size == 0 and by_name[name].mode == 0
    # Overlay's own bookkeeping never reaches the layer; other xattrs do.
    assert by_name["etc/opq"].pax_headers == {}
    assert by_name["kept"].pax_headers == {"SCHILY.xattr.user.note": "hello"}


def test_xattrs_and_capabilities(tmp_path: Path) -> None:
    path = tmp_path / "ping"
    path.write_bytes(b"elf")
    if not _can_xattr(path, "user.origin", b"test\x00\xff"):
        pytest.skip("this filesystem refuses user xattrs")
    has_cap = IS_ROOT and _can_xattr(path, "security.capability", CAPABILITY)
    _, blob = write([entry_from_path(path, "usr/bin/ping")])
    (member,) = members(blob)
    headers = {key: value.encode("utf-8", "surrogateescape") for key, value in member.pax_headers.items()}
    assert headers["SCHILY.xattr.user.origin"] == b"test\x00\xff"
    if has_cap:
        assert headers["SCHILY.xattr.security.capability"] == CAPABILITY


def test_explicit_entries_with_overrides(tmp_path: Path) -> None:
    source = tmp_path / "app.py"
    source.write_bytes(b"print('hi')\n")
    os.chmod(source, 0o600)
    entries = [
        Entry.regular("/etc/motd", b"first"),
        Entry.directory("app", mode=0o750, uid=1000, gid=1000, mtime=5),
        entry_from_path(source, "app/main.py", uid=1000, gid=1000, mode=0o644, mtime=7),
        Entry.symlink("app/link", "main.py"),
        Entry.regular("etc/motd", b"second", mode=0o444),
        Entry.directory("etc"),
    ]
    _, blob = write(entries)
    found = members(blob)
    assert [member.name for member in found] == ["app", "app/link", "app/main.py", "etc", "etc/motd"]
    by_name = {member.name: member for member in found}
    assert (by_name["app"].mode, by_name["app"].uid, by_name["app"].mtime) == (0o750, 1000, 5)
    assert (by_name["app/main.py"].mode, by_name["app/main.py"].gid) == (0o644, 1000)
    assert by_name["etc/motd"].mode == 0o444
    assert contents(blob) == {"app/main.py": b"print('hi')\n", "etc/motd": b"second"}


def test_entry_paths_cannot_escape() -> None:
    with pytest.raises(LayerError, match="leaves the layer root"):
        Entry.regular("a/../../etc/passwd", b"")
    with pytest.raises(LayerError):
        Entry(path="", kind=EntryKind.DIRECTORY)


def test_large_files_stream_in_chunks(tmp_path: Path) -> None:
    root = tmp_path / "big"
    root.mkdir()
    payload = os.urandom(3 * (1 << 20) + 12345)
    (root / "big.bin").write_bytes(payload)
    for index in range(50):
        (root / f"small{index:02}").write_bytes(os.urandom(index * 997))
    layer, blob = write(tree_entries(root), compression=ZSTD)
    files = contents(blob)
    assert files["big.bin"] == payload
    assert files["small49"] == (root / "small49").read_bytes()
    assert layer.diff_id == sha256(decompress(blob))


def test_a_file_that_changes_while_written_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"12345")
    entry = entry_from_path(path, "f")
    path.write_bytes(b"123")
    with pytest.raises(LayerError, match="changed while the layer was written"):
        write([entry])
    path.unlink()
    with pytest.raises(LayerError, match="cannot read"):
        write([entry])


class _FailingSink:
    def __init__(self) -> None:
        self.committed = False

    def write(self, data: bytes | bytearray | memoryview, /) -> None:
        raise OSError(28, "No space left on device")

    def commit(self) -> tuple[str, int]:
        self.committed = True
        return "", 0


def test_sink_errors_reach_the_caller_without_hanging(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    for index in range(20):
        (root / f"f{index}").write_bytes(os.urandom(1 << 20))
    sink = _FailingSink()
    with pytest.raises(OSError, match="No space left"):
        write_layer(tree_entries(root), sink, compression=UNCOMPRESSED)
    assert not sink.committed


def test_sockets_are_refused(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(LayerError, match="sockets"):
            entry_from_path(path, "sock")


def test_tar_is_readable_by_tarfile_streaming(tree: Path) -> None:
    _, blob = write(tree_entries(tree), compression=GZIP)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r|gz") as archive:
        assert sum(1 for _ in archive) >= 10


class _Dribble(io.RawIOBase):
    """Returns odd-sized reads, to cut the stream differently from the writer."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0
        self._step = 7919

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        size = min(self._step, len(self._data) - self._pos) if n else 0
        self._step = self._step * 3 % 700_001 + 1
        out = self._data[self._pos : self._pos + size]
        self._pos += size
        return out


@pytest.mark.parametrize("compression", [GZIP, ZSTD, UNCOMPRESSED], ids=["gzip", "zstd", "none"])
def test_blob_depends_only_on_the_tar_bytes(tmp_path: Path, compression: Compression) -> None:
    from pybuildkit.layers import compress_stream
    from tests.layers.helpers import HashingFileSink

    root = tmp_path / "t"
    root.mkdir()
    for index in range(30):
        (root / f"f{index}").write_bytes(os.urandom(index * 40_000))
    layer, blob = write(tree_entries(root), compression=compression)
    again = compress_stream(
        _Dribble(decompress(blob)), HashingFileSink(io.BytesIO()), compression=compression
    )  # type: ignore[arg-type]
    assert (again.digest, again.diff_id, again.size) == (layer.digest, layer.diff_id, layer.size)


_names = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters="/\\"),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(_names.filter(lambda part: part not in (".", "..")), min_size=1, max_size=5),
    kind=st.sampled_from(list(EntryKind)),
    mode=st.integers(0, 0o7777),
    uid=st.integers(0, 2**32 - 1),
    gid=st.integers(0, 2**22),
    mtime=st.integers(0, 2**34),
    size=st.integers(0, 2**36),
    link=st.text(max_size=120),
    dev=st.tuples(st.integers(0, 4095), st.integers(0, 2**20)),
    xattrs=st.lists(
        st.tuples(st.sampled_from(["user.a", "security.capability"]), st.binary(max_size=20)), max_size=2
    ),
)
def test_fast_headers_are_tarfiles_headers(
    parts: list[str],
    kind: EntryKind,
    mode: int,
    uid: int,
    gid: int,
    mtime: int,
    size: int,
    link: str,
    dev: tuple[int, int],
    xattrs: list[tuple[str, bytes]],
) -> None:
    from pybuildkit.layers.writer import tar_header, tarfile_header

    entry = Entry(
        path="/".join(parts),
        kind=kind,
        mode=mode,
        uid=uid,
        gid=gid,
        mtime=mtime,
        size=size if kind is EntryKind.FILE else 0,
        linkname=link if kind in (EntryKind.SYMLINK, EntryKind.HARDLINK) else "",
        devmajor=dev[0],
        devminor=dev[1],
        xattrs=tuple(dict(xattrs).items()),
    )
    assert tar_header(entry) == tarfile_header(entry)
