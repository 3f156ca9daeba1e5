"""Importers: images into the store from an OCI layout (directory or archive), a docker-archive, or a root
filesystem (`pybuildkit import`, like `docker import`: one layer, a minimal config).

`import_source` reads the URI forms buildx gives named build contexts: `oci-layout://DIR[:tag|@digest]`,
`docker-archive://FILE`, and `oci-archive://FILE[:tag]`.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from pybuildkit.errors import PyBuildKitError
from pybuildkit.image import mediatypes
from pybuildkit.image.digest import is_digest, sha256_digest
from pybuildkit.image.platform import Platform, host_platform
from pybuildkit.image.spec import (
    REF_NAME_ANNOTATION,
    Descriptor,
    History,
    Image,
    ImageConfig,
    Index,
    Manifest,
    descriptor_for,
)
from pybuildkit.layers.compression import GZIP, Compression, open_decompressed
from pybuildkit.layers.entries import LayerError, tree_entries
from pybuildkit.layers.tarcheck import TarChecker, TarFormatError
from pybuildkit.layers.writer import LayerDescriptor, compress_stream, write_layer
from pybuildkit.output.exporters import IMAGE_NAME_ANNOTATION
from pybuildkit.store.store import Store, tag_name


class ImageImportError(PyBuildKitError):
    """An image source that cannot be read (missing file, not a layout, unknown tag, bad digest)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedImage:
    """An image brought into the store: its manifest (or index) and the names its source gave it."""

    descriptor: Descriptor
    names: tuple[str, ...] = ()


