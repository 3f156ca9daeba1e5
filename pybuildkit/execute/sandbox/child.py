"""The sandbox's side of a run: C enters the namespaces, I (PID 1) builds the root and reaps, W execs.

Runs only in forked children, so it imports nothing lazily and never returns into the caller's code:
a failure becomes one message on the error pipe (see `protocol`). The process tree is described in
`runner`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import select
import signal
import socket
import stat
import struct
from collections.abc import Callable

from pybuildkit.execute.sandbox import libc
from pybuildkit.execute.sandbox.protocol import (
    EXEC,
    MAX_MOUNT_DATA,
    OVERLAY,
    SETUP,
    USER,
    Failure,
    Placeholder,
    Plan,
    close_quietly,
    overlay_options,
    send_error,
)
from pybuildkit.execute.sandbox.spec import (
    DEFAULT_PATH,
    BindMount,
    FileMount,
    IdMapMethod,
    IdMapping,
    NetworkMode,
    SnapshotMode,
    TmpfsMount,
)
from pybuildkit.execute.sandbox.users import UserLookupError, resolve_user

__all__ = ["namespace_holder"]

_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_DEV_LINKS = (
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
)
_FORWARDED = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
)
_MAX_SYMLINKS = 40
# Docker's defaults (moby oci/defaults.go): hidden, and read-only.
_MASKED_PATHS = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
_READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
# Docker's default capability set for containers and RUN (moby oci/caps/defaults.go); the rest are
# dropped from the bounding set, so root in the sandbox cannot mount, load modules, change the clock...
_DEFAULT_CAPS = frozenset(
    {
        0,  # CHOWN
        1,  # DAC_OVERRIDE
        3,  # FOWNER
        4,  # FSETID
        5,  # KILL
        6,  # SETGID
        7,  # SETUID
        8,  # SETPCAP
        10,  # NET_BIND_SERVICE
        13,  # NET_RAW
        18,  # SYS_CHROOT
        27,  # MKNOD
        29,  # AUDIT_WRITE
        31,  # SETFCAP
    }
)
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_IFF_RUNNING = 0x40
# Mount flags a bind inherits that a remount inside a user namespace must repeat (they are locked).
_LOCKED = (
    (os.ST_NOSUID, libc.MS_NOSUID),
    (os.ST_NODEV, libc.MS_NODEV),
    (os.ST_NOEXEC, libc.MS_NOEXEC),
    (os.ST_NOATIME, libc.MS_NOATIME),
    (os.ST_NODIRATIME, libc.MS_NODIRATIME),
    (os.ST_RELATIME, libc.MS_RELATIME),
)


def namespace_holder(plan: Plan) -> int:
    """C: enter the namespaces, wait for the maps, fork init, wait for it."""
    fds = plan.fds
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if not plan.spec.foreground:
        os.setpgid(0, 0)  # the terminal's Ctrl-C goes to P, which tears the tree down
    libc.prctl(libc.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != plan.parent_pid:
        return 1
    flags = libc.CLONE_NEWUSER | libc.CLONE_NEWNS | libc.CLONE_NEWPID | libc.CLONE_NEWUTS | libc.CLONE_NEWIPC
    if plan.spec.network is NetworkMode.NONE:
        flags |= libc.CLONE_NEWNET
    try:
        libc.unshare(flags)
    except OSError as error:
        raise Failure(SETUP, f"cannot create namespaces (unshare): {error.strerror}") from None
    os.write(fds["sync_w"], b"U")
    if os.read(fds["go_r"], 1) != b"G":
        return 1
    os.close(fds["go_r"])
    # I is a copy of P's memory: nothing in the container may read it through /proc/1/mem. (Only now:
    # a non-dumpable process's /proc files belong to real root, and P had to write our maps first.)
    libc.prctl(libc.PR_SET_DUMPABLE, 0)
    life_r, life_w = os.pipe()
    init_pid = os.fork()
    if init_pid == 0:  # I
        code = 1
        try:
            os.close(life_w)
            os.close(fds["sync_w"])
            code = _init(plan, life_r)
        except Failure as failure:
            send_error(fds["err_w"], failure.kind, failure.text)
        except BaseException as error:
            send_error(fds["err_w"], SETUP, f"sandbox init: {type(error).__name__}: {error}")
        finally:
            os._exit(code)
    os.close(life_r)
    os.write(fds["sync_w"], struct.pack("i", init_pid))
    for name in ("sync_w", "err_w", "report_w", "stdout", "stderr", "stdin"):
        close_quietly(fds[name])
    while True:
        _, status = os.waitpid(init_pid, 0)
        if os.WIFEXITED(status):
            return os.WEXITSTATUS(status)
        if os.WIFSIGNALED(status):
            return 128 + os.WTERMSIG(status)


# ---------------------------------------------------------------------------------------------- I


def _init(plan: Plan, life_r: int) -> int:
    """I, PID 1: set the root up, run W, reap, report."""
    libc.prctl(libc.PR_SET_PDEATHSIG, signal.SIGKILL)
    if select.select([life_r], [], [], 0)[0]:  # C died before PDEATHSIG was armed
        return 1
    fds = plan.fds
    warnings: list[str] = []
    placeholders: list[Placeholder] = []
    _setup_root(plan, placeholders, warnings)

    child = 0

    def forward(signum: int, _frame: object) -> None:
        if child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    for sig in _FORWARDED:
        signal.signal(sig, forward)

    child = os.fork()
    if child == 0:  # W
        try:
            _exec_command(plan)
        except Failure as failure:
            send_error(fds["err_w"], failure.kind, failure.text)
            os._exit(int(failure.text[:3]) if failure.kind == EXEC else 1)
        except BaseException as error:
            send_error(fds["err_w"], SETUP, f"sandbox: {type(error).__name__}: {error}")
        os._exit(1)

    # Only W may hold the pipes now, so that P sees EOF when the command is done with them.
    for name in ("err_w", "stdout", "stderr", "stdin"):
        close_quietly(fds[name])
    status = 0
    while True:
        try:
            pid, wstatus = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == child:
            status = wstatus
            break
    for sig in _FORWARDED:
        signal.signal(sig, signal.SIG_IGN)
    left = _remove_placeholders(plan, placeholders, warnings)
    report = json.dumps({"status": status, "left": left, "warnings": warnings}).encode()
    os.write(fds["report_w"], report)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def _step(what: str) -> Callable[[OSError], Failure]:
    def make(error: OSError) -> Failure:
        return Failure(SETUP, f"{what}: {error.strerror or error}")

    return make


def _setup_root(plan: Plan, placeholders: list[Placeholder], warnings: list[str]) -> None:
    spec = plan.spec
    root = plan.root
    try:
        libc.mount(None, "/", None, libc.MS_REC | libc.MS_PRIVATE)
    except OSError as error:
        raise _step("making mounts private")(error) from None
    match plan.mode:
        case SnapshotMode.OVERLAY:
            try:
                _mount_overlay(plan)
            except OSError as error:
                raise Failure(OVERLAY, f"cannot mount overlayfs: {error.strerror}") from None
        case SnapshotMode.COPY:
            try:
                libc.mount(plan.rootfs, root, None, libc.MS_BIND | libc.MS_REC)
            except OSError as error:
                raise _step("bind-mounting the root filesystem copy")(error) from None

    def resolve(cpath: str, is_dir: bool) -> str:
        return _resolve(root, cpath, is_dir, placeholders)

    try:
        libc.mount("proc", resolve("/proc", True), "proc", libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)
    except OSError as error:
        raise _step("mounting /proc")(error) from None
    _setup_dev(resolve("/dev", True), plan.mapping, warnings)
    _setup_sys(resolve("/sys", True), spec.network, warnings)
    _mask_proc(root, warnings)
    for cpath, host in plan.etc_files:
        _bind(host, resolve(cpath, False), readonly=True, what=cpath)

    files_tmpfs = False
    for mount in spec.mounts:
        match mount:
            case BindMount(source=source, target=target, readonly=readonly):
                host = os.fspath(source)
                _bind(host, resolve(target, os.path.isdir(host)), readonly=readonly, what=target)
            case TmpfsMount(target=target, size=size, mode=mode):
                options = f"mode={mode:o}" + (f",size={size}" if size is not None else "")
                try:
                    libc.mount(
                        "tmpfs", resolve(target, True), "tmpfs", libc.MS_NOSUID | libc.MS_NODEV, options
                    )
                except OSError as error:
                    raise _step(f"mounting tmpfs on {target}")(error) from None
            case FileMount(target=target, content=content, mode=mode, uid=uid, gid=gid):
                if not files_tmpfs:
                    try:
                        libc.mount(
                            "tmpfs", plan.files_dir, "tmpfs", libc.MS_NOSUID | libc.MS_NODEV, "mode=700"
                        )
                    except OSError as error:
                        raise _step("mounting the tmpfs for secret files")(error) from None
                    files_tmpfs = True
                staged = os.path.join(plan.files_dir, f"f{len(os.listdir(plan.files_dir))}")
                fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    os.write(fd, content)
                    try:
                        os.fchown(fd, uid, gid)
                    except OSError as error:
                        raise _step(f"chown {uid}:{gid} of {target}")(error) from None
                    os.fchmod(fd, mode)
                finally:
                    os.close(fd)
                _bind(staged, resolve(target, False), readonly=True, what=target)

    if spec.network is NetworkMode.NONE:
        _loopback_up()
    try:
        libc.sethostname(spec.hostname)
    except OSError as error:
        raise _step("setting the hostname")(error) from None
    _enter_root(root, warnings)


def _mount_overlay(plan: Plan) -> None:
    lowers = plan.overlay_lowers
    data = overlay_options(lowers, plan.overlay_upper, plan.overlay_work)
    opened: list[int] = []
    try:
        if len(data) > MAX_MOUNT_DATA:
            # Too long for one page: name each layer by a file descriptor of this process instead.
            opened = [os.open(p, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for p in lowers]
            names = tuple(f"/proc/self/fd/{fd}" for fd in opened)
            data = overlay_options(names, plan.overlay_upper, plan.overlay_work)
        libc.mount("overlay", plan.root, "overlay", 0, data)
    finally:
        for fd in opened:
            close_quietly(fd)


def _resolve(root: str, cpath: str, is_dir: bool, placeholders: list[Placeholder]) -> str:
    """The host path of container path `cpath` under `root`, symlinks resolved as the container
    would (an absolute link restarts at `root`, `..` stops at it); missing parts are created and
    recorded as placeholders. Safe without openat2: nothing else runs in the container yet."""
    pending = [p for p in reversed(cpath.split("/")) if p not in ("", ".")]
    current = root
    links = 0
    while pending:
        name = pending.pop()
        if name == "..":
            if current != root:
                current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, name)
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            make_dir = bool(pending) or is_dir
            parent = os.stat(current)
            try:
                if make_dir:
                    os.mkdir(candidate, 0o755)
                else:
                    os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except OSError as error:
                raise _step(f"creating the mount point {cpath}")(error) from None
            placeholders.append(
                Placeholder(
                    host_path=candidate,
                    is_dir=make_dir,
                    parent_times=(parent.st_atime_ns, parent.st_mtime_ns),
                )
            )
            current = candidate
            continue
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > _MAX_SYMLINKS:
                raise Failure(SETUP, f"mount point {cpath}: too many levels of symbolic links")
            target = os.readlink(candidate)
            if target.startswith("/"):
                current = root
            pending.extend(p for p in reversed(target.split("/")) if p not in ("", "."))
            continue
        if pending and not stat.S_ISDIR(st.st_mode):
            raise Failure(SETUP, f"mount point {cpath}: {candidate[len(root) :]} is not a directory")
        current = candidate
    return current


def _bind(source: str, target: str, *, readonly: bool, what: str) -> None:
    try:
        libc.mount(source, target, None, libc.MS_BIND | libc.MS_REC)
        if readonly:
            _remount_readonly(target)
            if os.path.isdir(target):
                for below in _mounts_below(target):
                    _remount_readonly(below)
    except OSError as error:
        raise _step(f"bind-mounting {what}")(error) from None


def _remount_readonly(target: str) -> None:
    flags = libc.MS_BIND | libc.MS_REMOUNT | libc.MS_RDONLY
    vfs = os.statvfs(target)
    for st_flag, ms_flag in _LOCKED:
        if vfs.f_flag & st_flag:
            flags |= ms_flag
    libc.mount(None, target, None, flags)


def _mounts_below(target: str) -> list[str]:
    """Mount points strictly below `target` in this mount namespace (a recursive bind brings them)."""
    prefix = target.rstrip("/") + "/"
    found = []
    with open("/proc/self/mountinfo", "rb") as handle:
        for line in handle:
            fields = line.split(b" ")
            if len(fields) > 4:
                point = _unescape(fields[4])
                if point.startswith(prefix):
                    found.append(point)
    return found


def _unescape(raw: bytes) -> str:
    """mountinfo writes space, tab, newline and backslash as \\ooo octal escapes."""
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == 0x5C and i + 3 < len(raw) + 1 and raw[i + 1 : i + 4].isdigit():
            out.append(int(raw[i + 1 : i + 4], 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return os.fsdecode(bytes(out))


def _mask_proc(root: str, warnings: list[str]) -> None:
    """Docker's default masked and read-only paths, so the container's root (host root itself, with the
    identity map) cannot touch the kernel's knobs through /proc and /sys."""
    for rel in _READONLY_PATHS:
        path = root + rel
        if os.path.lexists(path):
            try:
                libc.mount(path, path, None, libc.MS_BIND | libc.MS_REC)
                _remount_readonly(path)
            except OSError as error:
                raise _step(f"making {rel} read-only")(error) from None
    for rel in _MASKED_PATHS:
        path = root + rel
        try:
            if os.path.isdir(path):
                libc.mount("tmpfs", path, "tmpfs", libc.MS_RDONLY, "size=0")
            elif os.path.lexists(path):
                libc.mount("/dev/null", path, None, libc.MS_BIND)
        except OSError as error:
            warnings.append(f"could not mask {rel}: {error.strerror}")


