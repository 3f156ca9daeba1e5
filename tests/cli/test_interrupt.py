"""Ctrl-C in the middle of `import`, `save` and `pull`: status 130, no temp file, no half-written output, and a
store that a fresh `pybuildkit images` and `Store.verify()` find as it was before.

`import` and `pull` run as real processes and get a real SIGINT once they are provably mid-stream (a temp blob
exists in the store; the server has sent half a layer). `save` is interrupted in-process by a blob reader that
raises KeyboardInterrupt half-way, as the signal handler would.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

import pybuildkit.cli as cli
from pybuildkit.image import Descriptor
from pybuildkit.output import export_docker_archive, export_oci_archive, export_oci_layout, import_rootfs
from pybuildkit.store import Store
from tests.cli._support import run
from tests.support import REPO


def _state(root: Path) -> tuple[tuple[str, ...], bytes]:
    return tuple(sorted(os.listdir(root / "blobs" / "sha256"))), (root / "index.json").read_bytes()


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    (rootfs / "data").write_bytes(os.urandom(3 << 20))
    root = tmp_path / "store"
    import_rootfs(Store(root), rootfs, names=["good"], source_date_epoch=0)
    return root


def _wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("the process never got to the point to interrupt")
        time.sleep(0.005)


def _pybuildkit(*argv: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "pybuildkit", *argv],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _assert_consistent(
    root: Path, before: tuple[tuple[str, ...], bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    assert os.listdir(root / "tmp") == []
    assert _state(root) == before
    assert Store(root).verify() == ()
    verified = run(capsys, "images", "--verify", "--root", str(root))
    assert verified.status == 0, verified.err
    listed = run(capsys, "images", "--root", str(root))
    assert listed.status == 0 and [line.split()[0] for line in listed.out.splitlines()[1:]] == ["good"]


def test_sigint_during_import(store_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _state(store_root)
    process = _pybuildkit("import", "-", "-t", "half", "--root", str(store_root), stdin=subprocess.PIPE)
    assert process.stdin is not None
    # Half a tar: one header and part of its data; then wait until the layer is being written to a temp blob.
    header = bytearray(512)
    header[:4] = b"data"
    process.stdin.write(bytes(header))  # (not a valid header: the interrupt comes before the check matters)
    process.stdin.write(os.urandom(1 << 20))
    process.stdin.flush()
    _wait_for(lambda: os.listdir(store_root / "tmp"))
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    process.stdin.close()
    assert process.returncode == 130, err
    assert b"Traceback" not in err and err.strip() == b"interrupted"
    _assert_consistent(store_root, before, capsys)


class _InterruptingStore(Store):
    """A store whose blob reads raise KeyboardInterrupt after the first chunk of the largest blob, as Ctrl-C
    would in the middle of copying it."""

    def open_blob(self, digest: str, *, verify: bool = True, size: int | None = None) -> IO[bytes]:
        inner = super().open_blob(digest, verify=verify, size=size)
        if size is None or size < (1 << 20):
            return inner
        return _Interrupting(inner)  # type: ignore[return-value]


class _Interrupting(io.RawIOBase):
    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self._reads = 0

    def read(self, n: int = -1) -> bytes:
        self._reads += 1
        if self._reads > 1:
            raise KeyboardInterrupt
        return self._inner.read(min(n, 1 << 16) if n > 0 else 1 << 16)

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> _Interrupting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.mark.parametrize("form", ["docker", "oci", "oci-layout"])
def test_interrupt_during_save(
    form: str, store_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _state(store_root)
    store = _InterruptingStore(store_root)
    image: Descriptor = store.resolve("good")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        match form:
            case "docker":
                export_docker_archive(store, image, out / "image.tar", names=["good"])
            case "oci":
                export_oci_archive(store, image, out / "image.tar", names=["good"])
            case _:
                export_oci_layout(store, image, out / "layout", names=["good"])
    assert os.listdir(out) == []  # no archive, no temp file, no half layout
    _assert_consistent(store_root, before, capsys)


def test_ctrl_c_status_in_process(
    store_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class _Stdin:
        buffer = _Interrupting(io.BytesIO(os.urandom(1 << 20)))  # type: ignore[arg-type]

    before = _state(store_root)
    monkeypatch.setattr(sys, "stdin", _Stdin())
    assert cli.main(["import", "-", "-t", "half", "--root", str(store_root)]) == 130
    assert capsys.readouterr().err == "interrupted\n"
    _assert_consistent(store_root, before, capsys)


# -- pull: a loopback registry that stops half-way through the layer -------------------------------------


class _HalfRegistry(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, source: Store, manifest: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.source = source
        self.manifest = manifest
        self.half_sent = threading.Event()
        self.release = threading.Event()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _HalfRegistry

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        if self.path == "/v2/":
            self._send(200, b"{}", "application/json", body)
        elif "/manifests/" in self.path:
            self._send(200, self.server.manifest, "application/vnd.oci.image.manifest.v1+json", body)
        elif "/blobs/" in self.path:
            digest = self.path.rsplit("/", 1)[1]
            data = self.server.source.read_blob(digest) if len(digest) == 71 else b""
            if len(data) < (1 << 20):
                with self.server.source.open_blob(digest) as blob:
                    data = blob.read()
            if len(data) < (1 << 20):
                self._send(200, data, "application/octet-stream", body)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Docker-Content-Digest", digest)
            self.end_headers()
            if body:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.server.half_sent.set()
                self.server.release.wait(30)
        else:
            self._send(404, b"{}", "application/json", body)

    def _send(self, status: int, data: bytes, media: str, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        if status == 200 and media != "application/json":
            self.send_header("Docker-Content-Digest", "sha256:" + hashlib.sha256(data).hexdigest())
        self.end_headers()
        if body:
            self.wfile.write(data)


@pytest.fixture
def half_registry(store_root: Path) -> Iterator[_HalfRegistry]:
    source = Store(store_root)
    manifest = source.read_blob(source.resolve("good").digest)
    server = _HalfRegistry(source, manifest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def test_sigint_during_pull(
    half_registry: _HalfRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "pulled"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "small").write_text("small\n")
    import_rootfs(Store(root), tmp_path / "other", names=["good"], source_date_epoch=0)
    before = _state(root)
    host = f"127.0.0.1:{half_registry.server_address[1]}"
    process = _pybuildkit("pull", f"{host}/app:1", "--root", str(root))
    half_registry.half_sent.wait(20)
    assert half_registry.half_sent.is_set(), "the pull never asked for the layer"
    _wait_for(lambda: os.listdir(root / "tmp"))
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert b"Traceback" not in err and err.strip().endswith(b"interrupted")
    # Blobs fetched whole before the interrupt (the config) may stay: verified, unreferenced, and `prune` frees
    # them. The layer cut in half must not be there, and no tag may change.
    blobs, index = _state(root)
    assert index == before[1] and set(blobs) >= set(before[0])
    assert run(capsys, "prune", "--root", str(root)).status == 0
    _assert_consistent(root, before, capsys)
