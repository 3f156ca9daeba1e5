"""Session registries (anonymous, htpasswd Basic auth, token auth) and small images to push around."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pybuildkit.image import Descriptor, Index, Platform, mediatypes
from pybuildkit.layers import GZIP
from pybuildkit.output import import_rootfs
from pybuildkit.registry import RegistryOptions
from pybuildkit.store import Store
from tests.registry.servers import (
    REGISTRY,
    RunningRegistry,
    TokenIssuer,
    make_htpasswd,
    start_registry,
)

USER, PASSWORD = "alice", "wonderland"


def _need(program: str) -> None:
    if shutil.which(program) is None and not os.path.exists(program):
        pytest.skip(f"{program} is not installed")


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    _need(REGISTRY)
    running = start_registry(tmp_path_factory.mktemp("registry"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    _need(REGISTRY)
    _need("htpasswd")
    base = tmp_path_factory.mktemp("basic-registry")
    running = start_registry(base, htpasswd=make_htpasswd(base / "htpasswd", {USER: PASSWORD}))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def token_issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenIssuer]:
    _need("openssl")
    issuer = TokenIssuer(tmp_path_factory.mktemp("token-issuer"), {USER: PASSWORD}, anonymous=("pull",))
    yield issuer
    issuer.stop()


@pytest.fixture(scope="session")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory, token_issuer: TokenIssuer
) -> Iterator[RunningRegistry]:
    _need(REGISTRY)
    running = start_registry(tmp_path_factory.mktemp("token-registry"), token=token_issuer)
    yield running
    running.stop()


@pytest.fixture
def docker_config(tmp_path: Path) -> Path:
    """An empty Docker config directory, so no test reads the user's ~/.docker."""
    path = tmp_path / "docker-config"
    path.mkdir()
    return path


@pytest.fixture
def options(docker_config: Path) -> RegistryOptions:
    return RegistryOptions(docker_config=str(docker_config), retries=2, backoff=0.01, trust_env=False)


def make_image(
    store: Store, tmp_path: Path, *, name: str, content: str, platform: str = "linux/amd64"
) -> Descriptor:
    """A one-layer image whose file `/hello` holds `content` (two layers when content has a `|`)."""
    rootfs = tmp_path / f"rootfs-{abs(hash((name, content, platform)))}"
    rootfs.mkdir(parents=True, exist_ok=True)
    (rootfs / "hello").write_text(content)
    (rootfs / "etc").mkdir(exist_ok=True)
    (rootfs / "etc" / "platform").write_text(platform)
    return import_rootfs(
        store, rootfs, names=[name], platform=Platform.parse(platform), compression=GZIP, source_date_epoch=0
    )


def make_index(store: Store, tmp_path: Path, *, name: str, platforms: tuple[str, ...]) -> Descriptor:
    """A multi-platform index of one small image per platform, tagged `name`."""
    children = []
    for platform in platforms:
        child = make_image(
            store,
            tmp_path,
            name=f"{name}-{platform.replace('/', '-')}",
            content=f"hi {platform}",
            platform=platform,
        )
        children.append(child)
    index = Index(manifests=tuple(children))
    digest, size = store.put_bytes(index.to_bytes())
    descriptor = Descriptor(media_type=mediatypes.OCI_INDEX, digest=digest, size=size)
    store.tag(name, descriptor)
    return descriptor