def _setup_dev(dev: str, mapping: IdMapping, warnings: list[str]) -> None:
    try:
        libc.mount("tmpfs", dev, "tmpfs", libc.MS_NOSUID | libc.MS_STRICTATIME, "mode=755,size=65536k")
        for name in _DEVICES:
            node = os.path.join(dev, name)
            os.close(os.open(node, os.O_WRONLY | os.O_CREAT, 0o666))
            libc.mount(f"/dev/{name}", node, None, libc.MS_BIND)
        for name, target in _DEV_LINKS:
            os.symlink(target, os.path.join(dev, name))
        for name in ("pts", "shm", "mqueue"):
            os.mkdir(os.path.join(dev, name), 0o755)
        pts_options = "newinstance,ptmxmode=0666,mode=0620"
        if mapping.gids.to_host(5) is not None and mapping.method is not IdMapMethod.SINGLE:
            pts_options += ",gid=5"
        libc.mount("devpts", os.path.join(dev, "pts"), "devpts", libc.MS_NOSUID | libc.MS_NOEXEC, pts_options)
        libc.mount(
            "shm",
            os.path.join(dev, "shm"),
            "tmpfs",
            libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC,
            "mode=1777,size=65536k",
        )
    except OSError as error:
        raise _step(f"setting up /dev ({error.filename or ''})")(error) from None
    try:
        libc.mount(
            "mqueue", os.path.join(dev, "mqueue"), "mqueue", libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC
        )
    except OSError as error:
        warnings.append(f"/dev/mqueue not mounted: {error.strerror}")


