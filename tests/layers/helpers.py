"""Reading layers back with independent tools (stdlib tarfile, gzip; zstandard), for the layer tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile

import zstandard

from pybuildkit.layers import Compression, Entry, HashingFileSink, LayerDescriptor, write_layer


def decompress(blob: bytes) -> bytes:
    if blob[:2] == b"\x1f\x8b":
        return gzip.decompress(blob)
    if blob[:4] == b"\x28\xb5\x2f\xfd":
        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(blob), read_across_frames=True).read()
    return blob


def members(blob: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(decompress(blob)), mode="r:") as archive:
        return archive.getmembers()


def contents(blob: bytes) -> dict[str, bytes]:
    out = {}
    with tarfile.open(fileobj=io.BytesIO(decompress(blob)), mode="r:") as archive:
        for member in archive:
            if member.isreg():
                extracted = archive.extractfile(member)
                assert extracted is not None
                out[member.name] = extracted.read()
    return out


def write(entries: list[Entry] | object, **kwargs: object) -> tuple[LayerDescriptor, bytes]:
    buffer = io.BytesIO()
    descriptor = write_layer(entries, HashingFileSink(buffer), **kwargs)  # type: ignore[arg-type]
    return descriptor, buffer.getvalue()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_bytes(*items: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    """A hand-made tar, for inputs our own writer would never produce."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for info, data in items:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def info(
    name: str, kind: bytes = tarfile.REGTYPE, *, linkname: str = "", mode: int = 0o644
) -> tarfile.TarInfo:
    item = tarfile.TarInfo(name)
    item.type = kind
    item.linkname = linkname
    item.mode = mode
    return item


__all__ = [
    "Compression",
    "HashingFileSink",
    "contents",
    "decompress",
    "info",
    "members",
    "sha256",
    "tar_bytes",
    "write",
]
