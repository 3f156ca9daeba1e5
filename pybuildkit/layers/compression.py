"""Layer compression: gzip through ISA-L (python-isal), zstd through zstandard, or none; and detection on read.

Standard-library zlib runs at about 19 MB/s on these machines and would be the bottleneck; ISA-L's igzip is
20 times faster at a similar ratio. Both compressors are fed from a worker thread and release the GIL.
Output is deterministic: the gzip header carries mtime 0 and no file name; zstd runs single-threaded.
"""

from __future__ import annotations

import bz2
import enum
import io
import lzma
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Final, Protocol

from pybuildkit.image import mediatypes
from pybuildkit.layers.entries import LayerError


class CompressionKind(enum.Enum):
    GZIP = "gzip"
    ZSTD = "zstd"
    NONE = "uncompressed"


# gzip levels 1-9 map onto ISA-L's 0-3 (ISA-L's 3 is slow and barely smaller; 6, gzip's default, maps to 2).
_ISAL_LEVELS: Final = {0: 0, 1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 2, 7: 2, 8: 3, 9: 3}


@dataclass(frozen=True, slots=True, kw_only=True)
class Compression:
    """How to compress a layer. `level` is gzip's 0-9 or zstd's 1-22; None means the default (6, 3)."""

    kind: CompressionKind = CompressionKind.GZIP
    level: int | None = None

    @classmethod
    def parse(cls, text: str) -> Compression:
        """`gzip`, `zstd`, `uncompressed` (or `none`), with an optional `,level=N` as BuildKit's output option."""
        name, *options = [part.strip() for part in text.split(",")]
        aliases = {"none": "uncompressed"}
        try:
            kind = CompressionKind(aliases.get(name.lower(), name.lower()))
        except ValueError:
            raise LayerError(
                f"unknown compression {name!r}", hint="use gzip, zstd or uncompressed, e.g. zstd,level=3"
            ) from None
        level: int | None = None
        for option in options:
            key, _, value = option.partition("=")
            if key not in ("level", "compression-level") or not value.isdigit():
                raise LayerError(f"bad compression option {option!r}", hint="the only option is level=N")
            level = int(value)
        result = cls(kind=kind, level=level)
        result.check()
        return result

    def check(self) -> None:
        if self.level is None:
            return
        match self.kind:
            case CompressionKind.GZIP:
                ok = 0 <= self.level <= 9
            case CompressionKind.ZSTD:
                ok = 1 <= self.level <= 22
            case CompressionKind.NONE:
                ok = True
        if not ok:
            raise LayerError(f"compression level {self.level} is out of range for {self.kind.value}")

    @property
    def media_type(self) -> str:
        match self.kind:
            case CompressionKind.GZIP:
                return mediatypes.OCI_LAYER_GZIP
            case CompressionKind.ZSTD:
                return mediatypes.OCI_LAYER_ZSTD
            case CompressionKind.NONE:
                return mediatypes.OCI_LAYER

    def compressor(self) -> Compressor:
        """A fresh streaming compressor."""
        self.check()
        match self.kind:
            case CompressionKind.GZIP:
                from isal import isal_zlib

                level = _ISAL_LEVELS[6 if self.level is None else self.level]
                # wbits 31: a gzip container; ISA-L writes mtime 0 and OS 255 (as Go does), so it is fixed.
                obj = isal_zlib.compressobj(level, isal_zlib.DEFLATED, 31)
                return _ObjCompressor(obj.compress, obj.flush)
            case CompressionKind.ZSTD:
                import zstandard

                zobj = zstandard.ZstdCompressor(level=3 if self.level is None else self.level).compressobj()
                return _ObjCompressor(zobj.compress, zobj.flush)
            case CompressionKind.NONE:
                return _Identity()


GZIP: Final = Compression(kind=CompressionKind.GZIP)
ZSTD: Final = Compression(kind=CompressionKind.ZSTD)
UNCOMPRESSED: Final = Compression(kind=CompressionKind.NONE)


class Compressor(Protocol):
    def compress(self, data: bytes | bytearray | memoryview, /) -> bytes | bytearray | memoryview: ...

    def flush(self) -> bytes: ...


class _ObjCompressor:
    __slots__ = ("compress", "flush")

    def __init__(
        self, compress: Callable[[bytes | bytearray | memoryview], bytes], flush: Callable[[], bytes]
    ) -> None:
        self.compress = compress
        self.flush = flush


class _Identity:
    def compress(self, data: bytes | bytearray | memoryview, /) -> bytes | bytearray | memoryview:
        return data

    def flush(self) -> bytes:
        return b""


def sniff(head: bytes) -> str:
    """`gzip`, `zstd`, `bzip2`, `xz` or `none`, from the first bytes of a stream (as Docker detects)."""
    if head.startswith(b"\x1f\x8b\x08"):
        return "gzip"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    return "none"


def open_decompressed(stream: IO[bytes]) -> IO[bytes]:
    """A reader of the decompressed bytes of `stream`, whatever its compression (detected by content)."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(_Raw(stream), 1 << 16)
    head = buffered.peek(6)[:6]
    match sniff(head):
        case "gzip":
            from isal import igzip

            gz: IO[bytes] = igzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[no-untyped-call,assignment]
            return gz
        case "zstd":
            return io.BufferedReader(_ZstdFrames(buffered), 1 << 16)
        case "bzip2":
            return bz2.BZ2File(buffered, "rb")
        case "xz":
            return lzma.LZMAFile(buffered, "rb")
        case _:
            return buffered


_ZSTD_INPUT: Final = 1 << 12


class _ZstdFrames(io.RawIOBase):
    """Every zstd frame of a stream, one after another; a stream that stops inside a frame is an error
    (zstandard's `stream_reader` would return what it had and report a clean end)."""

    def __init__(self, stream: IO[bytes]) -> None:
        import zstandard

        self._stream = stream
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._obj = self._new()
        self._started = False  # bytes of the current frame were fed
        self._pending = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._offset >= len(self._pending):
            # Small input reads bound the output of one call (a frame of zeros can expand thousands of times).
            data = self._stream.read(_ZSTD_INPUT)
            if not data:
                if self._started and not self._obj.eof:
                    raise LayerError(
                        "the zstd stream ends inside a frame (truncated)",
                        hint="the file was cut short (an interrupted download or copy?); make it again",
                    )
                return 0
            out = bytearray()
            while data:
                if self._obj.eof:
                    self._obj = self._new()
                self._started = True
                out += self._obj.decompress(data)
                data = self._obj.unused_data if self._obj.eof else b""
            self._pending, self._offset = bytes(out), 0
        size = min(len(buffer), len(self._pending) - self._offset)
        memoryview(buffer)[:size] = self._pending[self._offset : self._offset + size]
        self._offset += size
        return size


class _Raw(io.RawIOBase):
    """Lets any binary reader sit under a BufferedReader (for `peek`)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        view = memoryview(buffer)
        view[: len(data)] = data
        return len(data)
