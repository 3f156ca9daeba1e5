"""Which repositories hold which blobs, so a push can mount instead of upload (Docker's "v2 metadata").

One small JSON file beside the store's own files, `registry-sources.json`: digest → the repositories
(`domain/path`) it was last pulled from or pushed to, most recent first. It is a hint only: a mount that
fails falls back to an upload, and a damaged or missing file is an empty one. Written once per pull or push
(not once per blob) under a lock, atomically.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from pybuildkit.store import Store
from pybuildkit.store.files import atomic_write, flocked

FILE_NAME: Final = "registry-sources.json"
_MAX_BLOBS: Final = 20_000
_MAX_SOURCES: Final = 4


def _path(store: Store) -> Path:
    return store.root / FILE_NAME


def _read(path: Path) -> dict[str, list[str]]:
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(value, dict):
        return {}
    return {
        str(key): [str(item) for item in items if isinstance(item, str)]
        for key, items in value.items()
        if isinstance(items, list)
    }


def record_sources(store: Store, repository: str, digests: Iterable[str]) -> None:
    """Note that `repository` (`domain/path`) holds `digests`."""
    path = _path(store)
    with flocked(store.root / "registry-sources.lock"):
        table = _read(path)
        for digest in digests:
            others = [item for item in table.pop(digest, []) if item != repository]
            table[digest] = [repository, *others][:_MAX_SOURCES]
        # Dicts keep insertion order: the blobs touched longest ago go first when the table is full.
        while len(table) > _MAX_BLOBS:
            del table[next(iter(table))]
        atomic_write(path, json.dumps(table, separators=(",", ":")).encode(), temp_dir=store.temp_dir)


def blob_sources(store: Store) -> dict[str, list[str]]:
    """The whole table (read once per push)."""
    return _read(_path(store))
