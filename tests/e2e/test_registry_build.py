"""Builds that use a registry: FROM an image only the registry has, offline rebuilds, `--pull`, `--push` and
the `image`/`registry` outputs, and the registry cache between two empty stores. A real registry (Debian's
docker-registry) on 127.0.0.1, one per test, so a test may stop it to prove no request is made."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pybuildkit.errors import PyBuildKitError
from pybuildkit.execute.session import build
from pybuildkit.output import OutputKind, OutputSpec
from pybuildkit.registry import RegistryOptions, push
from pybuildkit.store import Store
from tests.e2e.conftest import run_cli, tool
from tests.images import BusyboxImage
from tests.registry.servers import REGISTRY, RunningRegistry, start_registry


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[RunningRegistry]:
    if shutil.which(REGISTRY) is None and not os.path.exists(REGISTRY):
        pytest.skip("docker-registry is not installed")
    running = start_registry(tmp_path / "registry")
    yield running
    running.stop()


@pytest.fixture
def options(tmp_path: Path) -> RegistryOptions:
    """No ~/.docker, no proxies, and short retries (a stopped registry fails fast)."""
    config = tmp_path / "docker-config"
    config.mkdir()
    return RegistryOptions(docker_config=str(config), retries=1, backoff=0.01, trust_env=False)


def _publish(busybox: BusyboxImage, ref: str, options: RegistryOptions) -> str:
    """Push the busybox fixture image to `ref`; returns its manifest digest."""
    store = Store(busybox.store_root)
    return push(store, busybox.descriptor, ref, options=options).descriptor.digest


def _context(path: Path, dockerfile: str, files: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "Dockerfile").write_text(dockerfile)
    for name, text in (files or {"a.txt": "a\n"}).items():
        (path / name).write_text(text)
    return path


def test_from_a_registry_image_into_an_empty_store_then_rebuild_offline(
    registry: RunningRegistry, options: RegistryOptions, busybox_image: BusyboxImage, tmp_path: Path
) -> None:
    base = f"{registry.host}/library/busybox:1"
    dockerfile = f"FROM {base}\nCOPY a.txt /a.txt\nLABEL stage=one\n"
    # The contexts are written before the push, so their files are not "just changed" when the builds start
    # (such files make the unchanged-rebuild record untrusted, and it is not written).
    c1, c2 = _context(tmp_path / "c1", dockerfile), _context(tmp_path / "c2", dockerfile)
    digest = _publish(busybox_image, base, options)
    root = tmp_path / "store"
    first = build(c1, root=root, source_date_epoch=0, registry_options=options)
    assert dict(first.bases) == {base: f"{base}@{digest}"}
    stored = Store(root).load(first.descriptor)
    assert stored.manifest.layers[: len(busybox_image_layers(busybox_image))] == busybox_image_layers(
        busybox_image
    )

    registry.stop()
    # The same build from another directory (so not the unchanged-rebuild short cut): every step a cache
    # hit, and no request (the registry is down: any request would fail the build).
    again = build(c2, root=root, source_date_epoch=0, registry_options=options)
    assert not again.short_circuited
    assert again.digest == first.digest and all(step.cached for step in again.steps)
    unchanged = build(c1, root=root, source_date_epoch=0, registry_options=options)
    assert unchanged.short_circuited and unchanged.digest == first.digest
    # Without the store's tag the name is still resolved with no request: `ensure_image` kept the digest.
    Store(root).remove(base)
    untagged = build(c2, root=root, source_date_epoch=0, registry_options=options)
    assert untagged.digest == first.digest and all(step.cached for step in untagged.steps)
    # --pull must ask, so with the registry down it fails, naming the image.
    with pytest.raises(PyBuildKitError) as caught:
        build(tmp_path / "c1", root=root, source_date_epoch=0, registry_options=options, pull=True)
    assert base in caught.value.render()


def busybox_image_layers(busybox: BusyboxImage) -> tuple[object, ...]:
    return tuple(Store(busybox.store_root).load(busybox.descriptor).manifest.layers)


def test_pull_picks_the_new_base_after_the_tag_moved(
    registry: RunningRegistry, options: RegistryOptions, busybox_image: BusyboxImage, tmp_path: Path
) -> None:
    base = f"{registry.host}/library/base:1"
    _publish(busybox_image, base, options)
    context = _context(tmp_path / "c", f"FROM {base}\nCOPY a.txt /a.txt\n")
    root = tmp_path / "store"
    first = build(context, root=root, source_date_epoch=0, registry_options=options)

    # Move the tag: an image built on busybox with one more file, pushed under the same name.
    moved = build(
        _context(tmp_path / "other", "FROM busybox\nCOPY b.txt /b.txt\n", {"b.txt": "b\n"}),
        root=busybox_image.copy_store(tmp_path / "other-store").root,
        source_date_epoch=0,
    )
    push(Store(tmp_path / "other-store"), moved.descriptor, base, options=options)

    stale = build(context, root=root, source_date_epoch=0, registry_options=options)
    assert stale.digest == first.digest  # no --pull: the base resolved before is kept, nothing asked
    fresh = build(context, root=root, source_date_epoch=0, registry_options=options, pull=True)
    assert dict(fresh.bases)[base] == f"{base}@{moved.digest}"
    assert fresh.digest != first.digest
    layers = Store(root).load(fresh.descriptor).manifest.layers
    assert [layer.digest for layer in layers[:-1]] == [layer.digest for layer in moved.manifest.layers]  # type: ignore[union-attr]
    # Without --pull the new base is kept from now on.
    assert build(context, root=root, source_date_epoch=0, registry_options=options).digest == fresh.digest


def _skopeo_digest(ref: str) -> str:
    return str(json.loads(tool("skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"))["Digest"])


def test_build_push_and_registry_outputs_agree_with_skopeo(
    registry: RunningRegistry, busybox_image: BusyboxImage, tmp_path: Path
) -> None:
    root = busybox_image.copy_store(tmp_path / "store").root
    context = _context(tmp_path / "c", "FROM busybox\nCOPY a.txt /a.txt\n")
    app = f"{registry.host}/team/app:1"
    code, out, err = run_cli(
        [
            "build",
            "--root",
            str(root),
            "--progress",
            "plain",
            "--push",
            "-t",
            app,
            "--output",
            f"type=registry,ref={registry.host}/team/app:reg",
            "--output",
            f"type=image,name={registry.host}/team/other:2,push=true",
            "--insecure-registry",
            registry.host,
            str(context),
        ]
    )
    assert code == 0, err
    digest = out.strip()
    assert "pushing" in err
    for ref in (app, f"{registry.host}/team/app:reg", f"{registry.host}/team/other:2"):
        assert _skopeo_digest(ref) == digest
    # `type=image` without push only names the image in the store.
    code, out, err = run_cli(
        ["build", "--root", str(root), "-q", "--output", "type=image,name=local/only:1", str(context)]
    )
    assert code == 0, err
    assert Store(root).resolve("local/only:1").digest == out.strip()


def test_push_without_a_name_is_refused(busybox_image: BusyboxImage, tmp_path: Path) -> None:
    root = busybox_image.copy_store(tmp_path / "store").root
    context = _context(tmp_path / "c", "FROM busybox\n")
    code, _, err = run_cli(["build", "--root", str(root), "-q", "--push", str(context)])
    assert code == 1 and "--push needs a name" in err


@pytest.mark.parametrize(
    ("text", "kind", "dest", "pushes"),
    [
        ("type=image,name=r.example/a:1", OutputKind.IMAGE, "r.example/a:1", False),
        ("type=image,name=r.example/a:1,push=true", OutputKind.IMAGE, "r.example/a:1", True),
        ("type=registry,ref=r.example/a:1", OutputKind.REGISTRY, "r.example/a:1", True),
        ("type=registry,name=r.example/a:1", OutputKind.REGISTRY, "r.example/a:1", True),
    ],
    ids=["image", "image-push", "registry-ref", "registry-name"],
)
def test_image_output_specs(text: str, kind: OutputKind, dest: str, pushes: bool) -> None:
    spec = OutputSpec.parse(text)
    assert (spec.kind, spec.dest, spec.pushes) == (kind, dest, pushes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("type=image", "needs name=REF"),
        ("type=registry,ref=Bad Name", "not an image reference"),
        ("type=image,name=a,push=maybe", "not true or false"),
    ],
    ids=["no-name", "bad-name", "bad-push"],
)
def test_image_output_spec_errors(text: str, message: str) -> None:
    from pybuildkit.output import OutputError

    with pytest.raises(OutputError, match=message):
        OutputSpec.parse(text)


CACHED_RUN = """\
FROM {base} AS helper
COPY a.txt /helper/h.txt
FROM {base}
COPY a.txt /a.txt
RUN --mount=type=cache,id=counter,target=/cache echo ran >> /cache/count && cat /proc/sys/kernel/random/uuid > /id
COPY --from=helper /helper/h.txt /h.txt
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="RUN tests run as root (CI does)")
@pytest.mark.parametrize("mode", ["min", "max"])
def test_registry_cache_round_trip_between_empty_stores(
    registry: RunningRegistry,
    options: RegistryOptions,
    busybox_image: BusyboxImage,
    tmp_path: Path,
    mode: str,
) -> None:
    base = f"{registry.host}/library/busybox:1"
    _publish(busybox_image, base, options)
    context = _context(tmp_path / "c", CACHED_RUN.format(base=base))
    cache = f"type=registry,ref={registry.host}/cache/app:main"
    first = build(
        context,
        root=tmp_path / "a",
        source_date_epoch=0,
        registry_options=options,
        cache_to=[f"{cache},mode={mode}"],
    )
    assert first.cache_hits == 0
    counter = list((tmp_path / "a" / "cache-mounts").glob("*/count"))
    assert [path.read_text() for path in counter] == ["ran\n"]

    # Machine B: an empty store. The RUN writes a fresh random id, so the same digest proves it did not run;
    # its cache mount was never created either.
    second = build(
        context, root=tmp_path / "b", source_date_epoch=0, registry_options=options, cache_from=[cache]
    )
    # mode=max carries the helper stage's steps too; mode=min only the steps whose layers are in the image
    # (the helper's COPY runs again, cheaply, and gives the same key to the final COPY --from).
    helper = {step.index for step in second.steps if step.stage == 0}
    expected = [mode == "max" or step.stage != 0 for step in second.steps]
    assert helper and [step.cached for step in second.steps] == expected
    assert second.digest == first.digest
    assert not list((tmp_path / "b" / "cache-mounts").glob("*/count"))


