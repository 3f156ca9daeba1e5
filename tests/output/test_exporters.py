"""Exports checked by third-party tools: skopeo reads every archive and layout, umoci unpacks them, and the
unpacked files are the ones we put there; same inputs and SOURCE_DATE_EPOCH give the same digests."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from pybuildkit.errors import StoreError
from pybuildkit.image import Image, mediatypes
from pybuildkit.layers import ZSTD, Entry, write_layer
from pybuildkit.output import (
    OutputError,
    OutputKind,
    OutputSpec,
    export,
    export_docker_archive,
    export_oci_archive,
    export_oci_layout,
    export_rootfs,
    export_rootfs_tar,
    import_rootfs,
)
from pybuildkit.store import CorruptBlobError, Store
from tests.images import BusyboxImage

SKOPEO = shutil.which("skopeo")
UMOCI = shutil.which("umoci")
needs_skopeo = pytest.mark.skipif(SKOPEO is None, reason="skopeo is not installed")
needs_umoci = pytest.mark.skipif(
    UMOCI is None or os.geteuid() != 0, reason="umoci unpack needs umoci and root"
)


def skopeo(*args: str) -> dict[str, object]:
    out = subprocess.run(["skopeo", *args], check=True, capture_output=True, text=True).stdout
    value: dict[str, object] = json.loads(out)
    return value


def umoci_unpack(image: str, bundle: Path) -> Path:
    subprocess.run(["umoci", "unpack", "--image", image, str(bundle)], check=True, capture_output=True)
    return bundle / "rootfs"


def check_busybox_rootfs(rootfs: Path, image: BusyboxImage) -> None:
    assert (rootfs / "bin" / "busybox").read_bytes() == (image.rootfs / "bin" / "busybox").read_bytes()
    assert os.access(rootfs / "bin" / "busybox", os.X_OK)
    assert sorted(os.listdir(rootfs / "bin")) == sorted([*image.applets, "busybox"])
    assert os.readlink(rootfs / "bin" / "sh") == "busybox"
    assert (rootfs / "etc" / "passwd").read_text().startswith("root:x:0:0:")
    assert stat.S_IMODE((rootfs / "tmp").stat().st_mode) == 0o1777


@pytest.mark.parametrize(
    ("text", "kind", "dest", "options"),
    [
        ("type=oci-layout,dest=out", OutputKind.OCI_LAYOUT, "out", ()),
        ("type=oci,dest=a.tar", OutputKind.OCI, "a.tar", ()),
        ("type=docker,dest=d.tar,name=app:1", OutputKind.DOCKER, "d.tar", (("name", "app:1"),)),
        ("type=local,dest=root", OutputKind.LOCAL, "root", ()),
        ("type=tar,dest=fs.tar", OutputKind.TAR, "fs.tar", ()),
        ("outdir", OutputKind.LOCAL, "outdir", ()),
        ("-", OutputKind.TAR, "-", ()),
    ],
    ids=["oci-layout", "oci", "docker", "local", "tar", "bare-dir", "stdout"],
)
def test_output_spec_parse(
    text: str, kind: OutputKind, dest: str, options: tuple[tuple[str, str], ...]
) -> None:
    assert OutputSpec.parse(text) == OutputSpec(kind=kind, dest=dest, options=options)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("type=s3,dest=x", "unknown output type"),
        ("type=oci", "needs dest"),
        ("type=oci,dest", "bad --output"),
    ],
    ids=["unknown", "no-dest", "no-equals"],
)
def test_output_spec_errors(text: str, message: str) -> None:
    with pytest.raises(OutputError, match=message):
        OutputSpec.parse(text)


def test_fixture_image_is_in_store_and_layout(busybox_image: BusyboxImage) -> None:
    store = Store(busybox_image.store_root)
    assert store.resolve("busybox").digest == busybox_image.descriptor.digest
    index = json.loads((busybox_image.layout / "index.json").read_bytes())
    (entry,) = index["manifests"]
    assert entry["annotations"]["org.opencontainers.image.ref.name"] == "latest"
    assert entry["annotations"]["io.containerd.image.name"] == "docker.io/library/busybox:latest"


@needs_skopeo
def test_skopeo_reads_the_oci_layout(busybox_image: BusyboxImage) -> None:
    found = skopeo("inspect", f"oci:{busybox_image.layout}:latest")
    assert found["Digest"] == busybox_image.descriptor.digest
    assert found["Architecture"] and found["Os"] == "linux"
    config = skopeo("inspect", "--config", f"oci:{busybox_image.layout}:latest")
    history = config["history"]
    assert isinstance(history, list) and history[0]["comment"] == "busybox-static"


@needs_umoci
def test_umoci_unpacks_the_oci_layout(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    rootfs = umoci_unpack(f"{busybox_image.layout}:latest", tmp_path / "bundle")
    check_busybox_rootfs(rootfs, busybox_image)


@needs_skopeo
def test_oci_archive(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    store = Store(busybox_image.store_root)
    archive = tmp_path / "image.tar"
    export(store, busybox_image.descriptor, OutputSpec.parse(f"type=oci,dest={archive}"), names=["app:v1"])
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert {"oci-layout", "index.json"} <= set(names)
        assert all(member.uid == 0 and member.mtime == 0 for member in tar.getmembers())
    assert skopeo("inspect", f"oci-archive:{archive}:v1")["Digest"] == busybox_image.descriptor.digest


@needs_skopeo
def test_docker_archive(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    store = Store(busybox_image.store_root)
    archive = tmp_path / "docker.tar"
    export(store, busybox_image.descriptor, OutputSpec.parse(f"type=docker,dest={archive}"), names=["app:v1"])
    with tarfile.open(archive) as tar:
        extracted = tar.extractfile("manifest.json")
        assert extracted is not None
        manifest = json.loads(extracted.read())
    loaded = store.load(busybox_image.descriptor)
    assert manifest == [
        {
            "Config": "blobs/sha256/" + loaded.manifest.config.digest.removeprefix("sha256:"),
            "RepoTags": ["app:v1"],
            "Layers": ["blobs/sha256/" + layer.digest.removeprefix("sha256:") for layer in loaded.layers],
        }
    ]
    found = skopeo("inspect", f"docker-archive:{archive}")
    assert found["Layers"] == list(loaded.config.diff_ids)
    # A third-party round trip: skopeo turns it into an OCI layout, which umoci unpacks.
    if UMOCI and os.geteuid() == 0:
        subprocess.run(
            ["skopeo", "copy", f"docker-archive:{archive}", f"oci:{tmp_path / 'copied'}:x"],
            check=True,
            capture_output=True,
        )
        check_busybox_rootfs(umoci_unpack(f"{tmp_path / 'copied'}:x", tmp_path / "bundle"), busybox_image)


@needs_skopeo
def test_zstd_layers(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    descriptor = import_rootfs(store, busybox_image.rootfs, compression=ZSTD, source_date_epoch=0)
    layout = tmp_path / "zstd"
    export_oci_layout(store, descriptor, layout, names=["z:zstd"])
    raw = skopeo("inspect", "--raw", f"oci:{layout}:zstd")
    layers = raw["layers"]
    assert isinstance(layers, list) and layers[0]["mediaType"] == mediatypes.OCI_LAYER_ZSTD
    # umoci 0.4.7 cannot read zstd: let skopeo decompress it (which checks the stream) to gzip first.
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--dest-compress-format",
            "gzip",
            f"oci:{layout}:zstd",
            f"oci:{tmp_path / 'gz'}:gz",
        ],
        check=True,
        capture_output=True,
    )
    if UMOCI and os.geteuid() == 0:
        check_busybox_rootfs(umoci_unpack(f"{tmp_path / 'gz'}:gz", tmp_path / "bundle"), busybox_image)


def test_same_inputs_same_digests(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    digests = []
    archives = []
    for run in ("one", "two"):
        store = Store(tmp_path / run)
        descriptor = import_rootfs(
            store, busybox_image.rootfs, names=["same"], source_date_epoch=1_700_000_000
        )
        digests.append(descriptor.digest)
        archive = tmp_path / f"{run}.tar"
        export_oci_archive(store, descriptor, archive, names=["same"], mtime=1_700_000_000)
        archives.append(archive.read_bytes())
    assert digests[0] == digests[1]
    assert archives[0] == archives[1]


def _two_layer_image(busybox_image: BusyboxImage, tmp_path: Path) -> tuple[Store, str]:
    """busybox plus a layer that deletes bin/vi, makes etc/ opaque with a new file, and adds a hardlink."""
    store = busybox_image.copy_store(tmp_path / "store")
    base = store.load("busybox")
    with store.new_blob() as blob:
        layer = write_layer(
            [
                Entry.whiteout("bin/vi"),
                Entry.directory("etc"),
                Entry.opaque("etc"),
                Entry.regular("etc/hostname", b"box\n"),
                Entry.directory("srv", uid=1000, gid=1000, mode=0o750),
                Entry.regular("srv/data", b"payload", uid=1000, gid=1000),
            ],
            blob,
            source_date_epoch=0,
        )
    image = Image(
        architecture=base.config.architecture,
        os="linux",
        config=base.config.config,
        diff_ids=(*base.config.diff_ids, layer.diff_id),
        history=base.config.history,
    )
    descriptor = store.put_image(image, [*base.layers, layer.descriptor()])
    store.tag("two", descriptor)
    return store, descriptor.digest


def test_local_and_tar_outputs_apply_whiteouts(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    store, _ = _two_layer_image(busybox_image, tmp_path)
    descriptor = store.resolve("two")
    rootfs = tmp_path / "local"
    result = export_rootfs(store, descriptor, rootfs)
    assert result.removed >= 3  # bin/vi, etc/passwd, etc/group
    assert not (rootfs / "bin" / "vi").exists() and (rootfs / "bin" / "sh").is_symlink()
    assert sorted(os.listdir(rootfs / "etc")) == ["hostname"]
    if os.geteuid() == 0:
        assert (rootfs / "srv" / "data").stat().st_uid == 1000
    tar_path = tmp_path / "fs.tar"
    export_rootfs_tar(store, descriptor, tar_path, source_date_epoch=0)
    with tarfile.open(tar_path) as tar:
        names = tar.getnames()
        assert "etc/hostname" in names and "etc/passwd" not in names and "bin/vi" not in names
        assert not any(name.rsplit("/", 1)[-1].startswith(".wh.") for name in names)
        assert names == sorted(names, key=lambda name: name.split("/"))


@needs_umoci
def test_umoci_agrees_on_whiteouts(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    store, _ = _two_layer_image(busybox_image, tmp_path)
    layout = tmp_path / "layout"
    export_oci_layout(store, store.resolve("two"), layout, names=["two:latest"])
    ours = tmp_path / "ours"
    export_rootfs(store, store.resolve("two"), ours)
    theirs = umoci_unpack(f"{layout}:latest", tmp_path / "bundle")

    def listing(root: Path) -> list[tuple[str, int, int, int]]:
        return sorted(
            (str(path.relative_to(root)), path.lstat().st_mode, path.lstat().st_uid, path.lstat().st_gid)
            for path in root.rglob("*")
        )

    assert listing(ours) == listing(theirs)


def test_corrupt_blob_leaves_no_partial_archive(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    store = busybox_image.copy_store(tmp_path / "store")
    layer = store.load("busybox").layers[0]
    path = store.blob_path(layer.digest)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    dest = tmp_path / "out.tar"
    with pytest.raises(CorruptBlobError):
        export_docker_archive(store, store.resolve("busybox"), dest, names=["busybox"])
    assert not dest.exists()
    assert [item.name for item in tmp_path.iterdir() if item.name.endswith(".tmp")] == []
    with pytest.raises(StoreError):
        export_oci_layout(store, store.resolve("busybox"), tmp_path / "layout")


def test_layout_export_keeps_other_images(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    store, _ = _two_layer_image(busybox_image, tmp_path)
    layout = tmp_path / "layout"
    export_oci_layout(store, store.resolve("busybox"), layout, names=["busybox:latest"])
    export_oci_layout(store, store.resolve("two"), layout, names=["two:2"])
    export_oci_layout(store, store.resolve("two"), layout, names=["two:latest"])
    index = json.loads((layout / "index.json").read_bytes())
    refs = {
        item["annotations"]["org.opencontainers.image.ref.name"]: item["digest"]
        for item in index["manifests"]
    }
    assert refs == {"latest": store.resolve("two").digest, "2": store.resolve("two").digest}


def test_corrupt_layer_tail_is_caught_when_unpacking(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    store = busybox_image.copy_store(tmp_path / "store")
    layer = store.load("busybox").layers[0]
    path = store.blob_path(layer.digest)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[-6] ^= 0xFF  # in the gzip trailer (CRC32): past the tar's end-of-archive blocks
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptBlobError):
        export_rootfs(store, store.resolve("busybox"), tmp_path / "rootfs")
