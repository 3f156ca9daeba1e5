"""Reading one file of an image through its unpacked layers, with overlay's rules, without mounting.

`COPY --chown=name` and `USER name` need the image's /etc/passwd and /etc/group before any sandbox
exists. Layers are overlay-format directories, top-most first: a 0/0 character device hides the path
below it, a directory marked opaque hides the directories below it, and a non-directory hides all below.
Symbolic links resolve inside the image (an absolute target restarts at the image's root).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from pybuildkit.execute.sandbox.snapshot import OPAQUE_XATTRS
from pybuildkit.execute.sandbox.users import ExecUser, resolve_user

__all__ = ["find_in_layers", "read_text_in_layers", "resolve_user_in_layers"]

_MAX_SYMLINKS = 40


def _opaque(path: Path) -> bool:
    for name in OPAQUE_XATTRS:
        with contextlib.suppress(OSError):
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
    return False


def _entry(layers: list[Path], name: str) -> tuple[Path, os.stat_result, list[Path]] | None:
    """The visible entry `name` in a directory made of `layers` (top-first), and, when it is a
    directory, the layers that contribute to it."""
    found: tuple[Path, os.stat_result] | None = None
    contributing: list[Path] = []
    for layer in layers:
        path = layer / name
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
            break  # whiteout
        if found is None:
            found = (path, st)
        if not stat.S_ISDIR(found[1].st_mode) or not stat.S_ISDIR(st.st_mode):
            break
        contributing.append(path)
        if _opaque(path):
            break
    if found is None:
        return None
    return found[0], found[1], contributing


def find_in_layers(lowerdirs: tuple[Path, ...], path: str) -> Path | None:
    """The host path of the file the image shows at `path` (symlinks followed), or None."""
    root = list(lowerdirs)
    stack: list[list[Path]] = [root]
    pending = [p for p in reversed(path.split("/")) if p not in ("", ".")]
    links = 0
    while pending:
        name = pending.pop()
        if name == "..":
            if len(stack) > 1:
                stack.pop()
            continue
        entry = _entry(stack[-1], name)
        if entry is None:
            return None
        host, st, contributing = entry
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > _MAX_SYMLINKS:
                return None
            target = os.readlink(host)
            if target.startswith("/"):
                stack = [root]
            pending.extend(p for p in reversed(target.split("/")) if p not in ("", "."))
            continue
        if not pending:
            return host
        if not stat.S_ISDIR(st.st_mode):
            return None
        stack.append(contributing)
    return None


def read_text_in_layers(lowerdirs: tuple[Path, ...], path: str) -> str | None:
    """The text of the image's file at `path`, or None when it is absent or not a regular file."""
    host = find_in_layers(lowerdirs, path)
    if host is None or not host.is_file():
        return None
    try:
        return host.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def resolve_user_in_layers(user: str, lowerdirs: tuple[Path, ...]) -> ExecUser:
    """Docker's `user[:group]` resolved against the image's /etc/passwd and /etc/group."""
    return resolve_user(
        user, read_text_in_layers(lowerdirs, "/etc/passwd"), read_text_in_layers(lowerdirs, "/etc/group")
    )
