"""The registry cache: the step cache (keys → records and the layers they need) as an OCI artifact.

`export_cache` (`--cache-to type=registry,ref=REF[,mode=min|max]`) pushes an OCI image manifest whose config
is a JSON document of media type `application/vnd.pybuildkit.cache.config.v1+json` listing the records, and
whose layers are every layer blob a record needs. `import_cache` (`--cache-from type=registry,ref=REF`)
reads it back; records are written into the local step cache as their layers arrive (all at once with
`eager`, or one by one through `RemoteCache.get` when a build asks for a key), so a machine with an empty
store rebuilds with cache hits, downloading layers instead of running steps. The format is documented in
docs/registry-cache.md.

An image manifest (not an index, BuildKit's original shape) is what every registry accepts, including those
that check that an index's entries are manifests; BuildKit itself moved to it with `image-manifest=true`.
"""

from __future__ import annotations

import enum
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

from pybuildkit.image import mediatypes
from pybuildkit.image.digest import canonical_json, is_digest
from pybuildkit.image.fields import parse_fields
from pybuildkit.image.reference import Reference
from pybuildkit.image.spec import Descriptor, InvalidImageError, Manifest, descriptor_for
from pybuildkit.registry.client import RegistryClient, RegistryOptions
from pybuildkit.registry.errors import RegistryError
from pybuildkit.registry.pull import fetch_blob, fetch_manifest
from pybuildkit.registry.push import PushResult, push
from pybuildkit.store import Store

CACHE_CONFIG_TYPE: Final = "application/vnd.pybuildkit.cache.config.v1+json"
CACHE_ARTIFACT_TYPE: Final = "application/vnd.pybuildkit.cache.v1"
FORMAT_VERSION: Final = 1
_CONFIG_LIMIT: Final = 64 << 20


class CacheMode(enum.Enum):
    """`min`: only the steps of the exported image; `max`: every step of every stage built."""

    MIN = "min"
    MAX = "max"


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheSpec:
    """A parsed `--cache-to`/`--cache-from` value: `type=registry,ref=REF[,mode=min|max]`, or a bare `REF`
    (buildx reads a bare value as a registry ref). Options other than these are kept in `options`."""

    ref: Reference
    mode: CacheMode = CacheMode.MIN
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str, *, flag: str = "--cache-to") -> CacheSpec:
        if "=" not in text:
            return cls(ref=Reference.parse(text.strip()))
        fields = parse_fields(text, flag=flag, error=RegistryError)
        kind = fields.pop("type", "registry")
        if kind != "registry":
            raise RegistryError(f"{flag} type={kind} is not supported", hint="use type=registry,ref=REF")
        ref = fields.pop("ref", "")
        if not ref:
            raise RegistryError(f"{flag} type=registry needs ref=REF")
        mode_text = fields.pop("mode", CacheMode.MIN.value)
        try:
            mode = CacheMode(mode_text)
        except ValueError:
            raise RegistryError(
                f"{flag}: unknown mode {mode_text!r}", hint="use mode=min or mode=max"
            ) from None
        return cls(ref=Reference.parse(ref), mode=mode, options=tuple(sorted(fields.items())))


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheRecord:
    """One step-cache entry: its key, the executor's record (JSON, carried as is) and the layers it needs.

    `in_result` marks the steps whose layers are in the exported image; `mode=min` exports only those.
    """

    key: str
    data: Mapping[str, Any] = field(hash=False)
    layers: tuple[Descriptor, ...] = ()
    in_result: bool = True

    @classmethod
    def from_store(cls, store: Store, key: str, *, in_result: bool = True) -> CacheRecord | None:
        """The record under `key` in the local step cache (None when absent); its layers are found in it."""
        data = store.cache_get(key)
        if data is None:
            return None
        return cls(key=key, data=data, layers=layers_in(data), in_result=in_result)


def layers_in(record: Mapping[str, Any]) -> tuple[Descriptor, ...]:
    """The layer blobs a record names: a `layer` object, or a `layers` list, each with digest and size
    (and `media_type` or `mediaType`), as the executor's `LayerRef.to_json()` writes them."""
    found: list[Any] = []
    single = record.get("layer")
    if isinstance(single, Mapping):
        found.append(single)
    many = record.get("layers")
    if isinstance(many, list):
        found.extend(item for item in many if isinstance(item, Mapping))
    out: list[Descriptor] = []
    for item in found:
        digest, size = item.get("digest"), item.get("size")
        if not (isinstance(digest, str) and is_digest(digest) and isinstance(size, int)):
            continue
        media_type = str(item.get("media_type") or item.get("mediaType") or mediatypes.OCI_LAYER_GZIP)
        out.append(Descriptor(media_type=media_type, digest=digest, size=size))
    return tuple(out)


