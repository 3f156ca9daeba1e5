"""A stage's root filesystem as a stack of layers, read without flattening it.

The snapshot model: a stage's rootfs is the tuple of its layers (bottom first). Each layer has a
`LayerIndex`: its entries by path (metadata plus where the content lives), the paths it deletes
(whiteouts) and the directories it makes opaque. A `RootView` answers what the merged filesystem holds at a
path (symlinks resolved inside the root, as a container would see them), lists directories and reads files,
by looking through the indexes from the top layer down. Nothing is copied to answer these questions.

Where an index comes from:
* a layer this build just wrote: the `Entry` values it was written from (content still in the build
  context or in another layer's snapshot) — no reading back;
* a layer from the store (a base image, or a step found in the cache): unpacked once into
  `<store>/snapshots/<diff_id hex>/`: `files/N` for each regular file's content (numbered, so no path in the
  tar can make us follow a symlink or leave the directory) and `index.json` for the metadata. Written into a
  temp directory and renamed into place, so a snapshot is complete or absent.

`materialize(view, dest)` lays out the merged tree as real files (hardlinks to the snapshot content where
possible): the one place a full copy is made, for RUN's lower directory and for `--output type=local`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Final

from pybuildkit.layers import OPAQUE_MARKER, WHITEOUT_PREFIX, Entry, EntryKind, LayerError, open_decompressed
from pybuildkit.layers.entries import clean_path

INDEX_VERSION: Final = 1
_MAX_LINKS: Final = 40
_KINDS: Final = {kind.value: kind for kind in EntryKind}


@dataclass(slots=True)
class LayerIndex:
    """One layer: entries by path, deleted paths, opaque directories (see the module docstring)."""

    entries: dict[str, Entry] = field(default_factory=dict)
    whiteouts: set[str] = field(default_factory=set)
    opaque: set[str] = field(default_factory=set)
    tree: Path | None = None  # an overlay-format directory of this layer (a RUN's upperdir), if there is one
    _children: dict[str, set[str]] | None = None

    @classmethod
    def from_entries(cls, entries: Iterable[Entry]) -> LayerIndex:
        index = cls()
        for entry in entries:
            index.add(entry)
        return index

    def add(self, entry: Entry) -> None:
        parent, _, name = entry.path.rpartition("/")
        if name == OPAQUE_MARKER:
            self.opaque.add(parent)
        elif name.startswith(WHITEOUT_PREFIX):
            self.whiteouts.add(_join(parent, name[len(WHITEOUT_PREFIX) :]))
        else:
            self.entries[entry.path] = entry
        self._children = None

    def children(self, directory: str) -> set[str]:
        if self._children is None:
            table: dict[str, set[str]] = {}
            for path in (*self.entries, *self.whiteouts):
                parent, _, name = path.rpartition("/")
                table.setdefault(parent, set()).add(name)
                # Parents that the layer does not list are still directories in it.
                while parent:
                    grand, _, pname = parent.rpartition("/")
                    names = table.setdefault(grand, set())
                    if pname in names:
                        break
                    names.add(pname)
                    parent = grand
            self._children = table
        return self._children.get(directory, set())


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def _ancestors(path: str) -> Iterator[str]:
    """Strict ancestors of `path`, nearest first (`a/b/c` → `a/b`, `a`, ``)."""
    while path:
        path = path.rpartition("/")[0]
        yield path


class RootView:
    """The merged filesystem of a stack of layers (bottom first). Paths are root-relative, `/`-separated."""

    def __init__(self, layers: Iterable[LayerIndex]) -> None:
        self.layers = tuple(layers)

    def raw(self, path: str) -> Entry | None:
        """The entry at exactly `path` (no symlink followed), or None when absent."""
        if path == "":
            return _ROOT
        for layer in reversed(self.layers):
            found = layer.entries.get(path)
            if found is not None:
                return found
            if path in layer.whiteouts:
                return None
            for ancestor in _ancestors(path):
                if ancestor in layer.whiteouts or ancestor in layer.opaque:
                    return None
                above = layer.entries.get(ancestor)
                if above is not None and above.kind is not EntryKind.DIRECTORY:
                    return None
        # A directory no layer lists but that has children (a layer without parent entries).
        if self.children(path):
            return Entry(path=path, kind=EntryKind.DIRECTORY, mode=0o755)
        return None

    def resolve(self, path: str, *, follow: bool = True) -> tuple[str, Entry | None]:
        """Resolve `path` (absolute or relative to the root) with symlinks followed inside the root;
        the last component only with `follow`. Returns the resolved path and its entry (None: missing;
        the path then holds the rest of the components unresolved)."""
        pending = [p for p in reversed(path.split("/")) if p not in ("", ".")]
        resolved: list[str] = []
        links = 0
        while pending:
            part = pending.pop()
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = "/".join([*resolved, part])
            entry = self.raw(candidate)
            if entry is None:
                rest = [p for p in reversed(pending)]
                return "/".join([*resolved, part, *rest]), None
            if entry.kind is EntryKind.SYMLINK and (pending or follow):
                links += 1
                if links > _MAX_LINKS:
                    raise LayerError(f"{path}: too many levels of symbolic links")
                target = entry.linkname
                if target.startswith("/"):
                    resolved = []
                pending.extend(p for p in reversed(target.split("/")) if p not in ("", "."))
                continue
            resolved.append(part)
        final = "/".join(resolved)
        return final, self.raw(final)

    def children(self, directory: str) -> list[str]:
        """Names in `directory` (resolved path), sorted by their bytes."""
        seen: set[str] = set()
        hidden: set[str] = set()
        for layer in reversed(self.layers):
            for name in layer.children(directory):
                if name in seen or name in hidden:
                    continue
                path = _join(directory, name)
                if path in layer.whiteouts:
                    hidden.add(name)
                else:
                    seen.add(name)
            if directory in layer.opaque or directory in layer.whiteouts:
                break
            own = layer.entries.get(directory)
            if own is not None and own.kind is not EntryKind.DIRECTORY:
                break
            if any(a in layer.whiteouts or a in layer.opaque for a in _ancestors(directory)) and directory:
                break
        return sorted(seen, key=os.fsencode)

    def walk(self, directory: str) -> Iterator[Entry]:
        """Every entry below `directory` (resolved), depth first, names sorted; symlinks not followed."""
        for name in self.children(directory):
            path = _join(directory, name)
            entry = self.raw(path)
            if entry is None:
                continue
            yield entry
            if entry.kind is EntryKind.DIRECTORY:
                yield from self.walk(path)

    def content(self, entry: Entry) -> Entry:
        """A FILE entry whose content can be read (a hardlink resolved to its target's content)."""
        if entry.kind is EntryKind.HARDLINK and entry.source is None:
            target = self.raw(clean_path(entry.linkname))
            if target is None or target.kind not in (EntryKind.FILE, EntryKind.HARDLINK):
                raise LayerError(f"{entry.path}: hardlink to missing {entry.linkname}")
            target = self.content(target)
            return replace(
                entry, kind=EntryKind.FILE, source=target.source, data=target.data, size=target.size
            )
        if entry.kind is EntryKind.HARDLINK:
            return replace(entry, kind=EntryKind.FILE)
        return entry

    def read(self, path: str, *, limit: int = 16 << 20) -> bytes | None:
        """The content of the file at `path` (symlinks followed), or None when it is not a file."""
        try:
            _, entry = self.resolve(path)
        except LayerError:
            return None
        if entry is None or entry.kind not in (EntryKind.FILE, EntryKind.HARDLINK):
            return None
        entry = self.content(entry)
        if entry.data is not None:
            return entry.data
        if entry.source is None:
            return b""
        with open(entry.source, "rb") as handle:
            return handle.read(limit)


_ROOT: Final = Entry(path="root-placeholder", kind=EntryKind.DIRECTORY, mode=0o755)


# --- snapshots of stored layers ---------------------------------------------------------------------


def _entry_to_json(entry: Entry) -> list[object]:
    return [
        entry.path,
        entry.kind.value,
        entry.mode,
        entry.uid,
        entry.gid,
        entry.mtime,
        entry.size,
        entry.source or "",
        entry.linkname,
        entry.devmajor,
        entry.devminor,
        [[k, v.hex()] for k, v in entry.xattrs],
    ]


def _entry_from_json(value: list[object], files: Path) -> Entry:
    path, kind, mode, uid, gid, mtime, size, source, linkname, major, minor, xattrs = value
    return Entry(
        path=str(path),
        kind=_KINDS[str(kind)],
        mode=int(str(mode)),
        uid=int(str(uid)),
        gid=int(str(gid)),
        mtime=int(str(mtime)),
        size=int(str(size)),
        source=str(files / str(source)) if source else None,
        linkname=str(linkname),
        devmajor=int(str(major)),
        devminor=int(str(minor)),
        xattrs=tuple((str(k), bytes.fromhex(str(v))) for k, v in xattrs),  # type: ignore[attr-defined]
    )


def load_snapshot(directory: Path) -> LayerIndex | None:
    """The index of an unpacked layer, or None when the snapshot is absent or damaged."""
    try:
        value = json.loads((directory / "index.json").read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(value, dict) or value.get("version") != INDEX_VERSION:
        return None
    files = directory / "files"
    index = LayerIndex()
    for item in value.get("entries", ()):
        index.add(_entry_from_json(item, files))
    for path in value.get("whiteouts", ()):
        index.whiteouts.add(str(path))
    for path in value.get("opaque", ()):
        index.opaque.add(str(path))
    if value.get("tree"):
        index.tree = files
    return index


def unpack_snapshot(stream: IO[bytes], directory: Path, *, temp_dir: Path) -> LayerIndex:
    """Unpack a layer blob (any compression) into `directory` as a snapshot; returns its index."""
    temp_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="snapshot-", dir=temp_dir))
    try:
        files = work / "files"
        files.mkdir()
        entries: list[list[object]] = []
        whiteouts: list[str] = []
        opaque: list[str] = []
        numbers: dict[str, str] = {}  # path -> content file, for hardlinks
        with open_decompressed(stream) as plain, tarfile.open(fileobj=plain, mode="r|") as archive:
            for number, member in enumerate(archive):
                path = clean_path(member.name)
                if not path:
                    continue
                parent, _, name = path.rpartition("/")
                if name == OPAQUE_MARKER:
                    opaque.append(parent)
                    continue
                if name.startswith(WHITEOUT_PREFIX):
                    whiteouts.append(_join(parent, name[len(WHITEOUT_PREFIX) :]))
                    continue
                source = ""
                if member.isreg():
                    source = str(number)
                    extracted = archive.extractfile(member)
                    assert extracted is not None
                    with open(files / source, "wb") as out:
                        shutil.copyfileobj(extracted, out, 1 << 20)
                    numbers[path] = source
                    kind = EntryKind.FILE
                elif member.isdir():
                    kind = EntryKind.DIRECTORY
                elif member.issym():
                    kind = EntryKind.SYMLINK
                elif member.islnk():
                    kind = EntryKind.HARDLINK
                    source = numbers.get(clean_path(member.linkname), "")
                elif member.ischr():
                    kind = EntryKind.CHAR_DEVICE
                elif member.isblk():
                    kind = EntryKind.BLOCK_DEVICE
                elif member.isfifo():
                    kind = EntryKind.FIFO
                else:
                    continue
                xattrs = sorted(
                    [k[len("SCHILY.xattr.") :], v.encode("utf-8", "surrogateescape").hex()]
                    for k, v in member.pax_headers.items()
                    if k.startswith("SCHILY.xattr.")
                )
                entries.append(
                    [
                        path,
                        kind.value,
                        member.mode & 0o7777,
                        member.uid,
                        member.gid,
                        int(member.mtime),
                        member.size if kind is EntryKind.FILE else 0,
                        source,
                        member.linkname if kind in (EntryKind.SYMLINK, EntryKind.HARDLINK) else "",
                        member.devmajor,
                        member.devminor,
                        xattrs,
                    ]
                )
        payload = {"version": INDEX_VERSION, "entries": entries, "whiteouts": whiteouts, "opaque": opaque}
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return _publish_snapshot(work, payload, directory)


