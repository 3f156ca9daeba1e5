"""A streaming check that bytes are a whole tar archive, for layers taken byte for byte (`pybuildkit import`).

It reads only the headers as the bytes pass (checksums, sizes, PAX `size` overrides) and skips the contents, so
an imported rootfs tar is still streamed once. It accepts what Go's `archive/tar` reader (Docker's) accepts: an
archive may stop at an entry boundary without the two zero blocks; it refuses a header whose checksum is wrong
(not a tar at all) and an archive that ends inside a header or an entry's data (truncated).
"""

from __future__ import annotations

from typing import Final

from pybuildkit.layers.entries import LayerError

_BLOCK: Final = 512
# Types whose size field says nothing about data in the stream (Go's isHeaderOnlyType).
_HEADER_ONLY: Final = frozenset(b"123456")
_PAX_TYPES: Final = frozenset(b"xg")
_META_TYPES: Final = frozenset(b"xgLK")  # headers that describe the next entry, not entries
_PAX_LIMIT: Final = 1 << 20


class TarFormatError(LayerError):
    """The bytes are not a tar archive, or the archive is cut short."""


def _number(field: bytes) -> int | None:
    """A numeric header field: octal text (NUL/space padded) or GNU base-256 (high bit set)."""
    if field and field[0] & 0x80:
        value = field[0] & 0x7F
        for byte in field[1:]:
            value = (value << 8) | byte
        return value
    text = field.strip(b"\0 ")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        return None


def _checksum_ok(header: bytes) -> bool:
    stored = _number(header[148:156])
    if stored is None:
        return False
    blanked = header[:148] + b" " * 8 + header[156:]
    unsigned = sum(blanked)
    signed = sum(byte - 256 if byte > 127 else byte for byte in blanked)
    return stored in (unsigned, signed)


def _pax_size(data: bytes) -> int | None:
    """The `size` record of a PAX extended header (`"%d size=%d\\n"` records), if any."""
    size: int | None = None
    for record in data.split(b"\n"):
        _, _, keyword_value = record.partition(b" ")
        key, sep, value = keyword_value.partition(b"=")
        if sep and key == b"size" and value.isdigit():
            size = int(value)
    return size


class TarChecker:
    """Feed it the archive's bytes in any chunks, then call `finish()`; both raise `TarFormatError`."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._header = bytearray()
        self._skip = 0  # data (and padding) bytes of the current entry still to pass
        self._entry = ""  # the current entry's name, for the truncation message
        self._entries = 0
        self._offset = 0
        self._ended = False
        self._pax: bytearray | None = None  # collecting a PAX header's data
        self._next_size: int | None = None  # a PAX `size` for the next entry

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view and not self._ended:
            if self._skip:
                step = min(self._skip, len(view))
                if self._pax is not None and len(self._pax) < _PAX_LIMIT:
                    self._pax += view[:step]
                self._skip -= step
                self._offset += step
                view = view[step:]
                if not self._skip and self._pax is not None:
                    self._next_size = _pax_size(bytes(self._pax))
                    self._pax = None
                continue
            step = min(_BLOCK - len(self._header), len(view))
            self._header += view[:step]
            view = view[step:]
            if len(self._header) == _BLOCK:
                self._read_header(bytes(self._header))
                self._header.clear()

    def _read_header(self, header: bytes) -> None:
        offset = self._offset
        self._offset += _BLOCK
        if not any(header):
            # End of archive (Go stops at the first zero block's pair; what follows is not read).
            self._ended = True
            return
        if not _checksum_ok(header):
            if offset == 0:
                raise TarFormatError(
                    f"{self._name} is not a tar archive",
                    hint="import a tar (plain, or compressed with gzip, zstd, bzip2 or xz) or a directory",
                )
            raise TarFormatError(
                f"{self._name} is damaged: the tar header at byte {offset} is invalid (bad checksum)"
            )
        size = _number(header[124:136])
        if size is None:
            raise TarFormatError(f"{self._name} is damaged: the tar header at byte {offset} has a bad size")
        kind = header[156]
        if self._next_size is not None and kind not in _PAX_TYPES:
            size, self._next_size = self._next_size, None
        if kind in _HEADER_ONLY:
            size = 0
        self._entry = header[:100].split(b"\0", 1)[0].decode("utf-8", "replace")
        if kind not in _META_TYPES:
            self._entries += 1
        self._skip = size + (-size % _BLOCK)
        if kind == ord("x") and size:
            self._pax = bytearray()

    def finish(self) -> int:
        """Check the archive ended cleanly; returns the number of entries read."""
        if self._ended:
            return self._entries
        if self._header and self._offset == 0:
            raise TarFormatError(
                f"{self._name} is not a tar archive (it is shorter than one tar header)",
                hint="import a tar (plain, or compressed with gzip, zstd, bzip2 or xz) or a directory",
            )
        if self._header or self._skip:
            where = f"inside {self._entry!r}" if self._skip else "inside a header"
            raise TarFormatError(
                f"{self._name} is truncated: the archive ends {where}",
                hint="the file was cut short (an interrupted download or copy?); make it again",
            )
        return self._entries