def export_cache(
    store: Store,
    ref: str | Reference,
    records: Iterable[CacheRecord],
    *,
    mode: CacheMode = CacheMode.MIN,
    options: RegistryOptions | None = None,
) -> PushResult:
    """Push `records` (filtered by `mode`) and their layers to `ref` as one cache artifact."""
    chosen = sorted(
        (record for record in records if mode is CacheMode.MAX or record.in_result), key=lambda item: item.key
    )
    layers: dict[str, Descriptor] = {}
    for record in chosen:
        for layer in record.layers:
            if not store.has_blob(layer.digest):
                raise RegistryError(
                    f"cache export: layer {layer.digest} of step {record.key[:19]} is not in the store",
                    hint="build again, then export the cache",
                )
            layers.setdefault(layer.digest, layer)
    config = {
        "version": FORMAT_VERSION,
        "mode": mode.value,
        "records": [
            {
                "key": record.key,
                "record": dict(record.data),
                "layers": [layer.digest for layer in record.layers],
                "inResult": record.in_result,
            }
            for record in chosen
        ],
    }
    config_bytes = canonical_json(config)
    store.put_bytes(config_bytes)
    manifest = Manifest(
        config=descriptor_for(config_bytes, CACHE_CONFIG_TYPE),
        layers=tuple(sorted(layers.values(), key=lambda item: item.digest)),
        artifact_type=CACHE_ARTIFACT_TYPE,
    )
    manifest_bytes = manifest.to_bytes()
    store.put_bytes(manifest_bytes)
    return push(store, descriptor_for(manifest_bytes, mediatypes.OCI_MANIFEST), ref, options=options)


class RemoteCache:
    """A cache artifact read from a registry: its records by key, their layers fetched on demand."""

    def __init__(
        self,
        store: Store,
        reference: Reference,
        records: Sequence[CacheRecord],
        options: RegistryOptions,
        *,
        digest: str,
    ) -> None:
        self.store = store
        self.reference = reference
        self.records = {record.key: record for record in records}
        self.options = options
        self.digest = digest
        self._lock = threading.Lock()
        self._client: RegistryClient | None = None

    def keys(self) -> tuple[str, ...]:
        return tuple(sorted(self.records))

    def get(self, key: str) -> dict[str, Any] | None:
        """The record for `key`, its layers downloaded and the record written to the local step cache
        (so the build sees an ordinary local hit); None when the artifact has no such key."""
        record = self.records.get(key)
        if record is None:
            return None
        self.fetch((record,))
        return dict(record.data)

    def fetch(self, records: Sequence[CacheRecord]) -> int:
        """Download the layers of `records` (concurrently, each blob once) and file the records locally;
        returns the bytes downloaded."""
        layers = {layer.digest: layer for record in records for layer in record.layers}
        client = self._open()
        what = f"cache import from {self.reference.familiar()}"
        workers = max(1, self.options.concurrency)
        with self.store.lease(), ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cache") as pool:
            sizes = list(
                pool.map(
                    lambda layer: fetch_blob(client, self.store, self.reference.path, layer, what=what),
                    layers.values(),
                )
            )
            for record in records:
                self.store.cache_put(record.key, record.data, blobs=[layer.digest for layer in record.layers])
        return sum(sizes)

    def _open(self) -> RegistryClient:
        with self._lock:
            if self._client is None:
                self._client = RegistryClient(self.reference.domain, self.options)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> RemoteCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def import_cache(
    store: Store,
    ref: str | Reference,
    *,
    options: RegistryOptions | None = None,
    eager: bool = False,
) -> RemoteCache:
    """Read the cache artifact at `ref`. With `eager`, download every layer and file every record in the
    local step cache now; otherwise records arrive through `RemoteCache.get(key)`. Close it when done."""
    reference = ref if isinstance(ref, Reference) else Reference.parse(ref)
    options = options or RegistryOptions()
    what = f"cache import from {reference.familiar()}"
    client = RegistryClient(reference.domain, options)
    try:
        remote = fetch_manifest(
            client, reference.path, reference.digest or reference.tag or "latest", what=what
        )
        manifest = Manifest.from_json(_json(remote.data, what))
        if manifest.config.media_type != CACHE_CONFIG_TYPE:
            raise RegistryError(
                f"{what}: {reference.familiar()} is not a pybuildkit cache "
                f"(its config is {manifest.config.media_type or 'untyped'})",
                hint="point --cache-from at a ref written by --cache-to type=registry",
            )
        if manifest.config.size > _CONFIG_LIMIT:
            raise RegistryError(f"{what}: the cache config is {manifest.config.size} bytes, too large")
        with store.lease():
            fetch_blob(client, store, reference.path, manifest.config, what=what)
            config = _json(store.read_blob(manifest.config.digest, size=manifest.config.size), what)
        records = _records(config, manifest, what)
    except BaseException:
        client.close()
        raise
    cache = RemoteCache(store, reference, records, options, digest=remote.descriptor.digest)
    cache._client = client
    if eager:
        cache.fetch(tuple(cache.records.values()))
    return cache


def _records(config: Any, manifest: Manifest, what: str) -> list[CacheRecord]:
    if not isinstance(config, dict) or config.get("version") != FORMAT_VERSION:
        version = config.get("version") if isinstance(config, dict) else None
        raise RegistryError(
            f"{what}: cache format version {version!r} is not {FORMAT_VERSION}",
            hint="export the cache again with this pybuildkit",
        )
    layers = {layer.digest: layer for layer in manifest.layers}
    out: list[CacheRecord] = []
    for item in config.get("records") or ():
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise RegistryError(f"{what}: a cache record has no key")
        data = item.get("record")
        digests = item.get("layers") or []
        if not isinstance(data, dict) or not isinstance(digests, list):
            raise RegistryError(f"{what}: the cache record {item['key'][:19]} is malformed")
        missing = [digest for digest in digests if digest not in layers]
        if missing:
            raise RegistryError(
                f"{what}: the cache record {item['key'][:19]} names a layer not in the artifact"
            )
        out.append(
            CacheRecord(
                key=item["key"],
                data=data,
                layers=tuple(layers[digest] for digest in digests),
                in_result=bool(item.get("inResult", True)),
            )
        )
    return out


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise InvalidImageError(f"{what}: the registry sent something that is not JSON") from None
