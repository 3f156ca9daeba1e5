"""The local content store: blobs by digest, tags, a step-cache area, and garbage collection.

Layout under the root (itself an OCI image layout, so `umoci`/`skopeo` can read a store directly):

    oci-layout, index.json      tags: one descriptor per name, annotated `org.opencontainers.image.ref.name`
    blobs/sha256/<hex>          content, written once (temp, fsync, rename) and verified when read
    cache/<hex>.json            step cache records (key → record), see `cache_put`
    tmp/                        temp files, each flock-ed by its writer while in use
    gc.lock, refs.lock          flock files: builds hold gc.lock shared (`lease`), prune exclusive

Two builds may run at once: blobs are content-addressed, so two writers of one blob both rename identical
bytes into place; tag updates read-modify-write index.json under refs.lock.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from pybuildkit.errors import StoreError
from pybuildkit.image import mediatypes
from pybuildkit.image.digest import canonical_json, check_digest, digest_hex, is_digest, sha256_digest
from pybuildkit.image.platform import Platform, host_platform
from pybuildkit.image.reference import InvalidReferenceError, Reference, local_name
from pybuildkit.image.spec import (
    REF_NAME_ANNOTATION,
    Descriptor,
    Image,
    Index,
    InvalidImageError,
    Manifest,
    descriptor_for,
)
from pybuildkit.store.files import atomic_write, flocked, fsync_dir, open_temp, try_lock_stale

_JSON_LIMIT: Final = 8 << 20  # manifests, indexes and configs are small; refuse to slurp a layer by mistake
_CHUNK: Final = 1 << 20


def default_root() -> Path:
    """`$PYBUILDKIT_ROOT`, else `$XDG_DATA_HOME/pybuildkit`, else `~/.local/share/pybuildkit`."""
    env = os.environ.get("PYBUILDKIT_ROOT")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "pybuildkit"


class ImageNotFoundError(StoreError):
    """No image by that name in the store."""


class BlobNotFoundError(StoreError):
    """No blob with that digest in the store."""


class CorruptBlobError(StoreError):
    """A blob's content does not match its digest or size."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TaggedImage:
    """A name in the store and the manifest (or index) it points to."""

    name: str
    descriptor: Descriptor


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredImage:
    """An image read back from the store: its manifest and config (and the index it came from, if any)."""

    descriptor: Descriptor
    manifest: Manifest
    config: Image
    index: Descriptor | None = None

    @property
    def layers(self) -> tuple[Descriptor, ...]:
        return self.manifest.layers

    @property
    def id(self) -> str:
        """Docker's image ID: the config digest."""
        return self.manifest.config.digest


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneResult:
    blobs_removed: int
    bytes_freed: int
    temps_removed: int
    cache_records_removed: int
    # Snapshot caches (snapshots/, flat/, context-cache/) and leftover build/container directories removed.
    dirs_removed: int = 0


def _remove_tree(path: Path) -> int:
    """Remove a directory tree (opening up directories a RUN left without owner write or search
    permission); 1 when it is gone, 0 when it was absent or could not be removed whole."""
    if not path.is_dir():
        return 0

    def retry(function: Any, name: str, _error: Any) -> None:
        parent = os.path.dirname(name)
        with contextlib.suppress(OSError):
            os.chmod(parent, 0o700)
            if os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, 0o700)
        with contextlib.suppress(OSError):
            function(name)

    shutil.rmtree(path, onerror=retry)
    return 0 if os.path.lexists(path) else 1


