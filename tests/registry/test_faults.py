"""Fault paths: a registry that is down, corrupt blobs, cut connections, 5xx and 429, wrong platforms.

Faults on the wire come from `FaultProxy` (a loopback proxy in front of the real registry) or, for status
codes, from an httpx transport wrapping the real one. Every failure leaves the store without partial content.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pybuildkit.image import Platform
from pybuildkit.registry import (
    BlobVerificationError,
    NotFoundError,
    PlatformNotFoundError,
    RegistryOptions,
    RegistryUnreachableError,
    ensure_image,
    pull,
    push,
)
from pybuildkit.store import Store
from tests.registry.conftest import make_image, make_index
from tests.registry.servers import FaultProxy, RunningRegistry, free_port


@pytest.fixture(scope="module")
def pushed(registry: RunningRegistry, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A two-blob image (its layer about 300 kB, so cuts land mid-body) in the session registry."""
    base = tmp_path_factory.mktemp("faults-src")
    store = Store(base / "store")
    make_image(store, base, name="faulty:1", content=os.urandom(300_000).hex())
    options = RegistryOptions(docker_config=str(base), trust_env=False)
    push(store, "faulty:1", f"{registry.host}/faults/app:1", options=options)
    return "faults/app:1"


@pytest.fixture
def proxy(registry: RunningRegistry) -> Iterator[FaultProxy]:
    server = FaultProxy(registry.host)
    yield server
    server.stop()


def assert_nothing_stored(store: Store) -> None:
    assert list((store.root / "blobs" / "sha256").iterdir()) == []
    assert list(store.temp_dir.iterdir()) == []
    assert store.images() == ()


