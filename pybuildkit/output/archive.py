"""Small helpers the exporters share: which blobs an image needs, and a deterministic tar of files."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from pybuildkit.image import mediatypes
from pybuildkit.image.spec import Descriptor, Index, Manifest
from pybuildkit.store.files import open_temp
from pybuildkit.store.store import Store


def reachable(store: Store, root: Descriptor) -> list[Descriptor]:
    """`root` and every blob below it (an index's manifests, each manifest's config and layers), deduplicated,
    parents before children."""
    out: list[Descriptor] = []
    seen: set[str] = set()
    pending = [root]
    while pending:
        item = pending.pop(0)
        if item.digest in seen:
            continue
        seen.add(item.digest)
        out.append(item)
        if item.media_type in mediatypes.INDEXES:
            pending.extend(Index.from_json(store.read_json(item.digest, size=item.size)).manifests)
        elif item.media_type in mediatypes.MANIFESTS:
            manifest = Manifest.from_json(store.read_json(item.digest, size=item.size))
            pending.append(manifest.config)
            pending.extend(manifest.layers)
    return out


class TarBuilder:
    """A deterministic tar (PAX, root-owned, fixed mtime) written as a stream."""

    def __init__(self, file: IO[bytes], *, mtime: int = 0) -> None:
        self._tar = tarfile.open(fileobj=file, mode="w|", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self._mtime = mtime
        self._dirs: set[str] = set()

    def _info(self, name: str, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.mode = mode
        info.size = size
        info.mtime = self._mtime
        info.uname = info.gname = ""
        return info

    def directory(self, name: str) -> None:
        parts = name.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if path not in self._dirs:
                self._dirs.add(path)
                self._tar.addfile(self._info(path, tarfile.DIRTYPE, 0o755))

    def add_bytes(self, name: str, data: bytes) -> None:
        import io

        self._parent(name)
        self._tar.addfile(self._info(name, tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))

    def add_stream(self, name: str, stream: IO[bytes], size: int) -> None:
        self._parent(name)
        self._tar.addfile(self._info(name, tarfile.REGTYPE, 0o644, size), stream)

    def _parent(self, name: str) -> None:
        parent = name.rpartition("/")[0]
        if parent:
            self.directory(parent)

    def close(self) -> None:
        self._tar.close()

    def abort(self) -> None:
        """Drop the archive without writing its end (the output is being discarded anyway)."""
        setattr(self._tar, "closed", True)  # noqa: B010 (tarfile has no public way to drop an archive)
        stream = self._tar.fileobj
        if stream is not None and hasattr(stream, "closed"):
            # tarfile's stream would otherwise flush into a closed file when garbage-collected.
            stream.closed = True

    def __enter__(self) -> TarBuilder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: object
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


@contextlib.contextmanager
def atomic_output(dest: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A file that appears at `dest` only when complete (`-` writes to standard output)."""
    if os.fspath(dest) == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    path = Path(dest)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        # A device or a FIFO (`-o /dev/stdout`, a named pipe): write into it; renaming over it would replace
        # the device node with a regular file.
        with open(path, "wb") as special:
            yield special
            special.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = open_temp(path.parent)
    try:
        with os.fdopen(fd, "wb", closefd=False) as out:
            yield out
            out.flush()
            os.fsync(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    finally:
        os.close(fd)


def copy_blob(store: Store, descriptor: Descriptor, dest_dir: Path) -> None:
    """Copy one verified blob into `dest_dir/blobs/sha256/` (skipped when already there with its size)."""
    target = dest_dir / "blobs" / "sha256" / descriptor.digest.split(":", 1)[1]
    if target.is_file() and target.stat().st_size == descriptor.size:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with store.open_blob(descriptor.digest, size=descriptor.size) as source, atomic_output(target) as out:
        shutil.copyfileobj(source, out, 1 << 20)
