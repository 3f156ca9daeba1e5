"""Push to and pull from a real registry (Debian's docker-registry on 127.0.0.1), checked by skopeo."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pybuildkit.image import Platform, mediatypes
from pybuildkit.registry import PlatformNotFoundError, RegistryClient, RegistryOptions, pull, push
from pybuildkit.store import Store
from tests.registry.cli import run_cli
from tests.registry.conftest import make_image, make_index
from tests.registry.servers import RunningRegistry


def test_push_then_pull_into_an_empty_store(
    registry: RunningRegistry, options: RegistryOptions, tmp_path: Path
) -> None:
    source = Store(tmp_path / "a")
    local = make_image(source, tmp_path, name="app:1", content="one")
    ref = f"{registry.host}/roundtrip/app:1"
    pushed = push(source, "app:1", ref, options=options)
    assert pushed.descriptor.digest == local.digest
    assert pushed.blobs_uploaded == 2  # config + layer

    target = Store(tmp_path / "b")
    pulled = pull(target, ref, options=options)
    assert pulled.descriptor.digest == local.digest
    assert pulled.reference.digest == local.digest
    assert pulled.blobs_downloaded == 2
    image = target.load(f"{registry.host}/roundtrip/app:1")
    assert image.layers == source.load("app:1").layers

    # Pulling again fetches nothing: every blob is in the store already.
    again = pull(target, ref, options=options)
    assert (again.blobs_downloaded, again.bytes_downloaded) == (0, 0)

    # Pushing again uploads nothing: the registry has every blob.
    again_pushed = push(source, "app:1", ref, options=options)
    assert again_pushed.blobs_uploaded == 0
    assert again_pushed.blobs_existing == 2


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_skopeo_agrees(registry: RunningRegistry, options: RegistryOptions, tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    local = make_image(store, tmp_path, name="skopeo:1", content="for skopeo")
    ref = f"{registry.host}/checked/skopeo:1"
    push(store, "skopeo:1", ref, options=options)
    raw = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", "--raw", f"docker://{ref}"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    assert raw == store.read_blob(local.digest)
    info = json.loads(
        subprocess.run(
            ["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"], check=True, capture_output=True
        ).stdout
    )
    assert info["Digest"] == local.digest
    assert info["Layers"] == [layer.digest for layer in store.load("skopeo:1").layers]


@pytest.mark.parametrize("chunk_size", [0, 1000], ids=["monolithic", "chunked"])
def test_upload_modes(
    registry: RunningRegistry, options: RegistryOptions, tmp_path: Path, chunk_size: int
) -> None:
    import dataclasses

    store = Store(tmp_path / "s")
    local = make_image(store, tmp_path, name="modes:1", content="x" * 5000 + str(chunk_size))
    ref = f"{registry.host}/modes/{'chunked' if chunk_size else 'mono'}:1"
    push(store, "modes:1", ref, options=dataclasses.replace(options, chunk_size=chunk_size))
    pulled = pull(Store(tmp_path / "t"), ref, options=options)
    assert pulled.descriptor.digest == local.digest


def test_cross_repository_mount(registry: RunningRegistry, options: RegistryOptions, tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    make_image(store, tmp_path, name="mount:1", content="mount me")
    push(store, "mount:1", f"{registry.host}/mount/first:1", options=options)
    second = push(store, "mount:1", f"{registry.host}/mount/second:1", options=options)
    assert second.blobs_mounted == 2
    assert second.blobs_uploaded == 0
    pulled = pull(Store(tmp_path / "t"), f"{registry.host}/mount/second:1", options=options)
    assert pulled.descriptor.digest == second.descriptor.digest


def test_multi_platform_index(registry: RunningRegistry, options: RegistryOptions, tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    index = make_index(store, tmp_path, name="multi:1", platforms=("linux/amd64", "linux/arm64"))
    ref = f"{registry.host}/multi/app:1"
    pushed = push(store, "multi:1", ref, options=options)
    assert pushed.descriptor.digest == index.digest
    for platform in ("linux/amd64", "linux/arm64"):
        target = Store(tmp_path / platform.replace("/", "-"))
        pulled = pull(target, ref, platform=Platform.parse(platform), options=options)
        assert pulled.reference.digest == index.digest
        assert pulled.index is not None and pulled.index.digest == index.digest
        assert str(pulled.platform) == platform
        image = target.load(pulled.descriptor)
        assert str(image.config.platform) == platform
    with pytest.raises(PlatformNotFoundError) as caught:
        pull(Store(tmp_path / "none"), ref, platform=Platform.parse("linux/s390x"), options=options)
    assert "linux/s390x" in caught.value.message
    assert caught.value.hint is not None
    assert "linux/amd64" in caught.value.hint and "linux/arm64" in caught.value.hint


def test_docker_schema2_round_trip(
    registry: RunningRegistry, options: RegistryOptions, tmp_path: Path
) -> None:
    """A Docker schema 2 manifest is pushed with its own media type and pulled back byte for byte."""
    store = Store(tmp_path / "s")
    oci = store.load(make_image(store, tmp_path, name="oci:1", content="docker types"))
    docker = store.put_image(oci.config, oci.layers, docker=True)
    store.tag("docker:1", docker)
    assert docker.media_type == mediatypes.DOCKER_MANIFEST
    ref = f"{registry.host}/schema2/app:1"
    push(store, "docker:1", ref, options=options)
    target = Store(tmp_path / "t")
    pulled = pull(target, ref, options=options)
    assert pulled.descriptor.digest == docker.digest
    assert pulled.descriptor.media_type == mediatypes.DOCKER_MANIFEST
    assert target.read_blob(docker.digest) == store.read_blob(docker.digest)


@pytest.mark.parametrize(
    ("domain", "insecure", "expected"),
    [
        ("localhost", (), "http://localhost"),
        ("localhost:5000", (), "http://localhost:5000"),
        ("127.0.0.1:5000", (), "http://127.0.0.1:5000"),
        ("[::1]:5000", (), "http://[::1]:5000"),
        ("registry.example", (), "https://registry.example"),
        ("registry.example:5000", ("registry.example:5000",), "http://registry.example:5000"),
        ("registry.example:5000", ("registry.example",), "http://registry.example:5000"),
        ("docker.io", (), "https://registry-1.docker.io"),
    ],
    ids=[
        "localhost",
        "localhost-port",
        "loopback",
        "ipv6-loopback",
        "https",
        "insecure",
        "insecure-host",
        "hub",
    ],
)
def test_scheme_and_host(domain: str, insecure: tuple[str, ...], expected: str) -> None:
    with RegistryClient(domain, RegistryOptions(insecure_registries=insecure, trust_env=False)) as client:
        assert client.base_url == expected


def test_cli_pull_platform(
    registry: RunningRegistry,
    options: RegistryOptions,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(options.docker_config))
    store = Store(tmp_path / "s")
    make_index(store, tmp_path, name="cli-multi:1", platforms=("linux/amd64", "linux/arm64"))
    ref = f"{registry.host}/cli/multi:1"
    push(store, "cli-multi:1", ref, options=options)
    root = str(tmp_path / "t")
    assert run_cli(monkeypatch, "pull", "--root", root, "--platform", "linux/arm64", ref) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{ref}\n"
    assert "Pull complete" in captured.err and "Digest: sha256:" in captured.err
    assert str(Store(root).load(ref).config.platform) == "linux/arm64"
    assert run_cli(monkeypatch, "pull", "--root", root, "--platform", "linux/ppc64le", ref) == 1
    assert capsys.readouterr().err.splitlines()[-2:] == [
        f"error: pull {ref}: no image for platform linux/ppc64le",
        "hint: the image is built for linux/amd64, linux/arm64; choose one with --platform",
    ]


def test_ensure_image_follows_a_moved_tag_only_with_refresh(
    registry: RunningRegistry, options: RegistryOptions, tmp_path: Path
) -> None:
    from pybuildkit.registry import ensure_image

    source = Store(tmp_path / "src")
    ref = f"{registry.host}/moving/base:latest"
    old = make_image(source, tmp_path, name="old:1", content="old")
    push(source, "old:1", ref, options=options)
    store = Store(tmp_path / "s")
    assert ensure_image(store, ref, options=options).descriptor.digest == old.digest
    new = make_image(source, tmp_path, name="new:1", content="new")
    push(source, "new:1", ref, options=options)
    assert ensure_image(store, ref, options=options).descriptor.digest == old.digest  # kept, no request
    refreshed = ensure_image(store, ref, refresh=True, options=options)
    assert refreshed.descriptor.digest == new.digest
    assert refreshed.reference.digest == new.digest
    assert ensure_image(store, ref, options=options).descriptor.digest == new.digest
