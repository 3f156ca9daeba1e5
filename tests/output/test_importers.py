"""Importers: OCI layouts (by tag, by digest), OCI archives, docker-archives (ours and skopeo's), rootfs tars."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from pybuildkit.image import Image
from pybuildkit.output import (
    ImageImportError,
    export_docker_archive,
    export_oci_archive,
    export_oci_layout,
    export_rootfs,
    import_docker_archive,
    import_oci_layout,
    import_rootfs,
    import_source,
)
from pybuildkit.output.importers import split_layout_ref
from pybuildkit.store import Store
from tests.images import BusyboxImage


@pytest.mark.parametrize(
    ("text", "path", "ref"),
    [
        ("/a/b", "/a/b", None),
        ("/a/b:v1", "/a/b", "v1"),
        ("rel:latest", "rel", "latest"),
        ("/a:b/c", "/a:b/c", None),
        ("/x@sha256:" + "a" * 64, "/x", "sha256:" + "a" * 64),
    ],
    ids=["plain", "tag", "relative", "colon-in-dir", "digest"],
)
def test_split_layout_ref(text: str, path: str, ref: str | None) -> None:
    assert split_layout_ref(text) == (path, ref)


def test_import_layout_by_tag_digest_and_alone(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    digest = busybox_image.descriptor.digest
    assert import_oci_layout(store, busybox_image.layout, ref="latest").digest == digest
    assert import_oci_layout(store, busybox_image.layout, ref=digest).digest == digest
    assert import_oci_layout(store, busybox_image.layout).digest == digest
    assert import_source(store, f"oci-layout://{busybox_image.layout}:latest").descriptor.digest == digest
    loaded = store.load(digest)
    for layer in loaded.layers:
        assert store.has_blob(layer.digest)
    with pytest.raises(ImageImportError, match="no image tagged 'nope'") as caught:
        import_oci_layout(store, busybox_image.layout, ref="nope")
    assert caught.value.hint == "tags in it: latest"
    with pytest.raises(ImageImportError, match="not an OCI image layout"):
        import_oci_layout(store, tmp_path)


def test_import_layout_with_several_images_needs_a_tag(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    store = busybox_image.copy_store(tmp_path / "store")
    other = import_rootfs(store, busybox_image.rootfs / "etc", source_date_epoch=0)
    layout = tmp_path / "layout"
    export_oci_layout(store, store.resolve("busybox"), layout, names=["a:one"])
    export_oci_layout(store, other, layout, names=["a:two"])
    fresh = Store(tmp_path / "fresh")
    with pytest.raises(ImageImportError, match="holds 2 images"):
        import_oci_layout(fresh, layout)
    assert import_oci_layout(fresh, layout, ref="two").digest == other.digest


def test_corrupt_layout_blob_is_refused(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    shutil.copytree(busybox_image.layout, layout)
    loaded = Store(busybox_image.store_root).load("busybox")
    blob = layout / "blobs" / "sha256" / loaded.layers[0].digest.removeprefix("sha256:")
    blob.chmod(0o644)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    store = Store(tmp_path / "store")
    with pytest.raises(Exception, match=r"mismatch|corrupt"):
        import_oci_layout(store, layout)
    assert store.images() == ()
    assert list(store.temp_dir.iterdir()) == []


def test_oci_archive_round_trip(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    archive = tmp_path / "a.tar"
    export_oci_archive(Store(busybox_image.store_root), busybox_image.descriptor, archive, names=["x:y"])
    store = Store(tmp_path / "store")
    assert (
        import_source(store, f"oci-archive://{archive}:y").descriptor.digest
        == busybox_image.descriptor.digest
    )


def test_docker_archive_round_trip(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    archive = tmp_path / "d.tar"
    source = Store(busybox_image.store_root)
    export_docker_archive(source, busybox_image.descriptor, archive, names=["app:1", "app:2"])
    store = Store(tmp_path / "store")
    (imported,) = import_docker_archive(store, archive)
    assert imported.names == ("app:1", "app:2")
    assert [tagged.name for tagged in store.images()] == ["app:1", "app:2"]
    # Same layer bytes recompressed deterministically: the very same image.
    assert imported.descriptor.digest == busybox_image.descriptor.digest


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_import_skopeos_docker_archive(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    archive = tmp_path / "skopeo.tar"
    subprocess.run(
        ["skopeo", "copy", f"oci:{busybox_image.layout}:latest", f"docker-archive:{archive}:made/by:skopeo"],
        check=True,
        capture_output=True,
    )
    store = Store(tmp_path / "store")
    imported = import_source(store, f"docker-archive://{archive}")
    assert imported.names == ("docker.io/made/by:skopeo",)  # skopeo writes the full name
    loaded = store.load("made/by:skopeo")
    original = Store(busybox_image.store_root).load("busybox")
    assert loaded.config.diff_ids == original.config.diff_ids
    rootfs = tmp_path / "rootfs"
    export_rootfs(store, imported.descriptor, rootfs)
    assert (rootfs / "bin" / "busybox").read_bytes() == (
        busybox_image.rootfs / "bin" / "busybox"
    ).read_bytes()


def test_import_rootfs_tar_like_docker_import(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    raw = buffer.getvalue()
    path = tmp_path / "rootfs.tar.gz"
    path.write_bytes(gzip.compress(raw))
    store = Store(tmp_path / "store")
    descriptor = import_rootfs(store, path, names=["imported"], source_date_epoch=86400)
    loaded = store.load("imported")
    assert loaded.descriptor.digest == descriptor.digest
    config: Image = loaded.config
    import hashlib

    assert config.diff_ids == ("sha256:" + hashlib.sha256(raw).hexdigest(),)  # the tar, byte for byte
    assert config.created == "1970-01-02T00:00:00Z"
    assert config.history[0].comment == "Imported from rootfs.tar.gz"
    value = json.loads(store.read_blob(loaded.manifest.config.digest))
    assert value["config"] == {}
    with pytest.raises(ImageImportError, match="no such file"):
        import_rootfs(store, tmp_path / "missing")


@pytest.mark.parametrize(
    "uri", ["docker://busybox", "oci-layout", "zip://x"], ids=["registry", "no-scheme", "unknown"]
)
def test_import_source_refuses_unknown_uris(tmp_path: Path, uri: str) -> None:
    with pytest.raises(ImageImportError):
        import_source(Store(tmp_path / "s"), uri)
