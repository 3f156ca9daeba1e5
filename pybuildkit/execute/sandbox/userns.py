"""Run a Python function as root of a user namespace with the sandbox's ID maps.

Rootless builds need this outside RUN too: an upperdir holds files owned by subordinate ids that the
ordinary user can neither read (to write the layer tar) nor delete (cleaning up), and unpacking a layer
must `chown` to ids only the namespace maps. Inside the namespace the user is root over every mapped id.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pybuildkit.errors import SandboxError
from pybuildkit.execute.sandbox import libc
from pybuildkit.execute.sandbox.idmap import detect_mapping, write_maps
from pybuildkit.execute.sandbox.protocol import close_all_but
from pybuildkit.execute.sandbox.spec import IdMapMethod

T = TypeVar("T")

__all__ = ["call_in_userns", "remove_tree"]


def call_in_userns(func: Callable[[], T]) -> T:
    """Call `func()` in a forked child that is root of a new user (and mount) namespace mapped as
    `detect_mapping()` says; return its (pickled) result or raise `SandboxError` with its error.

    As real root this still forks, so `func` sees the same conditions in both cases.
    """
    mapping = detect_mapping()
    sync_r, sync_w = os.pipe()
    go_r, go_w = os.pipe()
    out_r, out_w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(sync_r)
            os.close(go_w)
            os.close(out_r)
            close_all_but({0, 1, 2, sync_w, go_r, out_w})
            libc.prctl(libc.PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:
                os._exit(1)
            libc.unshare(libc.CLONE_NEWUSER | libc.CLONE_NEWNS)
            os.write(sync_w, b"U")
            if os.read(go_r, 1) == b"G":
                try:
                    payload = pickle.dumps((True, func()))
                except BaseException as error:
                    payload = pickle.dumps((False, f"{type(error).__name__}: {error}"))
                with os.fdopen(out_w, "wb") as out:
                    out.write(payload)
                code = 0
        except BaseException as error:
            with contextlib.suppress(BaseException):
                os.write(out_w, pickle.dumps((False, f"user namespace: {error}")))
        finally:
            os._exit(code)
    os.close(sync_w)
    os.close(go_r)
    os.close(out_w)
    chunks: list[bytes] = []
    finished = False
    try:
        if os.read(sync_r, 1) == b"U":
            write_maps(pid, mapping)
            os.write(go_w, b"G")
        os.close(go_w)
        while chunk := os.read(out_r, 1 << 16):
            chunks.append(chunk)
        finished = True
    finally:
        for fd in (sync_r, out_r, go_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        if not finished:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if not chunks:
        raise SandboxError("the user-namespace helper died without an answer")
    ok, value = pickle.loads(b"".join(chunks))
    if not ok:
        raise SandboxError(str(value))
    result: T = value
    return result


def remove_tree(path: Path) -> None:
    """Delete `path` (an upperdir, a scratch dir) even when it holds files owned by subordinate ids or
    overlay's mode-000 work directory, which the ordinary user cannot remove directly."""
    if not os.path.lexists(path):
        return
    try:
        shutil.rmtree(path)
        return
    except PermissionError:
        if detect_mapping().method is IdMapMethod.ROOT:
            raise
    target = os.fspath(path)
    call_in_userns(lambda: shutil.rmtree(target))
