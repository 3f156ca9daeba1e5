"""Process-level behaviour of `run()` in this process: threads, signals to the command, /proc/1 privacy."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pybuildkit.execute.sandbox import BindMount, RunResult, RunSpec, run
from tests.sandbox.conftest import build_rootfs

pytestmark = pytest.mark.usefixtures("sandbox_ready")


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_rootfs(tmp_path_factory.mktemp("rootfs"))


def _spec(rootfs: Path, tmp: Path, name: str, script: str, **kw: object) -> RunSpec:
    return RunSpec(
        lowerdirs=(rootfs,),
        upperdir=tmp / f"{name}-upper",
        scratch=tmp / f"{name}-scratch",
        argv=("/bin/sh", "-c", script),
        env=(("PATH", "/bin"),),
        timeout=30,
        **kw,  # type: ignore[arg-type]
    )


def test_concurrent_runs_do_not_wait_for_each_other(rootfs: Path, tmp_path: Path) -> None:
    results: dict[str, tuple[float, RunResult]] = {}

    def go(name: str, script: str) -> None:
        started = time.monotonic()
        result = run(_spec(rootfs, tmp_path, name, script))
        results[name] = (time.monotonic() - started, result)

    slow = threading.Thread(target=go, args=("slow", "sleep 5"))
    slow.start()
    time.sleep(0.3)  # the fast run forks while the slow one's pipes are open in this process
    go("fast", "sleep 0.1")
    slow.join()
    assert results["fast"][1].exit_code == 0
    assert results["fast"][0] < 3.5, "the fast run waited for the slow one's pipes"
    assert results["slow"][1].exit_code == 0


def test_signals_sent_to_init_reach_the_command(rootfs: Path, tmp_path: Path) -> None:
    out: list[bytes] = []

    def on_start(pid: int) -> None:
        def later() -> None:
            time.sleep(0.5)
            os.kill(pid, signal.SIGTERM)

        threading.Thread(target=later, daemon=True).start()

    result = run(
        _spec(
            rootfs,
            tmp_path,
            "sig",
            "trap 'echo got-term; exit 7' TERM; sleep 10 & wait",
            stdout=out.append,
            on_start=on_start,
        )
    )
    assert (result.exit_code, b"".join(out)) == (7, b"got-term\n")


def test_the_command_cannot_read_init_memory_or_environment(rootfs: Path, tmp_path: Path) -> None:
    out: list[bytes] = []
    script = (
        "cat /proc/1/environ >/dev/null 2>&1 && echo environ-leak || echo environ-denied;"
        "head -c 1 /proc/1/mem >/dev/null 2>&1 && echo mem-leak || echo mem-denied"
    )
    result = run(_spec(rootfs, tmp_path, "mem", script, stdout=out.append))
    assert result.exit_code == 0
    assert b"".join(out).split() == [b"environ-denied", b"mem-denied"]


def test_caller_fd_sinks_are_written_directly(rootfs: Path, tmp_path: Path) -> None:
    log = tmp_path / "log"
    with open(log, "wb") as handle:
        result = run(
            _spec(
                rootfs,
                tmp_path,
                "fd",
                "echo one; echo two >&2",
                stdout=handle.fileno(),
                stderr=handle.fileno(),
            )
        )
    assert result.exit_code == 0
    assert log.read_text() == "one\ntwo\n"


def test_umask_is_dockers_not_the_callers(rootfs: Path, tmp_path: Path) -> None:
    out: list[bytes] = []
    previous = os.umask(0o077)
    try:
        result = run(_spec(rootfs, tmp_path, "umask", "umask; touch /f; stat -c %a /f", stdout=out.append))
    finally:
        os.umask(previous)
    assert result.exit_code == 0
    assert b"".join(out).split() == [b"0022", b"644"]


def test_from_scratch_root_is_0755_whatever_the_umask(rootfs: Path, tmp_path: Path) -> None:
    out: list[bytes] = []
    previous = os.umask(0o077)
    try:
        # No lowerdir at all: the command comes in through a read-only bind of the busybox tree.
        spec = RunSpec(
            lowerdirs=(),
            upperdir=tmp_path / "scratch-upper",
            scratch=tmp_path / "scratch-scratch",
            argv=("/b/bin/sh", "-c", "/b/bin/stat -c %a /"),
            env=(("PATH", "/b/bin"),),
            mounts=(BindMount(source=rootfs, target="/b"),),
            stdout=out.append,
        )
        result = run(spec)
    finally:
        os.umask(previous)
    assert result.exit_code == 0
    assert b"".join(out) == b"755\n"
    assert sorted(os.listdir(tmp_path / "scratch-upper")) == []
