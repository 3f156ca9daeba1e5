"""Push: blobs first (skipped when the registry has them, mounted from another repository when we know one
that holds them, else uploaded monolithically or in chunks), then manifests, children of an index before it.

Upload protocol (OCI distribution spec): `POST /v2/<name>/blobs/uploads/` opens a session (202 + Location);
a monolithic upload is one `PUT <location>?digest=<d>` with the whole body; a chunked one is `PATCH`es with
`Content-Range: <start>-<end>`, each answer giving the next Location, closed by an empty `PUT ?digest=`.
A mount is `POST /v2/<name>/blobs/uploads/?mount=<d>&from=<repo>`: 201 when the registry linked the blob,
202 (a plain upload session) when it could not. Bodies stream from the store; a layer is never in memory.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import httpx

from pybuildkit.image import mediatypes
from pybuildkit.image.reference import Reference
from pybuildkit.image.spec import Descriptor, Index, Manifest
from pybuildkit.registry.auth import repository_scope
from pybuildkit.registry.client import RegistryClient, RegistryOptions
from pybuildkit.registry.errors import BlobVerificationError, RegistryError, UnauthorizedError
from pybuildkit.registry.pull import BlobEvent, Progress
from pybuildkit.registry.sources import blob_sources, record_sources
from pybuildkit.store import Store

_READ: Final = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class PushResult:
    """Where the image went: `reference` carries the pushed manifest's (or index's) digest."""

    reference: Reference
    descriptor: Descriptor
    bytes_uploaded: int = 0
    blobs_uploaded: int = 0
    blobs_mounted: int = 0
    blobs_existing: int = 0


def push(
    store: Store,
    source: str | Descriptor,
    dest: str | Reference | None = None,
    *,
    options: RegistryOptions | None = None,
    progress: Progress | None = None,
) -> PushResult:
    """Push the stored image `source` (a name in the store, or a manifest/index descriptor) to `dest`
    (default: `source` read as a reference, so `pybuildkit push 127.0.0.1:5000/app:1` pushes that tag)."""
    if isinstance(source, Descriptor):
        if dest is None:
            raise RegistryError("push: a destination reference is needed to push a descriptor")
        root = source
    else:
        root = store.resolve(source)
    reference = (
        dest if isinstance(dest, Reference) else Reference.parse(dest if dest is not None else str(source))
    )
    options = options or RegistryOptions()
    with RegistryClient(reference.domain, options) as client, store.lease():
        pusher = _Pusher(client, store, reference, progress)
        pusher.push_tree(root)
        target = reference.digest if reference.tag is None and reference.digest else reference.tag or "latest"
        pusher.put_manifest(root, target)
        return PushResult(
            reference=reference.with_digest(root.digest),
            descriptor=root,
            bytes_uploaded=pusher.uploaded,
            blobs_uploaded=pusher.counts["uploaded"],
            blobs_mounted=pusher.counts["mounted"],
            blobs_existing=pusher.counts["exists"],
        )


def push_all(
    store: Store,
    source: str | Descriptor,
    names: Sequence[str],
    *,
    options: RegistryOptions | None = None,
    progress: Progress | None = None,
) -> tuple[PushResult, ...]:
    """Push one stored image under several names (`build --push -t a -t b`, `--output type=image,push=true`).
    Blobs go up once per repository; a second tag in the same repository only PUTs the manifest."""
    return tuple(push(store, source, name, options=options, progress=progress) for name in names)


class _Pusher:
    def __init__(self, client: RegistryClient, store: Store, reference: Reference, progress: Progress | None):
        self.client = client
        self.store = store
        self.reference = reference
        self.path = reference.path
        self.progress = progress
        self.what = f"push {reference.familiar()}"
        self.uploaded = 0
        self.counts = {"uploaded": 0, "mounted": 0, "exists": 0}
        self.sources = blob_sources(store)
        self._lock = threading.Lock()

    @property
    def scopes(self) -> tuple[str, ...]:
        return (repository_scope(self.path, ("pull", "push")),)

    def push_tree(self, root: Descriptor) -> None:
        """Every blob the manifest (or each manifest of the index) needs, then the index's manifests."""
        value = self.store.read_json(root.digest, size=root.size)
        if root.media_type in mediatypes.INDEXES or (isinstance(value, dict) and "manifests" in value):
            children = Index.from_json(value).manifests
            for child in children:
                self.push_tree(child)
            for child in children:
                self.put_manifest(child, child.digest)
            return
        manifest = Manifest.from_json(value)
        self.push_blobs([manifest.config, *manifest.layers])

    def push_blobs(self, blobs: list[Descriptor]) -> None:
        unique = list({item.digest: item for item in blobs}.values())
        workers = max(1, self.client.options.concurrency)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push") as pool:
            results = list(pool.map(self._push_blob_safe, unique))
        errors = [item for item in results if isinstance(item, BaseException)]
        if errors:
            raise errors[0]
        record_sources(self.store, self.reference.name, [item.digest for item in unique])

    def _push_blob_safe(self, blob: Descriptor) -> BaseException | None:
        try:
            action, sent = push_blob(
                self.client,
                self.store,
                self.path,
                blob,
                what=self.what,
                mount_from=tuple(self.sources.get(blob.digest, ())),
            )
        except BaseException as error:  # reported after the other uploads end
            return error
        with self._lock:
            self.counts[action] += 1
            self.uploaded += sent
        if self.progress is not None:
            self.progress(BlobEvent(action=action, digest=blob.digest, size=blob.size))
        return None

    def put_manifest(self, descriptor: Descriptor, target: str) -> None:
        data = self.store.read_blob(descriptor.digest, size=descriptor.size)
        media_type = descriptor.media_type or _declared_type(data)
        response, body = self.client.request(
            "PUT",
            f"/v2/{self.path}/manifests/{target}",
            scopes=self.scopes,
            headers={"Content-Type": media_type},
            content=lambda: data,
            what=self.what,
        )
        if response.status_code not in (200, 201, 202):
            raise self.client.fail(f"{self.what}: manifest {descriptor.digest}", response, body)
        announced = response.headers.get("docker-content-digest", "")
        if announced and announced != descriptor.digest:
            raise BlobVerificationError(
                f"{self.what}: the registry filed the manifest as {announced}, not {descriptor.digest}"
            )


