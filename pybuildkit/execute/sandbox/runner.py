"""`run(spec)`: one command in fresh user, mount, PID, UTS, IPC (and optionally network) namespaces.

Process tree, and why each process exists:

    caller (P) ── fork ──► C: unshare(user+mnt+pid+uts+ipc[+net]); P writes C's uid/gid maps;
                           C can only give its *children* the new PID namespace, so it forks
                    └────► I: PID 1. Mounts the overlay, /proc (Docker's masked and read-only
                           paths), /dev, /sys, the /etc files and the mounts, pivots into the
                           root, then forks
                           └────► W: keeps Docker's default capabilities only, becomes the USER
                                  and execs the command.
                           I reaps zombies and forwards signals; when W exits, I removes the mount
                           points it had to create, reports W's status to P and exits, which
                           kills whatever is left in the PID namespace.

Every mount lives in the namespace only, so it vanishes with the last process in it: an interrupted run
leaves nothing mounted. If P dies, C dies (PDEATHSIG) and so does I, and with I the whole tree.

P's side is this module; C, I and W run `child`. Where overlayfs cannot be mounted, the lowers are
copied and compared instead (`snapshot`), and the upperdir comes out in the same format.

After fork only pre-imported code runs (no imports, no logging: another thread of P may have held their
locks at fork time). A child never raises into P's code: it reports a one-line reason on a pipe and exits.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import selectors
import shutil
import signal
import stat
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from pybuildkit.errors import SandboxError
from pybuildkit.execute.sandbox.child import namespace_holder
from pybuildkit.execute.sandbox.etcfiles import hostname_file, hosts_file, resolv_conf
from pybuildkit.execute.sandbox.idmap import detect_mapping, write_maps
from pybuildkit.execute.sandbox.protocol import (
    EXEC,
    MAX_MOUNT_DATA,
    OVERLAY,
    SETUP,
    USER,
    Failure,
    Plan,
    Report,
    close_all_but,
    close_quietly,
    overlay_options,
    send_error,
)
from pybuildkit.execute.sandbox.snapshot import Baseline, diff_into, flatten, take_baseline
from pybuildkit.execute.sandbox.spec import (
    BindMount,
    FileMount,
    IdMapping,
    RunResult,
    RunSpec,
    SnapshotMode,
    TmpfsMount,
)
from pybuildkit.execute.sandbox.userns import call_in_userns, remove_tree
from pybuildkit.execute.sandbox.users import UserLookupError

__all__ = ["SandboxSetupError", "run"]

_OPAQUE_XATTR = "user.overlay.opaque"  # overlay's name with `userxattr`; the copy snapshot uses it too


class SandboxSetupError(SandboxError):
    """A step of the sandbox set-up failed inside the child; the message names the step."""


def run(spec: RunSpec) -> RunResult:
    """Run `spec.argv` in a fresh sandbox over `spec.lowerdirs` + `spec.upperdir`; block until it exits.

    Raises `SandboxError` when the machine cannot give the sandbox what it needs, `UserLookupError`
    when `spec.user` is unknown in the image. The command's own failure is a non-zero `exit_code`.
    """
    if not spec.argv:
        raise SandboxError("nothing to run: the command is empty")
    started = time.monotonic()
    mapping = detect_mapping()
    # Overlay is tried every time (a failed mount costs one fork): its failure can depend on the paths
    # (an upperdir on a filesystem overlay cannot use), not only on the machine.
    try:
        return _run_in(spec.snapshot or SnapshotMode.OVERLAY, spec, mapping, started, None)
    except _OverlayUnavailableError as error:
        if spec.snapshot is not None:
            raise SandboxSetupError(error.message, hint=error.hint) from None
        reason = error.message
    return _run_in(SnapshotMode.COPY, spec, mapping, started, reason)


class _OverlayUnavailableError(SandboxError):
    pass


def _run_in(
    mode: SnapshotMode, spec: RunSpec, mapping: IdMapping, started: float, overlay_failure: str | None
) -> RunResult:
    created_scratch = not os.path.lexists(spec.scratch)
    try:
        return _run_planned(mode, spec, mapping, started, overlay_failure)
    finally:
        _clean_scratch(spec.scratch, remove_itself=created_scratch)


_SCRATCH_PARTS = ("work", "stubs", "rootfs")


def _clean_scratch(scratch: Path, *, remove_itself: bool) -> None:
    """Remove what a run put in its scratch directory (overlay leaves mode-000 directories in its
    workdir; the copy snapshot leaves files of every mapped owner, which may need the namespace)."""
    for name in _SCRATCH_PARTS:
        path = scratch / name
        if not os.path.lexists(path):
            continue
        try:
            _open_up(path)
            shutil.rmtree(path)
        except OSError:
            with contextlib.suppress(OSError, SandboxError):
                remove_tree(path)
    if remove_itself:
        with contextlib.suppress(OSError):
            scratch.rmdir()


def _open_up(path: Path) -> None:
    """chmod u+rwx every directory below `path` whose mode keeps its owner out (overlay's work/work)."""
    for entry in os.scandir(path) if os.access(path, os.R_OK | os.X_OK) else ():
        if entry.is_dir(follow_symlinks=False):
            if entry.stat(follow_symlinks=False).st_mode & 0o700 != 0o700:
                os.chmod(entry.path, 0o700)
            _open_up(Path(entry.path))


def _run_planned(
    mode: SnapshotMode, spec: RunSpec, mapping: IdMapping, started: float, overlay_failure: str | None
) -> RunResult:
    plan = _prepare(spec, mapping, mode)
    match mode:
        case SnapshotMode.OVERLAY:
            with ExitStack() as stack:
                return _launch(plan, stack, started)
        case SnapshotMode.COPY:
            lowers = (*spec.lowerdirs, *(Path(p) for p in plan.stub_layers))
            rootfs = Path(plan.rootfs)

            def copy() -> Baseline:
                flatten(lowers, rootfs)
                return take_baseline(rootfs)

            baseline = call_in_userns(copy)
            with ExitStack() as stack:
                result = _launch(plan, stack, started)
            upper = spec.upperdir
            call_in_userns(lambda: diff_into(rootfs, baseline, upper, _OPAQUE_XATTR))
            note = "overlayfs unavailable; used a copy-and-compare snapshot"
            if overlay_failure:
                note += f" ({overlay_failure})"
            return dataclasses.replace(
                result, warnings=(note, *result.warnings), duration=time.monotonic() - started
            )


# ---------------------------------------------------------------------------------------------- parent


def _check_overlay_path(path: Path) -> str:
    text = os.fsdecode(path.resolve())
    if any(c in text for c in ",:\\\n"):
        raise _OverlayUnavailableError(
            f"overlay cannot use the path {text!r} (it contains ',', ':' or '\\\\')",
            hint="keep the store and scratch directories under a plain path",
        )
    return text


def _prepare(spec: RunSpec, mapping: IdMapping, mode: SnapshotMode) -> Plan:
    """Only the overlay workdir (and the few mount points a run's own mounts need) are made per run:
    everything constant lives in the process's shared directory, as the disk may be slow."""
    scratch = spec.scratch
    shared = _shared_dir()
    scratch.mkdir(parents=True, exist_ok=True)
    spec.upperdir.mkdir(mode=0o755, parents=True, exist_ok=True)
    _match_root_dir(spec)
    stub_layers = [shared / "stubs"]
    if spec.mounts:
        _make_stubs(scratch / "stubs", spec)
        stub_layers.insert(0, scratch / "stubs")
    etc_files = (
        ("/etc/hosts", _cached_file(shared, hosts_file(spec.hostname, spec.extra_hosts))),
        ("/etc/resolv.conf", _cached_file(shared, resolv_conf(spec.network))),
        ("/etc/hostname", _cached_file(shared, hostname_file(spec.hostname))),
    )
    lowers: tuple[str, ...] = ()
    upper = work = ""
    match mode:
        case SnapshotMode.COPY:
            (scratch / "rootfs").mkdir(exist_ok=True)
        case SnapshotMode.OVERLAY:
            (scratch / "work").mkdir(exist_ok=True)
            lowers, upper, work = _overlay_paths(spec, tuple(stub_layers))
    return Plan(
        spec=spec,
        mapping=mapping,
        root=str(shared / "root"),
        overlay_lowers=lowers,
        overlay_upper=upper,
        overlay_work=work,
        stub_layers=tuple(str(p) for p in stub_layers),
        etc_files=etc_files,
        files_dir=str(shared / "files"),
        parent_pid=os.getpid(),
        mode=mode,
        rootfs=str((scratch / "rootfs").resolve()),
    )


@functools.cache
def _shared_dir() -> Path:
    """This process's constant sandbox parts: the common stub layer (empty /proc, /dev, /sys and
    /etc files to mount over), generated /etc files by content, and the mount points for the root and
    the secret tmpfs. Mount points can be shared by concurrent runs: each mounts in its own namespace."""
    base = Path(tempfile.mkdtemp(prefix="pbkit-sandbox-")).resolve()
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    os.chmod(base, 0o755)
    for rel in ("root", "files", "etc", "stubs/proc", "stubs/dev", "stubs/sys", "stubs/etc"):
        (base / rel).mkdir(parents=True, exist_ok=True)
        os.chmod(base / rel, 0o755)
    for rel in ("stubs/etc/hosts", "stubs/etc/resolv.conf", "stubs/etc/hostname"):
        (base / rel).touch()
        os.chmod(base / rel, 0o644)
    return base


def _cached_file(shared: Path, text: str) -> str:
    """A read-only file with `text`, shared by every run that needs the same content."""
    data = text.encode()
    path = shared / "etc" / hashlib.sha256(data).hexdigest()[:32]
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return str(path)


def _overlay_paths(spec: RunSpec, stubs: tuple[Path, ...]) -> tuple[tuple[str, ...], str, str]:
    """(lowerdirs, upperdir, workdir) for overlayfs, checked for what its option syntax cannot carry."""
    lowers = tuple(_check_overlay_path(p) for p in (*spec.lowerdirs, *stubs))
    upper = _check_overlay_path(spec.upperdir)
    work = _check_overlay_path(spec.scratch / "work")
    # Even named by file descriptor (about 18 bytes a layer), the options must fit mount(2)'s page.
    if len(overlay_options(tuple("/proc/self/fd/1000" for _ in lowers), upper, work)) > MAX_MOUNT_DATA:
        raise _OverlayUnavailableError(f"too many layers for one overlay mount ({len(lowers)})")
    return lowers, upper, work


def _match_root_dir(spec: RunSpec) -> None:
    """The container's / takes the upperdir's owner and mode: give a fresh upperdir those of the
    image's /, so that a `mkdir -m 700` upperdir cannot lock a non-root USER out of the root."""
    if any(spec.upperdir.iterdir()):
        return
    if not spec.lowerdirs:  # FROM scratch: Docker's / is 0755, whatever the caller's umask
        os.chmod(spec.upperdir, 0o755)
        return
    want = os.lstat(spec.lowerdirs[0])
    have = os.lstat(spec.upperdir)
    if (have.st_uid, have.st_gid) != (want.st_uid, want.st_gid):
        with contextlib.suppress(PermissionError):
            os.lchown(spec.upperdir, want.st_uid, want.st_gid)
    if stat.S_IMODE(have.st_mode) != stat.S_IMODE(want.st_mode):
        os.chmod(spec.upperdir, stat.S_IMODE(want.st_mode))


def _make_stubs(stubs: Path, spec: RunSpec) -> None:
    """A stub layer for this run's own mount targets (just above the shared one), so that a target
    the image lacks needs no placeholder in the upperdir; the image's own entries, above, win."""
    dirs: list[str] = []
    files: list[str] = []
    for mount in spec.mounts:
        rel = mount.target.strip("/")
        if not rel or ".." in rel.split("/"):
            continue
        match mount:
            case FileMount():
                files.append(rel)
            case TmpfsMount():
                dirs.append(rel)
            case BindMount(source=source):
                (files if not source.is_dir() else dirs).append(rel)
    stubs.mkdir(exist_ok=True)
    for rel in dirs:
        _mkdirs(stubs, rel)
    for rel in files:
        _mkdirs(stubs, rel.rpartition("/")[0])
        if not (stubs / rel).exists():
            (stubs / rel).touch()
            os.chmod(stubs / rel, 0o644)


def _mkdirs(base: Path, rel: str) -> None:
    """mkdir -p with mode 0755 whatever the umask (the stubs show through as the container's dirs)."""
    current = base
    for part in (p for p in rel.split("/") if p):
        current = current / part
        if not current.is_dir():
            current.mkdir()
            os.chmod(current, 0o755)


def _open_sink(sink: object, owned: list[int], readers: dict[int, Callable[[bytes], None]]) -> int:
    """The fd W writes to; fds created here are appended to `owned` (P closes them after fork)."""
    if sink is None:
        fd = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
        owned.append(fd)
        return fd
    if isinstance(sink, int):
        return sink
    if callable(sink):
        r, w = os.pipe()
        readers[r] = sink
        owned.append(w)
        return w
    raise TypeError(f"bad sink: {sink!r}")


def _close_all(fds: dict[int, Callable[[bytes], None]]) -> None:
    for fd in fds:
        close_quietly(fd)


def _launch(plan: Plan, stack: ExitStack, started: float) -> RunResult:
    spec = plan.spec
    readers: dict[int, Callable[[bytes], None]] = {}
    owned: list[int] = []  # fds only the children use: P closes them right after fork

    def close_owned() -> None:
        while owned:
            close_quietly(owned.pop())

    stack.callback(close_owned)
    stack.callback(lambda: _close_all(readers))
    stdout_fd = _open_sink(spec.stdout, owned, readers)
    stderr_fd = _open_sink(spec.stderr, owned, readers)
    if spec.stdin is None:
        stdin_fd = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        owned.append(stdin_fd)
    else:
        stdin_fd = spec.stdin

    sync_r, sync_w = os.pipe()
    go_r, go_w = os.pipe()
    err_r, err_w = os.pipe()
    report_r, report_w = os.pipe()
    owned.extend((sync_w, go_r, err_w, report_w))
    for fd in (sync_r, go_w, err_r, report_r):
        stack.callback(close_quietly, fd)
    plan.fds = {
        "stdin": stdin_fd,
        "stdout": stdout_fd,
        "stderr": stderr_fd,
        "sync_w": sync_w,
        "go_r": go_r,
        "err_w": err_w,
        "report_w": report_w,
    }
    parent_only = (sync_r, go_w, err_r, report_r, *readers)

    pid = os.fork()
    if pid == 0:  # C
        code = 1
        try:
            for fd in parent_only:
                os.close(fd)
            # Another thread's pipes, inherited by this fork, would keep its run from seeing EOF.
            close_all_but(set(plan.fds.values()) | {0, 1, 2})
            code = namespace_holder(plan)
        except Failure as failure:
            send_error(err_w, failure.kind, failure.text)
        except BaseException as error:
            send_error(err_w, SETUP, f"sandbox: {error}")
        finally:
            os._exit(code)

    # P
    init_pid = 0

    def kill_tree() -> None:
        for target in (init_pid, pid):
            if target:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(target, signal.SIGKILL)

    waited = False

    def reap() -> None:
        if not waited:
            kill_tree()
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)

    stack.callback(reap)
    close_owned()

    if os.read(sync_r, 1) == b"U":
        try:
            write_maps(pid, plan.mapping)
        except BaseException:
            kill_tree()
            raise
        os.write(go_w, b"G")
        raw = _read_exact(sync_r, 4)
        if len(raw) == 4:
            init_pid = struct.unpack("i", raw)[0]
            if spec.on_start is not None:
                spec.on_start(init_pid)

    error_text, report, timed_out = _pump(err_r, report_r, readers, spec.timeout, kill_tree)
    _, status = os.waitpid(pid, 0)
    waited = True

    exec_error: str | None = None
    exec_code = ""
    if error_text:
        kind, text = error_text[:1], error_text[1:].decode(errors="replace")
        if kind == EXEC:
            exec_code, _, exec_error = text.partition(":")
        elif kind == USER:
            raise UserLookupError(text)
        elif kind == OVERLAY:
            raise _OverlayUnavailableError(text, hint=_hint_for(text))
        else:
            raise SandboxSetupError(text, hint=_hint_for(text))

    warnings: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = ()
    signum: int | None = None
    if report is not None:
        w_status = report.status
        placeholders = report.left
        warnings = report.warnings
        if os.WIFSIGNALED(w_status):
            signum = os.WTERMSIG(w_status)
            exit_code = 128 + signum
        else:
            exit_code = os.WEXITSTATUS(w_status)
    elif os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        exit_code = 128 + signum
    else:
        exit_code = os.WEXITSTATUS(status)
    if exec_error is not None:
        exit_code = int(exec_code) if exec_code.isdigit() else 127
    return RunResult(
        exit_code=exit_code,
        signal=signum,
        exec_error=exec_error,
        timed_out=timed_out,
        snapshot=plan.mode,
        idmap=plan.mapping,
        opaque_xattr=_OPAQUE_XATTR,
        placeholders=placeholders,
        warnings=warnings,
        duration=time.monotonic() - started,
    )