def import_source(store: Store, uri: str) -> ImportedImage:
    """Import from `oci-layout://DIR[:tag|@digest]`, `oci-archive://FILE[:tag]` or `docker-archive://FILE`."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        raise ImageImportError(
            f"not an image source URI: {uri!r}", hint="use oci-layout://DIR[:tag] or docker-archive://FILE"
        )
    match scheme:
        case "oci-layout":
            path, ref = split_layout_ref(rest)
            return ImportedImage(descriptor=import_oci_layout(store, Path(path), ref=ref))
        case "oci-archive":
            path, ref = split_layout_ref(rest)
            return ImportedImage(descriptor=import_oci_archive(store, Path(path), ref=ref))
        case "docker-archive":
            images = import_docker_archive(store, Path(rest))
            if len(images) != 1:
                raise ImageImportError(
                    f"{rest} holds {len(images)} images; a build context needs exactly one"
                )
            return images[0]
        case _:
            raise ImageImportError(f"unknown image source scheme {scheme!r} in {uri!r}")


def split_layout_ref(text: str) -> tuple[str, str | None]:
    """`DIR:tag` or `DIR@sha256:...` (a colon inside the directory path is kept when no tag follows it)."""
    if "@" in text:
        path, _, digest = text.rpartition("@")
        return path, digest
    path, sep, tag = text.rpartition(":")
    if sep and tag and "/" not in tag:
        return path, tag
    return text, None


# -- OCI layouts ------------------------------------------------------------------------------------------


def _read_layout_json(root: Path, digest: str) -> Any:
    path = root / "blobs" / "sha256" / digest.split(":", 1)[1]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageImportError(f"{root} lacks blob {digest}") from None
    except OSError as error:
        raise ImageImportError(f"cannot read blob {digest} in {root}: {error.strerror or error}") from error
    if sha256_digest(data) != digest:
        raise ImageImportError(f"blob {digest} in {root} is corrupt (its content has another digest)")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImageImportError(f"blob {digest} in {root} is not JSON: {error}") from error


def _select(root: Path, index: Index, ref: str | None) -> Descriptor:
    entries = index.manifests
    if ref is not None and is_digest(ref):
        for item in entries:
            if item.digest == ref:
                return item
        value = _read_layout_json(root, ref)
        media = value.get("mediaType") or (
            mediatypes.OCI_INDEX if "manifests" in value else mediatypes.OCI_MANIFEST
        )
        size = (root / "blobs" / "sha256" / ref.split(":", 1)[1]).stat().st_size
        return Descriptor(media_type=str(media), digest=ref, size=size)
    if ref is not None:
        for item in entries:
            name = item.annotation(REF_NAME_ANNOTATION)
            full = item.annotation(IMAGE_NAME_ANNOTATION) or ""
            if ref in (name, full) or full.endswith(f":{ref}") or (name or "").endswith(f":{ref}"):
                return item
        names = sorted({item.annotation(REF_NAME_ANNOTATION) or "" for item in entries} - {""})
        raise ImageImportError(
            f"{root} has no image tagged {ref!r}", hint=f"tags in it: {', '.join(names) or 'none'}"
        )
    if len(entries) == 1:
        return entries[0]
    raise ImageImportError(
        f"{root} holds {len(entries)} images; say which", hint="append :TAG or @sha256:DIGEST to the path"
    )


def import_oci_layout(store: Store, root: Path, *, ref: str | None = None) -> Descriptor:
    """Copy one image (by tag, digest, or the only one) from an OCI layout directory into the store."""
    try:
        index = Index.from_json(json.loads((root / "index.json").read_bytes()))
    except (FileNotFoundError, NotADirectoryError):
        raise ImageImportError(
            f"{root} is not an OCI image layout (no index.json)",
            hint="name a directory written by `pybuildkit save --format oci-layout` or `skopeo copy ... oci:DIR`",
        ) from None
    except OSError as error:
        raise ImageImportError(f"cannot read {root / 'index.json'}: {error.strerror or error}") from error
    except (ValueError, PyBuildKitError) as error:
        reason = error.message if isinstance(error, PyBuildKitError) else str(error)
        raise ImageImportError(f"{root}/index.json is not valid: {reason}") from error
    chosen = _select(root, index, ref)
    # (descriptor, optional): an index may list platforms whose blobs were never copied into the layout.
    pending = [(chosen, False)]
    while pending:
        item, optional = pending.pop()
        path = root / "blobs" / "sha256" / item.digest.split(":", 1)[1]
        if not path.is_file():
            if optional or (item.media_type in mediatypes.LAYERS and item.urls):
                continue
            raise ImageImportError(f"{root} lacks blob {item.digest}")
        if item.media_type in mediatypes.INDEXES:
            pending.extend(
                (child, True) for child in Index.from_json(_read_layout_json(root, item.digest)).manifests
            )
        elif item.media_type in mediatypes.MANIFESTS:
            manifest = Manifest.from_json(_read_layout_json(root, item.digest))
            pending.append((manifest.config, False))
            pending.extend((layer, False) for layer in manifest.layers)
        with open(path, "rb") as blob:
            store.ingest(blob, expected=item.digest, expected_size=item.size)
    return _strip(chosen)


def _strip(item: Descriptor) -> Descriptor:
    return Descriptor(media_type=item.media_type, digest=item.digest, size=item.size, platform=item.platform)


@contextlib.contextmanager
def _unpacked(store: Store, archive: Path) -> Iterator[Path]:
    """Extract an image archive to a scratch directory inside the store (same filesystem, cleaned up after).
    The lease keeps `prune` from taking the directory for a leftover while the import runs."""
    with store.lease():
        scratch = Path(tempfile.mkdtemp(prefix="import-", dir=store.temp_dir))
        try:
            _extract(archive, scratch)
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _extract(archive: Path, scratch: Path) -> None:
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(scratch, filter="data")
    except FileNotFoundError:
        raise ImageImportError(f"no such file: {archive}") from None
    except IsADirectoryError:
        raise ImageImportError(
            f"{archive} is a directory, not an archive", hint="name a .tar file (or use oci-layout://DIR)"
        ) from None
    except OSError as error:
        raise ImageImportError(f"cannot read {archive}: {error.strerror or error}") from error
    except (tarfile.TarError, EOFError) as error:
        reason = "truncated" if isinstance(error, EOFError) or "truncated" in str(error) else "not a tar"
        raise ImageImportError(
            f"{archive} is not a readable tar archive ({reason})",
            hint="it was cut short, or is another kind of file; make the archive again",
        ) from error


def import_oci_archive(store: Store, archive: Path, *, ref: str | None = None) -> Descriptor:
    """`import_oci_layout` for an OCI layout packed in a tar."""
    with _unpacked(store, archive) as root:
        return import_oci_layout(store, root, ref=ref)


# -- docker-archive -----------------------------------------------------------------------------------------


def import_docker_archive(
    store: Store, archive: Path, *, compression: Compression = GZIP
) -> list[ImportedImage]:
    """Every image of a docker-archive (`docker save`), layers recompressed, tagged with its RepoTags."""
    with _unpacked(store, archive) as root:
        try:
            entries = json.loads((root / "manifest.json").read_bytes())
        except FileNotFoundError:
            raise ImageImportError(f"{archive} is not a docker-archive (no manifest.json)") from None
        if not isinstance(entries, list):
            raise ImageImportError(f"{archive}: manifest.json is not a list")
        out = []
        for entry in entries:
            config_bytes = _inside(root, str(entry.get("Config", ""))).read_bytes()
            config = Image.from_json(json.loads(config_bytes))
            layer_paths = [str(item) for item in entry.get("Layers") or ()]
            if len(layer_paths) != len(config.diff_ids):
                raise ImageImportError(
                    f"{archive}: the config lists {len(config.diff_ids)} layers, manifest.json {len(layer_paths)}"
                )
            layers: list[LayerDescriptor] = []
            for layer_path, diff_id in zip(layer_paths, config.diff_ids, strict=True):
                with (
                    open(_inside(root, layer_path), "rb") as raw,
                    open_decompressed(raw) as plain,
                    store.new_blob() as blob,
                ):
                    layer = compress_stream(plain, blob, compression=compression)
                if layer.diff_id != diff_id:
                    raise ImageImportError(
                        f"{archive}: layer {layer_path} has diff_id {layer.diff_id}, the config says {diff_id}"
                    )
                layers.append(layer)
            config_digest, config_size = store.put_bytes(config_bytes)
            manifest = Manifest(
                config=Descriptor(media_type=mediatypes.OCI_CONFIG, digest=config_digest, size=config_size),
                layers=tuple(layer.descriptor() for layer in layers),
            )
            data = manifest.to_bytes()
            store.put_bytes(data)
            descriptor = descriptor_for(
                data, manifest.media_type, platform=config.platform if config.os else None
            )
            names = tuple(str(tag) for tag in entry.get("RepoTags") or ())
            for name in names:
                store.tag(name, descriptor)
            out.append(ImportedImage(descriptor=descriptor, names=names))
        return out


def _import_tar(store: Store, raw: IO[bytes], label: str, compression: Compression) -> LayerDescriptor:
    """A rootfs tar (compressed or not) as one layer, its structure checked as it streams (nothing is stored
    when it is not a tar, cannot be decompressed, or is cut short)."""
    try:
        with open_decompressed(_reading(raw, label)) as plain, store.new_blob() as blob:
            return compress_stream(
                _reading(plain, label), blob, compression=compression, check=TarChecker(label)
            )
    except TarFormatError as error:
        raise ImageImportError(error.message, hint=error.hint) from error


def _reading(stream: IO[bytes], label: str) -> IO[bytes]:
    return cast(IO[bytes], _ReadErrors(stream, label))


class _ReadErrors:
    """A reader that reports a failing source (unreadable, or compressed data that is damaged or cut short)
    as an `ImageImportError` naming it, instead of the decompressor's own exception."""

    def __init__(self, stream: IO[bytes], label: str) -> None:
        self._stream = stream
        self._label = label

    def read(self, n: int = -1) -> bytes:
        try:
            return self._stream.read(n)
        except LayerError as error:
            raise ImageImportError(f"{self._label}: {error.message}", hint=error.hint) from error
        except PyBuildKitError:
            raise
        except EOFError:
            raise ImageImportError(
                f"{self._label} is truncated: its compressed data ends early",
                hint="the file was cut short (an interrupted download or copy?); make it again",
            ) from None
        except OSError as error:
            reason = error.strerror or str(error)
            raise ImageImportError(f"cannot read {self._label}: {reason}") from error
        except Exception as error:
            raise ImageImportError(
                f"{self._label} is damaged: its compressed data cannot be decompressed ({error})"
            ) from error

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._stream.close()


