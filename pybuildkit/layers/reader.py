"""Apply a layer (a tar, compressed or not, with OCI whiteouts) onto a directory, safely.

Used to unpack base images into a rootfs, for `type=local` output, and for ADD's auto-extraction. Paths never
escape the target: `..` is refused, and symlinks met on the way to an entry are resolved *inside* the target
(as if it were the root, as Docker's chrooted unpacker does), never followed out of it. The last component of
an entry's path is never followed: whatever is there is replaced.

Whiteouts: `.wh.name` removes `name`; `.wh..wh..opq` empties its directory of everything that did not come
from this same layer. Ownership is applied when running as root (or when asked); device nodes that cannot be
created (rootless) and xattrs the filesystem refuses are reported as warnings, not errors.
"""

from __future__ import annotations

import enum
import errno
import os
import shutil
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from pybuildkit.layers.compression import open_decompressed
from pybuildkit.layers.entries import OPAQUE_MARKER, WHITEOUT_PREFIX, LayerError

_MAX_SYMLINKS: Final = 40
_COPY_CHUNK: Final = 1 << 20


class WhiteoutMode(enum.Enum):
    """What to do with `.wh.` entries."""

    APPLY = "apply"  # delete what they name: a flattened root filesystem
    KEEP = "keep"  # write them as ordinary files: ADD of a plain archive
    OVERLAY = "overlay"  # overlayfs form (char device 0/0, opaque xattr): one lowerdir per layer


@dataclass(slots=True, kw_only=True)
class ApplyResult:
    """What applying a layer did: entries written and removed, and what could not be reproduced."""

    written: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)


class _Root:
    """Resolves layer paths to host paths below `root`, with symlinks resolved inside it."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)

    def host(self, rel: str) -> str:
        return os.path.join(self.root, rel) if rel else self.root

    def resolve_parent(self, path: str, *, create: bool) -> tuple[str, str]:
        """(host path of the parent directory, final name) for layer `path`."""
        parts = _split(path)
        if not parts:
            raise LayerError("a layer entry names the root itself")
        parent = self.resolve_dir(parts[:-1], create=create)
        return parent, parts[-1]

    def resolve_dir(self, parts: list[str], *, create: bool) -> str:
        resolved: list[str] = []
        pending = list(parts)
        links = 0
        while pending:
            name = pending.pop(0)
            if name in ("", "."):
                continue
            if name == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = os.path.join(self.root, *resolved, name)
            try:
                st = os.lstat(candidate)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(candidate, 0o755)
                resolved.append(name)
                continue
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if links > _MAX_SYMLINKS:
                    raise LayerError(f"too many levels of symbolic links below {'/'.join(parts)}")
                target = os.readlink(candidate)
                if target.startswith("/"):
                    resolved = []
                pending = [part for part in target.split("/") if part] + pending
                continue
            if not stat.S_ISDIR(st.st_mode):
                if not create:
                    raise NotADirectoryError(candidate)
                # A file where the layer needs a directory: the layer wins (as Docker's unpacker does).
                os.unlink(candidate)
                os.mkdir(candidate, 0o755)
            resolved.append(name)
        return os.path.join(self.root, *resolved) if resolved else self.root


def _split(path: str) -> list[str]:
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise LayerError(
            f"layer entry {path!r} leaves the root", hint="a layer may not contain '..' in a path"
        )
    return parts


def remove_path(path: str) -> None:
    """Remove whatever is at `path` (a directory with its contents; a symlink itself, never its target);
    nothing there is fine."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def apply_layer(
    stream: IO[bytes],
    root: str | os.PathLike[str],
    *,
    same_owner: bool | None = None,
    whiteouts: WhiteoutMode = WhiteoutMode.APPLY,
    chown: Callable[[int, int], tuple[int, int]] | None = None,
    opaque_xattr: str = "trusted.overlay.opaque",
    metadata: dict[str, tarfile.TarInfo] | None = None,
) -> ApplyResult:
    """Unpack the layer read from `stream` onto `root` (created if missing).

    `same_owner` (default: when running as root) applies the tar's uid/gid, mapped through `chown` if given.
    `whiteouts` says how `.wh.` entries are treated (see `WhiteoutMode`); in OVERLAY mode opaque directories get
    `opaque_xattr` (`user.overlay.opaque` for an overlay mounted with `userxattr`). `metadata`, when given, is
    kept up to date with the tar header of every path now in the root (relative path → TarInfo), so a caller
    without root can still learn the owners and device nodes it could not reproduce on disk.
    """
    target = Path(root)
    target.mkdir(parents=True, exist_ok=True)
    applier = _Applier(
        resolver=_Root(target),
        owner=os.geteuid() == 0 if same_owner is None else same_owner,
        whiteouts=whiteouts,
        chown=chown,
        opaque_xattr=opaque_xattr,
        metadata=metadata,
    )
    try:
        with (
            open_decompressed(stream) as plain,
            tarfile.open(fileobj=plain, mode="r|", errorlevel=2) as archive,
        ):
            for member in archive:
                try:
                    applier.apply(archive, member)
                except OSError as error:
                    raise LayerError(f"cannot unpack {member.name}: {error.strerror or error}") from error
            # Read to the end: the compressor's checksum and a verifying store reader are checked only there.
            while plain.read(1 << 20):
                pass
    except LayerError:
        raise
    except _stream_errors() as error:
        raise LayerError(f"the layer is not a readable tar archive: {error}") from error
    applier.finish()
    return applier.result


