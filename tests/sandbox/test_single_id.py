"""An ordinary user without a subordinate range: the user is root alone, and says so when that is not enough."""

from __future__ import annotations

import os

import pytest

from tests.sandbox.conftest import Sandbox

pytestmark = pytest.mark.usefixtures("sandbox_ready")


def test_root_only_mapping_runs_as_root(single_id_sandbox: Sandbox) -> None:
    outcome = single_id_sandbox.run("id -u; echo x > /data/new; cat /proc/self/uid_map")
    assert outcome.raw["method"] == "single"
    lines = outcome.stdout.splitlines()
    assert lines[0] == "0"
    assert lines[1].split()[:3] == ["0", str(outcome.host_uid(0)), "1"]
    assert os.lstat(outcome.upper / "data" / "new").st_uid == outcome.host_uid(0)


def test_chown_to_an_unmapped_id_fails(single_id_sandbox: Sandbox) -> None:
    outcome = single_id_sandbox.run("touch /f; chown 1000 /f")
    assert outcome.exit_code != 0
    assert "chown" in outcome.stderr


def test_switching_user_says_why_it_cannot(single_id_sandbox: Sandbox) -> None:
    outcome = single_id_sandbox.run("true", user="1000")
    assert outcome.raw["error_type"] == "SandboxSetupError"
    assert "only root is mapped" in outcome.raw["error"]
    assert "/etc/subuid" in outcome.raw["error"]


def test_whiteouts_and_opaque_dirs_still_work(single_id_sandbox: Sandbox) -> None:
    outcome = single_id_sandbox.run("rm /data/gone.txt; rm -rf /data/olddir; mkdir /data/olddir")
    assert outcome.exit_code == 0
    gone = os.lstat(outcome.upper / "data" / "gone.txt")
    assert (gone.st_mode & 0o170000, gone.st_rdev) == (0o020000, 0)
    assert os.getxattr(outcome.upper / "data" / "olddir", "user.overlay.opaque") == b"y"