def _hint_for(text: str) -> str:
    if "overlay" in text:
        return "overlayfs in a user namespace needs Linux 5.11+; run `pybuildkit doctor`"
    if "unshare" in text:
        return "user namespaces may be disabled or restricted here; run `pybuildkit doctor`"
    return "run `pybuildkit doctor` to see what this machine allows"


def _read_exact(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _pump(
    err_r: int,
    report_r: int,
    readers: dict[int, Callable[[bytes], None]],
    timeout: float | None,
    kill_tree: Callable[[], None],
) -> tuple[bytes, Report | None, bool]:
    """Stream output to the callbacks and collect the error and report pipes until all reach EOF."""
    deadline = None if timeout is None else time.monotonic() + timeout
    error = bytearray()
    report = bytearray()
    timed_out = False
    with selectors.DefaultSelector() as selector:
        for fd in (err_r, report_r, *readers):
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            events = selector.select(wait)
            if not events and deadline is not None and time.monotonic() >= deadline and not timed_out:
                timed_out = True
                kill_tree()
                deadline = None
                continue
            for key, _ in events:
                fd = int(key.fd)
                chunk = os.read(fd, 65536)
                if not chunk:
                    selector.unregister(fd)
                    continue
                if fd == err_r:
                    error += chunk
                elif fd == report_r:
                    report += chunk
                else:
                    readers[fd](chunk)
    parsed: Report | None = None
    if report:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            raw = json.loads(report)
            parsed = Report(
                status=int(raw["status"]),
                left=tuple(str(x) for x in raw["left"]),
                warnings=tuple(str(x) for x in raw["warnings"]),
            )
    return bytes(error), parsed, timed_out