def adopt_snapshot(
    files: Path, entries: Iterable[Entry], directory: Path, *, temp_dir: Path, tree: bool = True
) -> LayerIndex:
    """Make a snapshot of a directory that already holds a layer's files (a RUN's upperdir): `files` is
    moved (renamed) into `directory`, and the index is written from `entries`, whose sources lie in it.
    With `tree`, the directory may serve as an overlay lower directory as it is (it holds nothing but the
    layer: no leftover mount points)."""
    work = Path(tempfile.mkdtemp(prefix="snapshot-", dir=temp_dir))
    try:
        os.rename(files, work / "files")
        base = os.fspath(files)
        rows = []
        for entry in entries:
            row = _entry_to_json(entry)
            if entry.source is not None:
                row[7] = os.path.relpath(entry.source, base)
            rows.append(row)
        payload = {"version": INDEX_VERSION, "entries": rows, "whiteouts": [], "opaque": [], "tree": tree}
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return _publish_snapshot(work, payload, directory)


def _publish_snapshot(work: Path, payload: dict[str, Any], directory: Path) -> LayerIndex:
    """Write the index into the prepared `work` directory and rename it to `directory` in one step."""
    try:
        (work / "index.json").write_text(json.dumps(payload, separators=(",", ":")))
        directory.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(work, directory)
        except OSError:
            if not (directory / "index.json").is_file():
                raise
            # Another build made the same snapshot first: use theirs.
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    index = load_snapshot(directory)
    if index is None:
        raise LayerError(f"snapshot {directory} could not be read back")
    return index


