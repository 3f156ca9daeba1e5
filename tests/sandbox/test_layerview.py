"""Reading a file through overlay-format layers: whiteouts, opaque dirs, symlinks, shadowing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pybuildkit.execute.sandbox.layerview import find_in_layers, read_text_in_layers, resolve_user_in_layers


def _layer(base: Path, name: str, entries: dict[str, str]) -> Path:
    """entries: path -> 'file:TEXT' | 'dir' | 'opaque' | 'whiteout' | 'link:TARGET'."""
    root = base / name
    root.mkdir()
    for rel, spec in entries.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        kind, _, value = spec.partition(":")
        if kind == "file":
            path.write_text(value)
        elif kind in ("dir", "opaque"):
            path.mkdir(exist_ok=True)
            if kind == "opaque":
                os.setxattr(path, "user.overlay.opaque", b"y")
        elif kind == "whiteout":
            os.mknod(path, stat.S_IFCHR, os.makedev(0, 0))
        else:
            path.symlink_to(value)
    return root


@pytest.fixture
def layers(tmp_path: Path) -> tuple[Path, ...]:
    bottom = _layer(
        tmp_path,
        "l0",
        {
            "etc/passwd": "file:root:x:0:0::/root:/bin/sh\n",
            "etc/group": "file:root:x:0:\n",
            "etc/old": "file:old",
            "opt/a": "file:a",
            "opt/b": "file:b",
            "usr/lib/os-release": "file:ID=test\n",
            "var/f": "file:dir-before",
        },
    )
    middle = _layer(
        tmp_path,
        "l1",
        {
            "etc/passwd": "file:root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n",
            "etc/old": "whiteout",
            "opt": "opaque",
            "opt/c": "file:c",
            "etc/os-release": "link:../usr/lib/os-release",
            "abs": "link:/usr/lib",
            "var": "file:not a dir any more",
        },
    )
    top = _layer(tmp_path, "l2", {"etc/group": "file:root:x:0:\napp:x:1000:\nwheel:x:10:app\n"})
    return (top, middle, bottom)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n"),
        ("/etc/group", "root:x:0:\napp:x:1000:\nwheel:x:10:app\n"),
        ("/etc/old", None),
        ("/opt/a", None),
        ("/opt/c", "c"),
        ("/etc/os-release", "ID=test\n"),
        ("/abs/os-release", "ID=test\n"),
        ("/etc/../usr/lib/os-release", "ID=test\n"),
        ("/../../usr/lib/os-release", "ID=test\n"),
        ("/var/f", None),
        ("/var", "not a dir any more"),
        ("/missing/x", None),
    ],
    ids=[
        "shadowed",
        "top",
        "whiteout",
        "opaque-hides",
        "opaque-own",
        "relative-link",
        "absolute-link",
        "dotdot",
        "dotdot-at-root",
        "file-hides-dir",
        "file-over-dir",
        "missing",
    ],
)
def test_read(layers: tuple[Path, ...], path: str, expected: str | None) -> None:
    assert read_text_in_layers(layers, path) == expected


def test_symlink_loop_is_not_found(tmp_path: Path) -> None:
    layer = _layer(tmp_path, "loop", {"a": "link:/b", "b": "link:/a"})
    assert find_in_layers((layer,), "/a") is None


def test_user_resolution_through_layers(layers: tuple[Path, ...]) -> None:
    user = resolve_user_in_layers("app", layers)
    assert (user.uid, user.gid, user.groups, user.home) == (1000, 1000, (1000, 10), "/app")
