"""Every subcommand given bad input as a user would give it: a clear one-screen message, the right exit status
(1, or 2 for argparse usage errors), never a traceback, and the store left as it was.

Each row runs `pybuildkit ARGV` in-process in a small world (see `world`): `{w}` in an argument is that
directory, `{root}` a store holding the image `good`. Registry rows use 127.0.0.1 port 1, where nothing listens.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import os
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pybuildkit.output import import_rootfs
from pybuildkit.store import Store
from tests.cli._support import Outcome, assert_clean_error, permissions_enforced, run


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    id: str
    argv: tuple[str, ...]
    needles: tuple[str, ...]
    status: int = 1
    unreadable: tuple[str, ...] = ()  # paths (under {w}) made mode 000 for this run


def _tar(path: Path, files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


@pytest.fixture
def world(tmp_path: Path) -> Path:
    w = tmp_path
    (w / "ctx").mkdir()
    (w / "ctx" / "Dockerfile").write_text("FROM scratch\nCOPY a /a\n")
    (w / "ctx" / "a").write_text("a\n")
    (w / "adir").mkdir()
    (w / "afile").write_text("not a directory\n")
    (w / "rootfs").mkdir()
    (w / "rootfs" / "hello").write_text("hello\n")
    data = _tar(w / "rootfs.tar", {"hello": b"hello\n", "big": os.urandom(4096)})
    (w / "trunc.tar").write_bytes(data[:2000])  # cut inside `big`
    (w / "junk.tar").write_bytes(b"this is not a tar archive\n" * 40)
    (w / "short.tar").write_bytes(b"tiny")
    import zstandard

    packed = zstandard.ZstdCompressor().compress(data)
    (w / "trunc.tar.zst").write_bytes(packed[: len(packed) // 2])
    import gzip

    packed = gzip.compress(data)
    (w / "trunc.tar.gz").write_bytes(packed[: len(packed) // 2])
    (w / "unknown.Dockerfile").write_text("FROM scratch\nCOPPY a /a\n")
    (w / "heredoc.Dockerfile").write_text("FROM scratch\nRUN <<EOF\necho hi\n")
    (w / "escape.Dockerfile").write_text("# escape=x\nFROM scratch\n")
    (w / "bad-ignore").mkdir()
    (w / "bad-ignore" / ".dockerignore").write_text("ok\n[\n")
    store = Store(w / "store")
    import_rootfs(store, w / "rootfs", names=["good"], source_date_epoch=0)
    return w


CLOSED = "127.0.0.1:1"

CASES = [
    # -- the store -------------------------------------------------------------------------------------
    Case(
        id="root-is-a-file",
        argv=("images", "--root", "{w}/afile"),
        needles=("cannot use", "Not a directory", "hint: choose another with --root"),
    ),
    Case(
        id="root-under-a-file",
        argv=("images", "--root", "{w}/afile/store"),
        needles=("cannot use", "afile/store"),
    ),
    Case(
        id="inspect-unknown",
        argv=("inspect", "nope", "--root", "{root}"),
        needles=("no image 'nope'", "hint:"),
    ),
    Case(
        id="inspect-suggests",
        argv=("inspect", "goood", "--root", "{root}"),
        needles=("no image 'goood'", "did you mean good:latest?"),
    ),
    Case(
        id="inspect-bad-platform",
        argv=("inspect", "good", "--platform", "linux/", "--root", "{root}"),
        needles=("linux/", "hint: write it as os/arch"),
    ),
    Case(
        id="save-unknown",
        argv=("save", "nope", "-o", "{w}/out.tar", "--root", "{root}"),
        needles=("no image 'nope'",),
    ),
    Case(
        id="save-to-a-directory",
        argv=("save", "good", "-o", "{w}/adir", "--root", "{root}"),
        needles=("adir is a directory", "hint: name the file"),
    ),
    Case(
        id="save-under-a-file",
        argv=("save", "good", "-o", "{w}/afile/x.tar", "--root", "{root}"),
        needles=("afile is not a directory",),
    ),
    Case(
        id="save-layout-onto-a-file",
        argv=("save", "good", "--format", "oci-layout", "-o", "{w}/afile", "--root", "{root}"),
        needles=("afile exists and is not a directory",),
    ),
    Case(
        id="save-bad-format",
        argv=("save", "good", "--format", "zip", "-o", "{w}/x", "--root", "{root}"),
        needles=("invalid choice: 'zip'",),
        status=2,
    ),
    Case(id="save-no-output", argv=("save", "good", "--root", "{root}"), needles=("-o/--output",), status=2),
    Case(id="rmi-unknown", argv=("rmi", "nope", "--root", "{root}"), needles=("no image 'nope'",)),
    Case(
        id="rmi-bad-reference",
        argv=("rmi", "UP@@", "--root", "{root}"),
        needles=("invalid reference 'UP@@'",),
    ),
    # -- import ----------------------------------------------------------------------------------------
    Case(
        id="import-missing",
        argv=("import", "{w}/nothing.tar", "-t", "x", "--root", "{root}"),
        needles=("no such file or directory", "nothing.tar"),
    ),
    Case(
        id="import-not-a-tar",
        argv=("import", "{w}/junk.tar", "-t", "x", "--root", "{root}"),
        needles=("junk.tar is not a tar archive", "hint:"),
    ),
    Case(
        id="import-shorter-than-a-header",
        argv=("import", "{w}/short.tar", "-t", "x", "--root", "{root}"),
        needles=("short.tar is not a tar archive",),
    ),
    Case(
        id="import-truncated-tar",
        argv=("import", "{w}/trunc.tar", "-t", "x", "--root", "{root}"),
        needles=("trunc.tar is truncated", "'big'", "hint:"),
    ),
    Case(
        id="import-truncated-gzip",
        argv=("import", "{w}/trunc.tar.gz", "-t", "x", "--root", "{root}"),
        needles=("trunc.tar.gz is truncated",),
    ),
    Case(
        id="import-truncated-zstd",
        argv=("import", "{w}/trunc.tar.zst", "-t", "x", "--root", "{root}"),
        needles=("trunc.tar.zst", "truncated"),
    ),
    Case(
        id="import-device",
        argv=("import", "/dev/null", "-t", "x", "--root", "{root}"),
        needles=("/dev/null is not a regular file or a directory",),
    ),
    Case(
        id="import-unreadable-tar",
        argv=("import", "{w}/rootfs.tar", "-t", "x", "--root", "{root}"),
        needles=("cannot read", "rootfs.tar", "Permission denied"),
        unreadable=("rootfs.tar",),
    ),
    Case(
        id="import-unreadable-dir",
        argv=("import", "{w}/rootfs", "-t", "x", "--root", "{root}"),
        needles=("rootfs", "Permission denied"),
        unreadable=("rootfs/hello",),
    ),
    Case(
        id="import-bad-tag",
        argv=("import", "{w}/rootfs.tar", "-t", "BAD TAG", "--root", "{root}"),
        needles=("invalid reference 'BAD TAG'", "must be lowercase"),
    ),
    Case(
        id="import-bad-platform",
        argv=("import", "{w}/rootfs.tar", "--platform", "foo", "--root", "{root}"),
        needles=('"foo"', "hint: write it as os/arch"),
    ),
    Case(
        id="import-bad-compression",
        argv=("import", "{w}/rootfs.tar", "--compression", "lz4", "--root", "{root}"),
        needles=("unknown compression 'lz4'", "hint: use gzip, zstd"),
    ),
    Case(
        id="import-bad-compression-level",
        argv=("import", "{w}/rootfs.tar", "--compression", "gzip,level=99", "--root", "{root}"),
        needles=("level 99 is out of range",),
    ),
    Case(
        id="import-bad-compression-option",
        argv=("import", "{w}/rootfs.tar", "--compression", "zstd,speed=3", "--root", "{root}"),
        needles=("bad compression option 'speed=3'",),
    ),
    Case(
        id="import-unknown-scheme",
        argv=("import", "ftp://x", "--root", "{root}"),
        needles=("unknown image source scheme 'ftp'",),
    ),
    Case(
        id="import-layout-missing",
        argv=("import", "oci-layout://{w}/adir", "--root", "{root}"),
        needles=("not an OCI image layout", "hint:"),
    ),
    Case(
        id="import-docker-archive-junk",
        argv=("import", "docker-archive://{w}/junk.tar", "--root", "{root}"),
        needles=("junk.tar is not a readable tar archive",),
    ),
    Case(
        id="import-docker-archive-dir",
        argv=("import", "docker-archive://{w}/adir", "--root", "{root}"),
        needles=("adir is a directory, not an archive",),
    ),
    Case(
        id="import-docker-archive-missing",
        argv=("import", "docker-archive://{w}/nothing.tar", "--root", "{root}"),
        needles=("no such file", "nothing.tar"),
    ),
    Case(
        id="import-oci-archive-not-docker",
        argv=("import", "docker-archive://{w}/rootfs.tar", "--root", "{root}"),
        needles=("is not a docker-archive (no manifest.json)",),
    ),
    # -- registry: nothing listens on port 1 ------------------------------------------------------------
    Case(
        id="pull-registry-down",
        argv=("pull", f"{CLOSED}/app:1", "--root", "{root}"),
        needles=(f"cannot reach {CLOSED}", "hint:"),
    ),
    Case(
        id="pull-bad-reference",
        argv=("pull", "a@sha256:zz", "--root", "{root}"),
        needles=("invalid reference", "bad digest"),
    ),
    Case(
        id="pull-bad-platform",
        argv=("pull", "--platform", "linux/", f"{CLOSED}/app", "--root", "{root}"),
        needles=("linux/", "hint: write it as os/arch"),
    ),
    Case(
        id="push-unknown-image",
        argv=("push", "nope", f"{CLOSED}/nope:1", "--root", "{root}"),
        needles=("no image 'nope'",),
    ),
    Case(
        id="push-bad-destination",
        argv=("push", "good", "BAD DEST", "--root", "{root}"),
        needles=("invalid reference 'BAD DEST'",),
    ),
    Case(
        id="push-registry-down",
        argv=("push", "good", f"{CLOSED}/good:1", "--root", "{root}"),
        needles=(f"cannot reach {CLOSED}",),
    ),
    Case(
        id="login-no-password",
        argv=("login", "-u", "me", "--password-stdin", CLOSED),
        needles=("no password given", "hint:"),
    ),
    # -- files: parse, lint, fmt, context ----------------------------------------------------------------
    Case(id="parse-missing", argv=("parse", "{w}/nothing"), needles=("cannot read", "nothing")),
    Case(id="parse-directory", argv=("parse", "{w}/adir"), needles=("adir", "directory")),
    Case(
        id="parse-unreadable",
        argv=("parse", "{w}/ctx/Dockerfile"),
        needles=("Permission denied",),
        unreadable=("ctx/Dockerfile",),
    ),
    Case(
        id="parse-heredoc",
        argv=("parse", "{w}/heredoc.Dockerfile"),
        needles=("heredoc.Dockerfile:2:1: unterminated heredoc", ">>> RUN <<EOF", "hint:"),
    ),
    Case(
        id="parse-escape",
        argv=("parse", "{w}/escape.Dockerfile"),
        needles=("escape.Dockerfile:1:1: invalid escape token", ">>> # escape=x", "hint:"),
    ),
    Case(id="lint-missing", argv=("lint", "{w}/nothing"), needles=("no such Dockerfile",)),
    Case(id="lint-directory", argv=("lint", "{w}/adir"), needles=("adir is a directory, not a Dockerfile",)),
    Case(
        id="lint-unreadable",
        argv=("lint", "{w}/ctx/Dockerfile"),
        needles=("Permission denied",),
        unreadable=("ctx/Dockerfile",),
    ),
    Case(
        id="lint-missing-context",
        argv=("lint", "--context", "{w}/nothing", "{w}/ctx/Dockerfile"),
        needles=("--context", "no such directory"),
    ),
    Case(
        id="lint-missing-config",
        argv=("lint", "--config", "{w}/nothing.yaml", "{w}/ctx/Dockerfile"),
        needles=("cannot read lint config",),
    ),
    Case(
        id="lint-bad-build-arg",
        argv=("lint", "--build-arg", "=x", "{w}/ctx/Dockerfile"),
        needles=("invalid --build-arg '=x'", "hint:"),
    ),
    Case(
        id="lint-bad-threshold",
        argv=("lint", "--failure-threshold", "fatal", "{w}/ctx/Dockerfile"),
        needles=("invalid choice: 'fatal'",),
        status=2,
    ),
    Case(id="fmt-missing", argv=("fmt", "{w}/nothing"), needles=("cannot read", "nothing")),
    Case(id="fmt-directory", argv=("fmt", "{w}/adir"), needles=("Is a directory",)),
    Case(
        id="context-missing",
        argv=("context", "ls", "{w}/nothing"),
        needles=("build context is not a directory", "hint:"),
    ),
    Case(
        id="context-is-a-file",
        argv=("context", "ls", "{w}/afile"),
        needles=("build context is not a directory",),
    ),
    Case(
        id="context-missing-dockerfile",
        argv=("context", "ls", "-f", "{w}/nothing", "{w}/ctx"),
        needles=("the Dockerfile does not exist",),
    ),
    Case(
        id="context-bad-pattern",
        argv=("context", "ls", "{w}/bad-ignore"),
        needles=(".dockerignore:2: invalid pattern '['", "hint:"),
    ),
    Case(
        id="context-why-outside",
        argv=("context", "why", "{w}/ctx", "../../etc/passwd"),
        needles=("outside the build context",),
    ),
    Case(
        id="context-unreadable-dir",
        argv=("context", "ls", "{w}/ctx"),
        needles=("Permission denied",),
        unreadable=("ctx",),
    ),
    # -- build: bad input is refused before anything is built -------------------------------------------
    Case(
        id="build-missing-context",
        argv=("build", "{w}/nothing", "--root", "{root}"),
        needles=("build context is not a directory",),
    ),
    Case(
        id="build-unknown-instruction",
        argv=("build", "-f", "{w}/unknown.Dockerfile", "{w}/ctx", "--root", "{root}"),
        needles=(
            "unknown.Dockerfile:2:1: unknown instruction: COPPY",
            ">>> COPPY a /a",
            "hint: did you mean COPY?",
        ),
    ),
    Case(
        id="build-output-onto-a-directory",
        argv=("build", "-o", "type=oci,dest={w}/adir", "{w}/ctx", "--root", "{root}"),
        needles=("adir is a directory",),
    ),
    Case(
        id="build-output-under-a-file",
        argv=("build", "-o", "type=local,dest={w}/afile/x", "{w}/ctx", "--root", "{root}"),
        needles=("afile is not a directory",),
    ),
    Case(
        id="build-bad-build-arg",
        argv=("build", "--build-arg", "=x", "{w}/ctx", "--root", "{root}"),
        needles=("--build-arg '=x'",),
    ),
    Case(
        id="build-bad-build-context",
        argv=("build", "--build-context", "foo", "{w}/ctx", "--root", "{root}"),
        needles=("--build-context 'foo'",),
    ),
    Case(
        id="build-store-is-a-file",
        argv=("build", "{w}/ctx", "--root", "{w}/afile"),
        needles=("cannot use", "afile"),
    ),
    # -- usage errors ----------------------------------------------------------------------------------
    Case(id="unknown-command", argv=("frob",), needles=("invalid choice: 'frob'",), status=2),
    Case(id="no-command", argv=(), needles=("usage: pybuildkit",), status=2),
]


def _expand(argv: tuple[str, ...], world: Path) -> list[str]:
    return [arg.replace("{root}", str(world / "store")).replace("{w}", str(world)) for arg in argv]


def _store_state(root: Path) -> tuple[tuple[str, ...], bytes]:
    blobs = tuple(sorted(path.name for path in (root / "blobs" / "sha256").iterdir()))
    return blobs, (root / "index.json").read_bytes()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(
    case: Case, world: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # as `cmd < /dev/null`: nothing to read, not a terminal
    before = _store_state(world / "store")
    for rel in case.unreadable:
        os.chmod(world / rel, 0)
    try:
        with permissions_enforced() if case.unreadable else contextlib.nullcontext():
            outcome = run(capsys, *_expand(case.argv, world))
    finally:
        for rel in case.unreadable:
            os.chmod(world / rel, 0o755)
    expanded = tuple(_expand(case.needles, world))
    assert_clean_error(outcome, *expanded, status=case.status)
    assert _store_state(world / "store") == before, "a failed command changed the store"
    assert Store(world / "store").verify() == ()


def test_debug_shows_the_traceback(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run(capsys, "--debug", "inspect", "zzz-missing", "--root", str(world / "store"))
    assert outcome.status == 1
    assert "Traceback (most recent call last)" in outcome.err
    assert "ImageNotFoundError" in outcome.err
    assert outcome.err.rstrip().endswith(
        "hint: list images with `pybuildkit images`, or import one with `pybuildkit import`"
    )


def test_without_debug_no_traceback(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome: Outcome = run(capsys, "inspect", "zzz-missing", "--root", str(world / "store"))
    assert outcome.err == (
        f"error: no image 'zzz-missing' in the store at {world / 'store'}\n"
        "hint: list images with `pybuildkit images`, or import one with `pybuildkit import`\n"
    )


DOCKER_CONFIGS = [
    ("garbage", "garbage", "config.json is not valid JSON", "hint: fix or remove the file"),
    (
        "missing-helper",
        '{"credsStore": "pybuildkit-test-none"}',
        "docker-credential-pybuildkit-test-none is not installed",
        "hint: install it",
    ),
    ("directory", None, "cannot read", "Is a directory"),
]


class _OpenRegistry(http.server.BaseHTTPRequestHandler):
    """Answers every request 200 `{}`: a registry that lets anyone log in."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def open_registry() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OpenRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("content", "needles"), [pytest.param(c, (a, b), id=i) for i, c, a, b in DOCKER_CONFIGS]
)
@pytest.mark.parametrize("command", ["logout", "login"])
def test_bad_docker_config(
    command: str,
    content: str | None,
    needles: tuple[str, str],
    open_registry: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "docker" / "config.json"
    config.parent.mkdir()
    if content is None:
        config.mkdir()
    else:
        config.write_text(content)
    monkeypatch.setenv("DOCKER_CONFIG", str(config.parent))
    monkeypatch.setattr("sys.stdin", io.StringIO("secret\n"))
    argv = (
        ["logout", open_registry]
        if command == "logout"
        else ["login", "-u", "me", "--password-stdin", open_registry]
    )
    outcome = run(capsys, *argv)
    if command == "logout" and content is not None and "credsStore" in content:
        # As `docker logout`: a server with no entry in `auths` is simply not logged in.
        assert outcome.status == 0 and "Not logged in" in outcome.err
        return
    assert_clean_error(outcome, *needles)
    if content is not None:
        assert config.read_text() == content  # a file it could not understand is left alone
