"""What a sandboxed run is asked to do (`RunSpec`) and what it reports back (`RunResult`).

Plain frozen values: the build executor fills a `RunSpec`, `run()` returns a `RunResult`. Paths on the host
are `Path`s; paths inside the container are POSIX strings (they are resolved inside the container's root).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Where a stream of the command goes: a file descriptor of the caller (passed straight through, zero copy),
# a callback that receives chunks as they arrive, or None for /dev/null.
Sink = int | Callable[[bytes], None] | None

DEFAULT_HOSTNAME = "buildkitsandbox"  # BuildKit's, executor/oci/hosts.go
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class NetworkMode(enum.Enum):
    """`RUN --network=`: `none` gets a fresh namespace with only `lo`; `host` shares the host's."""

    NONE = "none"
    HOST = "host"


class SnapshotMode(enum.Enum):
    """How the container's root filesystem is assembled and its changes captured."""

    OVERLAY = "overlay"  # overlayfs: lowerdirs + upperdir; the upperdir is the diff
    COPY = "copy"  # no overlayfs: lowers flattened into a copy, changes found by comparing afterwards


class IdMapMethod(enum.Enum):
    """How the user namespace's ID maps were written."""

    ROOT = "root"  # real root: identity map of the whole range, written directly
    SUBID = "subid"  # ordinary user with /etc/subuid + /etc/subgid ranges, through newuidmap/newgidmap
    SINGLE = "single"  # ordinary user without ranges: only the user, mapped to root; setgroups denied


@dataclass(frozen=True, slots=True, kw_only=True)
class IdRange:
    """One line of /proc/PID/uid_map: `size` ids from `container` inside map to `host` outside."""

    container: int
    host: int
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class IdMap:
    """A uid or gid map. Translates both ways; None means the id is not mapped."""

    ranges: tuple[IdRange, ...]

    def to_host(self, container_id: int) -> int | None:
        for r in self.ranges:
            if r.container <= container_id < r.container + r.size:
                return r.host + container_id - r.container
        return None

    def to_container(self, host_id: int) -> int | None:
        for r in self.ranges:
            if r.host <= host_id < r.host + r.size:
                return r.container + host_id - r.host
        return None

    @property
    def is_identity(self) -> bool:
        return all(r.container == r.host for r in self.ranges)

    def proc_text(self) -> str:
        """The text written to /proc/PID/{uid,gid}_map."""
        return "".join(f"{r.container} {r.host} {r.size}\n" for r in self.ranges)


@dataclass(frozen=True, slots=True, kw_only=True)
class IdMapping:
    """The user namespace's uid and gid maps, and how they were obtained."""

    method: IdMapMethod
    uids: IdMap
    gids: IdMap

    @property
    def full_range(self) -> bool:
        """True when the container sees more than root alone (chown, apt-get, adduser work)."""
        return self.method is not IdMapMethod.SINGLE


@dataclass(frozen=True, slots=True, kw_only=True)
class BindMount:
    """A host path (directory, file or socket) seen at `target`; read-only unless `readonly=False`."""

    source: Path
    target: str
    readonly: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class TmpfsMount:
    """A fresh tmpfs at `target`; `size` in bytes (None: the kernel's default, half of RAM)."""

    target: str
    size: int | None = None
    mode: int = 0o1777


@dataclass(frozen=True, slots=True, kw_only=True)
class FileMount:
    """A read-only file with `content` at `target` (secrets). It lives in memory only (a private tmpfs)
    and is owned by the in-container `uid`:`gid` with `mode`; it never reaches the upperdir."""

    target: str
    content: bytes = field(repr=False)
    mode: int = 0o400
    uid: int = 0
    gid: int = 0


Mount = BindMount | TmpfsMount | FileMount


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSpec:
    """One process to run in a fresh sandbox.

    `lowerdirs` are the unpacked parent layers, top-most first (overlay order), never written. `upperdir`
    receives every change (it is the new layer, in overlay format). `scratch` is an empty (or absent)
    directory on the same filesystem as `upperdir`, private to this run: it holds overlay's workdir, the
    mount point and generated /etc files; `run` empties it before returning (and removes it if it did not
    exist). After an interruption, delete it (and a discarded upperdir) with `remove_tree`.
    `user` is Docker's USER syntax (`name`, `uid`, `name:group`, `uid:gid`; empty = root), resolved in the
    container's /etc/passwd and /etc/group.
    """

    lowerdirs: tuple[Path, ...]
    upperdir: Path
    scratch: Path
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    cwd: str = "/"
    user: str = ""
    network: NetworkMode = NetworkMode.HOST
    hostname: str = DEFAULT_HOSTNAME
    extra_hosts: tuple[tuple[str, str], ...] = ()  # (name, ip), as `--add-host name:ip`
    mounts: tuple[Mount, ...] = ()
    stdin: int | None = None  # a file descriptor, or None for /dev/null
    stdout: Sink = None
    stderr: Sink = None
    timeout: float | None = None  # seconds; the whole process tree is killed when it runs out
    snapshot: SnapshotMode | None = None  # None: overlay when the machine allows it, else copy
    # False (builds): the sandbox gets its own process group, so the terminal's Ctrl-C reaches only the
    # caller, which tears the sandbox down. True (`pybuildkit run` on a terminal): it stays in the
    # caller's foreground group, so the command can read the terminal and gets its signals itself.
    foreground: bool = False
    # Called in the caller's thread with the host pid of the sandbox's init once it exists: a signal
    # sent to that pid (TERM, INT, HUP, QUIT, USR1, USR2, WINCH) is forwarded to the command.
    on_start: Callable[[int], None] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """What happened. `exit_code` is the command's (128+N when killed by signal N, 127 when the
    executable was not found, 126 when it could not be executed).

    The upperdir holds the changes in overlay format: a deleted path is a 0/0 character device, a
    directory whose lower contents were replaced carries the xattr named `opaque_xattr` set to "y".
    Its files carry host ids: translate them with `idmap` (identity when running as real root), or,
    simpler and necessary when rootless (files of other container users may be unreadable), read the
    upperdir inside `call_in_userns`, where stat() already reports the in-container ids.
    `placeholders` lists container paths this run had to create as mount points and could not remove
    afterwards (the command wrote beside them); the layer writer must leave them out of the layer.
    """

    exit_code: int
    signal: int | None = None
    exec_error: str | None = None
    timed_out: bool = False
    snapshot: SnapshotMode
    idmap: IdMapping
    opaque_xattr: str
    placeholders: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    duration: float = 0.0
