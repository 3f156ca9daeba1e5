"""What goes into a layer: `Entry` values, and the three ways to get them.

* `tree_entries(root, prefix=...)`: a directory tree as a whole layer (a base rootfs, `pybuildkit import`).
* `upperdir_entries(upper)`: an overlayfs upperdir as a diff layer. A char device 0/0 (or a file carrying the
  `overlay.whiteout` xattr) is a deleted path and becomes `.wh.<name>`; a directory with the `overlay.opaque`
  xattr (`trusted.` as root, `user.` in a user namespace) hides what lies below and gets `.wh..wh..opq`.
* `entry_from_path(...)`, `Entry.directory(...)`, `Entry.regular(...)`, ...: explicit entries, for COPY results
  with ownership and mode overrides, or synthesized content such as heredocs.

An entry is metadata only; file content stays on disk (`source`) or is a small `data` bytes value. The writer
sorts, clamps and numbers hardlinks, so sources need not.
"""

from __future__ import annotations

import enum
import errno
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Final

from pybuildkit.errors import PyBuildKitError

WHITEOUT_PREFIX: Final = ".wh."
OPAQUE_MARKER: Final = ".wh..wh..opq"
_OVERLAY_XATTR_PREFIXES: Final = ("trusted.overlay.", "user.overlay.")


class LayerError(PyBuildKitError):
    """A layer cannot be written or applied (unreadable file, a file changed while read, a path escape)."""


