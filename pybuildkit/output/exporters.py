"""Exporters: an image from the store to an OCI layout or archive, a docker-archive, or its root filesystem.

`--output` takes BuildKit's syntax: `type=oci-layout,dest=DIR`, `type=oci,dest=FILE.tar`,
`type=docker,dest=FILE.tar`, `type=local,dest=DIR`, `type=tar,dest=FILE` (or a bare `DIR`, meaning local),
and `type=image,name=REF[,push=true]` / `type=registry,name=REF` (`ref=` too): the image tagged `REF` in the
store, and pushed when asked (the push itself is the build's: this layer does not talk to registries).
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, assert_never

from pybuildkit.errors import PyBuildKitError
from pybuildkit.image import mediatypes
from pybuildkit.image.digest import canonical_json
from pybuildkit.image.fields import parse_fields
from pybuildkit.image.reference import InvalidReferenceError, Reference
from pybuildkit.image.spec import REF_NAME_ANNOTATION, Descriptor, Index
from pybuildkit.layers.compression import UNCOMPRESSED
from pybuildkit.layers.entries import Entry, EntryKind, tree_entries
from pybuildkit.layers.reader import ApplyResult, apply_layer
from pybuildkit.layers.writer import HashingFileSink, write_layer
from pybuildkit.output.archive import TarBuilder, atomic_output, copy_blob, reachable
from pybuildkit.store.files import atomic_write
from pybuildkit.store.store import Store, StoredImage

IMAGE_NAME_ANNOTATION = "io.containerd.image.name"
OCI_LAYOUT = b'{"imageLayoutVersion":"1.0.0"}'


class OutputError(PyBuildKitError):
    """An `--output` that cannot be parsed or written."""


class OutputKind(enum.Enum):
    OCI_LAYOUT = "oci-layout"
    OCI = "oci"
    DOCKER = "docker"
    LOCAL = "local"
    TAR = "tar"
    IMAGE = "image"  # tag in the store (`push=true`: and push)
    REGISTRY = "registry"  # tag and push (buildx: `type=image,push=true`)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputSpec:
    kind: OutputKind
    dest: str
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> OutputSpec:
        """`type=KIND,dest=PATH[,key=value...]`; a bare path is `type=local,dest=PATH`; `-` is a tar on stdout."""
        if "=" not in text:
            if text == "-":
                return cls(kind=OutputKind.TAR, dest="-")
            bare = cls(kind=OutputKind.LOCAL, dest=text)
            bare.check_dest()
            return bare
        fields = parse_fields(text, flag="--output", error=OutputError)
        kind_text = fields.pop("type", "")
        try:
            kind = OutputKind(kind_text)
        except ValueError:
            known = ", ".join(item.value for item in OutputKind)
            raise OutputError(f"unknown output type {kind_text!r}", hint=f"use one of {known}") from None
        if kind in (OutputKind.IMAGE, OutputKind.REGISTRY):
            return cls._named(kind, fields)
        dest = fields.pop("dest", "")
        if not dest:
            raise OutputError(
                f"--output type={kind.value} needs dest=PATH",
                hint=f"for example --output type={kind.value},dest={_EXAMPLES[kind]}",
            )
        spec = cls(kind=kind, dest=dest, options=tuple(sorted(fields.items())))
        spec.check_dest()
        return spec

    @classmethod
    def _named(cls, kind: OutputKind, fields: dict[str, str]) -> OutputSpec:
        """`type=image|registry,name=REF[,push=true]`: `dest` holds the name (`ref=` is taken for `name=`)."""
        name = fields.pop("name", "") or fields.pop("ref", "")
        if not name:
            raise OutputError(
                f"--output type={kind.value} needs name=REF",
                hint=f"for example --output type={kind.value},name=registry.example/app:1",
            )
        if _parse_name(name) is None:
            raise OutputError(f"--output type={kind.value}: {name!r} is not an image reference")
        push = fields.pop("push", "true" if kind is OutputKind.REGISTRY else "false").lower()
        if push not in ("true", "false", "1", "0"):
            raise OutputError(f"--output type={kind.value}: push={push} is not true or false")
        pushed = kind is OutputKind.REGISTRY or push in ("true", "1")
        options = (*sorted(fields.items()), ("push", "true" if pushed else "false"))
        return cls(kind=kind, dest=name, options=tuple(sorted(options)))

    @property
    def pushes(self) -> bool:
        """Whether the image goes to a registry under `dest` (done by the build, after `export`)."""
        return dict(self.options).get("push") == "true"

    @property
    def writes_file(self) -> bool:
        """True for the outputs that are one file (an archive), False for those that are a directory."""
        match self.kind:
            case OutputKind.OCI | OutputKind.DOCKER | OutputKind.TAR:
                return True
            case OutputKind.OCI_LAYOUT | OutputKind.LOCAL | OutputKind.IMAGE | OutputKind.REGISTRY:
                return False
            case _:
                assert_never(self.kind)

    def check_dest(self) -> None:
        """Refuse a destination that cannot be written (a directory where a file goes, a file where a directory
        goes, a path under a file), before anything is built or written. Only looks; creates nothing."""
        if self.kind in (OutputKind.IMAGE, OutputKind.REGISTRY):
            return  # a name, not a path
        check_destination(self.dest, file=self.writes_file, what=f"--output type={self.kind.value}")


_EXAMPLES: Final = {
    OutputKind.OCI_LAYOUT: "DIR",
    OutputKind.OCI: "image.tar",
    OutputKind.DOCKER: "image.tar",
    OutputKind.LOCAL: "DIR",
    OutputKind.TAR: "rootfs.tar",
    OutputKind.IMAGE: "REF",
    OutputKind.REGISTRY: "REF",
}


def check_destination(dest: str | os.PathLike[str], *, file: bool, what: str) -> None:
    """Raise `OutputError` when `dest` cannot become a file (`file`) or a directory; `-` (stdout) is fine for
    a file. Nothing is created."""
    if os.fspath(dest) == "-":
        if not file:
            raise OutputError(f"{what} writes a directory; it cannot go to standard output")
        return
    path = Path(dest)
    if path.is_dir() and file:
        raise OutputError(
            f"{what}: {path} is a directory, but the output is a file",
            hint=f"name the file to write, e.g. {path / 'image.tar'}",
        )
    if path.exists() and not path.is_dir() and not file:
        raise OutputError(
            f"{what}: {path} exists and is not a directory, but the output is a directory",
            hint="name a new or existing directory",
        )
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{what}: cannot create {path}: {parent} is not a directory")
            if not os.access(parent, os.W_OK | os.X_OK) and not path.exists():
                raise OutputError(f"{what}: cannot create {path}: {parent} is not writable")
            break


@contextlib.contextmanager
def _output_errors(dest: str | os.PathLike[str]) -> Iterator[None]:
    """A file-system failure while writing an output becomes an `OutputError` naming the path."""
    try:
        yield
    except BrokenPipeError:
        raise  # the reader went away (`| head`): not worth a message
    except OSError as error:
        where = os.fspath(error.filename or dest)
        raise OutputError(
            f"cannot write {'standard output' if where == '-' else where}: {error.strerror or error}",
            hint="check the destination's permissions and free space",
        ) from error


def export(
    store: Store,
    image: Descriptor,
    spec: OutputSpec,
    *,
    names: Sequence[str] = (),
    source_date_epoch: int | None = None,
) -> tuple[str, ...]:
    """Write the stored image (manifest or index descriptor) as `spec` says; `names` are its tags.

    Returns warnings: what a `local` or `tar` output could not reproduce (owners and device nodes when not
    running as root)."""
    name_option = dict(spec.options).get("name")
    all_names = tuple(names) + ((name_option,) if name_option else ())
    spec.check_dest()
    with _output_errors(spec.dest):
        return _export(store, image, spec, all_names, source_date_epoch)


def _export(
    store: Store,
    image: Descriptor,
    spec: OutputSpec,
    all_names: tuple[str, ...],
    source_date_epoch: int | None,
) -> tuple[str, ...]:
    match spec.kind:
        case OutputKind.OCI_LAYOUT:
            export_oci_layout(store, image, Path(spec.dest), names=all_names)
        case OutputKind.OCI:
            export_oci_archive(store, image, spec.dest, names=all_names, mtime=source_date_epoch or 0)
        case OutputKind.DOCKER:
            export_docker_archive(store, image, spec.dest, names=all_names, mtime=source_date_epoch or 0)
        case OutputKind.LOCAL:
            return tuple(export_rootfs(store, image, Path(spec.dest)).warnings)
        case OutputKind.TAR:
            return export_rootfs_tar(store, image, spec.dest, source_date_epoch=source_date_epoch)
        case OutputKind.IMAGE | OutputKind.REGISTRY:
            store.tag(spec.dest, image)
    return ()


def _parse_name(name: str) -> Reference | None:
    try:
        return Reference.parse(name)
    except InvalidReferenceError:
        return None


def _index_entries(image: Descriptor, names: Sequence[str]) -> list[Descriptor]:
    """One index entry per name, annotated as BuildKit does (ref.name = the tag, image.name = the full name)."""
    refs = [ref for ref in (_parse_name(name) for name in names) if ref is not None]
    if not refs:
        return [image]
    out = []
    for ref in refs:
        annotations = {
            IMAGE_NAME_ANNOTATION: str(ref),
            REF_NAME_ANNOTATION: ref.tag or ref.digest or "latest",
        }
        out.append(
            Descriptor(
                media_type=image.media_type,
                digest=image.digest,
                size=image.size,
                platform=image.platform,
                annotations=tuple(sorted(annotations.items())),
            )
        )
    return out


def export_oci_layout(store: Store, image: Descriptor, dest: Path, *, names: Sequence[str] = ()) -> None:
    """An OCI image layout directory; an existing layout keeps its other images (same tags are replaced).

    A new layout is written beside `dest` and renamed into place, so a failure or Ctrl-C leaves nothing; in an
    existing one, blobs are written atomically and index.json last."""
    check_destination(dest, file=False, what="OCI layout")
    with _output_errors(dest), _new_directory(dest) as target:
        _write_oci_layout(store, image, target, names)


@contextlib.contextmanager
def _new_directory(dest: Path) -> Iterator[Path]:
    """`dest` itself when it exists; else a scratch directory beside it, renamed to `dest` on success and
    removed on failure."""
    if dest.is_dir():
        yield dest
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        yield scratch
        if scratch.stat().st_mode & 0o777 == 0o700:  # mkdtemp's private mode, not one a layer gave the root
            scratch.chmod(0o755)
        os.rename(scratch, dest)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _write_oci_layout(store: Store, image: Descriptor, dest: Path, names: Sequence[str]) -> None:
    for item in reachable(store, image):
        copy_blob(store, item, dest)
    entries = _index_entries(image, names)
    index_path = dest / "index.json"
    existing: tuple[Descriptor, ...] = ()
    if index_path.is_file():
        try:
            existing = Index.from_json(json.loads(index_path.read_bytes())).manifests
        except (ValueError, PyBuildKitError):
            existing = ()
    new_refs = {item.annotation(REF_NAME_ANNOTATION) for item in entries}
    kept = tuple(
        item
        for item in existing
        if item.annotation(REF_NAME_ANNOTATION) not in new_refs
        and not (item.annotation(REF_NAME_ANNOTATION) is None and item.digest == image.digest)
    )
    index = Index(manifests=(*kept, *entries))
    atomic_write(dest / "oci-layout", OCI_LAYOUT)
    atomic_write(index_path, index.to_bytes())


def export_oci_archive(
    store: Store,
    image: Descriptor,
    dest: str | os.PathLike[str],
    *,
    names: Sequence[str] = (),
    mtime: int = 0,
) -> None:
    """An OCI layout as one tar file (`skopeo inspect oci-archive:FILE`)."""
    check_destination(dest, file=True, what="OCI archive")
    with _output_errors(dest), atomic_output(dest) as out, TarBuilder(out, mtime=mtime) as tar:
        tar.add_bytes("oci-layout", OCI_LAYOUT)
        _add_blobs(store, tar, image)
        tar.add_bytes("index.json", Index(manifests=tuple(_index_entries(image, names))).to_bytes())


def export_docker_archive(
    store: Store,
    image: Descriptor,
    dest: str | os.PathLike[str],
    *,
    names: Sequence[str] = (),
    mtime: int = 0,
) -> None:
    """A docker-archive (`docker load`): `manifest.json` naming the config and layers, plus, as Docker 25 writes
    it, an OCI layout of the same blobs."""
    check_destination(dest, file=True, what="docker-archive")
    loaded = store.load(image)
    with _output_errors(dest), atomic_output(dest) as out, TarBuilder(out, mtime=mtime) as tar:
        tar.add_bytes("oci-layout", OCI_LAYOUT)
        _add_blobs(store, tar, loaded.descriptor)
        repo_tags = []
        for name in names:
            ref = _parse_name(name)
            if ref is not None and ref.tag is not None:
                repo_tags.append(f"{ref.familiar_name}:{ref.tag}")
        manifest = [
            {
                "Config": _blob_name(loaded.manifest.config.digest),
                "RepoTags": repo_tags or None,
                "Layers": [_blob_name(layer.digest) for layer in loaded.manifest.layers],
            }
        ]
        tar.add_bytes("manifest.json", canonical_json(manifest))
        tar.add_bytes(
            "index.json", Index(manifests=tuple(_index_entries(loaded.descriptor, names))).to_bytes()
        )


def _blob_name(digest: str) -> str:
    return "blobs/sha256/" + digest.split(":", 1)[1]


def _add_blobs(store: Store, tar: TarBuilder, image: Descriptor) -> None:
    tar.directory("blobs/sha256")
    for item in sorted(reachable(store, image), key=lambda entry: entry.digest):
        with store.open_blob(item.digest, size=item.size) as blob:
            tar.add_stream(_blob_name(item.digest), blob, item.size)


def export_rootfs(
    store: Store, image: Descriptor, dest: Path, *, metadata: dict[str, tarfile.TarInfo] | None = None
) -> ApplyResult:
    """The image's final filesystem in `dest` (layers applied in order, whiteouts honoured); `metadata` collects
    each final path's tar header (see `apply_layer`)."""
    loaded = store.load(image)
    result = ApplyResult()
    with _output_errors(dest), _new_directory(dest) as target:
        for layer in loaded.manifest.layers:
            if layer.media_type not in mediatypes.LAYERS:
                continue
            with store.open_blob(layer.digest, size=layer.size) as blob:
                step = apply_layer(blob, target, metadata=metadata)
            result.written += step.written
            result.removed += step.removed
            result.warnings.extend(step.warnings)
    return result