class BlobWriter:
    """A blob being written: `write` chunks, then `commit()`; leaving the `with` block uncommitted removes it.

    Satisfies `pybuildkit.layers.BlobSink`, so a layer streams straight into the store.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lease = store.lease()
        self._lease.__enter__()
        try:
            self._fd, self._temp = open_temp(store.temp_dir)
        except OSError as error:
            self._lease.__exit__(None, None, None)
            raise StoreError(f"cannot write to the store at {store.root}: {error.strerror}") from error
        self._hash = hashlib.sha256()
        self._size = 0
        self._done = False

    def write(self, data: bytes | bytearray | memoryview, /) -> None:
        self._hash.update(data)
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as error:
            raise StoreError(f"cannot write to the store at {self._store.root}: {error.strerror}") from error
        self._size += len(data)

    def commit(self, expected: str | None = None, expected_size: int | None = None) -> tuple[str, int]:
        """Make the blob visible under its digest; with `expected`, refuse content with another digest."""
        digest = "sha256:" + self._hash.hexdigest()
        try:
            if expected is not None and digest != check_digest(expected):
                raise CorruptBlobError(f"content digest mismatch: expected {expected}, got {digest}")
            if expected_size is not None and expected_size != self._size:
                raise CorruptBlobError(
                    f"content size mismatch for {digest}: expected {expected_size}, got {self._size}"
                )
            os.fsync(self._fd)
            os.fchmod(self._fd, 0o444)
            final = self._store.blob_path(digest)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._temp, final)
            fsync_dir(final.parent)
        except OSError as error:
            self.discard()
            raise StoreError(f"cannot write to the store at {self._store.root}: {error.strerror}") from error
        except BaseException:
            self.discard()
            raise
        self._close()
        return digest, self._size

    def discard(self) -> None:
        if self._done:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temp)
        self._close()

    def _close(self) -> None:
        if not self._done:
            self._done = True
            os.close(self._fd)
            self._lease.__exit__(None, None, None)

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.discard()


class VerifyingReader:
    """Reads a blob and checks its digest and size at the end; a mismatch raises `CorruptBlobError`."""

    def __init__(self, file: IO[bytes], digest: str, size: int | None) -> None:
        self._file = file
        self._digest = digest
        self._size = size
        self._hash = hashlib.sha256()
        self._read = 0
        self._checked = False

    def read(self, n: int = -1) -> bytes:
        data = self._file.read(n)
        self._hash.update(data)
        self._read += len(data)
        if self._size is not None and self._read > self._size:
            raise CorruptBlobError(f"blob {self._digest} is larger than its descriptor's {self._size} bytes")
        if (not data and n != 0) or n < 0 or (self._size is not None and self._read == self._size):
            self._check()
        return data

    def readable(self) -> bool:
        return True

    def _check(self) -> None:
        if self._checked:
            return
        self._checked = True
        if "sha256:" + self._hash.hexdigest() != self._digest:
            raise CorruptBlobError(
                f"blob {self._digest} is corrupt (its content has another digest)",
                hint="remove it with `pybuildkit prune` after `pybuildkit rmi`, then rebuild or re-import",
            )
        if self._size is not None and self._read != self._size:
            raise CorruptBlobError(
                f"blob {self._digest} has {self._read} bytes, its descriptor says {self._size}"
            )

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> VerifyingReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class Store:
    """A content-addressed image store under `root` (see the module docstring for the layout)."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.temp_dir = self.root / "tmp"
        self.cache_dir = self.root / "cache"
        self._gc_roots: list[Callable[[], Iterable[str]]] = []
        self._lease_lock = threading.Lock()
        self._lease_count = 0
        self._lease_stack: contextlib.ExitStack | None = None
        try:
            self._init_layout()
        except OSError as error:
            raise StoreError(
                f"cannot use {self.root} as the image store: {error.strerror}",
                hint="choose another with --root DIR or PYBUILDKIT_ROOT",
            ) from error

    @contextlib.contextmanager
    def _os_errors(self, action: str) -> Iterator[None]:
        """Turn a file-system failure inside the store into a `StoreError` naming the store and the file."""
        try:
            yield
        except OSError as error:
            where = f" ({error.filename})" if error.filename else ""
            readonly = error.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
            raise StoreError(
                f"cannot {action} the image store at {self.root}{where}: {error.strerror or error}",
                hint="the store is read-only for you; choose a writable one with --root DIR or PYBUILDKIT_ROOT"
                if readonly
                else "check the disk and the store directory's permissions",
            ) from error

    def _init_layout(self) -> None:
        (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        self.temp_dir.mkdir(exist_ok=True)
        self.cache_dir.mkdir(exist_ok=True)
        layout = self.root / "oci-layout"
        if not layout.exists():
            atomic_write(layout, b'{"imageLayoutVersion":"1.0.0"}', temp_dir=self.temp_dir)
        if not (self.root / "index.json").exists():
            with flocked(self.root / "refs.lock"):
                if not (self.root / "index.json").exists():
                    self._write_index(Index())

    # -- leases -------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lease(self) -> Iterator[None]:
        """Keep `prune` away while held (a shared lock on gc.lock). A build holds one from start to tag."""
        with self._lease_lock:
            if self._lease_count == 0:
                stack = contextlib.ExitStack()
                with self._os_errors("write to"):
                    stack.enter_context(flocked(self.root / "gc.lock", shared=True))
                self._lease_stack = stack
            self._lease_count += 1
        try:
            yield
        finally:
            with self._lease_lock:
                self._lease_count -= 1
                if self._lease_count == 0 and self._lease_stack is not None:
                    self._lease_stack.close()
                    self._lease_stack = None

    # -- blobs --------------------------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / "sha256" / digest_hex(digest)

    def has_blob(self, digest: str) -> bool:
        return is_digest(digest) and self.blob_path(digest).is_file()

    def new_blob(self) -> BlobWriter:
        """Start writing a blob: `with store.new_blob() as blob: ...; blob.commit()`."""
        return BlobWriter(self)

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store a small blob (a config, a manifest) and return its digest and size."""
        digest = sha256_digest(data)
        if self.has_blob(digest):
            return digest, len(data)
        with self.new_blob() as blob:
            blob.write(data)
            return blob.commit()

    def ingest(
        self, stream: IO[bytes], *, expected: str | None = None, expected_size: int | None = None
    ) -> tuple[str, int]:
        """Copy a stream into the store, verifying it against `expected` when given (registry pulls, imports)."""
        if expected is not None and expected_size is not None and self.has_blob(expected):
            return expected, expected_size
        with self.new_blob() as blob:
            while chunk := stream.read(_CHUNK):
                blob.write(chunk)
            return blob.commit(expected, expected_size)

    def open_blob(self, digest: str, *, verify: bool = True, size: int | None = None) -> IO[bytes]:
        """Open a blob for streaming; with `verify`, reading to the end checks digest (and `size`)."""
        path = self.blob_path(digest)
        try:
            file = open(path, "rb")  # noqa: SIM115 (handed to the caller)
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {digest} is not in the store at {self.root}") from None
        except OSError as error:
            raise StoreError(
                f"cannot read blob {digest} in the store at {self.root}: {error.strerror}"
            ) from error
        if size is not None and os.fstat(file.fileno()).st_size != size:
            file.close()
            raise CorruptBlobError(f"blob {digest} does not have the {size} bytes its descriptor says")
        if not verify:
            return file
        return VerifyingReader(file, digest, size)  # type: ignore[return-value]

    def read_blob(self, digest: str, *, size: int | None = None) -> bytes:
        """Read a small blob whole, verified."""
        path = self.blob_path(digest)
        try:
            if path.stat().st_size > _JSON_LIMIT:
                raise StoreError(f"blob {digest} is too large to read whole")
            data = path.read_bytes()
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {digest} is not in the store at {self.root}") from None
        except OSError as error:
            raise StoreError(
                f"cannot read blob {digest} in the store at {self.root}: {error.strerror}"
            ) from error
        if sha256_digest(data) != digest:
            raise CorruptBlobError(
                f"blob {digest} is corrupt (its content has another digest)",
                hint="remove it with `pybuildkit prune` after `pybuildkit rmi`, then rebuild or re-import",
            )
        if size is not None and len(data) != size:
            raise CorruptBlobError(f"blob {digest} has {len(data)} bytes, its descriptor says {size}")
        return data

    def read_json(self, digest: str, *, size: int | None = None) -> Any:
        try:
            return json.loads(self.read_blob(digest, size=size))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidImageError(f"blob {digest} is not JSON: {error}") from error

    # -- images -------------------------------------------------------------------------------------------

    def put_image(
        self,
        image: Image,
        layers: Sequence[Descriptor],
        *,
        docker: bool = False,
        annotations: tuple[tuple[str, str], ...] = (),
    ) -> Descriptor:
        """Store an image's config and manifest (its layer blobs must be stored already); returns the manifest's
        descriptor, with the image's platform. `docker` writes Docker schema 2 media types."""
        for layer in layers:
            if not self.has_blob(layer.digest):
                raise BlobNotFoundError(f"layer {layer.digest} is not in the store")
        config = image.to_bytes()
        config_media = mediatypes.DOCKER_CONFIG if docker else mediatypes.OCI_CONFIG
        config_digest, config_size = self.put_bytes(config)
        manifest = Manifest(
            media_type=mediatypes.DOCKER_MANIFEST if docker else mediatypes.OCI_MANIFEST,
            config=Descriptor(media_type=config_media, digest=config_digest, size=config_size),
            layers=tuple(
                Descriptor(
                    media_type=mediatypes.to_docker(layer.media_type)
                    if docker
                    else mediatypes.to_oci(layer.media_type),
                    digest=layer.digest,
                    size=layer.size,
                    annotations=layer.annotations,
                    urls=layer.urls,
                )
                for layer in layers
            ),
            annotations=annotations,
        )
        data = manifest.to_bytes()
        self.put_bytes(data)
        return descriptor_for(data, manifest.media_type, platform=_platform_of(image))

    def tag(self, name: str, descriptor: Descriptor) -> str:
        """Point `name` (normalised: `app` → `app:latest`) at a stored manifest or index; returns the name."""
        key = tag_name(name)
        entry = Descriptor(
            media_type=descriptor.media_type,
            digest=descriptor.digest,
            size=descriptor.size,
            platform=descriptor.platform,
            annotations=((REF_NAME_ANNOTATION, key),),
        )
        # The lease keeps a running prune from sweeping the blob between the check below and the new ref.
        with self.lease(), self._os_errors("update"), flocked(self.root / "refs.lock"):
            if not self.has_blob(descriptor.digest):
                raise BlobNotFoundError(f"cannot tag {key}: {descriptor.digest} is not in the store")
            index = self._read_index()
            kept = tuple(item for item in index.manifests if item.annotation(REF_NAME_ANNOTATION) != key)
            self._write_index(Index(manifests=tuple(sorted((*kept, entry), key=_ref_name))))
        return key

    def images(self) -> tuple[TaggedImage, ...]:
        """Every tagged image, sorted by name."""
        out = []
        for item in self._read_index().manifests:
            name = item.annotation(REF_NAME_ANNOTATION)
            if name:
                out.append(TaggedImage(name=name, descriptor=_without_ref(item)))
        return tuple(sorted(out, key=lambda tagged: tagged.name))

    def resolve(self, ref: str) -> Descriptor:
        """The descriptor a name points to: `app`, `app:1`, `app@sha256:...`, `sha256:...`, or an ID prefix."""
        if is_digest(ref):
            return self._describe_blob(ref)
        tagged = self.images()
        try:
            parsed = Reference.parse(ref)
        except InvalidReferenceError:
            parsed = None
        if parsed is not None:
            if parsed.digest is not None:
                if self.has_blob(parsed.digest):
                    return self._describe_blob(parsed.digest)
            else:
                key = tag_name(ref)
                for item in tagged:
                    if item.name == key:
                        return item.descriptor
        # A short hex ID, as `docker images` prints (a prefix of the manifest digest).
        prefix = ref.removeprefix("sha256:")
        if 4 <= len(prefix) <= 64 and all(char in "0123456789abcdef" for char in prefix):
            matches = {
                item.descriptor.digest: item.descriptor
                for item in tagged
                if digest_hex(item.descriptor.digest).startswith(prefix)
            }
            if len(matches) == 1:
                return next(iter(matches.values()))
        names = [item.name for item in tagged]
        raise ImageNotFoundError(
            f"no image {ref!r} in the store at {self.root}",
            hint=_suggest(ref, names)
            or "list images with `pybuildkit images`, or import one with `pybuildkit import`",
        )

    def remove(self, name: str) -> Descriptor:
        """Remove a tag (the blobs stay until `prune`); returns what it pointed to."""
        key = tag_name(name)
        with self._os_errors("update"), flocked(self.root / "refs.lock"):
            index = self._read_index()
            gone = [item for item in index.manifests if item.annotation(REF_NAME_ANNOTATION) == key]
            if not gone:
                raise ImageNotFoundError(f"no image {name!r} in the store at {self.root}")
            kept = tuple(item for item in index.manifests if item.annotation(REF_NAME_ANNOTATION) != key)
            self._write_index(Index(manifests=kept))
        return _without_ref(gone[0])

    def load(self, ref: str | Descriptor, *, platform: Platform | None = None) -> StoredImage:
        """Read an image's manifest and config (choosing `platform`, default the host's, from an index)."""
        descriptor = self.resolve(ref) if isinstance(ref, str) else ref
        index_descriptor: Descriptor | None = None
        value = self.read_json(descriptor.digest, size=descriptor.size)
        if _is_index(descriptor.media_type, value):
            index_descriptor = descriptor
            descriptor = select_platform(Index.from_json(value), platform or host_platform(), self)
            value = self.read_json(descriptor.digest, size=descriptor.size)
        manifest = Manifest.from_json(value)
        config = Image.from_json(self.read_json(manifest.config.digest, size=manifest.config.size))
        return StoredImage(descriptor=descriptor, manifest=manifest, config=config, index=index_descriptor)

    def _describe_blob(self, digest: str) -> Descriptor:
        data = self.read_blob(digest)
        try:
            value = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise StoreError(f"{digest} is not a manifest or an index") from None
        if not isinstance(value, dict) or value.get("schemaVersion") != 2:
            raise StoreError(f"{digest} is not a manifest or an index")
        media = value.get("mediaType") or (
            mediatypes.OCI_INDEX if "manifests" in value else mediatypes.OCI_MANIFEST
        )
        return Descriptor(media_type=str(media), digest=digest, size=len(data))

    def _read_index(self) -> Index:
        path = self.root / "index.json"
        damaged = (
            "restore it from a backup, or move it aside to start over with no tags "
            "(the blobs stay; `pybuildkit prune` then frees them)"
        )
        try:
            value = json.loads(path.read_bytes())
        except FileNotFoundError:
            return Index()
        except OSError as error:
            raise StoreError(f"cannot read {path}: {error.strerror}", hint=damaged) from error
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise StoreError(f"{path} is damaged (not JSON: {error})", hint=damaged) from error
        try:
            return Index.from_json(value)
        except (InvalidImageError, ValueError, TypeError, KeyError) as error:
            reason = error.message if isinstance(error, InvalidImageError) else str(error)
            raise StoreError(f"{path} is damaged ({reason})", hint=damaged) from error

    def _write_index(self, index: Index) -> None:
        with self._os_errors("update"):
            atomic_write(self.root / "index.json", index.to_bytes(), temp_dir=self.temp_dir)

    # -- step cache -------------------------------------------------------------------------------------

    def _cache_path(self, key: str) -> Path:
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def cache_put(self, key: str, record: Mapping[str, Any], *, blobs: Iterable[str] = ()) -> None:
        """Remember `record` (JSON-able) under `key`; `blobs` (digests) are kept alive by `prune` while it lives.
        A manifest or index digest keeps everything it points to."""
        value = {"key": key, "record": dict(record), "blobs": sorted({check_digest(item) for item in blobs})}
        with self.lease(), self._os_errors("write to"):
            atomic_write(self._cache_path(key), canonical_json(value), temp_dir=self.temp_dir)

    def cache_get(self, key: str) -> dict[str, Any] | None:
        """The record stored under `key`, or None (also when its blobs have gone)."""
        try:
            value = json.loads(self._cache_path(key).read_bytes())
        except (FileNotFoundError, UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(value, dict) or value.get("key") != key:
            return None
        if not all(self.has_blob(item) for item in value.get("blobs", ())):
            return None
        record = value.get("record")
        return record if isinstance(record, dict) else None

    def cache_delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._cache_path(key).unlink()

    def _cache_records(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        for path in sorted(self.cache_dir.glob("*.json")):
            try:
                value = json.loads(path.read_bytes())
            except (FileNotFoundError, UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(value, dict):
                yield path, value

    # -- garbage collection -------------------------------------------------------------------------------

    def add_gc_roots(self, provider: Callable[[], Iterable[str]]) -> None:
        """Register more digests `prune` must keep (for example a cache that lives elsewhere)."""
        self._gc_roots.append(provider)

    def prune(self, *, cache: bool = False, wait: bool = False) -> PruneResult:
        """Delete blobs no tag, cache record or registered root reaches, leftover temp files and build
        directories, and the caches builds recreate on demand (`snapshots/`, `flat/`, `context-cache/`,
        `containers/`).

        With `cache`, the step cache and the cache mounts are emptied too. Refuses (unless `wait`) while a
        build holds a lease.
        """
        with self._os_errors("prune"), flocked(self.root / "gc.lock", blocking=wait) as locked:
            if not locked:
                raise StoreError(
                    f"the store at {self.root} is in use by a build",
                    hint="run `pybuildkit prune` when it ends",
                )
            records_removed = 0
            roots: set[str] = {item.descriptor.digest for item in self.images()}
            for path, value in self._cache_records():
                if cache:
                    path.unlink(missing_ok=True)
                    records_removed += 1
                else:
                    roots.update(str(item) for item in value.get("blobs", ()) if is_digest(str(item)))
            for provider in self._gc_roots:
                roots.update(provider())
            live = self._mark(roots)
            removed = freed = 0
            for path in (self.root / "blobs" / "sha256").iterdir():
                if f"sha256:{path.name}" in live or path.name.endswith(".tmp"):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    freed += path.stat().st_size
                    path.unlink()
                    removed += 1
            temps = 0
            dirs = 0
            for path in self.temp_dir.iterdir():
                if path.is_dir() and not path.is_symlink():
                    # A build's or a snapshot's work directory: every build holds a lease (a shared lock
                    # on gc.lock) while it runs, so under the exclusive lock any left here is a leftover.
                    dirs += _remove_tree(path)
                elif try_lock_stale(path):
                    path.unlink(missing_ok=True)
                    temps += 1
            # Caches a build recreates on demand: unpacked layers, flattened stacks, context digests.
            for name in ("snapshots", "flat", "context-cache", "containers") + (
                ("cache-mounts",) if cache else ()
            ):
                dirs += _remove_tree(self.root / name)
        return PruneResult(
            blobs_removed=removed,
            bytes_freed=freed,
            temps_removed=temps,
            cache_records_removed=records_removed,
            dirs_removed=dirs,
        )

    def verify(self) -> tuple[str, ...]:
        """Check the store is consistent: every tag's blobs present, every blob's content matching its digest,
        no temp file left without a writer. Returns the problems found (empty when all is well)."""
        problems: list[str] = []
        for tagged in self.images():
            pending = [tagged.descriptor.digest]
            seen: set[str] = set()
            while pending:
                digest = pending.pop()
                if digest in seen:
                    continue
                seen.add(digest)
                if not self.has_blob(digest):
                    problems.append(f"{tagged.name}: blob {digest} is missing")
                    continue
                pending.extend(self._children(digest))
        blobs = self.root / "blobs" / "sha256"
        for path in sorted(blobs.iterdir()):
            digest = f"sha256:{path.name}"
            try:
                with open(path, "rb") as file:
                    hasher = hashlib.sha256()
                    while chunk := file.read(_CHUNK):
                        hasher.update(chunk)
            except OSError as error:
                problems.append(f"blob {digest} cannot be read: {error.strerror}")
                continue
            if not is_digest(digest) or hasher.hexdigest() != path.name:
                problems.append(f"blob {digest} is corrupt (its content has another digest)")
        problems.extend(self._leftovers())
        return tuple(problems)

    def _leftovers(self) -> list[str]:
        """Temp files no writer holds, and (when no build is running) work directories left in tmp/."""
        try:
            with flocked(self.root / "gc.lock", blocking=False) as idle:
                return [
                    f"{'work directory' if path.is_dir() else 'temp file'} {path.name} was left behind"
                    for path in sorted(self.temp_dir.iterdir())
                    if (idle if path.is_dir() and not path.is_symlink() else try_lock_stale(path))
                ]
        except OSError:  # a store we may not lock (read-only): judge the files by their own locks only
            return [
                f"temp file {path.name} was left behind"
                for path in sorted(self.temp_dir.iterdir())
                if path.is_file() and try_lock_stale(path)
            ]

    def _mark(self, roots: Iterable[str]) -> set[str]:
        live: set[str] = set()
        pending = [digest for digest in roots if is_digest(digest)]
        while pending:
            digest = pending.pop()
            if digest in live or not self.has_blob(digest):
                continue
            live.add(digest)
            pending.extend(self._children(digest))
        return live

    def _children(self, digest: str) -> list[str]:
        path = self.blob_path(digest)
        try:
            if path.stat().st_size > _JSON_LIMIT:
                return []
            with open(path, "rb") as file:
                if file.read(1) != b"{":
                    return []
                value = json.loads(b"{" + file.read())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return []
        if not isinstance(value, dict) or value.get("schemaVersion") != 2:
            return []
        children: list[str] = []
        config = value.get("config")
        if isinstance(config, dict):
            children.append(str(config.get("digest", "")))
        for key in ("layers", "manifests"):
            for item in value.get(key) or ():
                if isinstance(item, dict):
                    children.append(str(item.get("digest", "")))
        subject = value.get("subject")
        if isinstance(subject, dict):
            children.append(str(subject.get("digest", "")))
        return [child for child in children if is_digest(child)]


def select_platform(index: Index, platform: Platform, store: Store | None = None) -> Descriptor:
    """The manifest of `index` for `platform` (attestation manifests, platform `unknown/unknown`, are skipped)."""
    candidates = [item for item in index.manifests if item.media_type not in mediatypes.INDEXES]
    for item in candidates:
        if item.platform is not None and item.platform.matches(platform):
            return item
    untyped = [item for item in candidates if item.platform is None]
    if len(untyped) == 1 and len(candidates) == 1:
        return untyped[0]
    available = ", ".join(str(item.platform) for item in candidates if item.platform is not None) or "none"
    raise ImageNotFoundError(
        f"the image has no manifest for {platform}", hint=f"platforms in the image: {available}"
    )


def _platform_of(image: Image) -> Platform | None:
    if not image.os or not image.architecture:
        return None
    return Platform(os=image.os, architecture=image.architecture, variant=image.variant)


def _is_index(media_type: str, value: object) -> bool:
    if media_type in mediatypes.INDEXES:
        return True
    return isinstance(value, dict) and "manifests" in value and "config" not in value


def tag_name(name: str) -> str:
    """The key a name is stored under (`app` → `app:latest`); `StoreError` for a name that is not a reference.
    Commands check every name with it before they write anything, so a bad `-t` leaves the store unchanged."""
    try:
        return local_name(name)
    except InvalidReferenceError as error:
        raise StoreError(error.message, hint=error.hint) from None


def _ref_name(item: Descriptor) -> str:
    return item.annotation(REF_NAME_ANNOTATION) or ""


def _without_ref(item: Descriptor) -> Descriptor:
    return Descriptor(
        media_type=item.media_type,
        digest=item.digest,
        size=item.size,
        platform=item.platform,
        annotations=tuple(pair for pair in item.annotations if pair[0] != REF_NAME_ANNOTATION),
    )


def _suggest(ref: str, names: Sequence[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(ref, names, n=3) or difflib.get_close_matches(
        _safe_tag(ref), names, n=3
    )
    return f"did you mean {', '.join(close)}?" if close else None


def _safe_tag(ref: str) -> str:
    try:
        return local_name(ref)
    except InvalidReferenceError:
        return ref
