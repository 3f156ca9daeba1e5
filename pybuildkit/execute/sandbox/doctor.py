"""What this machine allows the sandbox, checked for real, each gap with how to fix it.

Used by `pybuildkit doctor` and by tests to skip cleanly where namespaces are unavailable.
"""

from __future__ import annotations

import contextlib
import enum
import os
import pwd
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pybuildkit.errors import SandboxError
from pybuildkit.execute.sandbox import libc
from pybuildkit.execute.sandbox.idmap import detect_mapping, find_id_helper, subordinate_ranges
from pybuildkit.execute.sandbox.spec import IdMapMethod
from pybuildkit.execute.sandbox.userns import call_in_userns, remove_tree

__all__ = ["Check", "Status", "doctor", "overlay_in_userns"]


class Status(enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One finding: what was checked, the verdict, what was seen, and how to fix it (when not ok)."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _sysctl_checks() -> list[Check]:
    checks = []
    maximum = _read("/proc/sys/user/max_user_namespaces")
    if maximum is not None:
        ok = maximum.isdigit() and int(maximum) > 0
        checks.append(
            Check(
                name="user.max_user_namespaces",
                status=Status.OK if ok else Status.FAIL,
                detail=maximum,
                fix="" if ok else "sudo sysctl -w user.max_user_namespaces=28633",
            )
        )
    clone = _read("/proc/sys/kernel/unprivileged_userns_clone")
    if clone is not None:
        ok = clone != "0" or os.geteuid() == 0
        checks.append(
            Check(
                name="kernel.unprivileged_userns_clone",
                status=Status.OK if ok else Status.FAIL,
                detail=clone,
                fix="" if ok else "sudo sysctl -w kernel.unprivileged_userns_clone=1",
            )
        )
    apparmor = _read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
    if apparmor is not None:
        restricted = apparmor == "1" and os.geteuid() != 0
        checks.append(
            Check(
                name="AppArmor userns restriction",
                status=Status.FAIL if restricted else Status.OK,
                detail=f"kernel.apparmor_restrict_unprivileged_userns={apparmor}",
                fix="sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile"
                " granting `userns,` to python3)"
                if restricted
                else "",
            )
        )
    else:
        checks.append(Check(name="AppArmor userns restriction", status=Status.OK, detail="not present"))
    return checks


def _try(probe: Callable[[], object]) -> str | None:
    """Run one probe in a user namespace; None when it worked, else the reason."""
    try:
        call_in_userns(probe)
    except SandboxError as error:
        return error.message
    return None


def _probe_userns() -> int:
    return os.getuid()


def pivot_root_works() -> str | None:
    """pivot_root into a tmpfs inside a user + mount namespace; None when it worked."""
    base = Path(tempfile.mkdtemp(prefix="pbkit-pivot-"))

    def probe() -> int:
        libc.mount(None, "/", None, libc.MS_REC | libc.MS_PRIVATE)
        libc.mount("tmpfs", base, "tmpfs", 0, "size=64k")
        os.chdir(base)
        libc.pivot_root(".", ".")
        libc.umount2(".", libc.MNT_DETACH)
        os.chdir("/")
        return 0

    try:
        return _try(probe)
    finally:
        base.rmdir()


def overlay_in_userns() -> str | None:
    """Mount an overlay with `userxattr` in a user namespace, create a file and delete a lower one
    (a whiteout). None when all worked, else the reason."""
    base = Path(tempfile.mkdtemp(prefix="pbkit-doctor-"))
    try:
        for d in ("lower", "upper", "work", "merged"):
            (base / d).mkdir()
        (base / "lower" / "old").write_text("x")
        data = f"lowerdir={base}/lower,upperdir={base}/upper,workdir={base}/work,userxattr"
        merged = base / "merged"

        def probe() -> bool:
            libc.mount(None, "/", None, libc.MS_REC | libc.MS_PRIVATE)
            libc.mount("overlay", merged, "overlay", 0, data)
            (merged / "new").write_text("y")
            (merged / "old").unlink()
            libc.umount2(merged, libc.MNT_DETACH)
            return True

        try:
            call_in_userns(probe)
        except SandboxError as error:
            return error.message
        whiteout = base / "upper" / "old"
        if not (whiteout.is_char_device() and os.lstat(whiteout).st_rdev == 0):
            return "deleting a lower file did not leave a 0/0 whiteout in the upperdir"
        return None
    finally:
        with contextlib.suppress(OSError, SandboxError):
            remove_tree(base)


def doctor() -> tuple[Check, ...]:
    """Every check, in the order a person would fix them."""
    checks = _sysctl_checks()
    why = _try(_probe_userns)
    checks.append(
        Check(
            name="user namespaces",
            status=Status.OK if why is None else Status.FAIL,
            detail="a user namespace can be created" if why is None else why,
            fix="" if why is None else "enable unprivileged user namespaces (see the sysctl checks above)",
        )
    )
    euid = os.geteuid()
    if euid == 0:
        checks.append(
            Check(
                name="subordinate ids", status=Status.OK, detail="running as root: the full range is mapped"
            )
        )
    else:
        try:
            name = pwd.getpwuid(euid).pw_name
        except KeyError:
            name = str(euid)
        for path in ("/etc/subuid", "/etc/subgid"):
            ranges = subordinate_ranges(Path(path), name, euid)
            total = sum(r.count for r in ranges)
            status = Status.OK if total >= 65536 else Status.WARN
            option = "--add-subuids" if path.endswith("uid") else "--add-subgids"
            checks.append(
                Check(
                    name=f"{path} range",
                    status=status,
                    detail=f"{total} ids for {name}"
                    + ("" if total else ": only root will be mapped; chown, apt-get and adduser will fail"),
                    fix="" if status is Status.OK else f"sudo usermod {option} 100000-165535 {name}",
                )
            )
        for tool in ("newuidmap", "newgidmap"):
            path_found = find_id_helper(tool)
            checks.append(
                Check(
                    name=tool,
                    status=Status.OK if path_found else Status.WARN,
                    detail=f"{path_found} (setuid root)" if path_found else "missing or not setuid root",
                    fix="" if path_found else "sudo apt-get install uidmap",
                )
            )
    mapping = detect_mapping()
    checks.append(
        Check(
            name="ID mapping",
            status=Status.WARN if mapping.method is IdMapMethod.SINGLE else Status.OK,
            detail=f"{mapping.method.value}: uid map "
            + "; ".join(f"{r.container}->{r.host} x{r.size}" for r in mapping.uids.ranges),
            fix="add a subordinate range (see above) so RUN can chown and switch users"
            if mapping.method is IdMapMethod.SINGLE
            else "",
        )
    )
    why = overlay_in_userns()
    checks.append(
        Check(
            name="overlayfs in a user namespace",
            status=Status.OK if why is None else Status.FAIL,
            detail="mounted with userxattr, whiteouts work" if why is None else why,
            fix=""
            if why is None
            else "needs Linux 5.11+ with overlayfs; otherwise RUN falls back to copying",
        )
    )
    why = pivot_root_works()
    checks.append(
        Check(
            name="pivot_root",
            status=Status.OK if why is None else Status.WARN,
            detail="works in a mount namespace" if why is None else why,
            fix="" if why is None else "the sandbox will use chroot instead",
        )
    )
    return tuple(checks)