def export_rootfs_tar(
    store: Store, image: Descriptor, dest: str | os.PathLike[str], *, source_date_epoch: int | None = None
) -> tuple[str, ...]:
    """The image's final filesystem as one uncompressed, deterministic tar (made by applying the layers in a
    scratch directory beside `dest`; returns what that could not reproduce, see `export_rootfs`)."""
    parent = Path(dest).parent if os.fspath(dest) != "-" else Path(tempfile.gettempdir())
    parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".pybuildkit-rootfs-", dir=parent))
    try:
        # The scratch copy holds the contents; the layers' own headers hold the owners, modes and device nodes
        # (which a user without root cannot reproduce on disk), so the tar is written from both.
        metadata: dict[str, tarfile.TarInfo] = {}
        warnings = tuple(export_rootfs(store, image, scratch, metadata=metadata).warnings)
        with atomic_output(dest) as out:
            write_layer(
                _with_layer_metadata(scratch, metadata),
                HashingFileSink(out),
                compression=UNCOMPRESSED,
                source_date_epoch=source_date_epoch,
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return warnings


def _with_layer_metadata(root: Path, metadata: dict[str, tarfile.TarInfo]) -> Iterator[Entry]:
    seen: set[str] = set()
    for entry in tree_entries(root):
        seen.add(entry.path)
        info = metadata.get(entry.path)
        if info is None:
            # A parent directory no layer listed (the unpacker made it): root-owned, as Docker makes them.
            yield replace(entry, uid=0, gid=0)
            continue
        xattrs = tuple(
            (key.removeprefix("SCHILY.xattr."), value.encode("utf-8", "surrogateescape"))
            for key, value in sorted(info.pax_headers.items())
            if key.startswith("SCHILY.xattr.")
        )
        yield replace(
            entry,
            uid=info.uid,
            gid=info.gid,
            mode=entry.mode if info.issym() else info.mode & 0o7777,
            mtime=int(info.mtime),
            xattrs=xattrs or entry.xattrs,
        )
    for path, info in sorted(metadata.items()):
        if path not in seen and (info.ischr() or info.isblk()):
            yield Entry(
                path=path,
                kind=EntryKind.CHAR_DEVICE if info.ischr() else EntryKind.BLOCK_DEVICE,
                mode=info.mode & 0o7777,
                uid=info.uid,
                gid=info.gid,
                mtime=int(info.mtime),
                devmajor=info.devmajor,
                devminor=info.devminor,
            )


def export_stored(
    store: Store, image: StoredImage, spec: OutputSpec, *, names: Sequence[str] = ()
) -> tuple[str, ...]:
    """`export` for an image already loaded from the store."""
    return export(store, image.index or image.descriptor, spec, names=names)
