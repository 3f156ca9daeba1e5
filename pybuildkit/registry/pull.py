"""Pull: resolve a reference to a manifest, choose a platform from an index, and stream blobs into the store.

Blobs are downloaded on a thread pool, each streamed into a store temp file while its sha256 and size are
checked; the store's commit refuses content whose digest or size differs, so a bad blob never becomes visible.
A blob the store holds already is not requested again, and two threads wanting one blob wait on one download.
A connection cut mid-blob is resumed with a `Range` request (or, when the registry ignores ranges, re-read
and the bytes we have skipped), up to the retry bound.

`ensure_image` is what `FROM` uses: it remembers which digest a reference resolved to (a record in the
store's step-cache area keeping the image's blobs alive), so an unchanged rebuild makes no request at all
unless `refresh` (the CLI's `--pull`) asks to check the registry again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import httpx

from pybuildkit.image import mediatypes
from pybuildkit.image.digest import is_digest, sha256_digest
from pybuildkit.image.platform import Platform, host_platform
from pybuildkit.image.reference import Reference, local_name
from pybuildkit.image.spec import Descriptor, Image, Index, InvalidImageError, Manifest
from pybuildkit.registry.auth import repository_scope
from pybuildkit.registry.client import RegistryClient, RegistryOptions
from pybuildkit.registry.errors import (
    BlobVerificationError,
    PlatformNotFoundError,
    RegistryError,
    RegistryUnreachableError,
)
from pybuildkit.registry.sources import record_sources
from pybuildkit.store import CorruptBlobError, Store

MANIFEST_ACCEPT: Final = ", ".join(
    (
        mediatypes.OCI_INDEX,
        mediatypes.DOCKER_MANIFEST_LIST,
        mediatypes.OCI_MANIFEST,
        mediatypes.DOCKER_MANIFEST,
    )
)
MANIFEST_LIMIT: Final = 4 << 20  # containerd's limit: a manifest is small
_CHUNK: Final = 1 << 20
RESOLVE_KEY_PREFIX: Final = "pybuildkit.registry.resolve:"


@dataclass(frozen=True, slots=True, kw_only=True)
class BlobEvent:
    """Progress as data: a blob was `downloaded`, `present` (not fetched), `uploaded`, `mounted` or `exists`."""

    action: str
    digest: str
    size: int


Progress = Callable[[BlobEvent], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class PulledImage:
    """An image pulled into (or found in) the store.

    `reference` is the name as asked with the registry's digest of what it points to (the index's digest for a
    multi-platform image), `descriptor` the stored manifest for `platform`.
    """

    reference: Reference
    descriptor: Descriptor
    index: Descriptor | None
    platform: Platform
    bytes_downloaded: int = 0
    blobs_downloaded: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteManifest:
    """A manifest or index as the registry served it: its exact bytes and its descriptor."""

    descriptor: Descriptor
    data: bytes


def fetch_manifest(client: RegistryClient, path: str, reference: str, *, what: str) -> RemoteManifest:
    """GET a manifest by tag or digest; its digest is checked against the digest asked for or announced."""
    response, data = client.request(
        "GET",
        f"/v2/{path}/manifests/{reference}",
        scopes=(repository_scope(path, ("pull",)),),
        headers={"Accept": MANIFEST_ACCEPT},
        what=what,
        limit=MANIFEST_LIMIT,
    )
    if response.status_code != 200:
        raise client.fail(what, response, data)
    digest = sha256_digest(data)
    announced = response.headers.get("docker-content-digest", "")
    expected = reference if is_digest(reference) else announced if announced.startswith("sha256:") else ""
    if expected and expected != digest:
        raise BlobVerificationError(
            f"{what}: the manifest {client.domain} sent has digest {digest}, not {expected}",
            hint="the registry or a proxy in between altered it; nothing was stored",
        )
    media_type = _media_type(response.headers.get("content-type", ""), data)
    return RemoteManifest(
        descriptor=Descriptor(media_type=media_type, digest=digest, size=len(data)), data=data
    )


def head_manifest(client: RegistryClient, path: str, reference: str, *, what: str) -> str | None:
    """The digest a tag points to now (HEAD, cheap on rate-limited registries), or None if not announced."""
    response, body = client.request(
        "HEAD",
        f"/v2/{path}/manifests/{reference}",
        scopes=(repository_scope(path, ("pull",)),),
        headers={"Accept": MANIFEST_ACCEPT},
        what=what,
    )
    if response.status_code != 200:
        raise client.fail(what, response, body)
    announced = response.headers.get("docker-content-digest", "")
    return announced if is_digest(announced) else None


def _media_type(content_type: str, data: bytes) -> str:
    """The manifest's own `mediaType` wins; the Content-Type header (some registries send JSON) is a fallback."""
    import json

    try:
        value = json.loads(data)
    except ValueError:
        raise InvalidImageError("the registry sent a manifest that is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidImageError("the registry sent a manifest that is not a JSON object")
    declared = value.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    header = content_type.split(";", 1)[0].strip()
    if header in mediatypes.INDEXES or header in mediatypes.MANIFESTS:
        return header
    return mediatypes.OCI_INDEX if "manifests" in value else mediatypes.OCI_MANIFEST


def choose_platform(index: Index, platform: Platform, *, what: str) -> Descriptor:
    """The index's manifest for `platform`; an exact variant beats a variant-less match.

    Attestation manifests (platform `unknown/unknown`) are never chosen.
    """
    candidates = [
        item
        for item in index.manifests
        if item.media_type not in mediatypes.INDEXES
        and not (item.platform is not None and item.platform.os == "unknown")
    ]
    matching = [item for item in candidates if item.platform is not None and item.platform.matches(platform)]
    exact = [
        item for item in matching if item.platform is not None and item.platform.variant == platform.variant
    ]
    if exact or matching:
        return (exact or matching)[0]
    if len(candidates) == 1 and candidates[0].platform is None:
        return candidates[0]
    available = sorted({str(item.platform) for item in candidates if item.platform is not None})
    raise PlatformNotFoundError(
        f"{what}: no image for platform {platform}",
        hint=(
            f"the image is built for {', '.join(available)}; choose one with --platform"
            if available
            else None
        ),
    )


class _Inflight:
    """One lock per digest, so two threads (or two images) wanting the same blob download it once."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


_INFLIGHT: Final = _Inflight()


class _Cancelled(RegistryError):
    """A download stopped because another one of the same pull failed."""


class CancelToken(threading.Event):
    """A cancel flag that also cuts the connections of the downloads watching it: a download blocked on a
    stalled socket stops at once (Ctrl-C must not wait for a read timeout), and its temp file is removed."""

    def __init__(self) -> None:
        super().__init__()
        self._sockets: set[socket.socket] = set()
        self._guard = threading.Lock()

    def set(self) -> None:
        super().set()
        with self._guard:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    @contextlib.contextmanager
    def watching(self, response: httpx.Response) -> Iterator[None]:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            yield
            return
        with self._guard:
            self._sockets.add(sock)
        try:
            if self.is_set():
                sock.shutdown(socket.SHUT_RDWR)
            yield
        finally:
            with self._guard:
                self._sockets.discard(sock)


def fetch_blob(
    client: RegistryClient,
    store: Store,
    path: str,
    descriptor: Descriptor,
    *,
    what: str,
    cancel: threading.Event | None = None,
) -> int:
    """Stream one blob into the store, verified; returns the bytes downloaded (0 when the store had it).
    Setting `cancel` stops it (the temp file is removed)."""
    with _INFLIGHT.lock(f"{store.root}\0{descriptor.digest}"):
        if store.has_blob(descriptor.digest):
            return 0
        if cancel is not None and cancel.is_set():
            raise _Cancelled(f"{what}: cancelled")
        return _download(client, store, path, descriptor, what=what, cancel=cancel)


def _download(
    client: RegistryClient,
    store: Store,
    path: str,
    descriptor: Descriptor,
    *,
    what: str,
    cancel: threading.Event | None,
) -> int:
    scopes = (repository_scope(path, ("pull",)),)
    url = f"/v2/{path}/blobs/{descriptor.digest}"
    failures = 0
    with store.new_blob() as blob:
        received = 0
        while True:
            # Identity encoding: the raw bytes are the blob, whatever a proxy thinks of .tar.gz files.
            headers = {"Accept-Encoding": "identity"}
            if received:
                headers["Range"] = f"bytes={received}-"
            try:
                with (
                    client.open("GET", url, scopes=scopes, headers=headers, what=what) as response,
                    cancel.watching(response)
                    if isinstance(cancel, CancelToken)
                    else contextlib.nullcontext(),
                ):
                    if response.status_code not in (200, 206):
                        raise client.fail(f"{what}: blob {descriptor.digest}", response)
                    skip = received if response.status_code == 200 else _range_start(response, received)
                    for chunk in response.iter_raw(_CHUNK):
                        if skip:
                            # The registry ignored our Range: drop what we already have.
                            cut = min(skip, len(chunk))
                            chunk, skip = chunk[cut:], skip - cut
                            if not chunk:
                                continue
                        if cancel is not None and cancel.is_set():
                            raise _Cancelled(f"{what}: cancelled")
                        if received + len(chunk) > descriptor.size:
                            raise BlobVerificationError(
                                f"{what}: blob {descriptor.digest} is larger than the {descriptor.size} bytes "
                                "its descriptor says; refused, nothing was stored"
                            )
                        blob.write(chunk)
                        received += len(chunk)
                break
            except httpx.TransportError as error:
                if cancel is not None and cancel.is_set():
                    raise _Cancelled(f"{what}: cancelled") from None
                # The connection dropped mid-body: resume from what we have, a bounded number of times.
                failures += 1
                if failures > client.options.retries:
                    raise RegistryUnreachableError(
                        f"{what}: the download of blob {descriptor.digest} broke off {failures} times "
                        f"({error or type(error).__name__}); nothing was stored",
                        hint="try again; check the network or the registry",
                    ) from None
                time.sleep(client.options.backoff * (2 ** (failures - 1)))
        try:
            blob.commit(descriptor.digest, descriptor.size)
        except CorruptBlobError as error:
            raise BlobVerificationError(
                f"{what}: blob from {client.domain} failed verification: {error.message}; "
                "refused, nothing was stored",
                hint="the registry holds damaged content or something altered it in transit",
            ) from None
    return received


def _range_start(response: httpx.Response, wanted: int) -> int:
    """Bytes to skip in a 206 answer: none, since it must start where we asked (anything else is refused)."""
    value = response.headers.get("content-range", "")
    try:
        start = int(value.split(" ", 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        raise RegistryError(f"bad Content-Range {value!r} in a partial answer") from None
    if start != wanted:
        raise RegistryError(f"asked for bytes from {wanted}, the registry sent from {start}")
    return 0


def pull(
    store: Store,
    ref: str | Reference,
    *,
    platform: Platform | None = None,
    options: RegistryOptions | None = None,
    tag: bool = True,
    progress: Progress | None = None,
    strict_platform: bool = True,
) -> PulledImage:
    """Pull `ref` for `platform` (default: this machine's) into `store`; tag it under its local name.

    A single-platform image for another platform than an explicit `platform` is refused, unless
    `strict_platform` is off (FROM takes it, as BuildKit does, and the caller may warn: see `.platform`).
    """
    reference = ref if isinstance(ref, Reference) else Reference.parse(ref)
    target = platform or host_platform()
    options = options or RegistryOptions()
    what = f"pull {reference.familiar()}"
    with RegistryClient(reference.domain, options) as client, store.lease():
        top = fetch_manifest(client, reference.path, reference.digest or reference.tag or "latest", what=what)
        index_descriptor: Descriptor | None = None
        manifest_remote = top
        if top.descriptor.media_type in mediatypes.INDEXES:
            index_descriptor = top.descriptor
            chosen = choose_platform(Index.from_json(_json(top.data)), target, what=what)
            manifest_remote = fetch_manifest(client, reference.path, chosen.digest, what=what)
        manifest = Manifest.from_json(_json(manifest_remote.data))
        if manifest_remote.descriptor.media_type not in mediatypes.MANIFESTS:
            raise RegistryError(
                f"{what}: {manifest_remote.descriptor.media_type or 'the manifest'} is not an image manifest",
                hint="pybuildkit pulls OCI and Docker schema 2 images",
            )
        blobs = _unique([manifest.config, *manifest.layers])
        # The config first: it says the platform, and a wrong one should cost no layer download.
        downloaded = fetch_blob(client, store, reference.path, manifest.config, what=what)
        count = 1 if downloaded else 0
        config = Image.from_json(_json(store.read_blob(manifest.config.digest, size=manifest.config.size)))
        if strict_platform and platform is not None and config.os and not config.platform.matches(platform):
            raise PlatformNotFoundError(
                f"{what}: the image is for {config.platform}, not {platform}",
                hint=f"pull it with --platform {config.platform}, or use an image built for {platform}",
            )
        if progress is not None:
            progress(
                BlobEvent(
                    action="downloaded" if downloaded else "present",
                    digest=manifest.config.digest,
                    size=manifest.config.size,
                )
            )
        layers = [item for item in blobs if item.digest != manifest.config.digest]
        cancel = CancelToken()
        concurrency = max(1, options.concurrency)
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="pull") as pool:
            try:
                futures = [
                    pool.submit(fetch_blob, client, store, reference.path, item, what=what, cancel=cancel)
                    for item in layers
                ]
                errors: list[BaseException] = []
                for item, future in zip(layers, futures, strict=True):
                    try:
                        size = future.result()
                    except BaseException as error:
                        # Stop the other downloads (their temp files are removed), report the first failure.
                        cancel.set()
                        errors.append(error)
                        continue
                    downloaded += size
                    count += 1 if size else 0
                    if progress is not None:
                        progress(
                            BlobEvent(
                                action="downloaded" if size else "present", digest=item.digest, size=item.size
                            )
                        )
                if errors:
                    raise next((item for item in errors if not isinstance(item, _Cancelled)), errors[0])
            except BaseException:
                # Ctrl-C anywhere here: cut the running downloads so the pool's exit does not wait on them.
                cancel.set()
                raise
        # Manifests go in last, so a stored manifest always has its blobs.
        store.put_bytes(manifest_remote.data)
        if index_descriptor is not None:
            store.put_bytes(top.data)
        stored_platform = config.platform if config.os else target
        descriptor = Descriptor(
            media_type=manifest_remote.descriptor.media_type,
            digest=manifest_remote.descriptor.digest,
            size=manifest_remote.descriptor.size,
            platform=Platform(
                os=stored_platform.os,
                architecture=stored_platform.architecture,
                variant=stored_platform.variant,
            ),
        )
        if tag and reference.tag is not None:
            store.tag(local_name(str(reference.with_digest(None))), descriptor)
        record_sources(store, reference.name, [item.digest for item in _unique(blobs)])
        return PulledImage(
            reference=reference.with_digest(top.descriptor.digest),
            descriptor=descriptor,
            index=index_descriptor,
            platform=stored_platform,
            bytes_downloaded=downloaded,
            blobs_downloaded=count,
        )


def ensure_image(
    store: Store,
    ref: str | Reference,
    *,
    platform: Platform | None = None,
    refresh: bool = False,
    options: RegistryOptions | None = None,
    progress: Progress | None = None,
) -> PulledImage:
    """The image `ref` names, for `FROM`: from the store with no network request when it was resolved
    before (or is pinned by a digest the store holds), else pulled. `refresh` (`--pull`) checks the registry
    and pulls only when the reference now points elsewhere."""
    reference = ref if isinstance(ref, Reference) else Reference.parse(ref)
    target = platform or host_platform()
    key = f"{RESOLVE_KEY_PREFIX}{reference}|{target}"
    record = store.cache_get(key)
    known = _from_record(record, reference, target) if record is not None else None
    if known is not None and refresh and reference.digest is None:
        options = options or RegistryOptions()
        with RegistryClient(reference.domain, options) as client:
            what = f"check {reference.familiar()}"
            current = head_manifest(client, reference.path, reference.tag or "latest", what=what)
        if current is None or current != known.reference.digest:
            known = None
    if known is not None:
        return known
    pulled = pull(
        store, reference, platform=target, options=options, progress=progress, strict_platform=False
    )
    stored = store.load(pulled.descriptor)
    blobs = [
        pulled.descriptor.digest,
        stored.manifest.config.digest,
        *(item.digest for item in stored.layers),
    ]
    store.cache_put(
        key,
        {
            "reference": str(pulled.reference),
            "manifest": pulled.descriptor.to_json(),
            "index": pulled.index.to_json() if pulled.index is not None else None,
        },
        blobs=blobs,
    )
    return pulled


def _from_record(record: dict[str, object], reference: Reference, target: Platform) -> PulledImage | None:
    try:
        descriptor = Descriptor.from_json(record["manifest"])
        index = record.get("index")
        pinned = Reference.parse(str(record["reference"]))
        return PulledImage(
            reference=pinned,
            descriptor=descriptor,
            index=Descriptor.from_json(index) if index is not None else None,
            platform=descriptor.platform or target,
        )
    except (KeyError, TypeError, ValueError, RegistryError, InvalidImageError):
        # A damaged record is a cache miss, never a failed build.
        return None


def _unique(items: list[Descriptor]) -> list[Descriptor]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.digest not in seen:
            seen.add(item.digest)
            out.append(item)
    return out


def _json(data: bytes) -> object:
    import json

    try:
        return json.loads(data)
    except ValueError as error:
        raise InvalidImageError(f"not JSON: {error}") from None
