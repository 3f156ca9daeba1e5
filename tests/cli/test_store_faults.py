"""A damaged or unwritable store: each command says what is wrong and where, with a hint, and never a traceback;
a write that cannot happen leaves the store as it was."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pybuildkit.output import import_rootfs
from pybuildkit.store import Store
from tests.cli._support import assert_clean_error, permissions_enforced, run


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    (rootfs / "hello").write_text("hello\n" * 100)
    root = tmp_path / "store"
    import_rootfs(Store(root), rootfs, names=["good"], source_date_epoch=0)
    return root


def _manifest(root: Path) -> Path:
    digest = str(json.loads((root / "index.json").read_bytes())["manifests"][0]["digest"])
    return root / "blobs" / "sha256" / digest.removeprefix("sha256:")


def _layer(root: Path) -> Path:
    manifest = json.loads(_manifest(root).read_bytes())
    return root / "blobs" / "sha256" / str(manifest["layers"][0]["digest"]).removeprefix("sha256:")


def _overwrite(path: Path, data: bytes) -> None:
    path.chmod(0o644)
    path.write_bytes(data)


def _garbage_index(root: Path) -> None:
    (root / "index.json").write_text("garbage")


def _index_is_a_directory(root: Path) -> None:
    (root / "index.json").unlink()
    (root / "index.json").mkdir()


def _index_wrong_shape(root: Path) -> None:
    (root / "index.json").write_text('{"schemaVersion": 2, "manifests": 5}')


def _manifest_missing(root: Path) -> None:
    _manifest(root).unlink()


def _manifest_corrupt(root: Path) -> None:
    _overwrite(_manifest(root), b"{}")


def _layer_corrupt(root: Path) -> None:
    path = _layer(root)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    _overwrite(path, bytes(data))


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    id: str
    damage: Callable[[Path], None]
    argv: tuple[str, ...]
    needles: tuple[str, ...]
    status: int = 1


FAULTS = [
    Fault(
        id="index-garbage-images",
        damage=_garbage_index,
        argv=("images",),
        needles=("index.json is damaged (not JSON", "hint: restore it"),
    ),
    Fault(
        id="index-garbage-import",
        damage=_garbage_index,
        argv=("import", "{tmp}/rootfs", "-t", "x"),
        needles=("index.json is damaged",),
    ),
    Fault(
        id="index-directory",
        damage=_index_is_a_directory,
        argv=("images",),
        needles=("cannot read", "index.json", "Is a directory", "hint:"),
    ),
    Fault(
        id="index-wrong-shape",
        damage=_index_wrong_shape,
        argv=("rmi", "good"),
        needles=("index.json is damaged",),
    ),
    Fault(
        id="manifest-missing-inspect",
        damage=_manifest_missing,
        argv=("inspect", "good"),
        needles=("is not in the store",),
    ),
    Fault(
        id="manifest-missing-images",
        damage=_manifest_missing,
        argv=("images",),
        needles=("warning: good:latest: blob", "is not in the store"),
        status=0,
    ),
    Fault(
        id="manifest-corrupt-inspect",
        damage=_manifest_corrupt,
        argv=("inspect", "good"),
        needles=("is corrupt", "hint: remove it"),
    ),
    Fault(
        id="layer-corrupt-save",
        damage=_layer_corrupt,
        argv=("save", "good", "-o", "{tmp}/out/good.tar"),
        needles=("is corrupt",),
    ),
    Fault(
        id="layer-corrupt-save-layout",
        damage=_layer_corrupt,
        argv=("save", "good", "--format", "oci-layout", "-o", "{tmp}/out/layout"),
        needles=("is corrupt",),
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.id for fault in FAULTS])
def test_damaged_store(fault: Fault, store_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tmp = store_root.parent
    (tmp / "out").mkdir()
    fault.damage(store_root)
    argv = [arg.replace("{tmp}", str(tmp)) for arg in fault.argv]
    outcome = run(capsys, *argv, "--root", str(store_root))
    assert_clean_error(outcome, *fault.needles, status=fault.status)
    # Nothing half-written where the output would have gone, and no temp file left in the store.
    assert sorted(os.listdir(tmp / "out")) == []
    assert sorted(os.listdir(store_root / "tmp")) == []


VERIFY = [
    ("corrupt-layer", _layer_corrupt, "is corrupt (its content has another digest)"),
    ("missing-manifest", _manifest_missing, "good:latest: blob sha256:"),
    ("damaged-index", _garbage_index, "index.json is damaged"),  # (its hint says what to do instead)
]


@pytest.mark.parametrize(("damage", "needle"), [pytest.param(d, n, id=i) for i, d, n in VERIFY])
def test_images_verify_finds_damage(
    damage: Callable[[Path], None], needle: str, store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = run(capsys, "images", "--verify", "--root", str(store_root))
    assert clean.status == 0 and "is consistent" in clean.out
    damage(store_root)
    assert_clean_error(run(capsys, "images", "--verify", "--root", str(store_root)), needle, "hint:")


def test_empty_store_directory_lists_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    outcome = run(capsys, "images", "--root", str(tmp_path / "empty"))
    assert outcome.status == 0 and outcome.out.split() == [
        "REPOSITORY",
        "TAG",
        "IMAGE",
        "ID",
        "CREATED",
        "PLATFORM",
        "SIZE",
    ]


READ_ONLY = [
    ("import", ("import", "{tmp}/rootfs", "-t", "x")),
    ("rmi", ("rmi", "good")),
    ("prune", ("prune",)),
]


@pytest.mark.parametrize(("name", "argv"), [pytest.param(n, a, id=n) for n, a in READ_ONLY])
def test_read_only_store(
    name: str, argv: tuple[str, ...], store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp = store_root.parent
    before = {path: path.stat().st_size for path in store_root.rglob("*") if path.is_file()}
    modes = {path: path.stat().st_mode for path in [store_root, *store_root.rglob("*")]}
    for path in modes:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        with permissions_enforced():
            listed = run(capsys, "images", "--root", str(store_root))
            outcome = run(
                capsys, *[arg.replace("{tmp}", str(tmp)) for arg in argv], "--root", str(store_root)
            )
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    assert listed.status == 0 and "good" in listed.out  # reading a read-only store works
    assert_clean_error(outcome, "Permission denied", "hint: the store is read-only for you")
    assert {path: path.stat().st_size for path in store_root.rglob("*") if path.is_file()} == before


def test_store_root_unreadable(store_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store_root.chmod(0)
    try:
        with permissions_enforced():
            outcome = run(capsys, "images", "--root", str(store_root))
    finally:
        store_root.chmod(0o755)
    assert_clean_error(outcome, f"cannot use {store_root} as the image store: Permission denied", "hint:")


def test_prune_after_a_killed_writer_removes_its_leftovers(
    store_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A temp file nobody holds a lock on, or a work directory while no build runs, is what a killed process
    # leaves; `images --verify` reports them and `prune` removes them.
    leftover = store_root / "tmp" / "0123456789abcdef01234567.tmp"
    leftover.write_bytes(b"partial")
    (store_root / "tmp" / "import-killed").mkdir()
    (store_root / "tmp" / "import-killed" / "manifest.json").write_text("[]")
    assert Store(store_root).verify() == (
        "temp file 0123456789abcdef01234567.tmp was left behind",
        "work directory import-killed was left behind",
    )
    assert_clean_error(run(capsys, "images", "--verify", "--root", str(store_root)), "import-killed", "prune")
    outcome = run(capsys, "prune", "--root", str(store_root))
    assert (
        outcome.status == 0 and "1 temp files" in outcome.out and "1 work or cache directories" in outcome.out
    )
    assert Store(store_root).verify() == ()
    assert os.listdir(store_root / "tmp") == []
