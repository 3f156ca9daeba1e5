"""Fixtures for real sandbox runs over a busybox root filesystem, in two modes.

`direct`: `run()` in this process, as whoever runs the tests (real root in CI: identity ID map).
`unprivileged`: only when the tests run as root: a test user with a subordinate ID range is created, and
each job runs through `driver.py` under that user with the system python3 and a world-readable copy of
the package, so the rootless path (newuidmap, userxattr overlay, shifted ids) is exercised for real.
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.driver import execute_job
from tests.support import REPO

TEST_USER = "pbkit-sandbox"
BUSYBOX = next((p for p in ("/bin/busybox", "/usr/bin/busybox") if os.path.exists(p)), None)
SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3", "/bin/python3") if os.path.exists(p)), None)


def userns_available() -> str | None:
    """None when a user namespace with an overlay works here, else why not."""
    from pybuildkit.execute.sandbox.doctor import overlay_in_userns

    return overlay_in_userns()


def build_rootfs(dest: Path) -> Path:
    """A tiny distribution: static busybox with its applets, passwd/group, and data for diff tests."""
    assert BUSYBOX is not None
    for d in ("bin", "etc", "root", "tmp", "data/olddir", "home/user", "usr/bin"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    (dest / "tmp").chmod(0o1777)
    shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        link = dest / "bin" / applet
        if not link.exists():
            link.symlink_to("busybox")
    (dest / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
    )
    (dest / "etc" / "group").write_text("root:x:0:\nuser:x:1000:\nwheel:x:10:user\nnogroup:x:65534:\n")
    (dest / "data" / "keep.txt").write_text("keep\n")
    (dest / "data" / "gone.txt").write_text("gone\n")
    (dest / "data" / "olddir" / "a").write_text("a\n")
    (dest / "data" / "olddir" / "b").write_text("b\n")
    return dest


def tree_state(root: Path) -> list[tuple[str, int, int, int, int]]:
    """Every entry with type/mode, owner, size and mtime: equal before and after means untouched."""
    state = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            st = os.lstat(os.path.join(dirpath, name))
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            state.append((rel, st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns))
    return sorted(state)


@dataclass
class Outcome:
    """One job's result, as the driver reports it, plus where its upperdir is."""

    raw: dict[str, Any]
    upper: Path

    @property
    def exit_code(self) -> int:
        assert "error" not in self.raw, self.raw
        return int(self.raw["exit_code"])

    @property
    def stdout(self) -> str:
        return str(self.raw.get("stdout", ""))

    @property
    def stderr(self) -> str:
        return str(self.raw.get("stderr", ""))

    def host_uid(self, container_uid: int) -> int:
        for c, h, n in self.raw["uid_map"]:
            if c <= container_uid < c + n:
                return int(h + container_uid - c)
        raise AssertionError(f"uid {container_uid} not mapped")

    def host_gid(self, container_gid: int) -> int:
        for c, h, n in self.raw["gid_map"]:
            if c <= container_gid < c + n:
                return int(h + container_gid - c)
        raise AssertionError(f"gid {container_gid} not mapped")