def _setup_sys(sys_dir: str, network: NetworkMode, warnings: list[str]) -> None:
    flags = libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC | libc.MS_RDONLY
    try:
        if network is NetworkMode.NONE:
            libc.mount("sysfs", sys_dir, "sysfs", flags)
            for below in _mounts_below(sys_dir):
                _remount_readonly(below)
        else:
            # sysfs belongs to the host's network namespace: only a read-only bind of it is allowed.
            _bind("/sys", sys_dir, readonly=True, what="/sys")
    except (OSError, Failure) as error:
        warnings.append(f"/sys not mounted: {error}")


def _loopback_up() -> None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH22x", b"lo", 0)
            flags = struct.unpack("16sH22x", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | _IFF_UP | _IFF_RUNNING))
    except OSError as error:
        raise _step("bringing up the loopback interface")(error) from None


def _enter_root(root: str, warnings: list[str]) -> None:
    os.chdir(root)
    try:
        # pivot_root(".", "."): the old root ends up stacked on the new one, then is detached.
        libc.pivot_root(".", ".")
        libc.umount2(".", libc.MNT_DETACH)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.EPERM, errno.ENOSYS):
            raise _step("pivot_root")(error) from None
        warnings.append(f"pivot_root failed ({error.strerror}); used chroot")
        try:
            libc.mount(root, "/", None, libc.MS_MOVE)
            os.chroot(".")
        except OSError as chroot_error:
            raise _step("chroot")(chroot_error) from None
    os.chdir("/")