def test_a_missing_cache_ref_is_skipped(
    registry: RunningRegistry, options: RegistryOptions, busybox_image: BusyboxImage, tmp_path: Path
) -> None:
    """The first CI run has no cache yet: the build runs uncached (BuildKit warns and goes on)."""
    root = busybox_image.copy_store(tmp_path / "store").root
    context = _context(tmp_path / "c", "FROM busybox\nCOPY a.txt /a.txt\n")
    events: list[str] = []
    result = build(
        context,
        root=root,
        registry_options=options,
        cache_from=[f"type=registry,ref={registry.host}/cache/none:1"],
        progress=lambda event: events.append(event.message),
    )
    assert result.cache_hits == 0
    assert any(message.startswith("skipped:") for message in events)


@pytest.mark.skipif(os.geteuid() != 0, reason="RUN tests run as root (CI does)")
def test_copy_from_and_mount_from_a_registry_image(
    registry: RunningRegistry, options: RegistryOptions, busybox_image: BusyboxImage, tmp_path: Path
) -> None:
    """`COPY --from=IMAGE` and `RUN --mount=from=IMAGE` resolve names as FROM does: pulled when missing."""
    tools = f"{registry.host}/tools/busybox:1"
    _publish(busybox_image, tools, options)
    dockerfile = (
        "FROM busybox\n"
        f"COPY --from={tools} /etc/passwd /copied-passwd\n"
        f"RUN --mount=type=bind,from={tools},source=/etc,target=/mnt cat /mnt/group > /mounted-group\n"
    )
    root = busybox_image.copy_store(tmp_path / "store").root
    result = build(_context(tmp_path / "c", dockerfile), root=root, registry_options=options)
    assert dict(result.bases) == {tools: f"{tools}@{_skopeo_digest(tools)}"}
    from pybuildkit.output import export_rootfs

    export_rootfs(Store(root), result.descriptor, tmp_path / "rootfs")
    assert (tmp_path / "rootfs" / "copied-passwd").read_text().startswith("root:")
    assert (tmp_path / "rootfs" / "mounted-group").read_text().startswith("root:")


