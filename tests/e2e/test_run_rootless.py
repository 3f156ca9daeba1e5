"""A RUN build as an unprivileged user created by the test, with a subordinate ID range (the rootless set-up).

The user cannot read root's Python installation, so the build runs with the system python3 against a
world-readable copy of the package and of the few libraries it imports (same CPython minor version).
"""

from __future__ import annotations

import io
import json
import os
import pwd
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.images import BusyboxImage
from tests.support import REPO

USER = "pbkit-rootless-run"
SUBIDS = "400000-465535"
SYSTEM_PYTHON = "/usr/bin/python3"
LIBRARIES = ("lark", "pathspec", "zstandard", "isal")

DOCKERFILE = """\
FROM busybox
RUN mkdir -p /srv/data && echo made > /srv/data/f && chown -R 1000:1000 /srv/data && rm /bin/vi \\
 && id -u > /srv/uid && cat /proc/self/uid_map > /srv/map
"""

SCRIPT = """
import json, sys
from pybuildkit.execute.session import build
result = build(sys.argv[1], root=sys.argv[2], tags=["rootless:1"], outputs=["type=local,dest=" + sys.argv[3]])
from pybuildkit.execute.container import ContainerRun, run_container
from pybuildkit.store import Store
with open(sys.argv[3] + ".run", "wb") as out:
    code = run_container(
        Store(sys.argv[2]),
        ContainerRun(image="rootless:1", command=("sh", "-c", "stat -c '%u:%g' /srv/data/f; id -u"), remove=True),
        stdout=out.fileno(),
    )
print(json.dumps({"digest": result.digest, "run": code}))
"""


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "creating the test user needs root (CI runs as root)"
    for tool in ("useradd", "usermod", "runuser", "newuidmap", "newgidmap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: passwd, util-linux, uidmap)"
    if not os.path.exists(SYSTEM_PYTHON):
        return f"{SYSTEM_PYTHON} is missing"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    )
    import sys

    if probe.stdout.strip() != str(sys.version_info[:2]):
        return "the system python3 is not this Python's version (the C libraries are copied from here)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


def _ensure_user() -> pwd.struct_passwd:
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-d", "/nonexistent", "-s", "/bin/false", USER], check=True)
    for path, flag in (("/etc/subuid", "--add-subuids"), ("/etc/subgid", "--add-subgids")):
        text = Path(path).read_text() if os.path.exists(path) else ""
        if not any(line.split(":")[0] == USER for line in text.splitlines()):
            subprocess.run(["usermod", flag, SUBIDS, USER], check=True)
    return pwd.getpwnam(USER)


def _public_copy(dest: Path) -> Path:
    """pybuildkit and its libraries, world-readable."""
    lib = dest / "lib"
    shutil.copytree(REPO / "pybuildkit", lib / "pybuildkit", ignore=shutil.ignore_patterns("__pycache__"))
    for name in LIBRARIES:
        module = __import__(name)
        shutil.copytree(
            Path(module.__file__).parent, lib / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    return lib


@pytest.fixture
def public(busybox_image: BusyboxImage) -> Iterator[tuple[Path, pwd.struct_passwd]]:
    entry = _ensure_user()
    base = Path(tempfile.mkdtemp(prefix="pbkit-rootless-", dir="/tmp"))
    try:
        _public_copy(base)
        busybox_image.copy_store(base / "store")
        (base / "context").mkdir()
        (base / "context" / "Dockerfile").write_text(DOCKERFILE)
        for dirpath, dirnames, filenames in os.walk(base):
            for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                os.lchown(name, entry.pw_uid, entry.pw_gid)
                if not os.path.islink(name):
                    os.chmod(name, 0o755 if os.path.isdir(name) else 0o644)
        os.chmod(base, 0o755)
        yield base, entry
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)


def test_run_build_as_an_unprivileged_user_with_a_subordinate_range(
    public: tuple[Path, pwd.struct_passwd],
) -> None:
    base, entry = public
    out = base / "out"
    done = subprocess.run(
        [
            "runuser",
            "-u",
            USER,
            "--",
            SYSTEM_PYTHON,
            "-c",
            SCRIPT,
            str(base / "context"),
            str(base / "store"),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=base,
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "PYTHONPATH": str(base / "lib"), "HOME": str(base)},
    )
    if done.returncode != 0 and "user namespace" in done.stderr.lower() and "not" in done.stderr.lower():
        pytest.skip(f"this machine does not let ordinary users create user namespaces: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    digest = report["digest"]
    # `pybuildkit run` as the same user: the image's owners as the container sees them.
    assert report["run"] == 0 and Path(f"{out}.run").read_text().split() == ["1000:1000", "0"]
    assert (out / "srv/uid").read_text().strip() == "0"
    # The container saw root plus the subordinate range.
    maps = [line.split() for line in (out / "srv/map").read_text().splitlines()]
    assert ["0", str(entry.pw_uid), "1"] in maps and any(m[2] == "65536" for m in maps), maps
    # The layer holds the ids the container saw, not the host's.
    from pybuildkit.store import Store

    store = Store(base / "store")
    layer = store.load(digest).manifest.layers[-1]
    with tarfile.open(fileobj=io.BytesIO(store.blob_path(layer.digest).read_bytes()), mode="r:*") as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert (members["srv/data/f"].uid, members["srv/data/f"].gid) == (1000, 1000)
    assert (members["srv/uid"].uid, members["srv/uid"].gid) == (0, 0)
    assert "bin/.wh.vi" in members
