"""The store commands, run in-process through `pybuildkit.cli.main`: images, inspect, save, rmi, prune, import."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

import pybuildkit.cli as cli
from pybuildkit.store import Store
from tests.images import BusyboxImage

MINE = ("images", "inspect", "save", "rmi", "prune", "import_")


@pytest.fixture(autouse=True)
def _commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # Until the lead lists these in COMMANDS (and whatever else is listed may not exist yet in this tree).
    monkeypatch.setattr(cli, "COMMANDS", MINE)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_import_images_inspect_rmi_prune(
    busybox_image: BusyboxImage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(tmp_path / "store")
    status, out, _ = run(
        capsys, "import", str(busybox_image.rootfs), "-t", "bb", "-t", "bb:2", "--root", root
    )
    assert status == 0 and out.startswith("sha256:")
    digest = out.strip()
    status, out, _ = run(capsys, "images", "--root", root)
    lines = out.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "PLATFORM", "SIZE"]
    assert [line.split()[:2] for line in lines[1:]] == [["bb", "2"], ["bb", "latest"]]
    status, out, _ = run(capsys, "images", "--json", "--root", root)
    rows = [json.loads(line) for line in out.splitlines()]
    assert {row["digest"] for row in rows} == {digest}
    status, out, _ = run(capsys, "inspect", "bb", "--root", root)
    document = json.loads(out)
    assert document["Digest"] == digest and document["RepoTags"] == ["bb:2", "bb:latest"]
    assert document["Config"]["rootfs"]["type"] == "layers"
    assert document["Manifest"]["layers"][0]["mediaType"].endswith("tar+gzip")
    status, out, _ = run(capsys, "rmi", "bb", "bb:2", "--root", root)
    assert status == 0 and "Untagged: bb:latest" in out
    status, out, _ = run(capsys, "prune", "--root", root)
    assert status == 0 and "Deleted 3 blobs" in out
    assert Store(root).images() == ()


def test_errors_are_messages_not_tracebacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(tmp_path / "store")
    status, _, err = run(capsys, "inspect", "nothing", "--root", root)
    assert status == 1
    assert err.startswith("error: no image 'nothing' in the store at")
    assert "hint:" in err and "Traceback" not in err
    status, _, err = run(capsys, "rmi", "nothing", "--root", root)
    assert status == 1 and "no image 'nothing'" in err
    status, _, err = run(capsys, "import", str(tmp_path / "missing"), "-t", "x", "--root", root)
    assert status == 1 and "no such file or directory" in err
    status, _, err = run(capsys, "import", "x", "--compression", "brotli", "--root", root)
    assert status == 1 and "unknown compression" in err


def test_root_from_environment(
    busybox_image: BusyboxImage, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYBUILDKIT_ROOT", str(busybox_image.store_root))
    status, out, _ = run(capsys, "images", "-q")
    assert status == 0
    loaded = Store(busybox_image.store_root).load("busybox")
    assert out.strip() == loaded.id.removeprefix("sha256:")[:12]


@pytest.mark.parametrize("fmt", ["docker", "oci"])
def test_save(
    busybox_image: BusyboxImage, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    out_file = tmp_path / "saved.tar"
    status, _, err = run(
        capsys,
        "save",
        "busybox",
        "-o",
        str(out_file),
        "--format",
        fmt,
        "--root",
        str(busybox_image.store_root),
    )
    assert status == 0, err
    with tarfile.open(out_file) as tar:
        names = set(tar.getnames())
    assert ("manifest.json" in names) == (fmt == "docker")
    assert {"index.json", "oci-layout"} <= names


def test_import_from_layout_uri(
    busybox_image: BusyboxImage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(tmp_path / "store")
    status, out, _ = run(
        capsys, "import", f"oci-layout://{busybox_image.layout}:latest", "-t", "base", "--root", root
    )
    assert status == 0 and out.strip() == busybox_image.descriptor.digest
    assert Store(root).resolve("base").digest == busybox_image.descriptor.digest


def test_import_from_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("etc/os-release")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"x=1"))
    archive.seek(0)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(archive))
    root = str(tmp_path / "store")
    status, _, err = run(capsys, "import", "-", "-t", "piped", "-m", "from a pipe", "--root", root)
    assert status == 0, err
    loaded = Store(root).load("piped")
    assert loaded.config.history[0].comment == "from a pipe"