def test_the_platform_asked_for_is_pulled_from_an_index(
    registry: RunningRegistry, options: RegistryOptions, tmp_path: Path
) -> None:
    from tests.registry.conftest import make_index

    source = Store(tmp_path / "source")
    index = make_index(source, tmp_path, name="multi", platforms=("linux/amd64", "linux/arm64"))
    base = f"{registry.host}/library/multi:1"
    push(source, index, base, options=options)
    context = _context(tmp_path / "c", f"FROM {base}\nCOPY a.txt /a.txt\n")
    root = tmp_path / "store"
    for platform in ("linux/amd64", "linux/arm64", "linux/amd64"):
        result = build(context, root=root, platform=platform, registry_options=options)
        assert f"{result.config.os}/{result.config.architecture}" == platform
        from pybuildkit.output import export_rootfs

        export_rootfs(Store(root), result.descriptor, tmp_path / platform)
        assert (tmp_path / platform / "etc" / "platform").read_text() == platform
    with pytest.raises(PyBuildKitError) as caught:
        build(context, root=root, platform="linux/s390x", registry_options=options)
    message = caught.value.render()
    assert "no image for platform linux/s390x" in message and "linux/amd64, linux/arm64" in message


def test_a_docker_image_build_context_is_pulled(
    registry: RunningRegistry, options: RegistryOptions, busybox_image: BusyboxImage, tmp_path: Path
) -> None:
    base = f"{registry.host}/library/busybox:ctx"
    digest = _publish(busybox_image, base, options)
    context = _context(tmp_path / "c", "FROM base\nCOPY a.txt /a.txt\n")
    result = build(
        context,
        root=tmp_path / "store",
        build_contexts={"base": f"docker-image://{base}"},
        registry_options=options,
    )
    assert dict(result.bases) == {"base": f"{base}@{digest}"}


