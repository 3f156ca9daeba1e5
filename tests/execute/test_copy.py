"""COPY/ADD semantics as tables: a context on disk, a destination root as layer entries, the entries out."""

from __future__ import annotations

import bz2
import gzip
import http.server
import io
import lzma
import os
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard

from pybuildkit.context import BuildContext
from pybuildkit.execute.copy import (
    ContextTree,
    CopyError,
    CopyRequest,
    Inline,
    ViewTree,
    copy_entries,
    download,
    parse_chmod,
    parse_chown,
)
from pybuildkit.execute.rootfs import LayerIndex, RootView
from pybuildkit.layers import Entry, EntryKind

PASSWD = b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n"
GROUP = b"root:x:0:\nstaff:x:50:\napps:x:1001:\n"


def make_context(root: Path) -> None:
    files = {
        "a.txt": "a",
        "b.txt": "bb",
        "c.md": "c",
        "dir/one": "1",
        "dir/sub/two": "2",
        "dir/skip.log": "log",
        "other/x/y.txt": "y",
        ".dockerignore": "ignored*\n",
        "ignored.txt": "no",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    os.chmod(root / "a.txt", 0o755)
    os.symlink("a.txt", root / "link")
    os.symlink("../outside", root / "escape")


@pytest.fixture
def context(tmp_path: Path) -> ContextTree:
    root = tmp_path / "ctx"
    root.mkdir()
    make_context(root)
    return ContextTree(BuildContext.open(root))


def base_view() -> RootView:
    entries = [
        Entry.directory("etc"),
        Entry.regular("etc/passwd", PASSWD),
        Entry.regular("etc/group", GROUP),
        Entry.directory("srv", mode=0o750, uid=7, gid=7),
        Entry.regular("srv/owned", b"o", uid=7, gid=8),
        Entry.symlink("data", "srv"),
        Entry.regular("file", b"x"),
    ]
    return RootView([LayerIndex.from_entries(entries)])


def copy(
    context: ContextTree, *sources: str, dest: str, workdir: str = "/", **kwargs: object
) -> dict[str, Entry]:
    request = CopyRequest(
        command="COPY",
        sources=sources,
        dest=dest,
        workdir=workdir,
        tree=context,
        dest_view=base_view(),
        **kwargs,  # type: ignore[arg-type]
    )
    return {entry.path: entry for entry in copy_entries(request)}


def summary(entries: dict[str, Entry]) -> list[str]:
    out = []
    for path in sorted(entries):
        e = entries[path]
        kind = {EntryKind.FILE: "f", EntryKind.DIRECTORY: "d", EntryKind.SYMLINK: "l"}.get(e.kind, "?")
        out.append(f"{kind} {path} {e.mode:o} {e.uid}:{e.gid}" + (f" -> {e.linkname}" if e.linkname else ""))
    return out


CASES = [
    pytest.param(("a.txt",), "/x", {}, ["f x 755 0:0"], id="file-to-file"),
    pytest.param(("a.txt",), "/x/", {}, ["d x 755 0:0", "f x/a.txt 755 0:0"], id="file-into-new-dir"),
    pytest.param(
        ("b.txt",), "/srv", {}, ["d srv 750 7:7", "f srv/b.txt 644 0:0"], id="file-into-existing-dir"
    ),
    pytest.param(
        ("b.txt",), "/data/", {}, ["d srv 750 7:7", "f srv/b.txt 644 0:0"], id="dest-symlink-followed"
    ),
    pytest.param(
        ("dir",),
        "/app",
        {},
        [
            "d app 755 0:0",
            "f app/one 644 0:0",
            "f app/skip.log 644 0:0",
            "d app/sub 755 0:0",
            "f app/sub/two 644 0:0",
        ],
        id="directory-contents",
    ),
    pytest.param(
        ("*.txt",),
        "/t/",
        {},
        ["d t 755 0:0", "f t/a.txt 755 0:0", "f t/b.txt 644 0:0"],
        id="wildcard-skips-ignored",
    ),
    pytest.param(("link",), "/l", {}, ["f l 755 0:0"], id="source-symlink-followed"),
    pytest.param(
        ("b.txt",),
        "rel/",
        {"workdir": "/w"},
        ["d w 755 0:0", "d w/rel 755 0:0", "f w/rel/b.txt 644 0:0"],
        id="relative-to-workdir",
    ),
    pytest.param(
        ("dir",),
        "/p/",
        {"parents": True},
        [
            "d p 755 0:0",
            "d p/dir 755 0:0",
            "f p/dir/one 644 0:0",
            "f p/dir/skip.log 644 0:0",
            "d p/dir/sub 755 0:0",
            "f p/dir/sub/two 644 0:0",
        ],
        id="parents-keeps-path",
    ),
    pytest.param(
        ("other/./x/y.txt",),
        "/p/",
        {"parents": True},
        ["d p 755 0:0", "d p/x 755 0:0", "f p/x/y.txt 644 0:0"],
        id="parents-pivot",
    ),
    pytest.param(
        ("dir",),
        "/e",
        {"excludes": ("*.log",)},
        ["d e 755 0:0", "f e/one 644 0:0", "d e/sub 755 0:0", "f e/sub/two 644 0:0"],
        id="exclude",
    ),
    pytest.param(("b.txt",), "/c", {"chmod": "0600"}, ["f c 600 0:0"], id="chmod-octal"),
    pytest.param(("b.txt",), "/c", {"chmod": "u+x,go-r"}, ["f c 700 0:0"], id="chmod-symbolic"),
    pytest.param(
        ("b.txt",),
        "/o/",
        {"chown": (1000, 1001)},
        ["d o 755 1000:1001", "f o/b.txt 644 1000:1001"],
        id="chown-ids",
    ),
]


@pytest.mark.parametrize(("sources", "dest", "options", "expected"), CASES)
def test_copy_semantics(
    context: ContextTree, sources: tuple[str, ...], dest: str, options: dict[str, object], expected: list[str]
) -> None:
    assert summary(copy(context, *sources, dest=dest, **options)) == expected  # type: ignore[arg-type]


def test_copy_keeps_content_source(context: ContextTree) -> None:
    entries = copy(context, "a.txt", dest="/x")
    assert Path(entries["x"].source or "").read_text() == "a"


def test_heredoc_and_several_sources_need_a_directory(context: ContextTree) -> None:
    entries = copy(context, dest="/h", inline=(Inline(name="EOF", data=b"hi\n"),))
    assert entries["h"].data == b"hi\n" and entries["h"].mode == 0o644
    with pytest.raises(CopyError, match="destination must be a directory and end with a /"):
        copy(context, "a.txt", "b.txt", dest="/x")


ERRORS = [
    pytest.param(("a.tx",), "not found in the build context", "did you mean a.txt", id="missing-suggests"),
    pytest.param(("nomatch*",), "not found", None, id="wildcard-no-match"),
    pytest.param(("escape",), "outside the build context", None, id="symlink-escape"),
    pytest.param(
        ("ignored.txt",), "excluded by .dockerignore:1 (ignored*)", "!ignored.txt", id="ignored-file-absent"
    ),
]


@pytest.mark.parametrize(("sources", "message", "hint"), ERRORS)
def test_copy_errors(context: ContextTree, sources: tuple[str, ...], message: str, hint: str | None) -> None:
    with pytest.raises(CopyError) as caught:
        copy(context, *sources, dest="/x")
    assert message in caught.value.message
    if hint is not None:
        assert hint in (caught.value.hint or "")


CHOWN = [
    pytest.param("app", (1000, 1000), id="user-only-gid-is-uid"),
    pytest.param("app:apps", (1000, 1001), id="names"),
    pytest.param("1000:staff", (1000, 50), id="uid-and-group-name"),
    pytest.param("42", (42, 42), id="numeric"),
    pytest.param("42:7", (42, 7), id="numeric-pair"),
]


@pytest.mark.parametrize(("spec", "expected"), CHOWN)
def test_chown(spec: str, expected: tuple[int, int]) -> None:
    assert parse_chown(spec, base_view()) == expected


@pytest.mark.parametrize("spec", ["nobody", "app:nogroup"])
def test_chown_unknown_names(spec: str) -> None:
    with pytest.raises(CopyError, match="unknown"):
        parse_chown(spec, base_view())


CHMODS = [
    pytest.param("755", 0o644, False, 0o755, id="octal"),
    pytest.param("+x", 0o644, False, 0o755, id="plus-x"),
    pytest.param("a=rX", 0o700, True, 0o555, id="capital-x-dir"),
    pytest.param("a=rX", 0o600, False, 0o444, id="capital-x-file"),
    pytest.param("u=rwx,g=rx,o=", 0o777, False, 0o750, id="assign"),
    pytest.param("g+s", 0o755, True, 0o2755, id="setgid"),
]


@pytest.mark.parametrize(("spec", "mode", "is_dir", "expected"), CHMODS)
def test_chmod(spec: str, mode: int, is_dir: bool, expected: int) -> None:
    assert parse_chmod(spec)(mode, is_dir) == expected


def test_bad_chmod() -> None:
    with pytest.raises(CopyError) as caught:
        parse_chmod("u+q")
    assert caught.value.message == "invalid syntax"


def _tar_bytes() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("pkg/bin/tool")
        data = b"#!/bin/sh\necho tool\n"
        info.size, info.mode, info.uid, info.gid = len(data), 0o755, 5, 6
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("pkg/tool-link")
        link.type, link.linkname = tarfile.SYMTYPE, "bin/tool"
        tar.addfile(link)
    return buf.getvalue()


COMPRESSORS = [
    pytest.param(lambda b: b, id="plain"),
    pytest.param(gzip.compress, id="gzip"),
    pytest.param(bz2.compress, id="bzip2"),
    pytest.param(lzma.compress, id="xz"),
    pytest.param(lambda b: zstandard.ZstdCompressor().compress(b), id="zstd"),
]


@pytest.mark.parametrize("compress", COMPRESSORS)
def test_add_extracts_archives(tmp_path: Path, compress) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "ctx"
    root.mkdir()
    (root / "archive.bin").write_bytes(compress(_tar_bytes()))
    tree = ContextTree(BuildContext.open(root))
    request = CopyRequest(
        command="ADD",
        sources=("archive.bin",),
        dest="/opt/",
        workdir="/",
        tree=tree,
        dest_view=base_view(),
        unpack=True,
        unpack_dir=tmp_path / "work",
    )
    entries = {e.path: e for e in copy_entries(request)}
    assert entries["opt/pkg/bin/tool"].uid == 5 and entries["opt/pkg/bin/tool"].mode == 0o755
    assert Path(entries["opt/pkg/bin/tool"].source or "").read_bytes() == b"#!/bin/sh\necho tool\n"
    assert entries["opt/pkg/tool-link"].linkname == "bin/tool"


def test_add_does_not_extract_plain_files(context: ContextTree, tmp_path: Path) -> None:
    request = CopyRequest(
        command="ADD",
        sources=("b.txt",),
        dest="/x",
        workdir="/",
        tree=context,
        dest_view=base_view(),
        unpack=True,
        unpack_dir=tmp_path,
    )
    assert [e.path for e in copy_entries(request)] == ["x"]


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    served = tmp_path / "www"
    served.mkdir()
    (served / "file.txt").write_text("from the web\n")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()


def test_download_and_checksum(http_root: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = http_root
    fetched = download(f"{url}/file.txt", tmp_path / "dl")
    assert fetched.name == "file.txt" and fetched.path.read_text() == "from the web\n"
    import hashlib

    good = "sha256:" + hashlib.sha256(b"from the web\n").hexdigest()
    assert fetched.digest == good
    download(f"{url}/file.txt", tmp_path / "dl", checksum=good)
    with pytest.raises(CopyError, match="digest mismatch"):
        download(f"{url}/file.txt", tmp_path / "dl", checksum="sha256:" + "0" * 64)
    with pytest.raises(CopyError, match="failed to download"):
        download(f"{url}/missing", tmp_path / "dl")
    request = CopyRequest(
        command="ADD",
        sources=(),
        downloads=(fetched,),
        dest="/d/",
        workdir="/",
        tree=None,
        dest_view=base_view(),
    )
    entries = {e.path: e for e in copy_entries(request)}
    assert entries["d/file.txt"].mode == 0o600


def test_copy_from_a_root_keeps_owners() -> None:
    view = base_view()
    request = CopyRequest(
        command="COPY",
        sources=("/srv",),
        dest="/copy",
        workdir="/",
        tree=ViewTree(view, "stage"),
        dest_view=RootView(()),
        from_stage=True,
    )
    entries = {e.path: e for e in copy_entries(request)}
    assert (entries["copy/owned"].uid, entries["copy/owned"].gid) == (7, 8)
    # fsutil makes a missing destination for directory contents 0755, owned by root (or --chown).
    assert (entries["copy"].uid, entries["copy"].mode) == (0, 0o755)


def test_root_view_whiteouts_and_opaque_dirs() -> None:
    lower = LayerIndex.from_entries(
        [
            Entry.directory("d"),
            Entry.regular("d/a", b"a"),
            Entry.regular("d/b", b"b"),
            Entry.regular("gone", b"x"),
        ]
    )
    upper = LayerIndex.from_entries(
        [Entry.whiteout("gone"), Entry.whiteout("d/a"), Entry.regular("d/c", b"c")]
    )
    view = RootView([lower, upper])
    assert view.children("") == ["d"]
    assert view.children("d") == ["b", "c"]
    assert view.read("d/b") == b"b" and view.raw("gone") is None
    opaque = LayerIndex.from_entries([Entry.directory("d"), Entry.opaque("d"), Entry.regular("d/new", b"n")])
    assert RootView([lower, opaque]).children("d") == ["new"]