@dataclass
class Sandbox:
    """Runs jobs in one mode over one rootfs; every job gets a fresh upperdir."""

    mode: str
    lower: Path
    work: Path
    user: str | None = None
    package_copy: Path | None = None
    counter: list[int] = field(default_factory=lambda: [0])

    def owned_dir(self, name: str) -> Path:
        path = self.work / name
        path.mkdir(parents=True, exist_ok=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return path

    def run(self, argv: str | list[str], **job: Any) -> Outcome:
        self.counter[0] += 1
        n = self.counter[0]
        upper = self.work / f"upper{n}"
        scratch = self.work / f"scratch{n}"
        full = {
            "lowerdirs": [str(self.lower)],
            "upperdir": str(upper),
            "scratch": str(scratch),
            "argv": ["/bin/sh", "-c", argv] if isinstance(argv, str) else argv,
            "env": [["PATH", "/bin:/usr/bin"]],
            "timeout": 30,  # a hung test fails instead of hanging the suite
            **job,
        }
        for m in full.get("mounts", ()):
            if m["type"] == "file" and isinstance(m["content"], bytes):
                m["content"] = base64.b64encode(m["content"]).decode()
        if self.mode == "direct":
            return Outcome(raw=execute_job(full), upper=upper)
        assert self.user and self.package_copy and SYSTEM_PYTHON
        proc = subprocess.run(
            ["runuser", "-u", self.user, "--", SYSTEM_PYTHON, str(self.package_copy / "driver.py")],
            input=json.dumps(full),
            capture_output=True,
            text=True,
            cwd="/",
            env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "PYTHONPATH": str(self.package_copy)},
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return Outcome(raw=json.loads(proc.stdout), upper=upper)


def ensure_user(name: str, *, subids: str | None) -> str:
    """Create `name` if missing; give it the subordinate range `subids` ("START-END"), or none at all."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-M", "-d", "/nonexistent", "-s", "/bin/false", name], check=True)
    for path, add, delete in (
        ("/etc/subuid", "--add-subuids", "--del-subuids"),
        ("/etc/subgid", "--add-subgids", "--del-subgids"),
    ):
        text = Path(path).read_text() if os.path.exists(path) else ""
        mine = [line.split(":") for line in text.splitlines() if line.split(":")[0] == name]
        if subids is None:
            for _, start, count in mine:
                end = int(start) + int(count) - 1
                subprocess.run(["usermod", delete, f"{start}-{end}", name], check=True)
        elif not mine:
            subprocess.run(["usermod", add, subids, name], check=True)
    return name


def _public_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="pbkit-sandbox-test-", dir="/tmp"))
    path.chmod(0o755)
    return path


def unprivileged_sandbox(base: Path, user: str) -> Sandbox:
    """A rootfs, work dir and world-readable package copy for jobs run as `user`."""
    if os.geteuid() != 0:
        pytest.skip("the unprivileged mode creates a test user, which needs root")
    if SYSTEM_PYTHON is None or shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("needs /usr/bin/python3, useradd and runuser")
    version = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info >= (3, 11))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if version != "True":
        pytest.skip("the system python3 is older than 3.11")
    entry = pwd.getpwnam(user)
    copy = base / "pkg"
    if not copy.exists():
        shutil.copytree(
            REPO / "pybuildkit", copy / "pybuildkit", ignore=shutil.ignore_patterns("__pycache__")
        )
        shutil.copy2(Path(__file__).with_name("driver.py"), copy / "driver.py")
        for dirpath, _, filenames in os.walk(copy):
            os.chmod(dirpath, 0o755)
            for name in filenames:
                os.chmod(os.path.join(dirpath, name), 0o644)
    lower = build_rootfs(base / f"lower-{user}")
    for dirpath, dirnames, filenames in os.walk(lower):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            os.lchown(name, entry.pw_uid, entry.pw_gid)
    work = base / f"work-{user}"
    work.mkdir()
    os.chown(work, entry.pw_uid, entry.pw_gid)
    return Sandbox(mode="unprivileged", lower=lower, work=work, user=user, package_copy=copy)


@pytest.fixture(scope="session")
def sandbox_ready() -> None:
    if sys.platform != "linux" or BUSYBOX is None:
        pytest.skip("needs Linux and a static busybox (Debian: busybox-static)")
    why = userns_available()
    if why is not None:
        pytest.skip(f"no user namespace with overlayfs here: {why}")


@pytest.fixture(scope="session", params=["direct", "unprivileged"])
def sandbox_session(request: pytest.FixtureRequest, sandbox_ready: None) -> Iterator[Sandbox]:
    base = _public_dir()
    try:
        if request.param == "direct":
            lower = build_rootfs(base / "lower")
            yield Sandbox(mode="direct", lower=lower, work=base / "work")
            return
        if os.geteuid() != 0:
            pytest.skip("the unprivileged mode creates a test user, which needs root")
        yield unprivileged_sandbox(base, ensure_user(TEST_USER, subids="300000-365535"))
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def sandbox(sandbox_session: Sandbox) -> Sandbox:
    return sandbox_session


@pytest.fixture(scope="session")
def ranged_sandbox(sandbox_ready: None) -> Iterator[Sandbox]:
    """An unprivileged user with a subordinate range (the normal rootless set-up)."""
    if os.geteuid() != 0:
        pytest.skip("creating a test user needs root")
    base = _public_dir()
    try:
        yield unprivileged_sandbox(base, ensure_user(TEST_USER, subids="300000-365535"))
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def single_id_sandbox(sandbox_ready: None) -> Iterator[Sandbox]:
    """An unprivileged user with no subordinate range: only root is mapped."""
    if os.geteuid() != 0:
        pytest.skip("creating a test user needs root")
    base = _public_dir()
    try:
        yield unprivileged_sandbox(base, ensure_user(TEST_USER + "-1", subids=None))
    finally:
        shutil.rmtree(base, ignore_errors=True)


def is_whiteout(path: Path) -> bool:
    st = os.lstat(path)
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