def _inside(root: Path, name: str) -> Path:
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        raise ImageImportError(f"the archive names {name!r}, which it does not contain")
    return path


# -- root filesystems ----------------------------------------------------------------------------------------


def rfc3339(seconds: int) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def import_rootfs(
    store: Store,
    source: str | os.PathLike[str] | IO[bytes],
    *,
    names: Sequence[str] = (),
    platform: Platform | None = None,
    config: ImageConfig | None = None,
    compression: Compression = GZIP,
    source_date_epoch: int | None = None,
    comment: str | None = None,
) -> Descriptor:
    """One-layer image from a directory or a tar (compressed or not), as `docker import` makes it.

    A directory is archived deterministically (ownership kept); a tar (a path, or an open binary stream such
    as standard input) is taken as its layer byte for byte.
    """
    for name in names:
        tag_name(name)  # a bad name is refused before anything is written
    stream: IO[bytes] | None
    if isinstance(source, (str, os.PathLike)):
        stream, path = None, Path(source)
    else:
        stream, path = source, Path("-")
    target = platform or host_platform()
    if source_date_epoch is None:
        env = os.environ.get("SOURCE_DATE_EPOCH", "")
        source_date_epoch = int(env) if env.isdigit() else None
    label = "standard input" if stream is not None else str(path)
    with store.lease():
        if stream is not None:
            layer = _import_tar(store, stream, label, compression)
        elif path.is_dir():
            with store.new_blob() as blob:
                layer = write_layer(
                    tree_entries(path), blob, compression=compression, source_date_epoch=source_date_epoch
                )
        elif path.is_file():
            try:
                raw = open(path, "rb")  # noqa: SIM115 (closed below)
            except OSError as error:
                raise ImageImportError(f"cannot read {path}: {error.strerror}") from error
            with raw:
                layer = _import_tar(store, raw, label, compression)
        elif path.exists():
            raise ImageImportError(
                f"{path} is not a regular file or a directory",
                hint="import a root filesystem directory or a tar file (or '-' to read standard input)",
            )
        else:
            raise ImageImportError(
                f"no such file or directory: {path}", hint="import a root filesystem directory or a tar"
            )
        created = rfc3339(source_date_epoch if source_date_epoch is not None else int(time.time()))
        image = Image(
            architecture=target.architecture,
            os=target.os,
            variant=target.variant,
            created=created,
            config=config or ImageConfig(),
            diff_ids=(layer.diff_id,),
            history=(
                History(
                    created=created,
                    created_by="pybuildkit import",
                    comment=comment or f"Imported from {path.name}",
                ),
            ),
        )
        descriptor = store.put_image(image, [layer.descriptor()])
        for name in names:
            store.tag(name, descriptor)
    return descriptor
