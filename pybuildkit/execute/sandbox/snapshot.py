"""Copy-and-compare snapshots, for machines where overlayfs cannot be mounted in a user namespace.

`flatten` merges overlay-format layers (top-most first, with 0/0 whiteouts and opaque xattrs) into one
plain tree; `take_baseline` records every entry's inode, type and ctime; after the run, `diff_into` writes
what changed into an upperdir in exactly the format overlayfs would have left, so the layer writer reads
one format only. ctime cannot be set from user space, so an entry whose inode and ctime are unchanged is
unchanged. All three run inside the user namespace (see `call_in_userns`) to own every mapped id.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from pybuildkit.layers import remove_path

__all__ = ["Baseline", "diff_into", "flatten", "take_baseline"]

OPAQUE_XATTRS = ("user.overlay.opaque", "trusted.overlay.opaque")
_WHITEOUT_DEV = os.makedev(0, 0)
_MARK = "user.pbuildkit.baseline"  # set on every directory of the copy when the baseline is taken


@dataclass(frozen=True, slots=True, kw_only=True)
class _Seen:
    mode: int
    ino: int
    ctime_ns: int


Baseline = dict[str, _Seen]


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == _WHITEOUT_DEV


def _is_opaque(path: str) -> bool:
    for name in OPAQUE_XATTRS:
        with contextlib.suppress(OSError):
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
    return False


def _copy_xattrs(src: str, dst: str) -> None:
    try:
        names = os.listxattr(src, follow_symlinks=False)
    except OSError:
        return
    for name in names:
        if name.startswith(("trusted.overlay.", "user.overlay.", _MARK)):
            continue
        with contextlib.suppress(OSError):
            os.setxattr(dst, name, os.getxattr(src, name, follow_symlinks=False), follow_symlinks=False)


def _set_owner_mode(dst: str, st: os.stat_result) -> None:
    os.lchown(dst, st.st_uid, st.st_gid)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(dst, stat.S_IMODE(st.st_mode))  # after chown, which clears set-id bits


def _copy_entry(src: str, dst: str, st: os.stat_result, links: dict[tuple[int, int], str]) -> None:
    """Copy one non-directory entry with its owner, mode, times and xattrs (hard links kept)."""
    mode = st.st_mode
    if stat.S_ISREG(mode) and st.st_nlink > 1:
        first = links.get((st.st_dev, st.st_ino))
        if first is not None:
            os.link(first, dst)
            return
        links[(st.st_dev, st.st_ino)] = dst
    if stat.S_ISREG(mode):
        shutil.copyfile(src, dst, follow_symlinks=False)
    elif stat.S_ISLNK(mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
        os.mknod(dst, mode, st.st_rdev)
    else:  # sockets are not part of a filesystem snapshot
        return
    _set_owner_mode(dst, st)
    _copy_xattrs(src, dst)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def _make_dir(dst: str, st: os.stat_result, src: str) -> None:
    os.mkdir(dst, 0o700)
    _set_owner_mode(dst, st)
    _copy_xattrs(src, dst)


def flatten(lowerdirs: tuple[Path, ...], dest: Path) -> None:
    """Apply the layers bottom-up into `dest` (created), interpreting whiteouts and opaque dirs."""
    os.makedirs(dest, exist_ok=True)
    for layer in reversed(lowerdirs):
        _apply_layer(os.fspath(layer), os.fspath(dest))


def _apply_layer(layer: str, dest: str) -> None:
    links: dict[tuple[int, int], str] = {}
    dir_times: list[tuple[str, os.stat_result]] = []
    root_st = os.lstat(layer)
    if not os.listdir(dest):
        _set_owner_mode(dest, root_st)
    dir_times.append((dest, root_st))
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        src_dir = os.path.join(layer, rel_dir)
        for entry in sorted(os.scandir(src_dir), key=lambda e: e.name):
            rel = os.path.join(rel_dir, entry.name)
            src, dst = entry.path, os.path.join(dest, rel)
            st = entry.stat(follow_symlinks=False)
            if _is_whiteout(st):
                remove_path(dst)
                continue
            if stat.S_ISDIR(st.st_mode):
                existing = os.path.isdir(dst) and not os.path.islink(dst)
                if existing and _is_opaque(src):
                    shutil.rmtree(dst)
                    existing = False
                if not existing:
                    remove_path(dst)
                    _make_dir(dst, st, src)
                else:
                    _set_owner_mode(dst, st)
                dir_times.append((dst, st))
                stack.append(rel)
            else:
                remove_path(dst)
                _copy_entry(src, dst, st, links)
    for path, st in reversed(dir_times):
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def take_baseline(root: Path) -> Baseline:
    """Every entry of `root` (relative path -> inode, type, ctime). Directories get a marker xattr
    first: a directory removed and made again may reuse the inode number, but not the marker."""
    seen: Baseline = {}
    stack = [os.fspath(root)]
    base = len(os.fspath(root)) + 1
    while stack:
        directory = stack.pop()
        for entry in os.scandir(directory):
            if entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.setxattr(entry.path, _MARK, b"1", follow_symlinks=False)
                stack.append(entry.path)
            st = entry.stat(follow_symlinks=False)
            seen[entry.path[base:]] = _Seen(mode=st.st_mode, ino=st.st_ino, ctime_ns=st.st_ctime_ns)
    return seen


def _marked(path: str) -> bool:
    try:
        return os.getxattr(path, _MARK, follow_symlinks=False) == b"1"
    except OSError as error:
        # No xattr support at all: only the inode number can tell (as before).
        return error.errno not in (errno.ENODATA,)


def diff_into(root: Path, baseline: Baseline, upperdir: Path, opaque_xattr: str) -> int:
    """Write `root`'s changes since `baseline` into `upperdir` as overlayfs would; returns the count."""
    rootp, upper = os.fspath(root), os.fspath(upperdir)
    os.makedirs(upper, exist_ok=True)
    links: dict[tuple[int, int], str] = {}
    made_dirs: set[str] = {""}
    dir_times: list[tuple[str, os.stat_result]] = []
    present: set[str] = set()
    present_dirs: set[str] = {""}
    replaced_dirs: list[str] = []
    changes = 0

    def ensure_parents(rel: str) -> None:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub not in made_dirs:
                st = os.lstat(os.path.join(rootp, sub))
                _make_dir(os.path.join(upper, sub), st, os.path.join(rootp, sub))
                dir_times.append((os.path.join(upper, sub), st))
                made_dirs.add(sub)

    stack = [""]
    while stack:
        rel_dir = stack.pop()
        for entry in sorted(os.scandir(os.path.join(rootp, rel_dir)), key=lambda e: e.name):
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            present.add(rel)
            st = entry.stat(follow_symlinks=False)
            before = baseline.get(rel)
            is_dir = stat.S_ISDIR(st.st_mode)
            replaced = before is not None and (
                before.ino != st.st_ino
                or stat.S_IFMT(before.mode) != stat.S_IFMT(st.st_mode)
                or (is_dir and not _marked(entry.path))
            )
            changed = before is None or replaced or before.ctime_ns != st.st_ctime_ns
            if is_dir:
                present_dirs.add(rel)
                if changed:
                    ensure_parents(rel)
                    _make_dir(os.path.join(upper, rel), st, entry.path)
                    made_dirs.add(rel)
                    dir_times.append((os.path.join(upper, rel), st))
                    changes += 1
                    if before is not None and replaced and stat.S_ISDIR(before.mode):
                        # rm -rf then mkdir: nothing of the old directory may show through.
                        os.setxattr(os.path.join(upper, rel), opaque_xattr, b"y", follow_symlinks=False)
                        replaced_dirs.append(rel)
                stack.append(rel)
            elif changed:
                ensure_parents(rel)
                target = os.path.join(upper, rel)
                remove_path(target)
                _copy_entry(entry.path, target, st, links)
                changes += 1

    # A deleted path needs a whiteout unless an ancestor is gone too or was replaced (opaque).
    hidden = tuple(f"{d}/" for d in replaced_dirs)
    for rel in sorted(baseline):
        if rel in present or rel.startswith(hidden):
            continue
        if rel.rpartition("/")[0] not in present_dirs:
            continue  # its parent is gone or no longer a directory: hidden already
        ensure_parents(rel)
        os.mknod(os.path.join(upper, rel), stat.S_IFCHR, _WHITEOUT_DEV)
        changes += 1
    for path, st in reversed(dir_times):
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
    return changes
