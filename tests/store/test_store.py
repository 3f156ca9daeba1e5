"""The content store: atomic verified blobs, tags, the cache area, pruning, and two writers at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pybuildkit.errors import StoreError
from pybuildkit.image import Image, Platform, descriptor_for, mediatypes, sha256_digest
from pybuildkit.layers import Entry, write_layer
from pybuildkit.store import BlobNotFoundError, CorruptBlobError, ImageNotFoundError, Store, default_root
from pybuildkit.store.files import open_temp
from tests.support import REPO


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def _image(store: Store, name: str | None = None, *, text: bytes = b"hello") -> tuple[str, str]:
    """A one-layer image; returns (manifest digest, layer digest)."""
    with store.new_blob() as blob:
        layer = write_layer([Entry.regular("hello.txt", text)], blob, source_date_epoch=0)
    image = Image(architecture="amd64", os="linux", diff_ids=(layer.diff_id,))
    descriptor = store.put_image(image, [layer.descriptor()])
    if name:
        store.tag(name, descriptor)
    return descriptor.digest, layer.digest


def _temps(store: Store) -> list[Path]:
    return sorted(store.temp_dir.iterdir())


def test_layout_is_an_oci_layout(store: Store) -> None:
    assert json.loads((store.root / "oci-layout").read_bytes()) == {"imageLayoutVersion": "1.0.0"}
    assert json.loads((store.root / "index.json").read_bytes())["manifests"] == []


def test_default_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYBUILDKIT_ROOT", str(tmp_path / "a"))
    assert default_root() == tmp_path / "a"
    monkeypatch.delenv("PYBUILDKIT_ROOT")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_root() == tmp_path / "xdg" / "pybuildkit"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_root() == tmp_path / "home" / ".local" / "share" / "pybuildkit"


def test_blobs_are_content_addressed_and_read_only(store: Store) -> None:
    digest, size = store.put_bytes(b"content")
    assert digest == sha256_digest(b"content") and size == 7
    assert store.read_blob(digest) == b"content"
    assert oct(store.blob_path(digest).stat().st_mode & 0o777) == oct(0o444)
    assert store.put_bytes(b"content") == (digest, size)
    assert _temps(store) == []


def test_corrupt_blob_is_refused_on_read(store: Store) -> None:
    digest, size = store.put_bytes(b"x" * 100_000)
    path = store.blob_path(digest)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[50_000] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptBlobError, match="corrupt"):
        store.read_blob(digest)
    with pytest.raises(CorruptBlobError), store.open_blob(digest) as stream:
        while stream.read(4096):
            pass
    # Reading exactly the descriptor's size also checks (consumers like tarfile never read past it).
    with pytest.raises(CorruptBlobError), store.open_blob(digest, size=size) as stream:
        stream.read(size)
    with store.open_blob(digest, verify=False) as stream:
        assert len(stream.read()) == size
    with pytest.raises(CorruptBlobError, match="bytes"):
        store.open_blob(digest, size=size + 1)


def test_missing_blob(store: Store) -> None:
    with pytest.raises(BlobNotFoundError):
        store.read_blob("sha256:" + "0" * 64)
    with pytest.raises(StoreError):
        store.blob_path("sha256:../../../etc/passwd")


def test_ingest_verifies_the_expected_digest(store: Store, tmp_path: Path) -> None:
    import io

    digest, _ = store.ingest(io.BytesIO(b"abc"), expected=sha256_digest(b"abc"), expected_size=3)
    assert store.has_blob(digest)
    with pytest.raises(CorruptBlobError, match="mismatch"):
        store.ingest(io.BytesIO(b"abd"), expected=sha256_digest(b"abc"))
    with pytest.raises(CorruptBlobError, match="size"):
        store.ingest(io.BytesIO(b"xyz"), expected=sha256_digest(b"xyz"), expected_size=4)
    assert _temps(store) == []
    assert not store.has_blob(sha256_digest(b"xyz"))


class Boom(Exception):
    pass


def test_interrupted_write_leaves_no_temp_and_no_ref(store: Store, tmp_path: Path) -> None:
    before = sorted(path.name for path in (store.root / "blobs" / "sha256").iterdir())
    source = tmp_path / "src"
    source.mkdir()
    (source / "f").write_bytes(os.urandom(3 << 20))

    def entries():  # type: ignore[no-untyped-def]
        yield Entry.regular("a", b"a")
        from pybuildkit.layers import entry_from_path

        yield entry_from_path(source / "f", "f")
        raise Boom("interrupted")

    with pytest.raises(Boom), store.new_blob() as blob:
        write_layer(entries(), blob)
    assert _temps(store) == []
    assert sorted(path.name for path in (store.root / "blobs" / "sha256").iterdir()) == before
    assert store.images() == ()

    with pytest.raises(KeyboardInterrupt), store.new_blob() as blob:
        blob.write(b"partial")
        raise KeyboardInterrupt
    assert _temps(store) == []


def test_tags_resolve_and_remove(store: Store) -> None:
    manifest, _ = _image(store, "app")
    store.tag("docker.io/library/app:2", store.resolve("app"))
    store.tag("ghcr.io/o/app", store.resolve("app:latest"))
    assert [tagged.name for tagged in store.images()] == ["app:2", "app:latest", "ghcr.io/o/app:latest"]
    assert store.resolve("docker.io/library/app").digest == manifest
    assert store.resolve(manifest).digest == manifest
    assert store.resolve(f"app@{manifest}").digest == manifest
    assert store.resolve(manifest.removeprefix("sha256:")[:12]).digest == manifest
    loaded = store.load("app:2")
    assert loaded.config.architecture == "amd64" and len(loaded.layers) == 1
    assert loaded.id == loaded.manifest.config.digest
    assert store.remove("app").digest == manifest
    with pytest.raises(ImageNotFoundError, match="no image 'app'") as caught:
        store.resolve("app")
    assert caught.value.hint and "app:2" in caught.value.hint
    with pytest.raises(ImageNotFoundError):
        store.remove("app")
    with pytest.raises(StoreError):
        store.tag("Bad Name", store.resolve("app:2"))
    # The store index is an OCI index annotated with the names.
    index = json.loads((store.root / "index.json").read_bytes())
    assert [item["annotations"]["org.opencontainers.image.ref.name"] for item in index["manifests"]] == [
        "app:2",
        "ghcr.io/o/app:latest",
    ]


def test_retagging_moves_the_name(store: Store) -> None:
    first, _ = _image(store, "app", text=b"1")
    second, _ = _image(store, "app", text=b"2")
    assert first != second
    assert [tagged.descriptor.digest for tagged in store.images()] == [second]


def test_index_selects_the_platform(store: Store) -> None:
    from pybuildkit.image import Index

    amd, _ = _image(store, text=b"amd")
    amd_desc = store.resolve(amd)
    index = Index(
        manifests=(
            descriptor_for(
                store.read_blob(amd), mediatypes.OCI_MANIFEST, platform=Platform.parse("linux/amd64")
            ),
        )
    )
    data = index.to_bytes()
    store.put_bytes(data)
    store.tag("multi", descriptor_for(data, mediatypes.OCI_INDEX))
    loaded = store.load("multi", platform=Platform.parse("linux/amd64"))
    assert loaded.descriptor.digest == amd_desc.digest and loaded.index is not None
    with pytest.raises(ImageNotFoundError, match="linux/arm64"):
        store.load("multi", platform=Platform.parse("linux/arm64"))


def test_prune_keeps_tagged_and_cached_blobs(store: Store) -> None:
    tagged, tagged_layer = _image(store, "keep", text=b"keep")
    cached, cached_layer = _image(store, text=b"cached")
    orphan, orphan_layer = _image(store, text=b"orphan")
    extra, _ = store.put_bytes(b"rooted elsewhere")
    store.cache_put("step-1", {"layer": cached_layer}, blobs=[cached])
    store.add_gc_roots(lambda: [extra])
    fd, stale = open_temp(store.temp_dir)
    os.close(fd)  # a temp whose writer died: nobody holds its lock
    live_fd, live = open_temp(store.temp_dir)
    try:
        result = store.prune()
        assert not stale.exists() and live.exists()
    finally:
        os.close(live_fd)
        live.unlink()
    assert result.temps_removed == 1
    for digest in (tagged, tagged_layer, cached, cached_layer, extra):
        assert store.has_blob(digest), digest
    assert not store.has_blob(orphan) and not store.has_blob(orphan_layer)
    assert result.blobs_removed == 3  # orphan manifest, config and layer
    assert store.cache_get("step-1") == {"layer": cached_layer}
    result = store.prune(cache=True)
    assert result.cache_records_removed == 1
    assert store.cache_get("step-1") is None and not store.has_blob(cached_layer)
    assert store.has_blob(tagged_layer)


def test_prune_refuses_while_a_build_holds_a_lease(store: Store) -> None:
    other = Store(store.root)
    with other.lease(), pytest.raises(StoreError, match="in use"):
        store.prune()
    store.prune()


def test_cache_records(store: Store) -> None:
    assert store.cache_get("k") is None
    store.cache_put("k", {"a": [1, 2]})
    assert store.cache_get("k") == {"a": [1, 2]}
    digest, _ = store.put_bytes(b"blob")
    store.cache_put("k", {"b": 1}, blobs=[digest])
    assert store.cache_get("k") == {"b": 1}
    os.unlink(store.blob_path(digest))
    assert store.cache_get("k") is None  # a record whose blobs are gone is a miss
    store.cache_delete("k")
    store.cache_delete("k")
    with pytest.raises(StoreError):
        store.cache_put("x", {}, blobs=["not-a-digest"])


WRITER = textwrap.dedent(
    """
    import sys
    from pybuildkit.store import Store
    store = Store(sys.argv[1])
    payload = bytes(range(256)) * 40000
    for round in range(int(sys.argv[3])):
        with store.lease():
            with store.new_blob() as blob:
                for start in range(0, len(payload), 65536):
                    blob.write(payload[start:start + 65536])
                digest, size = blob.commit()
            tag = store.put_bytes(('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
                '"config":{"mediaType":"x","digest":"%s","size":%d},"layers":[]}' % (digest, size)).encode())
            from pybuildkit.image import Descriptor
            store.tag(f"{sys.argv[2]}:{round}", Descriptor(media_type="application/vnd.oci.image.manifest.v1+json",
                digest=tag[0], size=tag[1]))
    """
)


def test_two_processes_writing_the_same_blobs(store: Store) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(store.root), name, "8"], env=env)
        for name in ("one", "two")
    ]
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0]
    names = [tagged.name for tagged in store.images()]
    assert len(names) == 16 and names[0] == "one:0"
    payload = bytes(range(256)) * 40000
    with store.open_blob(sha256_digest(payload), size=len(payload)) as stream:
        assert stream.read() == payload
    assert _temps(store) == []


def test_unusable_root_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot use") as caught:
        Store(blocker / "store")
    assert caught.value.hint and "--root" in caught.value.hint


SLOW_WRITER = textwrap.dedent(
    """
    import sys, time
    from pybuildkit.layers import Entry, write_layer
    from pybuildkit.store import Store

    def entries():
        for index in range(10_000):
            if index == 5:
                print("writing", flush=True)
            time.sleep(0.01)
            yield Entry.regular(f"f{index}", bytes(100_000))

    store = Store(sys.argv[1])
    with store.lease(), store.new_blob() as blob:
        if sys.argv[2] == "layer":  # interrupted inside write_layer (while it lists the entries)
            write_layer(entries(), blob)
        for chunk in range(100_000):  # interrupted while bytes stream into the blob

            if chunk == 5:
                print("writing", flush=True)
            blob.write(bytes(65536))
            time.sleep(0.01)
    """
)


@pytest.mark.parametrize(("sig", "mode"), [("INT", "layer"), ("INT", "stream"), ("KILL", "stream")])
def test_interrupted_process_leaves_nothing_held(store: Store, sig: str, mode: str) -> None:
    import signal

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(store.root), mode],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(getattr(signal, f"SIG{sig}"))
    proc.wait(timeout=30)
    # No lock is held: prune runs at once (it refuses while any lease is held).
    result = store.prune()
    if sig == "INT":
        assert result.temps_removed == 0  # Ctrl-C cleans up on its way out
    else:
        assert result.temps_removed == 1  # kill -9 leaves a temp, which the next prune removes
    assert _temps(store) == []
    assert list((store.root / "blobs" / "sha256").iterdir()) == []