def test_cache_from_is_not_read_when_every_step_hits_locally(
    registry: RunningRegistry, options: RegistryOptions, busybox_image: BusyboxImage, tmp_path: Path
) -> None:
    root = busybox_image.copy_store(tmp_path / "store").root
    first = build(_context(tmp_path / "c1", "FROM busybox\nCOPY a.txt /a.txt\n"), root=root)
    registry.stop()
    events: list[str] = []
    # Another directory (no short cut), every step in the local cache: the (stopped) registry is not asked.
    again = build(
        _context(tmp_path / "c2", "FROM busybox\nCOPY a.txt /a.txt\n"),
        root=root,
        registry_options=options,
        cache_from=[f"type=registry,ref={registry.host}/cache/app:1"],
        progress=lambda event: events.append(event.message),
    )
    assert again.digest == first.digest and all(step.cached for step in again.steps)
    assert not any(message.startswith("skipped:") for message in events)


def test_cli_notes_an_unreadable_cache_and_builds(
    registry: RunningRegistry, busybox_image: BusyboxImage, tmp_path: Path
) -> None:
    root = busybox_image.copy_store(tmp_path / "store").root
    context = _context(tmp_path / "c", "FROM busybox\nCOPY a.txt /a.txt\n")
    ref = f"{registry.host}/cache/none:1"
    code, out, err = run_cli(
        [
            "build",
            "--root",
            str(root),
            "--progress",
            "plain",
            "--cache-from",
            f"type=registry,ref={ref}",
            str(context),
        ]
    )
    assert code == 0, err
    assert out.strip().startswith("sha256:") and "skipped:" in err
