"""`--output` and `save -o` destinations are checked before anything is written, and a new OCI layout or
local directory appears whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pybuildkit.output import OutputError, OutputSpec, export_oci_layout, export_rootfs, import_rootfs
from pybuildkit.store import Store

CASES = [
    ("oci-onto-directory", "type=oci,dest={w}/adir", "adir is a directory, but the output is a file"),
    ("docker-onto-directory", "type=docker,dest={w}/adir", "adir is a directory"),
    ("tar-under-a-file", "type=tar,dest={w}/afile/x.tar", "afile is not a directory"),
    ("layout-onto-a-file", "type=oci-layout,dest={w}/afile", "afile exists and is not a directory"),
    ("local-onto-a-file", "{w}/afile", "afile exists and is not a directory"),
    ("local-under-a-file", "type=local,dest={w}/afile/sub/dir", "afile is not a directory"),
    ("layout-to-stdout", "type=oci-layout,dest=-", "cannot go to standard output"),
    ("missing-dest", "type=oci", "needs dest=PATH"),
    ("unknown-type", "type=zip,dest=x", "unknown output type 'zip'"),
    ("not-key-value", "type=oci,dest=x,compress", "bad --output field 'compress'"),
]


@pytest.mark.parametrize(("text", "needle"), [pytest.param(t, n, id=i) for i, t, n in CASES])
def test_refused_when_parsed(text: str, needle: str, tmp_path: Path) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError) as raised:
        OutputSpec.parse(text.replace("{w}", str(tmp_path)))
    assert needle in raised.value.render()
    assert sorted(os.listdir(tmp_path)) == ["adir", "afile"]


OK = [
    ("oci-new-file", "type=oci,dest={w}/new/image.tar"),
    ("tar-stdout", "-"),
    ("layout-existing-dir", "type=oci-layout,dest={w}/adir"),
    ("local-new-dir", "{w}/out"),
]


@pytest.mark.parametrize("text", [pytest.param(t, id=i) for i, t in OK])
def test_accepted(text: str, tmp_path: Path) -> None:
    (tmp_path / "adir").mkdir()
    OutputSpec.parse(text.replace("{w}", str(tmp_path)))


def test_failed_layout_and_local_leave_nothing(tmp_path: Path) -> None:
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    (rootfs / "f").write_text("f")
    store = Store(tmp_path / "store")
    image = import_rootfs(store, rootfs, names=["x"], source_date_epoch=0)
    layer = store.load(image).manifest.layers[0]
    path = store.blob_path(layer.digest)
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # same size, another digest: found only once the copy is under way
    os.chmod(path, 0o644)
    path.write_bytes(bytes(damaged))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Exception, match="corrupt"):
        export_oci_layout(store, image, out / "layout", names=["x"])
    with pytest.raises(Exception, match="corrupt"):
        export_rootfs(store, image, out / "rootfs")
    assert os.listdir(out) == []


def test_a_fifo_destination_is_written_into_not_replaced(tmp_path: Path) -> None:
    # `-o /dev/stdout` or a named pipe: renaming a temp file over it would replace the node with a file
    # (as root, over a device in /dev).
    import tarfile
    import threading

    from pybuildkit.output import export_oci_archive

    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    (rootfs / "f").write_text("f")
    store = Store(tmp_path / "store")
    image = import_rootfs(store, rootfs, names=["x"], source_date_epoch=0)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    names: list[str] = []

    def read() -> None:
        with open(fifo, "rb") as pipe, tarfile.open(fileobj=pipe, mode="r|") as tar:
            names.extend(member.name for member in tar)

    reader = threading.Thread(target=read)
    reader.start()
    export_oci_archive(store, image, fifo, names=["x"])
    reader.join(10)
    assert fifo.is_fifo()
    assert "index.json" in names and "oci-layout" in names
    assert sorted(os.listdir(tmp_path)) == ["pipe", "rootfs", "store"]
