"""The registry cache with real builds: machine A builds and exports, machine B (an empty store) imports and
rebuilds with every step a cache hit, downloading layers instead of running steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from pybuildkit.registry import RegistryOptions
from pybuildkit.registry.cache import CacheMode, CacheRecord, export_cache, import_cache
from pybuildkit.store import Store
from tests.registry.servers import RunningRegistry

build = pytest.importorskip("pybuildkit.execute.session").build

DOCKERFILE = """\
FROM scratch AS base
COPY a.txt /a.txt
ENV GREETING=hello
COPY dir/ /dir/
WORKDIR /dir
"""


def _context(path: Path) -> Path:
    (path / "dir").mkdir(parents=True)
    (path / "Dockerfile").write_text(DOCKERFILE)
    (path / "a.txt").write_text("a\n")
    (path / "dir" / "b.txt").write_text("b\n" * 1000)
    return path


def test_second_machine_rebuilds_from_the_registry_cache(
    registry: RunningRegistry, options: RegistryOptions, tmp_path: Path
) -> None:
    context = _context(tmp_path / "context")
    first = build(context, root=tmp_path / "machine-a", source_date_epoch=0)
    assert first.cache_hits == 0 and first.steps
    store_a = Store(tmp_path / "machine-a")
    records = [CacheRecord.from_store(store_a, step.key) for step in first.steps]
    assert all(record is not None for record in records)
    ref = f"{registry.host}/cache/build:main"
    export_cache(store_a, ref, [r for r in records if r is not None], mode=CacheMode.MAX, options=options)

    store_b = Store(tmp_path / "machine-b")
    with import_cache(store_b, ref, options=options, eager=True):
        pass
    second = build(context, root=tmp_path / "machine-b", source_date_epoch=0)
    assert [step.cached for step in second.steps] == [True] * len(second.steps)
    assert second.digest == first.digest
