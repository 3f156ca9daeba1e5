"""The registry cache round trip: export step records and layers from one store, import into an empty one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pybuildkit.image import Descriptor
from pybuildkit.registry import RegistryOptions, push
from pybuildkit.registry.cache import (
    CACHE_CONFIG_TYPE,
    CacheMode,
    CacheRecord,
    CacheSpec,
    export_cache,
    import_cache,
    layers_in,
)
from pybuildkit.registry.errors import RegistryError
from pybuildkit.store import Store
from tests.registry.conftest import make_image
from tests.registry.servers import RunningRegistry


def _records(store: Store, tmp_path: Path) -> list[CacheRecord]:
    """Three steps as the executor files them: two with a layer (one in the result), one metadata-only."""
    out = []
    for number, in_result in ((1, True), (2, False)):
        image = store.load(make_image(store, tmp_path, name=f"step{number}:1", content=f"step {number}"))
        layer = image.layers[0]
        data = {
            "layer": {
                "digest": layer.digest,
                "diff_id": image.config.diff_ids[0],
                "size": layer.size,
                "media_type": layer.media_type,
            },
            "created_by": f"COPY step{number} /",
        }
        store.cache_put(f"key-{number}", data, blobs=[layer.digest])
        record = CacheRecord.from_store(store, f"key-{number}", in_result=in_result)
        assert record is not None
        out.append(record)
    store.cache_put("key-3", {"config": {"Env": ["A=1"]}})
    meta = CacheRecord.from_store(store, "key-3")
    assert meta is not None and meta.layers == ()
    return [*out, meta]


@pytest.mark.parametrize("mode", [CacheMode.MIN, CacheMode.MAX], ids=["min", "max"])
def test_round_trip_between_empty_stores(
    registry: RunningRegistry, options: RegistryOptions, tmp_path: Path, mode: CacheMode
) -> None:
    source = Store(tmp_path / "a")
    records = _records(source, tmp_path)
    ref = f"{registry.host}/cache/app:{mode.value}"
    result = export_cache(source, ref, records, mode=mode, options=options)

    target = Store(tmp_path / "b")
    with import_cache(target, ref, options=options, eager=True) as cache:
        expected = {"key-1", "key-3"} | ({"key-2"} if mode is CacheMode.MAX else set())
        assert set(cache.keys()) == expected
        assert cache.digest == result.descriptor.digest
    for key in expected:
        assert target.cache_get(key) == source.cache_get(key)
    if mode is CacheMode.MIN:
        assert target.cache_get("key-2") is None
    for record in records:
        if record.key in expected:
            assert all(target.has_blob(layer.digest) for layer in record.layers)


def test_lazy_import_downloads_only_what_is_asked(
    registry: RunningRegistry, options: RegistryOptions, tmp_path: Path
) -> None:
    source = Store(tmp_path / "a")
    records = _records(source, tmp_path)
    ref = f"{registry.host}/cache/lazy:1"
    export_cache(source, ref, records, mode=CacheMode.MAX, options=options)
    target = Store(tmp_path / "b")
    with import_cache(target, ref, options=options) as cache:
        assert target.cache_get("key-1") is None
        assert cache.get("key-1") == source.cache_get("key-1")
        assert cache.get("missing") is None
    assert target.cache_get("key-1") == source.cache_get("key-1")
    assert target.cache_get("key-2") is None  # never asked for, never downloaded
    layer2 = records[1].layers[0]
    assert not target.has_blob(layer2.digest)


def test_artifact_shape(registry: RunningRegistry, options: RegistryOptions, tmp_path: Path) -> None:
    """What docs/registry-cache.md promises, read back with skopeo."""
    source = Store(tmp_path / "a")
    records = _records(source, tmp_path)
    ref = f"{registry.host}/cache/shape:1"
    export_cache(source, ref, records, mode=CacheMode.MAX, options=options)
    raw = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", "--raw", f"docker://{ref}"],
        check=True,
        capture_output=True,
    ).stdout
    manifest = json.loads(raw)
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert manifest["artifactType"] == "application/vnd.pybuildkit.cache.v1"
    assert manifest["config"]["mediaType"] == CACHE_CONFIG_TYPE
    assert sorted(item["digest"] for item in manifest["layers"]) == sorted(
        layer.digest for record in records for layer in record.layers
    )
    config = json.loads(source.read_blob(manifest["config"]["digest"]))
    assert config["version"] == 1 and config["mode"] == "max"
    assert [item["key"] for item in config["records"]] == ["key-1", "key-2", "key-3"]


def test_importing_an_image_is_refused(
    registry: RunningRegistry, options: RegistryOptions, tmp_path: Path
) -> None:
    store = Store(tmp_path / "a")
    make_image(store, tmp_path, name="notcache:1", content="an image")
    ref = f"{registry.host}/cache/notcache:1"
    push(store, "notcache:1", ref, options=options)
    with pytest.raises(RegistryError) as caught:
        import_cache(Store(tmp_path / "b"), ref, options=options)
    assert "is not a pybuildkit cache" in caught.value.message


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"layer": {"digest": "sha256:" + "a" * 64, "size": 3, "media_type": "x"}}, ("x",)),
        ({"layers": [{"digest": "sha256:" + "b" * 64, "size": 1, "mediaType": "y"}]}, ("y",)),
        ({"layer": None}, ()),
        ({"layer": {"digest": "nope", "size": 1}}, ()),
    ],
    ids=["layer", "layers-list", "none", "bad-digest"],
)
def test_layers_in(record: dict[str, object], expected: tuple[str, ...]) -> None:
    found: tuple[Descriptor, ...] = layers_in(record)
    assert tuple(item.media_type for item in found) == expected


@pytest.mark.parametrize(
    ("text", "ref", "mode"),
    [
        ("type=registry,ref=127.0.0.1:5000/cache:1,mode=max", "127.0.0.1:5000/cache:1", CacheMode.MAX),
        ("type=registry,ref=127.0.0.1:5000/cache:1", "127.0.0.1:5000/cache:1", CacheMode.MIN),
        ("127.0.0.1:5000/cache", "127.0.0.1:5000/cache:latest", CacheMode.MIN),
        ("ref=ghcr.io/o/cache:main,mode=min", "ghcr.io/o/cache:main", CacheMode.MIN),
    ],
    ids=["max", "default-min", "bare-ref", "type-omitted"],
)
def test_cache_spec(text: str, ref: str, mode: CacheMode) -> None:
    spec = CacheSpec.parse(text)
    assert (str(spec.ref), spec.mode) == (ref, mode)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("type=local,dest=/tmp/c", "--cache-to type=local is not supported"),
        ("type=registry", "--cache-to type=registry needs ref=REF"),
        ("type=registry,ref=r/c,mode=all", "--cache-to: unknown mode 'all'"),
        ("type=registry,ref", "bad --cache-to field 'ref'"),
    ],
    ids=["other-type", "no-ref", "bad-mode", "no-equals"],
)
def test_cache_spec_errors(text: str, message: str) -> None:
    with pytest.raises(RegistryError) as caught:
        CacheSpec.parse(text)
    assert caught.value.message == message
