"""Content digests of context files, kept in a stat cache so an unchanged context is not read again.

A file's sha256 is computed once and remembered under its relative path with the lstat fields that change
when it is written: size, mtime_ns, ctime_ns, inode and device. ctime cannot be set from user space, so
restoring an mtime after an edit does not fool the cache. A file whose timestamps are too close to the
moment it was hashed is "racy" (as git calls it): an edit within the same timestamp tick would leave its
stat unchanged, so such an entry is hashed again next time instead of trusted. "Too close" is 20 ms where
timestamps have sub-second precision and 2 s where they keep whole seconds (`racy_margin`).

The cache is one JSON file per context directory inside `cache_dir`, written atomically (temp file, fsync,
rename). Without a `cache_dir`, digests are still computed once per `ContextDigests` object.

`digest_paths` digests a set of context paths for a build step's cache key: every entry the build would
see under them (names, kinds, permission bits, file contents, symlink targets), in walk order, so it is
deterministic and changes when anything COPY would copy changes. Timestamps and owners are not part of
it (COPY does not keep owners, and a touched but unchanged file should not invalidate the cache).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, assert_never

from pybuildkit.context.build_context import (
    BuildContext,
    ContextEntry,
    EntryKind,
    normalize_context_path,
    walk_order_key,
)
from pybuildkit.errors import ContextError

CACHE_VERSION = 1
FINE_RACY_MARGIN_NS = 20_000_000
"""Margin on filesystems with sub-second timestamps: the kernel stamps files from a clock that ticks every
1-10 ms (jiffies), so two writes 10 ms apart can carry the same time."""
COARSE_RACY_MARGIN_NS = 2_000_000_000
"""Margin on filesystems that keep whole seconds (or FAT's two)."""


def racy_margin(st: os.stat_result) -> int:
    """How close to the hashing moment a file's timestamps may be before its digest is not trusted.

    ctime is always set by the kernel, so whole-second ctimes mean a filesystem with coarse timestamps.
    """
    return COARSE_RACY_MARGIN_NS if st.st_ctime_ns % 1_000_000_000 == 0 else FINE_RACY_MARGIN_NS


_CHUNK = 1 << 20

# [size, mtime_ns, ctime_ns, inode, device, hashed_at_ns, digest]
_Record = list[Any]


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


class ContextDigests:
    """Digests of one build context's files, with a persistent stat cache (see the module docstring)."""

    def __init__(
        self,
        context: BuildContext,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        racy_margin_ns: int | None = None,
    ) -> None:
        self.context = context
        self.racy_margin_ns = racy_margin_ns
        self.cache_file: Path | None = None
        if cache_dir is not None:
            name = hashlib.sha256(os.fsencode(str(context.root))).hexdigest()[:32]
            self.cache_file = Path(cache_dir) / f"context-{name}.json"
        self._records: dict[str, _Record] = self._load()
        self._dirty = False
        self._seen: set[str] = set()
        self.files_hashed = 0
        """How many files were read and hashed (rather than answered from the cache) so far."""

    # -- cache file ---------------------------------------------------------------------------------------

    def _load(self) -> dict[str, _Record]:
        if self.cache_file is None:
            return {}
        try:
            data = json.loads(self.cache_file.read_text(encoding="utf-8", errors="surrogateescape"))
        except (OSError, ValueError):
            return {}  # missing or damaged: start over (it is only a cache)
        if (
            not isinstance(data, dict)
            or data.get("version") != CACHE_VERSION
            or data.get("root") != str(self.context.root)
            or not isinstance(data.get("entries"), dict)
        ):
            return {}
        entries: dict[str, _Record] = {}
        for path, record in data["entries"].items():
            if isinstance(record, list) and len(record) == 7:
                entries[path] = record
        return entries

    def save(self) -> None:
        """Write the cache file atomically if anything changed (no-op without a cache directory)."""
        if self.cache_file is None or not self._dirty:
            return
        # Forget files that are gone (entries not looked at this time may still serve another build).
        root = self.context.root
        for rel in [rel for rel in self._records if rel not in self._seen]:
            if not os.path.lexists(root / rel):
                del self._records[rel]
        directory = self.cache_file.parent
        directory.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(
            {"version": CACHE_VERSION, "root": str(self.context.root), "entries": self._records},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8", "surrogateescape")
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.cache_file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._dirty = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.save()

    # -- digests ------------------------------------------------------------------------------------------

    def hash_file(self, path: Path) -> str:
        """Read a file and return `sha256:<hex>` of its contents (the only place contents are read)."""
        self.files_hashed += 1
        try:
            with open(path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256")
        except OSError as error:
            raise ContextError(f"{path}: cannot read file in the build context: {error.strerror}") from None
        return "sha256:" + digest.hexdigest()

    def file_digest(self, path: str) -> str:
        """`sha256:<hex>` of the regular file at context path `path` (from the cache when it is unchanged)."""
        rel = normalize_context_path(path)
        try:
            st = os.lstat(self.context.root / rel)
        except OSError as error:
            raise ContextError(f"{path}: not found in the build context ({error.strerror})") from None
        if not stat.S_ISREG(st.st_mode):
            raise ContextError(f"{path}: not a regular file")
        return self._digest(rel, st)

    def _digest(self, rel: str, st: os.stat_result) -> str:
        self._seen.add(rel)
        record = self._records.get(rel)
        if (
            record is not None
            and record[0] == st.st_size
            and record[1] == st.st_mtime_ns
            and record[2] == st.st_ctime_ns
            and record[3] == st.st_ino
            and record[4] == st.st_dev
            and self._trusted(st, record[5])
        ):
            return str(record[6])
        hashed_at = time.time_ns()
        digest = self.hash_file(self.context.root / rel)
        self._records[rel] = [*_stat_key(st), hashed_at, digest]
        self._dirty = True
        return digest

    def _trusted(self, st: os.stat_result, hashed_at: int) -> bool:
        margin = racy_margin(st) if self.racy_margin_ns is None else self.racy_margin_ns
        return max(st.st_mtime_ns, st.st_ctime_ns) + margin < hashed_at

    def digest_paths(self, paths: Iterable[str], *, follow_links: bool = False) -> str:
        """One deterministic `sha256:<hex>` for everything a build would see at and under `paths`.

        `.` is the whole context. With `follow_links`, a symlink named in `paths` stands for what it points
        to (inside the context), as COPY follows a source symlink. Raises ContextError for a path that is
        absent or excluded by the ignore file.
        """
        selected: dict[str, ContextEntry] = {}
        for path in paths:
            rel = normalize_context_path(path)
            if follow_links and rel != ".":
                resolved = self.context.resolve(rel)
                rel = (
                    resolved.relative_to(self.context.root).as_posix()
                    if resolved != self.context.root
                    else "."
                )
            if rel != ".":
                top = self.context.entry(rel)
                if top is None:
                    raise ContextError(
                        f"{path}: not found in the build context",
                        hint="check the path, and whether the .dockerignore excludes it",
                    )
                selected[top.path] = top
                if top.kind is not EntryKind.DIR:
                    continue
            for entry in self.context.walk(rel):
                selected[entry.path] = entry
        hasher = hashlib.sha256()
        for rel in sorted(selected, key=walk_order_key):
            hasher.update(self._record_line(selected[rel]))
        return "sha256:" + hasher.hexdigest()

    def _record_line(self, entry: ContextEntry) -> bytes:
        match entry.kind:
            case EntryKind.FILE:
                payload = self._digest(entry.path, entry.stat)
            case EntryKind.SYMLINK:
                payload = entry.link_target or ""
            case EntryKind.DIR:
                payload = ""
            case EntryKind.OTHER:
                payload = f"{stat.S_IFMT(entry.mode):o}:{os.major(entry.stat.st_rdev)}:{os.minor(entry.stat.st_rdev)}"
            case _:
                assert_never(entry.kind)
        line = f"{entry.kind.value}\0{entry.path}\0{stat.S_IMODE(entry.mode):o}\0{payload}\n"
        return line.encode("utf-8", "surrogateescape")
