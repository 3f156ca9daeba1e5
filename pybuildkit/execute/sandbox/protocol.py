"""What the caller and the sandbox's processes share: the plan handed over at fork, the messages on the
error pipe, the final report. Internal to the sandbox package."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

from pybuildkit.execute.sandbox.spec import IdMapping, RunSpec, SnapshotMode

# Kinds of message on the error pipe (first byte).
SETUP = b"E"  # the sandbox could not be set up: SandboxError
USER = b"U"  # the spec names something the image lacks (user, group, cwd): UserLookupError
EXEC = b"X"  # the command could not be executed: exit 126/127, reported in RunResult.exec_error
OVERLAY = b"O"  # overlayfs would not mount: fall back to the copy snapshot


class Failure(Exception):
    """Raised inside a child; turned into one message on the error pipe."""

    def __init__(self, kind: bytes, text: str) -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text


@dataclass(slots=True, kw_only=True)
class Placeholder:
    """A mount point the image lacked, created in the merged view (so in the upperdir)."""

    host_path: str
    is_dir: bool
    parent_times: tuple[int, int] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What I tells P at the end: W's wait status, mount points kept, warnings."""

    status: int
    left: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(slots=True, kw_only=True)
class Plan:
    """Everything the children need, computed in P before fork (children only act on it)."""

    spec: RunSpec
    mapping: IdMapping
    root: str
    overlay_lowers: tuple[str, ...]  # top-most first, the stub layer last
    overlay_upper: str
    overlay_work: str
    stub_layers: tuple[str, ...]
    etc_files: tuple[tuple[str, str], ...]  # (container path, host file)
    files_dir: str
    parent_pid: int
    mode: SnapshotMode
    rootfs: str
    fds: dict[str, int] = field(default_factory=dict)


MAX_MOUNT_DATA = 4000  # mount(2) copies one page of options; keep a margin


def overlay_options(lowers: tuple[str, ...], upper: str, work: str) -> str:
    # volatile: no sync of the upper filesystem at unmount (which flushes the *whole* filesystem, other
    # processes' writes included) and fsync is a no-op. An interrupted run's upperdir is discarded anyway.
    return f"lowerdir={':'.join(lowers)},upperdir={upper},workdir={work},userxattr,volatile"


def send_error(fd: int, kind: bytes, text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, kind + text.encode(errors="replace")[:4000])


def close_all_but(keep: set[int]) -> None:
    low = 0
    for fd in sorted(keep):
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 20)


def close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
