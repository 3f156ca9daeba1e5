"""Thin, typed wrappers over the few libc calls Python 3.11's `os` lacks (unshare, mount, pivot_root...).

Every function is resolved once at import, so a forked child calls straight into libc without touching
the import machinery (whose locks another thread of the parent may have held at fork time). Each wrapper
raises `OSError` with errno set, like `os` does, so callers handle both the same way.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

# clone(2) / unshare(2) flags
CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

# mount(2) flags
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_MOVE = 0x2000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24

# umount2(2) flags
MNT_DETACH = 0x2

# prctl(2)
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36

# x86_64 and aarch64 numbers of the syscalls glibc has no wrapper for.
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

_unshare = _libc.unshare
_unshare.argtypes = [ctypes.c_int]
_unshare.restype = ctypes.c_int

_mount = _libc.mount
_mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_mount.restype = ctypes.c_int

_umount2 = _libc.umount2
_umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_umount2.restype = ctypes.c_int

_syscall = _libc.syscall
_syscall.restype = ctypes.c_long

_sethostname = _libc.sethostname
_sethostname.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_sethostname.restype = ctypes.c_int

_prctl = _libc.prctl
_prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_prctl.restype = ctypes.c_int

_MACHINE = os.uname().machine


def _check(result: int, what: str, *paths: str | None) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        shown = [p for p in paths if p]
        raise OSError(errno, f"{what}: {os.strerror(errno)}", *shown[:1])


def _b(value: str | os.PathLike[str] | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def unshare(flags: int) -> None:
    """Move the calling process into new namespaces (`CLONE_NEW*` flags)."""
    _check(_unshare(flags), "unshare")


def mount(
    source: str | os.PathLike[str] | None,
    target: str | os.PathLike[str],
    fstype: str | None = None,
    flags: int = 0,
    data: str | None = None,
) -> None:
    """mount(2); `source`, `fstype` and `data` may be None."""
    _check(
        _mount(_b(source), _b(target), _b(fstype), flags, _b(data)),
        f"mount {fstype or 'bind'} on {os.fsdecode(target)}",
    )


def umount2(target: str | os.PathLike[str], flags: int = 0) -> None:
    _check(_umount2(_b(target), flags), f"umount {os.fsdecode(target)}")


def pivot_root(new_root: str | os.PathLike[str], put_old: str | os.PathLike[str]) -> None:
    number = _SYS_PIVOT_ROOT.get(_MACHINE)
    if number is None:
        raise OSError(38, f"pivot_root: unknown syscall number on {_MACHINE}")
    result = _syscall(ctypes.c_long(number), ctypes.c_char_p(_b(new_root)), ctypes.c_char_p(_b(put_old)))
    _check(int(result), "pivot_root")


def sethostname(name: str) -> None:
    raw = name.encode()
    _check(_sethostname(raw, len(raw)), "sethostname")


def prctl(option: int, arg2: int = 0) -> None:
    _check(_prctl(option, arg2, 0, 0, 0), "prctl")