def _declared_type(data: bytes) -> str:
    value = json.loads(data)
    if isinstance(value, dict) and isinstance(value.get("mediaType"), str):
        return str(value["mediaType"])
    return (
        mediatypes.OCI_INDEX if isinstance(value, dict) and "manifests" in value else mediatypes.OCI_MANIFEST
    )


def blob_exists(client: RegistryClient, path: str, digest: str, *, what: str) -> bool:
    """HEAD the blob in `path`."""
    response, body = client.request(
        "HEAD", f"/v2/{path}/blobs/{digest}", scopes=(repository_scope(path, ("pull", "push")),), what=what
    )
    if response.status_code == 200:
        return True
    if response.status_code == 404:
        return False
    raise client.fail(f"{what}: blob {digest}", response, body)


def push_blob(
    client: RegistryClient,
    store: Store,
    path: str,
    blob: Descriptor,
    *,
    what: str,
    mount_from: tuple[str, ...] = (),
) -> tuple[str, int]:
    """Put one stored blob into `path`; returns (`exists` | `mounted` | `uploaded`, bytes sent)."""
    if blob_exists(client, path, blob.digest, what=what):
        return "exists", 0
    location: str | None = None
    for source in mount_from:
        domain, _, repo = source.partition("/")
        if domain != client.domain or repo == path or not repo:
            continue
        mounted, location = _try_mount(client, path, repo, blob.digest, what=what)
        if mounted:
            return "mounted", 0
        break
    last: RegistryError | None = None
    # One fresh session after a failed one: a dropped upload leaves the old session unusable.
    for _attempt in range(2):
        try:
            if location is None:
                location = _start_upload(client, path, what=what)
            if client.options.chunk_size > 0:
                _upload_chunked(client, store, path, blob, location, what=what)
            else:
                _upload_monolithic(client, store, path, blob, location, what=what)
            return "uploaded", blob.size
        except UnauthorizedError:
            raise
        except RegistryError as error:
            last, location = error, None
    assert last is not None
    raise last


