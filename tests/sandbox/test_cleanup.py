"""Killing the caller mid-run leaves no sandbox process and no mount behind, in any namespace."""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sandbox.conftest import SYSTEM_PYTHON, Sandbox
from tests.support import REPO

pytestmark = pytest.mark.usefixtures("sandbox_ready")


def _pids_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def _mounts_mentioning(text: str) -> list[str]:
    hits = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if text in Path(f"/proc/{entry}/mountinfo").read_text():
                    hits.append(entry)
            except OSError:
                continue
    return hits


def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["sigint", "sigterm", "sigkill"]
)
def test_killing_the_caller_tears_everything_down(sandbox: Sandbox, signum: int) -> None:
    marker = f"{os.getpid() % 1000}.{int(signum)}{time.monotonic_ns() % 100000}"
    scratch = sandbox.work / f"scratch-kill-{signum}"
    job = {
        "lowerdirs": [str(sandbox.lower)],
        "upperdir": str(sandbox.work / f"upper-kill-{signum}"),
        "scratch": str(scratch),
        "argv": ["/bin/sh", "-c", f"sleep 1{marker} & sleep 1{marker}"],
        "env": [["PATH", "/bin"]],
    }
    # The killed driver cannot remove its shared directory (see runner._shared_dir): keep it in ours.
    tmpdir = sandbox.owned_dir(f"tmp-kill-{signum}")
    if sandbox.mode == "direct":
        command = [sys.executable, str(Path(__file__).with_name("driver.py"))]
        env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmpdir)}
        ids: dict[str, object] = {}
    else:
        assert sandbox.package_copy and sandbox.user and SYSTEM_PYTHON
        command = [SYSTEM_PYTHON, str(sandbox.package_copy / "driver.py")]
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(sandbox.package_copy), "TMPDIR": str(tmpdir)}
        entry = pwd.getpwnam(sandbox.user)
        ids = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        cwd="/",
        **ids,  # type: ignore[call-overload]
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(job).encode())
    proc.stdin.close()
    try:
        assert _wait_for(lambda: len(_pids_with(marker)) == 2, 20), "the command never started"
        assert _mounts_mentioning(str(scratch)), "the overlay should be mounted while it runs"
        proc.send_signal(signum)
        proc.wait(timeout=20)
        assert _wait_for(lambda: not _pids_with(marker), 10), "sandbox processes survived the caller"
        assert _wait_for(lambda: not _mounts_mentioning(str(scratch)), 10), "a mount survived"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
