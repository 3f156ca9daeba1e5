"""Choosing and writing a user namespace's ID maps.

As real root: the identity map over the whole 32-bit range (files in the upperdir carry the in-container
ids). As an ordinary user with a subordinate range in /etc/subuid and /etc/subgid: root is the user and
1..N are the range, written by the setuid helpers newuidmap/newgidmap. Otherwise: the user alone as root.
"""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pybuildkit.errors import SandboxError
from pybuildkit.execute.sandbox.spec import IdMap, IdMapMethod, IdMapping, IdRange

_FULL = 4294967295  # the initial namespace's map: "0 0 4294967295"


@dataclass(frozen=True, slots=True, kw_only=True)
class SubordinateRange:
    start: int
    count: int


def subordinate_ranges(path: Path, user: str, uid: int) -> tuple[SubordinateRange, ...]:
    """The ranges /etc/subuid (or /etc/subgid) grants to `user` (by name or number)."""
    try:
        text = path.read_text()
    except OSError:
        return ()
    found = []
    for line in text.splitlines():
        parts = line.strip().split(":")
        if len(parts) != 3 or parts[0] not in (user, str(uid)):
            continue
        if parts[1].isdigit() and parts[2].isdigit() and int(parts[2]) > 0:
            found.append(SubordinateRange(start=int(parts[1]), count=int(parts[2])))
    return tuple(found)


def find_id_helper(name: str) -> str | None:
    """The path of newuidmap/newgidmap when it can work (setuid root, or file capabilities)."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
    if path is None:
        return None
    st = os.stat(path)
    return path if st.st_mode & 0o4000 and st.st_uid == 0 else _maybe_capability(path)


def _maybe_capability(path: str) -> str | None:
    try:
        os.getxattr(path, "security.capability")
    except OSError:
        return None
    return path


@functools.cache
def detect_mapping() -> IdMapping:
    """The mapping a sandbox of this process will get (cached: the machine does not change mid-build)."""
    euid, egid = os.geteuid(), os.getegid()
    if euid == 0:
        identity = IdMap(ranges=(IdRange(container=0, host=0, size=_FULL),))
        return IdMapping(method=IdMapMethod.ROOT, uids=identity, gids=identity)
    try:
        name = pwd.getpwuid(euid).pw_name
    except KeyError:
        name = str(euid)
    subuids = subordinate_ranges(Path("/etc/subuid"), name, euid)
    subgids = subordinate_ranges(Path("/etc/subgid"), name, euid)
    if subuids and subgids and find_id_helper("newuidmap") and find_id_helper("newgidmap"):
        return IdMapping(
            method=IdMapMethod.SUBID,
            uids=_with_range(euid, subuids),
            gids=_with_range(egid, subgids),
        )
    return IdMapping(
        method=IdMapMethod.SINGLE,
        uids=IdMap(ranges=(IdRange(container=0, host=euid, size=1),)),
        gids=IdMap(ranges=(IdRange(container=0, host=egid, size=1),)),
    )


def _with_range(own: int, ranges: tuple[SubordinateRange, ...]) -> IdMap:
    out = [IdRange(container=0, host=own, size=1)]
    next_id = 1
    for r in ranges:
        out.append(IdRange(container=next_id, host=r.start, size=r.count))
        next_id += r.count
    return IdMap(ranges=tuple(out))


def write_maps(pid: int, mapping: IdMapping) -> None:
    """Write `mapping` for the (already unshared) user namespace of process `pid`."""
    match mapping.method:
        case IdMapMethod.ROOT:
            _write(f"/proc/{pid}/uid_map", mapping.uids.proc_text())
            _write(f"/proc/{pid}/gid_map", mapping.gids.proc_text())
        case IdMapMethod.SINGLE:
            _write(f"/proc/{pid}/setgroups", "deny")
            _write(f"/proc/{pid}/uid_map", mapping.uids.proc_text())
            _write(f"/proc/{pid}/gid_map", mapping.gids.proc_text())
        case IdMapMethod.SUBID:
            procs = [
                subprocess.Popen(
                    [find_id_helper(tool) or tool, str(pid), *_flat(idmap)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                for tool, idmap in (("newuidmap", mapping.uids), ("newgidmap", mapping.gids))
            ]
            for proc in procs:
                _, err = proc.communicate()
                if proc.returncode != 0:
                    tool = proc.args[0] if isinstance(proc.args, list) else "newuidmap"
                    raise SandboxError(
                        f"{tool} failed: {err.decode(errors='replace').strip()}",
                        hint="check /etc/subuid and /etc/subgid, and that newuidmap/newgidmap are setuid root"
                        " (run `pybuildkit doctor`)",
                    )


def _flat(idmap: IdMap) -> list[str]:
    return [str(v) for r in idmap.ranges for v in (r.container, r.host, r.size)]


def _write(path: str, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
    except OSError as error:
        raise SandboxError(
            f"cannot write {path}: {error.strerror}",
            hint="run `pybuildkit doctor` to see what this machine allows",
        ) from error