# --- materializing ----------------------------------------------------------------------------------


def materialize(view: RootView, dest: Path, *, owners: bool | None = None) -> None:
    """Lay out the merged tree of `view` in `dest` (created; must be empty or absent).

    Files are hardlinked to their content when on the same filesystem (the content is never written to),
    else copied. Owners are applied when running as root (or when `owners` says so).
    """
    chown = os.geteuid() == 0 if owners is None else owners
    dest.mkdir(parents=True, exist_ok=True)
    dirs: list[tuple[str, Entry]] = []
    for entry in view.walk(""):
        target = dest / entry.path
        match entry.kind:
            case EntryKind.DIRECTORY:
                target.mkdir(mode=0o700, exist_ok=True)
                dirs.append((str(target), entry))
                continue
            case EntryKind.SYMLINK:
                os.symlink(entry.linkname, target)
            case EntryKind.FILE | EntryKind.HARDLINK:
                readable = view.content(entry)
                if readable.data is not None:
                    target.write_bytes(readable.data)
                elif readable.source is not None:
                    # A copy, never a link: RUN's overlay reads lower files only, but chmod/chown below
                    # would change the shared inode.
                    shutil.copyfile(readable.source, target, follow_symlinks=False)
                else:
                    target.touch()
            case EntryKind.CHAR_DEVICE | EntryKind.BLOCK_DEVICE:
                kind = stat.S_IFCHR if entry.kind is EntryKind.CHAR_DEVICE else stat.S_IFBLK
                with contextlib.suppress(PermissionError):
                    os.mknod(target, kind | 0o600, os.makedev(entry.devmajor, entry.devminor))
                if not os.path.lexists(target):
                    continue
            case EntryKind.FIFO:
                os.mkfifo(target, 0o600)
        _set_meta(str(target), entry, chown)
    for path, entry in reversed(dirs):
        _set_meta(path, entry, chown)


def _set_meta(path: str, entry: Entry, chown: bool) -> None:
    if chown:
        with contextlib.suppress(PermissionError):
            os.chown(path, entry.uid, entry.gid, follow_symlinks=False)
    if entry.kind is not EntryKind.SYMLINK:
        os.chmod(path, entry.mode & 0o7777)
    os.utime(path, ns=(entry.mtime * 10**9,) * 2, follow_symlinks=False)
