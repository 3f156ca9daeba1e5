"""Layer snapshots in the store, shared by builds and `pybuildkit run`.

A layer is unpacked once into `<store>/snapshots/<diff_id hex>/` (`rootfs.unpack_snapshot`). For a RUN or a
container the stack becomes overlay lower directories: the upperdirs of RUN layers on top as they are
(overlay-format trees), everything below them flattened once into `<store>/flat/<hash of their diff_ids>`,
kept so the next RUN on the same base reuses it. Both directories are caches: `Store.prune` removes them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from pybuildkit.execute.executor import LayerRef
from pybuildkit.execute.rootfs import LayerIndex, RootView, load_snapshot, materialize, unpack_snapshot
from pybuildkit.image.digest import digest_hex
from pybuildkit.store import Store

__all__ = ["Snapshots"]


class Snapshots:
    """Indexes of layers by diff_id (unpacked on demand) and the lower directories of a stack."""

    def __init__(
        self,
        store: Store,
        *,
        indexes: dict[str, LayerIndex] | None = None,
        lock: threading.Lock | None = None,
    ) -> None:
        self.store = store
        self.indexes = indexes if indexes is not None else {}
        self._lock = lock or threading.Lock()

    def index(self, layer: LayerRef) -> LayerIndex:
        with self._lock:
            found = self.indexes.get(layer.diff_id)
        if found is not None:
            return found
        directory = self.store.root / "snapshots" / digest_hex(layer.diff_id)
        index = load_snapshot(directory)
        if index is None:
            with self.store.open_blob(layer.digest, size=layer.size) as blob:
                index = unpack_snapshot(blob, directory, temp_dir=self.store.temp_dir)
        with self._lock:
            self.indexes[layer.diff_id] = index
        return index

    def lowerdirs(self, layers: Sequence[LayerRef], scratch: Path) -> tuple[Path, ...]:
        """Overlay lower directories for `layers` (bottom first), top-most first."""
        indexes = [self.index(layer) for layer in layers]
        split = len(indexes)
        while split > 0 and indexes[split - 1].tree is not None:
            split -= 1
        trees = [index.tree for index in reversed(indexes[split:]) if index.tree is not None]
        if split == 0:
            empty = scratch / "empty"
            empty.mkdir(parents=True, exist_ok=True)
            return (*trees, empty)
        ident = hashlib.sha256("\0".join(layer.diff_id for layer in layers[:split]).encode()).hexdigest()
        flat = self.store.root / "flat" / ident
        if not flat.is_dir():
            work = Path(tempfile.mkdtemp(prefix="flat-", dir=self.store.temp_dir))
            try:
                materialize(RootView(indexes[:split]), work / "root")
                flat.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.rename(work / "root", flat)
                except OSError:
                    if not flat.is_dir():
                        raise
            finally:
                shutil.rmtree(work, ignore_errors=True)
        return (*trees, flat)