def _try_mount(
    client: RegistryClient, path: str, source: str, digest: str, *, what: str
) -> tuple[bool, str | None]:
    scopes = (repository_scope(path, ("pull", "push")), repository_scope(source, ("pull",)))
    try:
        response, _ = client.request(
            "POST",
            f"/v2/{path}/blobs/uploads/",
            scopes=scopes,
            params={"mount": digest, "from": source},
            what=what,
        )
    except UnauthorizedError:
        return False, None  # no rights on the source repository: upload instead
    if response.status_code == 201:
        return True, None
    if response.status_code == 202:
        return False, _location(client, response)
    return False, None


def _start_upload(client: RegistryClient, path: str, *, what: str) -> str:
    response, body = client.request(
        "POST", f"/v2/{path}/blobs/uploads/", scopes=(repository_scope(path, ("pull", "push")),), what=what
    )
    if response.status_code != 202:
        raise client.fail(f"{what}: start of an upload", response, body)
    return _location(client, response)


def _location(client: RegistryClient, response: httpx.Response) -> str:
    location = response.headers.get("location")
    if not location:
        raise RegistryError(f"{client.domain} opened an upload without a Location")
    return str(response.request.url.join(location))


def _file_chunks(
    store: Store, blob: Descriptor, start: int = 0, length: int | None = None
) -> Iterator[bytes]:
    remaining = blob.size - start if length is None else length
    with store.open_blob(blob.digest, verify=False, size=blob.size) as file:
        file.seek(start)
        while remaining > 0:
            data = file.read(min(_READ, remaining))
            if not data:
                raise RegistryError(f"blob {blob.digest} ended early in the store")
            remaining -= len(data)
            yield data


def _upload_monolithic(
    client: RegistryClient, store: Store, path: str, blob: Descriptor, location: str, *, what: str
) -> None:
    response, body = client.request(
        "PUT",
        location,
        scopes=(repository_scope(path, ("pull", "push")),),
        params={"digest": blob.digest},
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(blob.size)},
        content=lambda: _file_chunks(store, blob),
        what=what,
    )
    if response.status_code != 201:
        raise client.fail(f"{what}: upload of blob {blob.digest}", response, body)


def _upload_chunked(
    client: RegistryClient, store: Store, path: str, blob: Descriptor, location: str, *, what: str
) -> None:
    scopes = (repository_scope(path, ("pull", "push")),)
    size = client.options.chunk_size
    offset = 0
    while offset < blob.size:
        length = min(size, blob.size - offset)
        start = offset
        response, body = client.request(
            "PATCH",
            location,
            scopes=scopes,
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(length),
                "Content-Range": f"{start}-{start + length - 1}",
            },
            content=lambda start=start, length=length: _file_chunks(store, blob, start, length),  # type: ignore[misc]
            what=what,
        )
        if response.status_code != 202:
            raise client.fail(
                f"{what}: chunk {start}-{start + length - 1} of blob {blob.digest}", response, body
            )
        location = _location(client, response)
        offset += length
    response, body = client.request(
        "PUT",
        location,
        scopes=scopes,
        params={"digest": blob.digest},
        headers={"Content-Length": "0"},
        what=what,
    )
    if response.status_code != 201:
        raise client.fail(f"{what}: end of the upload of blob {blob.digest}", response, body)
