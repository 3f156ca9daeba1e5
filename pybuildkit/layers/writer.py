"""The deterministic layer writer: entries → PAX tar → compressor → blob sink, in one streaming pass.

The calling thread walks the entries, builds tar headers (as stdlib `tarfile` encodes them; plain ustar blocks are
packed directly, which is what most entries need), reads file contents in 1 MiB chunks and hashes the
uncompressed stream (the diff_id). A worker thread compresses CHUNK-sized blocks and hands the output to the
sink, which hashes and writes it (the blob digest). A bounded queue between the two keeps memory flat: a layer is
never one `bytes` value.

Determinism: entries are sorted (`layer_sort_key`), uname/gname are empty, mtimes are whole seconds and clamped to
SOURCE_DATE_EPOCH when given, no atime/ctime are recorded, the archive ends with two zero blocks (no record
padding), and the compressors' headers are fixed.
"""

from __future__ import annotations

import hashlib
import os
import queue
import stat
import struct
import tarfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import IO, Final, Protocol

from pybuildkit.image import mediatypes
from pybuildkit.image.spec import Descriptor
from pybuildkit.layers.compression import GZIP, Compression, CompressionKind
from pybuildkit.layers.entries import Entry, EntryKind, LayerError, layer_sort_key
from pybuildkit.layers.tarcheck import TarChecker

CHUNK: Final = 1 << 20
_QUEUE_DEPTH: Final = 4
_BLOCK: Final = 512
_END_OF_ARCHIVE: Final = b"\0" * (2 * _BLOCK)

_TAR_TYPES: Final = {
    EntryKind.FILE: tarfile.REGTYPE,
    EntryKind.DIRECTORY: tarfile.DIRTYPE,
    EntryKind.SYMLINK: tarfile.SYMTYPE,
    EntryKind.HARDLINK: tarfile.LNKTYPE,
    EntryKind.CHAR_DEVICE: tarfile.CHRTYPE,
    EntryKind.BLOCK_DEVICE: tarfile.BLKTYPE,
    EntryKind.FIFO: tarfile.FIFOTYPE,
}


class BlobSink(Protocol):
    """Where the compressed bytes go. The store's blob writer is one; `HashingFileSink` is another.

    `write` is called from the compression thread; `commit` from the caller's, after the last write, and
    returns the blob's digest and size.
    """

    def write(self, data: bytes | bytearray | memoryview, /) -> object: ...

    def commit(self) -> tuple[str, int]: ...


class HashingFileSink:
    """A sink that writes to an open binary file and hashes what it writes (for tests, tools, benchmarks)."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._hash = hashlib.sha256()
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview, /) -> None:
        self._hash.update(data)
        self._file.write(data)
        self._size += len(data)

    def commit(self) -> tuple[str, int]:
        self._file.flush()
        return "sha256:" + self._hash.hexdigest(), self._size


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerDescriptor:
    """A written layer: the blob (`digest`, `size`, `media_type`) and its uncompressed tar (`diff_id`)."""

    digest: str
    diff_id: str
    size: int
    uncompressed_size: int
    media_type: str
    compression: CompressionKind
    entries: int

    def descriptor(self, *, docker: bool = False) -> Descriptor:
        """The manifest's descriptor for this layer (Docker schema 2 media type with `docker`)."""
        media_type = mediatypes.to_docker(self.media_type) if docker else self.media_type
        return Descriptor(media_type=media_type, digest=self.digest, size=self.size)


def prepare_entries(entries: Iterable[Entry], *, source_date_epoch: int | None = None) -> list[Entry]:
    """Sort, drop duplicates (the last entry for a path wins), clamp mtimes and turn repeated inodes into
    hardlinks to the first path (in layer order) that has them."""
    by_path: dict[str, Entry] = {}
    for entry in entries:
        by_path[entry.path] = entry
    ordered = sorted(by_path.values(), key=lambda item: layer_sort_key(item.path))
    first_path: dict[tuple[int, int], str] = {}
    out: list[Entry] = []
    for entry in ordered:
        if source_date_epoch is not None and entry.mtime > source_date_epoch:
            entry = replace(entry, mtime=source_date_epoch)
        if entry.kind is EntryKind.FILE and entry.inode is not None:
            target = first_path.setdefault(entry.inode, entry.path)
            if target != entry.path:
                entry = replace(
                    entry, kind=EntryKind.HARDLINK, linkname=target, size=0, source=None, data=None
                )
        out.append(entry)
    return out


_OCTAL_LIMIT_8: Final = 8**7
_OCTAL_LIMIT_12: Final = 8**11
_USTAR_MAGIC: Final = b"ustar\x0000"


