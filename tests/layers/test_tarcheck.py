"""The streaming tar check used by `pybuildkit import`: what it accepts (every tar Python and GNU tar write,
in any chunking), what it refuses (not a tar, cut short), and zstd streams cut inside a frame."""

from __future__ import annotations

import io
import os
import tarfile

import pytest
import zstandard

from pybuildkit.layers import LayerError, TarChecker, TarFormatError, open_decompressed


def _archive(fmt: int, *, long_names: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for kind, name, data in (
            (tarfile.DIRTYPE, "d", b""),
            (tarfile.REGTYPE, "d/file", os.urandom(1000)),
            (tarfile.REGTYPE, "d/empty", b""),
            (tarfile.SYMTYPE, "d/link", b""),
            (tarfile.LNKTYPE, "d/hard", b""),
            (tarfile.REGTYPE, ("x" * 150 + "/long") if long_names else "d/exact", os.urandom(512)),
        ):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.size = len(data)
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = "d/file"
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def _feed(data: bytes, chunk: int) -> int:
    checker = TarChecker("t.tar")
    for start in range(0, len(data), chunk):
        checker.feed(data[start : start + chunk])
    return checker.finish()


VALID = {
    "ustar": _archive(tarfile.USTAR_FORMAT),
    "gnu-long-names": _archive(tarfile.GNU_FORMAT, long_names=True),
    "pax-long-names": _archive(tarfile.PAX_FORMAT, long_names=True),
    "empty-archive": b"\0" * 1024,
    "empty-file": b"",
}


@pytest.mark.parametrize("chunk", [1, 511, 512, 4096, 1 << 20], ids=lambda n: f"chunk{n}")
@pytest.mark.parametrize("name", sorted(VALID))
def test_accepts_whole_archives(name: str, chunk: int) -> None:
    expected = 0 if name.startswith("empty") else 6
    assert _feed(VALID[name], chunk) == expected


def test_accepts_an_archive_without_its_end_blocks() -> None:
    # Go's reader (Docker's) accepts an archive that stops at an entry boundary.
    data = VALID["ustar"]
    body = data.rstrip(b"\0")
    end = len(body) + (-len(body) % 512)
    assert _feed(data[:end], 4096) == 6


def test_pax_size_record_overrides_the_header() -> None:
    # A PAX `size` record (used for files over 8 GiB) decides how much data follows the next header.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("f")
        info.size = 700
        info.pax_headers = {"size": "700"}
        tar.addfile(info, io.BytesIO(os.urandom(700)))
    assert _feed(buffer.getvalue(), 100) == 1


REFUSED = [
    ("text", b"hello, this is not a tar\n" * 50, "is not a tar archive"),
    ("shorter-than-a-header", b"tiny", "shorter than one tar header"),
    ("cut-in-a-header", VALID["ustar"][:700], "ends inside a header"),
    ("cut-in-data", VALID["ustar"][:1800], "ends inside 'd/file'"),
    ("cut-in-padding", VALID["ustar"][:2030], "ends inside 'd/file'"),
    ("bad-checksum-later", VALID["ustar"][:2048] + b"x" * 512 + VALID["ustar"][2560:], "bad checksum"),
]


@pytest.mark.parametrize(("data", "needle"), [pytest.param(d, n, id=i) for i, d, n in REFUSED])
def test_refuses(data: bytes, needle: str) -> None:
    with pytest.raises(TarFormatError) as raised:
        _feed(data, 333)
    assert needle in raised.value.message
    assert raised.value.message.startswith("t.tar ")


def test_zstd_cut_inside_a_frame_is_an_error() -> None:
    data = VALID["ustar"] * 50
    packed = zstandard.ZstdCompressor().compress(data)
    assert open_decompressed(io.BytesIO(packed + packed)).read() == data + data  # frames back to back
    with pytest.raises(LayerError, match="ends inside a frame"):
        open_decompressed(io.BytesIO(packed[: len(packed) - 3])).read()