def _remove_placeholders(plan: Plan, placeholders: list[Placeholder], warnings: list[str]) -> list[str]:
    """Take the mount points I created out of the upperdir again (through the overlay, so a path
    only in the upperdir just disappears); the ones the command wrote beside are returned."""
    left = []
    for item in reversed(placeholders):
        cpath = "/" + os.path.relpath(item.host_path, plan.root)
        with contextlib.suppress(OSError):
            libc.umount2(cpath, libc.MNT_DETACH)
        try:
            if item.is_dir:
                os.rmdir(cpath)
            else:
                if os.lstat(cpath).st_size != 0:
                    raise OSError(errno.ENOTEMPTY, "written to")
                os.unlink(cpath)
            if item.parent_times is not None:
                os.utime(os.path.dirname(cpath), ns=item.parent_times, follow_symlinks=False)
        except OSError as error:
            warnings.append(f"mount point {cpath} kept in the upperdir: {error.strerror}")
            left.append(cpath)
    return left


# ---------------------------------------------------------------------------------------------- W


def _exec_command(plan: Plan) -> None:
    """W: become the USER, go to the working directory, exec."""
    spec = plan.spec
    fds = plan.fds
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    os.umask(0o022)  # as runc gives every container process; never the caller's
    for sig in (*_FORWARDED, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)

    passwd = _read_text("/etc/passwd")
    group = _read_text("/etc/group")
    try:
        user = resolve_user(spec.user, passwd, group)
    except UserLookupError as error:
        raise Failure(USER, error.message) from None
    if plan.mapping.method is IdMapMethod.SINGLE and (user.uid != 0 or user.gid != 0):
        raise Failure(
            SETUP,
            f"cannot run as uid {user.uid} gid {user.gid}: only root is mapped "
            "(no subordinate id range in /etc/subuid and /etc/subgid for this user)",
        )

    cwd = spec.cwd or "/"
    try:
        os.makedirs(cwd, 0o755, exist_ok=True)
        os.chdir(cwd)
    except OSError as error:
        raise Failure(USER, f"cannot use working directory {cwd}: {error.strerror}") from None

    env = dict(spec.env)
    env.setdefault("HOME", user.home or "/")
    _drop_capabilities()
    try:
        if plan.mapping.method is not IdMapMethod.SINGLE:
            os.setgroups(list(user.groups))
        os.setresgid(user.gid, user.gid, user.gid)
        os.setresuid(user.uid, user.uid, user.uid)
    except OSError as error:
        raise Failure(SETUP, f"cannot switch to uid {user.uid} gid {user.gid}: {error.strerror}") from None

    program = _find_executable(spec.argv[0], env.get("PATH", DEFAULT_PATH))
    for target, fd in ((0, fds["stdin"]), (1, fds["stdout"]), (2, fds["stderr"])):
        if fd != target:
            os.dup2(fd, target)
        else:
            os.set_inheritable(fd, True)
    err_w = fds["err_w"]
    os.closerange(3, err_w)
    os.closerange(err_w + 1, 1 << 20)
    try:
        os.execve(program, list(spec.argv), env)
    except OSError as error:
        code = "126" if error.errno in (errno.EACCES, errno.ENOEXEC, errno.EISDIR) else "127"
        raise Failure(EXEC, f"{code}:exec {spec.argv[0]}: {error.strerror}") from None


def _drop_capabilities() -> None:
    """Shrink the bounding set to Docker's defaults: exec then gives root no more than those."""
    last = int(_read_text("/proc/sys/kernel/cap_last_cap") or "40")
    for cap in range(last + 1):
        if cap not in _DEFAULT_CAPS:
            try:
                libc.prctl(libc.PR_CAPBSET_DROP, cap)
            except OSError as error:
                raise Failure(SETUP, f"cannot drop capability {cap}: {error.strerror}") from None


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _find_executable(name: str, path: str) -> str:
    if "/" in name:
        return name
    for directory in path.split(":"):
        candidate = os.path.join(directory or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise Failure(EXEC, f'127:exec: "{name}": executable file not found in $PATH')