def test_registry_down(options: RegistryOptions, tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    host = f"127.0.0.1:{free_port()}"
    with pytest.raises(RegistryUnreachableError) as caught:
        pull(store, f"{host}/app:1", options=options)
    assert f"cannot reach {host}" in caught.value.message
    assert caught.value.hint == f"check that a registry listens on http://{host}"
    assert_nothing_stored(store)


def test_corrupt_blob_is_refused(
    pushed: str, proxy: FaultProxy, options: RegistryOptions, tmp_path: Path
) -> None:
    proxy.mode = "corrupt"
    store = Store(tmp_path / "s")
    with pytest.raises(BlobVerificationError) as caught:
        pull(store, f"{proxy.host}/{pushed}", options=options)
    assert "nothing was stored" in caught.value.message
    assert_nothing_stored(store)


@pytest.mark.parametrize("honour_range", [True, False], ids=["resumed-with-range", "range-ignored"])
def test_cut_download_is_resumed(
    pushed: str, proxy: FaultProxy, options: RegistryOptions, tmp_path: Path, honour_range: bool
) -> None:
    proxy.mode, proxy.cuts, proxy.honour_range = "cut", 1, honour_range
    store = Store(tmp_path / "s")
    pulled = pull(store, f"{proxy.host}/{pushed}", options=options)
    assert proxy.cuts == 0
    assert proxy.blob_gets == 3  # config, the cut layer, the rest of the layer
    assert store.load(pulled.descriptor).layers
    assert list(store.temp_dir.iterdir()) == []


def test_cut_download_gives_up_cleanly(
    pushed: str, proxy: FaultProxy, options: RegistryOptions, tmp_path: Path
) -> None:
    proxy.mode, proxy.cuts = "cut", 100
    store = Store(tmp_path / "s")
    with pytest.raises(RegistryUnreachableError) as caught:
        pull(store, f"{proxy.host}/{pushed}", options=dataclasses.replace(options, concurrency=1))
    assert "broke off" in caught.value.message and "nothing was stored" in caught.value.message
    assert list(store.temp_dir.iterdir()) == []
    assert store.images() == ()


def test_redirect_is_followed(
    pushed: str, proxy: FaultProxy, options: RegistryOptions, tmp_path: Path
) -> None:
    proxy.mode = "redirect"
    pulled = pull(Store(tmp_path / "s"), f"{proxy.host}/{pushed}", options=options)
    assert proxy.blob_gets == 2
    assert pulled.blobs_downloaded == 2


class Flaky(httpx.BaseTransport):
    """The real transport, but the first `failures` requests get `status` (with Retry-After) instead."""

    def __init__(self, status: int, failures: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.status = status
        self.failures = failures
        self.seen = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.failures > 0:
            self.failures -= 1
            return httpx.Response(self.status, headers={"Retry-After": "0"}, json={"errors": []})
        return self.inner.handle_request(request)


@pytest.mark.parametrize("status", [429, 500, 502, 503], ids=lambda status: str(status))
def test_transient_status_is_retried(
    pushed: str, registry: RunningRegistry, options: RegistryOptions, tmp_path: Path, status: int
) -> None:
    flaky = Flaky(status, failures=2)
    pulled = pull(
        Store(tmp_path / "s"),
        f"{registry.host}/{pushed}",
        options=dataclasses.replace(options, transport=flaky),
    )
    assert pulled.blobs_downloaded == 2
    assert flaky.seen == 3 + 2  # manifest, config, layer, and two refused attempts


def test_retries_are_bounded(
    pushed: str, registry: RunningRegistry, options: RegistryOptions, tmp_path: Path
) -> None:
    flaky = Flaky(503, failures=100)
    store = Store(tmp_path / "s")
    with pytest.raises(Exception) as caught:
        pull(store, f"{registry.host}/{pushed}", options=dataclasses.replace(options, transport=flaky))
    assert "503" in str(caught.value)
    assert flaky.seen == options.retries + 1
    assert_nothing_stored(store)


def test_unknown_tag(
    registry: RunningRegistry, pushed: str, options: RegistryOptions, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError) as caught:
        pull(Store(tmp_path / "s"), f"{registry.host}/faults/app:nope", options=options)
    assert "MANIFEST_UNKNOWN" in caught.value.message


def test_only_another_platform(registry: RunningRegistry, options: RegistryOptions, tmp_path: Path) -> None:
    store = Store(tmp_path / "src")
    make_index(store, tmp_path, name="armonly:1", platforms=("linux/arm64",))
    ref = f"{registry.host}/faults/armonly:1"
    push(store, "armonly:1", ref, options=options)
    target = Store(tmp_path / "dst")
    with pytest.raises(PlatformNotFoundError) as caught:
        pull(target, ref, platform=Platform.parse("linux/amd64"), options=options)
    assert caught.value.message == f"pull {ref}: no image for platform linux/amd64"
    assert caught.value.hint == "the image is built for linux/arm64; choose one with --platform"
    assert_nothing_stored(target)


def test_single_manifest_for_another_platform(
    registry: RunningRegistry, options: RegistryOptions, tmp_path: Path
) -> None:
    store = Store(tmp_path / "src")
    make_image(store, tmp_path, name="s390x:1", content="big iron", platform="linux/s390x")
    ref = f"{registry.host}/faults/s390x:1"
    push(store, "s390x:1", ref, options=options)
    target = Store(tmp_path / "dst")
    with pytest.raises(PlatformNotFoundError) as caught:
        pull(target, ref, platform=Platform.parse("linux/amd64"), options=options)
    assert caught.value.message == f"pull {ref}: the image is for linux/s390x, not linux/amd64"
    layer = store.load("s390x:1").layers[0]
    assert not target.has_blob(layer.digest)  # refused before any layer was downloaded
    assert target.images() == ()
    # FROM takes it anyway, as BuildKit does; the caller sees the platform and may warn.
    pulled = ensure_image(target, ref, platform=Platform.parse("linux/amd64"), options=options)
    assert str(pulled.platform) == "linux/s390x"


class NoNetwork(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request {request.method} {request.url}")


def test_ensure_image_makes_no_request_when_resolved(
    registry: RunningRegistry, pushed: str, options: RegistryOptions, tmp_path: Path
) -> None:
    store = Store(tmp_path / "s")
    ref = f"{registry.host}/{pushed}"
    first = ensure_image(store, ref, options=options)
    offline = dataclasses.replace(options, transport=NoNetwork())
    second = ensure_image(store, ref, options=offline)
    assert second.reference == first.reference and second.descriptor == first.descriptor
    # --pull checks the registry (one HEAD) and, the tag unchanged, downloads nothing.
    counting = Flaky(503, failures=0)
    third = ensure_image(store, ref, refresh=True, options=dataclasses.replace(options, transport=counting))
    assert third.descriptor == first.descriptor
    assert counting.seen == 1


def test_concurrent_pulls_fetch_each_blob_once(
    pushed: str, proxy: FaultProxy, options: RegistryOptions, tmp_path: Path
) -> None:
    import threading

    store = Store(tmp_path / "s")
    results: list[object] = []

    def run() -> None:
        try:
            results.append(pull(store, f"{proxy.host}/{pushed}", options=options))
        except Exception as error:  # collected, asserted below
            results.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(not isinstance(item, Exception) for item in results), results
    assert proxy.blob_gets == 2  # config and layer, once each, for three pulls