def _stream_errors() -> tuple[type[BaseException], ...]:
    import lzma
    import zlib

    errors: list[type[BaseException]] = [tarfile.TarError, OSError, EOFError, lzma.LZMAError, zlib.error]
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


class _Applier:
    """The state of one layer being applied."""

    def __init__(
        self,
        *,
        resolver: _Root,
        owner: bool,
        whiteouts: WhiteoutMode,
        chown: Callable[[int, int], tuple[int, int]] | None,
        opaque_xattr: str,
        metadata: dict[str, tarfile.TarInfo] | None,
    ) -> None:
        self.resolver = resolver
        self.owner = owner
        self.whiteouts = whiteouts
        self.chown = chown
        self.opaque_xattr = opaque_xattr
        self.metadata = metadata
        self.result = ApplyResult()
        self.written: set[str] = set()
        self.dir_times: list[tuple[str, int]] = []

    def apply(self, archive: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        parts = _split(member.name)
        if not parts:
            return  # "./" itself: the root's own metadata is not taken from a layer
        name = parts[-1]
        if self.whiteouts is not WhiteoutMode.KEEP and name.startswith(WHITEOUT_PREFIX):
            self._whiteout(parts[:-1], name)
            return
        parent, name = self.resolver.resolve_parent(member.name, create=True)
        path = os.path.join(parent, name)
        _place(archive, member, path, self.resolver, self.result)
        self.written.add(path)
        self.result.written += 1
        _set_metadata(member, path, self.owner, self.chown, self.result)
        if self.metadata is not None:
            self.metadata[self._relative(path)] = member
        if member.isdir():
            self.dir_times.append((path, int(member.mtime)))
        elif os.path.lexists(path):
            os.utime(path, ns=(int(member.mtime) * 10**9,) * 2, follow_symlinks=False)

    def _whiteout(self, parent_parts: list[str], name: str) -> None:
        parent = self.resolver.resolve_dir(parent_parts, create=True)
        if self.whiteouts is WhiteoutMode.OVERLAY:
            _overlay_whiteout(parent, name, self.opaque_xattr)
            self.result.written += 1
        elif name == OPAQUE_MARKER:
            for child in os.listdir(parent):
                child_path = os.path.join(parent, child)
                if child_path not in self.written:
                    self._remove(child_path)
        else:
            self._remove(os.path.join(parent, name[len(WHITEOUT_PREFIX) :]))

    def _remove(self, path: str) -> None:
        if not os.path.lexists(path):
            return
        remove_path(path)
        self.result.removed += 1
        if self.metadata is not None:
            rel = self._relative(path)
            for key in [key for key in self.metadata if key == rel or key.startswith(rel + "/")]:
                del self.metadata[key]

    def _relative(self, path: str) -> str:
        return os.path.relpath(path, self.resolver.root)

    def finish(self) -> None:
        # Directory times last, deepest first, since writing inside a directory changes its mtime.
        for path, mtime in reversed(self.dir_times):
            os.utime(path, ns=(mtime * 10**9,) * 2, follow_symlinks=False)


def _overlay_whiteout(parent: str, name: str, opaque_xattr: str) -> None:
    try:
        if name == OPAQUE_MARKER:
            os.setxattr(parent, opaque_xattr, b"y", follow_symlinks=False)
            return
        path = os.path.join(parent, name[len(WHITEOUT_PREFIX) :])
        remove_path(path)
        os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))
    except PermissionError as error:
        raise LayerError(
            f"cannot write an overlay whiteout in {parent}: {error.strerror}",
            hint="overlay whiteouts need root or a user namespace on Linux 5.8+; apply layers flattened instead",
        ) from error