def tar_header(entry: Entry) -> bytes:
    """The PAX header block(s) of one entry, exactly as `tarfile` encodes them.

    Most entries need no PAX record (a short ASCII name, no xattrs); for those the 512-byte ustar block is packed
    here directly, which is ten times faster than `tarfile`'s general path (a test checks both agree byte for
    byte). Everything else goes through `tarfile.TarInfo.tobuf`.
    """
    name = entry.path + "/" if entry.kind is EntryKind.DIRECTORY else entry.path
    size = entry.size if entry.kind is EntryKind.FILE else 0
    if (
        not entry.xattrs
        and len(name) <= 100
        and len(entry.linkname) <= 100
        and name.isascii()
        and entry.linkname.isascii()
        and 0 <= entry.uid < _OCTAL_LIMIT_8
        and 0 <= entry.gid < _OCTAL_LIMIT_8
        and size < _OCTAL_LIMIT_12
        and 0 <= int(entry.mtime) < _OCTAL_LIMIT_12
        and 0 <= entry.devmajor < _OCTAL_LIMIT_8
        and 0 <= entry.devminor < _OCTAL_LIMIT_8
    ):
        return _ustar_block(entry, name.encode("ascii"), size)
    return tarfile_header(entry)


# name, mode, uid, gid, size, mtime, checksum, type, linkname, magic+version, uname, gname, devmajor, devminor,
# prefix and padding: the ustar block layout.
_USTAR: Final = struct.Struct("100s8s8s8s12s12s8s1s100s8s32s32s8s8s167x")


def _ustar_block(entry: Entry, name: bytes, size: int) -> bytes:
    devices = entry.kind in (EntryKind.CHAR_DEVICE, EntryKind.BLOCK_DEVICE)
    block = bytearray(
        _USTAR.pack(
            name,
            b"%07o\0" % (entry.mode & 0o7777),
            b"%07o\0" % entry.uid,
            b"%07o\0" % entry.gid,
            b"%011o\0" % size,
            b"%011o\0" % int(entry.mtime),
            b"        ",
            _TAR_TYPES[entry.kind],
            entry.linkname.encode("ascii"),
            _USTAR_MAGIC,
            b"",
            b"",
            b"%07o\0" % entry.devmajor if devices else b"",
            b"%07o\0" % entry.devminor if devices else b"",
        )
    )
    # The checksum is the byte sum with its own field as spaces, written as tarfile does: 6 digits, NUL, space.
    block[148:155] = b"%06o\0" % sum(block)
    return bytes(block)


def tarfile_header(entry: Entry) -> bytes:
    """The header as stdlib `tarfile` writes it (PAX records for long or non-ASCII names, xattrs, big numbers)."""
    info = tarfile.TarInfo(entry.path)
    info.type = _TAR_TYPES[entry.kind]
    info.mode = entry.mode & 0o7777
    info.uid = entry.uid
    info.gid = entry.gid
    info.uname = ""
    info.gname = ""
    info.mtime = int(entry.mtime)
    info.size = entry.size if entry.kind is EntryKind.FILE else 0
    info.linkname = entry.linkname
    if entry.kind in (EntryKind.CHAR_DEVICE, EntryKind.BLOCK_DEVICE):
        info.devmajor = entry.devmajor
        info.devminor = entry.devminor
    if entry.xattrs:
        # PAX values are text to tarfile; surrogateescape carries arbitrary bytes through unchanged.
        info.pax_headers = {
            f"SCHILY.xattr.{name}": value.decode("utf-8", "surrogateescape") for name, value in entry.xattrs
        }
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


