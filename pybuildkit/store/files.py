"""File primitives of the store: atomic writes, temp files that clean up after themselves, flock locks."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Final

TEMP_SUFFIX: Final = ".tmp"


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_temp(directory: Path) -> tuple[int, Path]:
    """Create a fresh temp file in `directory`, locked (flock) for as long as the descriptor is open.

    The lock tells `prune` the file is in use; a temp file nobody holds a lock on is a leftover of a killed
    process and may be removed.
    """
    directory.mkdir(parents=True, exist_ok=True)
    while True:
        path = directory / f"{secrets.token_hex(12)}{TEMP_SUFFIX}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            continue
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd, path


def atomic_write(path: Path, data: bytes, *, temp_dir: Path | None = None, mode: int = 0o644) -> None:
    """Write `data` to `path` so a reader sees the old file or the new one, never a part (temp, fsync, rename)."""
    fd, temp = open_temp(temp_dir or path.parent)
    try:
        with os.fdopen(fd, "wb", closefd=False) as out:
            out.write(data)
            out.flush()
            os.fsync(fd)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    finally:
        os.close(fd)
    fsync_dir(path.parent)


@contextlib.contextmanager
def flocked(path: Path, *, shared: bool = False, blocking: bool = True) -> Iterator[bool]:
    """Hold an flock on `path` (created if missing). Yields False when `blocking=False` and it is taken.

    flock locks die with their process, so a killed build never leaves a lock held.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        flags = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if not blocking:
            flags |= fcntl.LOCK_NB
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def try_lock_stale(path: Path) -> bool:
    """True when no process holds the lock on temp file `path` (so it is a leftover)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
