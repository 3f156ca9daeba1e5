"""The copy-and-compare snapshot leaves the same upperdir overlayfs leaves, for the same commands."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.sandbox.conftest import Sandbox

pytestmark = pytest.mark.usefixtures("sandbox_ready")


def upper_tree(upper: Path, opaque: str) -> dict[str, tuple[object, ...]]:
    """Each entry of an upperdir: type, mode, owner, content or link target, opaque mark."""
    tree: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(upper):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            kind = stat.S_IFMT(st.st_mode)
            if stat.S_ISREG(st.st_mode):
                body: object = Path(path).read_bytes()
            elif stat.S_ISLNK(st.st_mode):
                body = os.readlink(path)
            elif stat.S_ISCHR(st.st_mode):
                body = st.st_rdev
            else:
                body = None
            mark = b""
            if stat.S_ISDIR(st.st_mode):
                try:
                    mark = os.getxattr(path, opaque)
                except OSError:
                    mark = b""
            tree[os.path.relpath(path, upper)] = (
                kind,
                stat.S_IMODE(st.st_mode),
                st.st_uid,
                st.st_gid,
                body,
                mark,
            )
    return tree


SCRIPTS = {
    "new-files": "echo hi > /data/new; mkdir -p /a/b/c; echo x > /a/b/c/f; ln -s /data/new /a/link",
    "modify": "echo more >> /data/keep.txt; chmod 600 /data/keep.txt",
    "delete-file": "rm /data/gone.txt",
    "delete-dir": "rm -rf /data/olddir",
    "replace-dir": "rm -rf /data/olddir && mkdir /data/olddir && echo c > /data/olddir/c",
    "dir-to-file": "rm -rf /data/olddir && echo f > /data/olddir",
    "chown": "touch /owned && chown 1000:10 /owned && mkdir /d && chown 1000 /d && chmod 2750 /d",
    "hardlink": "echo h > /data/h1 && ln /data/h1 /data/h2",
    "fifo": "mkfifo /data/pipe",
    "rename-dir": "mv /data/olddir /data/newdir",
    "link-lower": "ln /data/keep.txt /data/keep-link",
    "setuid": "cp /bin/busybox /usr/bin/su2 && chmod 4755 /usr/bin/su2",
    "noop": "cat /data/keep.txt >/dev/null",
}


@pytest.mark.parametrize("script", list(SCRIPTS.values()), ids=list(SCRIPTS))
def test_copy_snapshot_matches_overlay(sandbox: Sandbox, script: str) -> None:
    overlay = sandbox.run(script, snapshot="overlay")
    copy = sandbox.run(script, snapshot="copy")
    assert (overlay.exit_code, copy.exit_code) == (0, 0), (overlay.stderr, copy.stderr)
    assert copy.raw["snapshot"] == "copy"
    assert upper_tree(copy.upper, copy.raw["opaque_xattr"]) == upper_tree(
        overlay.upper, overlay.raw["opaque_xattr"]
    )


def test_copy_snapshot_is_reported(sandbox: Sandbox) -> None:
    outcome = sandbox.run("true", snapshot="copy")
    assert outcome.raw["snapshot"] == "copy"
    assert any("copy-and-compare" in w for w in outcome.raw["warnings"])


def test_falls_back_to_copy_when_overlay_cannot_mount(sandbox: Sandbox) -> None:
    # An upperdir on tmpfs with overlay's workdir on another filesystem: overlayfs refuses (EXDEV), so
    # the run must fall back by itself, say so, and still leave an overlay-format upperdir.
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(sandbox.work).st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the work directory")
    shm = Path("/dev/shm") / f"pbkit-upper-{os.getpid()}-{sandbox.mode}"
    shm.mkdir()
    try:
        if sandbox.user:
            import pwd

            entry = pwd.getpwnam(sandbox.user)
            os.chown(shm, entry.pw_uid, entry.pw_gid)
        outcome = sandbox.run("rm /data/gone.txt; echo n > /data/n", upperdir=str(shm / "upper"))
        assert outcome.exit_code == 0
        assert outcome.raw["snapshot"] == "copy"
        assert "cannot mount overlayfs" in outcome.raw["warnings"][0]
        assert (shm / "upper" / "data" / "n").read_text() == "n\n"
        assert os.lstat(shm / "upper" / "data" / "gone.txt").st_rdev == 0
    finally:
        import shutil

        shutil.rmtree(shm)