class _Pipeline:
    """The compression thread and the bounded queue that feeds it; the tar bytes are hashed and counted on the
    way in, so the diff_id needs no second pass."""

    def __init__(self, compression: Compression, sink: BlobSink) -> None:
        self._compression = compression
        self._compressor = compression.compressor()
        self._sink = sink
        self._diff = hashlib.sha256()
        self._total = 0
        self._queue: queue.Queue[bytes | bytearray | None] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self.error: BaseException | None = None
        self._aborted = False
        self._thread = threading.Thread(target=self._run, name="layer-compress", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # ISA-L's output depends on how its input is split, so the compressor always gets CHUNK-sized blocks:
        # the blob then depends only on the tar bytes, however the producer cut them.
        pending = bytearray()
        while True:
            chunk = self._queue.get()
            if chunk is None:
                break
            if self.error is not None or self._aborted:
                continue  # keep draining so the producer never blocks
            try:
                if not pending and len(chunk) == CHUNK:
                    self._emit(chunk)
                    continue
                pending += chunk
                if len(pending) >= CHUNK:
                    view = memoryview(pending)
                    offset = 0
                    while len(pending) - offset >= CHUNK:
                        self._emit(view[offset : offset + CHUNK])
                        offset += CHUNK
                    rest = bytearray(view[offset:])
                    view.release()
                    pending = rest
            except BaseException as error:
                self.error = error
        if self.error is None and not self._aborted:
            try:
                if pending:
                    self._emit(pending)
                tail = self._compressor.flush()
                if tail:
                    self._sink.write(tail)
            except BaseException as error:
                self.error = error

    def _emit(self, block: bytes | bytearray | memoryview) -> None:
        out = self._compressor.compress(block)
        if out:
            self._sink.write(out)

    def put(self, chunk: bytes | bytearray) -> None:
        self._diff.update(chunk)
        self._total += len(chunk)
        if self.error is not None:
            raise self.error
        self._queue.put(chunk)

    def finish(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        self._aborted = True
        self._queue.put(None)
        self._thread.join()

    def commit(self, *, entries: int) -> LayerDescriptor:
        """After `finish`: commit the sink and describe the layer it now holds."""
        digest, size = self._sink.commit()
        return LayerDescriptor(
            digest=digest,
            diff_id="sha256:" + self._diff.hexdigest(),
            size=size,
            uncompressed_size=self._total,
            media_type=self._compression.media_type,
            compression=self._compression.kind,
            entries=entries,
        )


def write_layer(
    entries: Iterable[Entry],
    sink: BlobSink,
    *,
    compression: Compression = GZIP,
    source_date_epoch: int | None = None,
) -> LayerDescriptor:
    """Write `entries` as one layer into `sink` and return its descriptor.

    `sink.commit()` is called on success only; on an error the caller's sink is left uncommitted (the store's
    blob writer then removes its temp file).
    """
    prepared = prepare_entries(entries, source_date_epoch=source_date_epoch)
    pipeline = _Pipeline(compression, sink)
    push = pipeline.put
    buf = bytearray()
    try:
        for entry in prepared:
            buf += tar_header(entry)
            if entry.kind is EntryKind.FILE and entry.size:
                if entry.data is not None:
                    buf += entry.data
                else:
                    assert entry.source is not None
                    if entry.size + len(buf) > CHUNK:
                        push(buf)
                        buf = bytearray()
                    buf = _copy_file(entry, buf, push)
                buf += b"\0" * (-entry.size % _BLOCK)
            if len(buf) >= CHUNK:
                push(buf)
                buf = bytearray()
        buf += _END_OF_ARCHIVE
        push(buf)
        pipeline.finish()
    except BaseException:
        pipeline.abort()
        raise
    return pipeline.commit(entries=len(prepared))


def _copy_file(entry: Entry, buf: bytearray, push: _Push) -> bytearray:
    """Append (small) or stream (large) the file's content; it must still have the size it had when listed."""
    source = entry.source
    assert source is not None
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        raise LayerError(f"cannot read {source}: {error.strerror}") from error
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size != entry.size:
            raise LayerError(
                f"{source} changed while the layer was written", hint="do not modify files during a build"
            )
        remaining = entry.size
        while remaining:
            if buf:
                data = os.read(fd, min(remaining, CHUNK - len(buf)))
                buf += data
                if len(buf) >= CHUNK:
                    push(buf)
                    buf = bytearray()
            else:
                data = os.read(fd, min(remaining, CHUNK))
                if len(data) == CHUNK:
                    push(data)
                else:
                    buf += data
            if not data:
                raise LayerError(f"{source} shrank while the layer was written")
            remaining -= len(data)
        return buf
    finally:
        os.close(fd)


class _Push(Protocol):
    def __call__(self, chunk: bytes | bytearray, /) -> None: ...


def compress_stream(
    stream: IO[bytes],
    sink: BlobSink,
    *,
    compression: Compression = GZIP,
    entries: int = 0,
    check: TarChecker | None = None,
) -> LayerDescriptor:
    """Turn an uncompressed tar stream (an imported rootfs tar, a docker-archive layer) into a layer blob, with
    the same one-pass hashing and threaded compression as `write_layer`. The tar is taken as it is; with
    `check`, its structure is verified on the way (not a tar, or truncated: `TarFormatError`, nothing committed)."""
    pipeline = _Pipeline(compression, sink)
    try:
        while chunk := stream.read(CHUNK):
            if check is not None:
                check.feed(chunk)
            pipeline.put(chunk)
        if check is not None:
            entries = check.finish()
        pipeline.finish()
    except BaseException:
        pipeline.abort()
        raise
    return pipeline.commit(entries=entries)