def _place(
    archive: tarfile.TarFile, member: tarfile.TarInfo, path: str, resolver: _Root, result: ApplyResult
) -> None:
    existing = os.lstat(path) if os.path.lexists(path) else None
    if member.isdir():
        if existing is not None and stat.S_ISDIR(existing.st_mode):
            return  # directories merge with what lies below
        if existing is not None:
            remove_path(path)
        os.mkdir(path, 0o700)
        return
    if existing is not None:
        remove_path(path)
    if member.isreg():
        source = archive.extractfile(member)
        assert source is not None
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, _COPY_CHUNK)
    elif member.issym():
        os.symlink(member.linkname, path)
    elif member.islnk():
        source_path = _link_source(resolver, member.linkname)
        if source_path is None:
            raise LayerError(
                f"hardlink {member.name} points to {member.linkname}, which the layer does not have"
            )
        os.link(source_path, path, follow_symlinks=False)
    elif member.ischr() or member.isblk():
        kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
        try:
            os.mknod(path, kind | 0o600, os.makedev(member.devmajor, member.devminor))
        except PermissionError:
            result.warnings.append(f"{member.name}: device node not created (no permission)")
    elif member.isfifo():
        os.mkfifo(path, 0o600)
    else:
        raise LayerError(f"layer entry {member.name} has an unsupported type {member.type!r}")


def _link_source(resolver: _Root, linkname: str) -> str | None:
    """Where a hardlink's target is below the root (its parents resolved inside it), or None if missing."""
    try:
        parent, name = resolver.resolve_parent(linkname, create=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    path = os.path.join(parent, name)
    return path if os.path.lexists(path) else None


def _set_metadata(
    member: tarfile.TarInfo,
    path: str,
    owner: bool,
    chown: Callable[[int, int], tuple[int, int]] | None,
    result: ApplyResult,
) -> None:
    if not os.path.lexists(path):
        return  # a device node we could not create
    if owner:
        uid, gid = (member.uid, member.gid) if chown is None else chown(member.uid, member.gid)
        try:
            os.chown(path, uid, gid, follow_symlinks=False)
        except PermissionError:
            result.warnings.append(f"{member.name}: owner {uid}:{gid} not set (no permission)")
    for key, value in member.pax_headers.items():
        if not key.startswith("SCHILY.xattr."):
            continue
        name = key[len("SCHILY.xattr.") :]
        try:
            os.setxattr(path, name, value.encode("utf-8", "surrogateescape"), follow_symlinks=False)
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EACCES, errno.EOPNOTSUPP):
                raise
            result.warnings.append(f"{member.name}: xattr {name} not set ({error.strerror})")
    if not member.issym():
        # chmod after chown: chown clears the set-user-ID bits. `path` is not a symlink (we just made it).
        os.chmod(path, member.mode & 0o7777)
