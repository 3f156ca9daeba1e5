"""Helpers for the CLI tests: run `pybuildkit.cli.main` in-process, and make permission bits count for root."""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import pybuildkit.cli as cli

_CAP_VERSION_3 = 0x20080522
_DAC_BITS = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    status: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    """`pybuildkit ARGV...` in this process; argparse's usage errors (SystemExit) become status 2."""
    try:
        status = cli.main(list(argv))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return Outcome(status=status, out=captured.out, err=captured.err)


def assert_clean_error(outcome: Outcome, *needles: str, status: int = 1) -> None:
    """A failure as the project standard wants it: the status, each needle in the message, one screen,
    no traceback."""
    assert outcome.status == status, (outcome.status, outcome.err)
    assert "Traceback" not in outcome.err, outcome.err
    if status != 2:  # argparse's own usage output (the full help with no command) may run longer
        assert len(outcome.err.splitlines()) <= 24, outcome.err
    for needle in needles:
        assert needle in outcome.err, (needle, outcome.err)


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


@contextlib.contextmanager
def permissions_enforced() -> Iterator[None]:
    """Make `chmod 000` mean something while running as root: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
    from this thread's effective set (capabilities are per thread, and stay permitted, so they come back after).
    A non-root user needs nothing."""
    if os.geteuid() != 0:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        pytest.skip("capget failed: cannot drop root's file-permission override here")
    saved = data[0].effective
    data[0].effective = saved & ~_DAC_BITS
    if libc.capset(ctypes.byref(header), data) != 0:
        pytest.skip("capset failed: cannot drop root's file-permission override here")
    try:
        yield
    finally:
        data[0].effective = saved
        libc.capset(ctypes.byref(header), data)