class EntryKind(enum.Enum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    CHAR_DEVICE = "char"
    BLOCK_DEVICE = "block"
    FIFO = "fifo"


def clean_path(path: str) -> str:
    """A path inside a layer: relative, `/`-separated, no `.` or empty parts; `..` is refused."""
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    if ".." in parts:
        raise LayerError(f"path {path!r} leaves the layer root")
    return "/".join(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One tar entry. `path` is relative to the layer root; `mode` holds permission bits only (07777)."""

    path: str
    kind: EntryKind
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: int = 0
    size: int = 0
    source: str | None = None
    data: bytes | None = None
    linkname: str = ""
    devmajor: int = 0
    devminor: int = 0
    xattrs: tuple[tuple[str, bytes], ...] = ()
    # (st_dev, st_ino) of a multiply-linked source file: entries sharing it become hardlinks in the layer.
    inode: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if not self.path:
            raise LayerError("an entry needs a path below the layer root")
        if self.data is not None and len(self.data) != self.size:
            object.__setattr__(self, "size", len(self.data))

    @classmethod
    def directory(cls, path: str, *, mode: int = 0o755, uid: int = 0, gid: int = 0, mtime: int = 0) -> Entry:
        return cls(path=clean_path(path), kind=EntryKind.DIRECTORY, mode=mode, uid=uid, gid=gid, mtime=mtime)

    @classmethod
    def regular(
        cls,
        path: str,
        data: bytes = b"",
        *,
        mode: int = 0o644,
        uid: int = 0,
        gid: int = 0,
        mtime: int = 0,
        xattrs: tuple[tuple[str, bytes], ...] = (),
    ) -> Entry:
        """A file whose (small) content is given, e.g. a COPY heredoc."""
        return cls(
            path=clean_path(path),
            kind=EntryKind.FILE,
            data=data,
            size=len(data),
            mode=mode,
            uid=uid,
            gid=gid,
            mtime=mtime,
            xattrs=xattrs,
        )

    @classmethod
    def symlink(cls, path: str, target: str, *, uid: int = 0, gid: int = 0, mtime: int = 0) -> Entry:
        return cls(
            path=clean_path(path),
            kind=EntryKind.SYMLINK,
            linkname=target,
            mode=0o777,
            uid=uid,
            gid=gid,
            mtime=mtime,
        )

    @classmethod
    def whiteout(cls, path: str, *, mtime: int = 0) -> Entry:
        """The entry that deletes `path` from the layers below."""
        clean = PurePosixPath(clean_path(path))
        return cls(
            path=str(clean.parent / (WHITEOUT_PREFIX + clean.name)), kind=EntryKind.FILE, mode=0, mtime=mtime
        )

    @classmethod
    def opaque(cls, directory: str, *, mtime: int = 0) -> Entry:
        """The entry that hides everything below `directory` in lower layers."""
        return cls(path=f"{clean_path(directory)}/{OPAQUE_MARKER}", kind=EntryKind.FILE, mode=0, mtime=mtime)


XattrFilter = Callable[[str], bool]
# Host IDs → IDs in the layer (e.g. subordinate IDs 100000+ back to the container's 0+ for a rootless upperdir).
IdMap = Callable[[int, int], tuple[int, int]]


def default_xattr_filter(name: str) -> bool:
    """Keep capabilities and user/trusted attributes; drop overlay bookkeeping, SELinux labels and ACLs."""
    return not (
        name.startswith(_OVERLAY_XATTR_PREFIXES) or name == "security.selinux" or name.startswith("system.")
    )


def read_xattrs(path: str, keep: XattrFilter = default_xattr_filter) -> tuple[tuple[str, bytes], ...]:
    """The extended attributes of `path` (not following a symlink), filtered and sorted."""
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EPERM, errno.ENODATA):
            return ()
        raise
    out: list[tuple[str, bytes]] = []
    for name in sorted(names):
        if not keep(name):
            continue
        try:
            out.append((name, os.getxattr(path, name, follow_symlinks=False)))
        except OSError as error:
            if error.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EPERM):
                raise
    return tuple(out)


def entry_from_path(
    source: str | os.PathLike[str],
    path: str,
    *,
    st: os.stat_result | None = None,
    uid: int | None = None,
    gid: int | None = None,
    mode: int | None = None,
    mtime: int | None = None,
    xattrs: bool = True,
    keep_xattr: XattrFilter = default_xattr_filter,
) -> Entry:
    """The entry for the file at `source` (not following a final symlink), placed at `path` in the layer.

    `uid`, `gid`, `mode` override what is on disk (COPY --chown/--chmod); `mode` replaces the permission bits.
    """
    src = os.fspath(source)
    if st is None:
        try:
            st = os.lstat(src)
        except OSError as error:
            raise LayerError(f"cannot read {src}: {error.strerror}") from error
    fmt = stat.S_IFMT(st.st_mode)
    linkname = ""
    size = 0
    devmajor = devminor = 0
    inode: tuple[int, int] | None = None
    if fmt == stat.S_IFREG:
        kind = EntryKind.FILE
        size = st.st_size
        if st.st_nlink > 1:
            inode = (st.st_dev, st.st_ino)
    elif fmt == stat.S_IFDIR:
        kind = EntryKind.DIRECTORY
    elif fmt == stat.S_IFLNK:
        kind = EntryKind.SYMLINK
        linkname = os.readlink(src)
    elif fmt in (stat.S_IFCHR, stat.S_IFBLK):
        kind = EntryKind.CHAR_DEVICE if fmt == stat.S_IFCHR else EntryKind.BLOCK_DEVICE
        devmajor, devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
    elif fmt == stat.S_IFIFO:
        kind = EntryKind.FIFO
    else:
        raise LayerError(f"cannot put {src} in a layer: sockets and unknown file types are not archived")
    return Entry(
        path=clean_path(path),
        kind=kind,
        mode=stat.S_IMODE(st.st_mode) if mode is None else mode,
        uid=st.st_uid if uid is None else uid,
        gid=st.st_gid if gid is None else gid,
        mtime=int(st.st_mtime) if mtime is None else mtime,
        size=size,
        source=src if kind is EntryKind.FILE else None,
        linkname=linkname,
        devmajor=devmajor,
        devminor=devminor,
        xattrs=read_xattrs(src, keep_xattr) if xattrs else (),
        inode=inode,
    )


def _walk(root: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Depth-first, names sorted by their bytes at each level (the order the writer uses too)."""
    stack: list[tuple[str, str]] = [("", root)]
    while stack:
        rel, full = stack.pop()
        try:
            with os.scandir(full) as listing:
                children = sorted(listing, key=lambda item: os.fsencode(item.name))
        except OSError as error:
            raise LayerError(f"cannot list {full}: {error.strerror}") from error
        subdirs: list[tuple[str, str]] = []
        for child in children:
            child_rel = f"{rel}/{child.name}" if rel else child.name
            yield child_rel, child
            if child.is_dir(follow_symlinks=False):
                subdirs.append((child_rel, child.path))
        stack.extend(reversed(subdirs))


def tree_entries(
    root: str | os.PathLike[str],
    *,
    prefix: str = "",
    uid: int | None = None,
    gid: int | None = None,
    xattrs: bool = True,
    parents: bool = True,
    map_ids: IdMap | None = None,
) -> Iterator[Entry]:
    """Every file under `root`, as a whole layer; with `prefix`, placed under that path in the layer.

    With `parents`, the directories of `prefix` are emitted too (mode 0755, owned by the overrides or root),
    so the layer applies on an empty root. `uid`/`gid` override every owner; `map_ids` translates them instead.
    """
    top = os.fspath(root)
    base = clean_path(prefix)
    if base:
        if parents:
            parts = base.split("/")
            for depth in range(1, len(parts)):
                yield Entry.directory("/".join(parts[:depth]), uid=uid or 0, gid=gid or 0)
        yield _mapped(entry_from_path(top, base, uid=uid, gid=gid, xattrs=xattrs), map_ids)
    for rel, item in _walk(top):
        entry = entry_from_path(
            item.path,
            f"{base}/{rel}" if base else rel,
            st=item.stat(follow_symlinks=False),
            uid=uid,
            gid=gid,
            xattrs=xattrs,
        )
        yield _mapped(entry, map_ids)


def _mapped(entry: Entry, map_ids: IdMap | None) -> Entry:
    if map_ids is None:
        return entry
    uid, gid = map_ids(entry.uid, entry.gid)
    return replace(entry, uid=uid, gid=gid)


def _is_opaque(path: str) -> bool:
    for name in ("trusted.overlay.opaque", "user.overlay.opaque"):
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    return False


def _is_xattr_whiteout(path: str) -> bool:
    # Kernels since 6.7 may mark a whiteout as an empty file with an `overlay.whiteout` xattr.
    for name in ("trusted.overlay.whiteout", "user.overlay.whiteout"):
        try:
            os.getxattr(path, name, follow_symlinks=False)
            return True
        except OSError:
            continue
    return False


def upperdir_entries(
    upper: str | os.PathLike[str], *, xattrs: bool = True, map_ids: IdMap | None = None
) -> Iterator[Entry]:
    """The diff an overlayfs upperdir holds, with whiteouts and opaque markers in OCI form.

    Files keep the uid/gid they have in the upperdir; when it is read from outside a user namespace, pass
    `map_ids` to turn host IDs back into the container's.
    """
    top = os.fspath(upper)
    for rel, item in _walk(top):
        st = item.stat(follow_symlinks=False)
        fmt = stat.S_IFMT(st.st_mode)
        mtime = int(st.st_mtime)
        if fmt == stat.S_IFCHR and st.st_rdev == 0:
            yield Entry.whiteout(rel, mtime=mtime)
            continue
        if fmt == stat.S_IFREG and st.st_size == 0 and _is_xattr_whiteout(item.path):
            yield Entry.whiteout(rel, mtime=mtime)
            continue
        yield _mapped(entry_from_path(item.path, rel, st=st, xattrs=xattrs), map_ids)
        if fmt == stat.S_IFDIR and _is_opaque(item.path):
            yield Entry.opaque(rel, mtime=mtime)


def layer_sort_key(path: str) -> tuple[bytes, ...]:
    """Order of entries in a layer: depth-first by path components, compared as bytes; a directory's opaque
    marker comes right after the directory (before anything the layer adds inside it)."""
    return tuple(b"" if part == OPAQUE_MARKER else os.fsencode(part) for part in path.split("/"))
