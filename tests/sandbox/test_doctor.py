"""`pybuildkit doctor`: real checks, for root, a user with a range, and a user without one."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess

import pytest

from pybuildkit.cli import doctor as doctor_cli
from pybuildkit.execute.sandbox.doctor import Status, doctor
from tests.sandbox.conftest import SYSTEM_PYTHON, Sandbox

pytestmark = pytest.mark.usefixtures("sandbox_ready")


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    doctor_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


def test_everything_needed_passes_here() -> None:
    checks = {c.name: c for c in doctor()}
    assert checks["user namespaces"].status is Status.OK
    assert checks["overlayfs in a user namespace"].status is Status.OK
    assert checks["pivot_root"].status is Status.OK
    assert all(c.fix == "" for c in checks.values() if c.status is Status.OK)


def test_cli_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(["doctor"]) == 0
    text = capsys.readouterr()
    assert "ok    overlayfs in a user namespace" in text.out
    assert "RUN will work" in text.err
    assert _cli(["doctor", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"name": "pivot_root", "status": "ok", "detail": "works in a mount namespace", "fix": ""} in rows


def _doctor_as(sandbox: Sandbox) -> dict[str, dict[str, str]]:
    assert sandbox.user and sandbox.package_copy and SYSTEM_PYTHON
    code = "import json; from pybuildkit.execute.sandbox.doctor import doctor; print(json.dumps([[c.name, c.status.value, c.detail, c.fix] for c in doctor()]))"
    proc = subprocess.run(
        [shutil.which("runuser") or "runuser", "-u", sandbox.user, "--", SYSTEM_PYTHON, "-c", code],
        capture_output=True,
        text=True,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(sandbox.package_copy)},
        timeout=60,
        check=True,
    )
    return {
        name: {"status": status, "detail": detail, "fix": fix}
        for name, status, detail, fix in json.loads(proc.stdout)
    }


def test_unprivileged_user_with_a_range(ranged_sandbox: Sandbox) -> None:
    checks = _doctor_as(ranged_sandbox)
    assert checks["/etc/subuid range"]["status"] == "ok"
    assert checks["newuidmap"]["status"] == "ok"
    assert checks["ID mapping"]["detail"].startswith("subid: uid map 0->")
    assert checks["overlayfs in a user namespace"]["status"] == "ok"


def test_unprivileged_user_without_a_range_is_told_how_to_fix_it(single_id_sandbox: Sandbox) -> None:
    checks = _doctor_as(single_id_sandbox)
    assert checks["/etc/subuid range"]["status"] == "warn"
    assert (
        checks["/etc/subuid range"]["fix"]
        == f"sudo usermod --add-subuids 100000-165535 {single_id_sandbox.user}"
    )
    assert "chown, apt-get and adduser will fail" in checks["/etc/subgid range"]["detail"]
    assert checks["ID mapping"]["status"] == "warn"
    assert checks["overlayfs in a user namespace"]["status"] == "ok"
