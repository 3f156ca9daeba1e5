"""Session fixtures with a real base image made from Debian's busybox-static, for every suite.

Use them from any test module (or a conftest) with:

    from tests.images import busybox_image  # noqa: F401  (a fixture)

    def test_x(busybox_image: BusyboxImage) -> None:
        store = Store(busybox_image.store_root)         # a store holding `busybox:latest`
        busybox_image.layout                            # an OCI layout dir with the same image, tag `latest`

The rootfs holds bin/busybox and a symlink per applet (`busybox --list`), /etc/passwd and /etc/group with root
and nobody, and a sticky /tmp. It is built with SOURCE_DATE_EPOCH=0, so its digests are stable.
Tests must not modify the session store (tag into a store of their own: `busybox_image.copy_store(tmp_path)`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from pybuildkit.image import Descriptor
from pybuildkit.layers import GZIP
from pybuildkit.output import export_oci_layout, import_rootfs
from pybuildkit.store import Store

BUSYBOX = Path("/bin/busybox")
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnobody:x:65534:\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class BusyboxImage:
    rootfs: Path
    store_root: Path
    layout: Path
    name: str
    tag: str
    descriptor: Descriptor
    applets: tuple[str, ...]

    def copy_store(self, dest: Path) -> Store:
        """A private copy of the store (so a test may tag, remove and prune freely)."""
        shutil.copytree(self.store_root, dest, symlinks=True)
        return Store(dest)


def make_busybox_rootfs(dest: Path) -> tuple[str, ...]:
    """Lay out a minimal busybox root filesystem in `dest`; returns the applet names linked."""
    listing = subprocess.run([str(BUSYBOX), "--list"], check=True, capture_output=True, text=True).stdout
    applets = tuple(
        sorted({name for name in listing.split() if name and name != "busybox" and "/" not in name})
    )
    for sub in ("bin", "etc", "root", "tmp"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    os.chmod(dest / "bin" / "busybox", 0o755)
    for applet in applets:
        os.symlink("busybox", dest / "bin" / applet)
    (dest / "etc" / "passwd").write_text(PASSWD)
    (dest / "etc" / "group").write_text(GROUP)
    os.chmod(dest / "tmp", 0o1777)
    os.chmod(dest / "root", 0o700)
    return applets


@pytest.fixture(scope="session")
def busybox_image(tmp_path_factory: pytest.TempPathFactory) -> BusyboxImage:
    if not BUSYBOX.is_file():
        pytest.skip("Debian's busybox-static (/bin/busybox) is not installed")
    base = tmp_path_factory.mktemp("busybox")
    rootfs = base / "rootfs"
    applets = make_busybox_rootfs(rootfs)
    store = Store(base / "store")
    descriptor = import_rootfs(
        store,
        rootfs,
        names=["busybox:latest"],
        compression=GZIP,
        source_date_epoch=0,
        comment="busybox-static",
    )
    layout = base / "layout"
    export_oci_layout(store, descriptor, layout, names=["busybox:latest"])
    return BusyboxImage(
        rootfs=rootfs,
        store_root=store.root,
        layout=layout,
        name="busybox:latest",
        tag="latest",
        descriptor=descriptor,
        applets=applets,
    )
