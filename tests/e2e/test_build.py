"""Real builds: images checked with skopeo and umoci, file by file; cache, reproducibility, errors."""

from __future__ import annotations

import gzip
import http.server
import io
import json
import os
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pybuildkit.errors import DockerfileError
from pybuildkit.execute.progress import ProgressEvent, Status
from pybuildkit.execute.session import build
from pybuildkit.store import Store
from tests.e2e.conftest import Workspace, tool

CLI = Callable[[list[str]], tuple[int, str, str]]


def data_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("data/readme")
        payload = b"from the archive\n"
        info.size, info.mode = len(payload), 0o640
        tar.addfile(info, io.BytesIO(payload))
    return gzip.compress(buf.getvalue())


APP = """\
FROM busybox
ENV APP=/app
WORKDIR $APP
COPY --chown=nobody:nobody src/ ./src/
COPY --chmod=0755 run.sh /usr/local/bin/run
ADD data.tar.gz /opt/
COPY <<EOF /etc/motd
hello $APP
EOF
USER nobody
EXPOSE 8080
LABEL org.example.name=app
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/run"]
"""


def app_context(ws: Workspace) -> Path:
    return ws.write(
        {
            "Dockerfile": APP,
            "src/main.py": "print('hi')\n",
            "src/lib/util.py": "X = 1\n",
            "run.sh": "#!/bin/sh\necho run\n",
            "data.tar.gz": data_tar(),
            ".dockerignore": "*.md\n",
            "README.md": "not sent\n",
        }
    )


def unpack(layout: Path, tag: str, dest: Path) -> Path:
    tool("umoci", "unpack", "--image", f"{layout}:{tag}", str(dest))
    return dest / "rootfs"


def test_image_checks_with_skopeo_and_umoci(workspace: Workspace) -> None:
    context = app_context(workspace)
    layout = workspace.tmp / "layout"
    result = build(
        context,
        root=workspace.root,
        tags=["app:1"],
        outputs=[f"type=oci-layout,dest={layout}"],
        source_date_epoch=0,
    )
    inspected = json.loads(tool("skopeo", "inspect", f"oci:{layout}:1"))
    assert inspected["Digest"] == result.digest
    assert inspected["Labels"] == {"org.example.name": "app"}
    config = json.loads(tool("skopeo", "inspect", "--config", f"oci:{layout}:1"))["config"]
    assert config["User"] == "nobody"
    assert config["WorkingDir"] == "/app"
    assert config["Entrypoint"] == ["/usr/local/bin/run"]
    assert "Cmd" not in config
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert config["StopSignal"] == "SIGINT"
    assert "APP=/app" in config["Env"]
    rootfs = unpack(layout, "1", workspace.tmp / "bundle")
    main = rootfs / "app/src/main.py"
    assert main.read_text() == "print('hi')\n"
    assert (main.stat().st_uid, main.stat().st_gid) == (65534, 65534)
    assert (rootfs / "app/src/lib/util.py").stat().st_uid == 65534
    run = rootfs / "usr/local/bin/run"
    assert run.stat().st_mode & 0o777 == 0o755
    assert (rootfs / "opt/data/readme").read_text() == "from the archive\n"
    assert (rootfs / "opt/data/readme").stat().st_mode & 0o777 == 0o640
    assert (rootfs / "etc/motd").read_text() == "hello /app\n"
    assert (rootfs / "bin/busybox").is_file()
    assert not (rootfs / "app/README.md").exists()
    history = json.loads(tool("skopeo", "inspect", "--config", f"oci:{layout}:1"))["history"]
    ours = [h for h in history if h.get("comment") == "buildkit.dockerfile.v0"]
    assert [h["created_by"].split(" ")[0] for h in ours] == [
        "ENV",
        "WORKDIR",
        "COPY",
        "COPY",
        "ADD",
        "COPY",
        "USER",
        "EXPOSE",
        "LABEL",
        "STOPSIGNAL",
        "ENTRYPOINT",
    ]
    assert [bool(h.get("empty_layer")) for h in ours] == [
        True,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
        True,
        True,
    ]
    # The tag is in the store too.
    assert Store(workspace.root).resolve("app:1").digest == result.digest


def test_same_source_date_epoch_same_digest(workspace: Workspace, tmp_path: Path) -> None:
    context = app_context(workspace)
    first = build(context, root=workspace.root, source_date_epoch=1700000000, no_cache=True)
    other = tmp_path / "other-store"
    import shutil

    shutil.copytree(workspace.root, other)
    second = build(context, root=other, source_date_epoch=1700000000, no_cache=True)
    assert first.digest == second.digest
    assert first.config.created == "2023-11-14T22:13:20Z"
    third = build(context, root=other, source_date_epoch=1700000001, no_cache=True)
    assert third.digest != first.digest


def test_unchanged_rebuild_is_cached_and_short_circuited(workspace: Workspace) -> None:
    context = app_context(workspace)
    time.sleep(0.05)  # files written just before a build make its record untrusted (racy stat)
    first = build(context, root=workspace.root, tags=["app:1"], source_date_epoch=0)
    assert first.cache_hits == 0
    events: list[ProgressEvent] = []
    second = build(context, root=workspace.root, tags=["app:1"], source_date_epoch=0, progress=events.append)
    assert second.digest == first.digest
    assert second.short_circuited
    assert second.cache_misses == 0 and second.cache_hits == first.cache_misses
    statuses = {e.name: e.status for e in events if e.status is not Status.START}
    assert all(status is Status.CACHED for name, status in statuses.items() if "COPY" in name)
    # A changed file: the step that reads it runs again, and --explain-cache says which file.
    (context / "src/main.py").write_text("print('changed')\n")
    third = build(context, root=workspace.root, source_date_epoch=0, explain_cache=True)
    assert not third.short_circuited
    missed = [s for s in third.steps if not s.cached]
    assert missed[0].label.endswith("COPY --chown=nobody:nobody src/ ./src/")
    assert any(reason.startswith("file src/main.py changed") for reason in missed[0].reasons)
    assert all(s.cached for s in third.steps if s.index < missed[0].index)


def test_no_cache_rebuilds(workspace: Workspace) -> None:
    context = workspace.write({"Dockerfile": "FROM scratch\nCOPY a /a\n", "a": "a"})
    build(context, root=workspace.root)
    again = build(context, root=workspace.root, no_cache=True)
    assert again.cache_hits == 0 and not again.short_circuited


ERRORS = [
    pytest.param(
        "FROM busybox\nCOPY mian.py /app/\n",
        2,
        "mian.py: not found in the build context",
        "did you mean main.py",
        id="missing-source",
    ),
    pytest.param(
        "FROM busybox\nCOPY --chown=bob main.py /x\n", 2, "unknown user 'bob'", None, id="bad-chown"
    ),
    pytest.param(
        "FROM scratch AS a\nFROM scratch\nCOPY --from=b main.py /x\n",
        3,
        "no stage named 'b'",
        None,
        id="unknown-stage",
    ),
    pytest.param("FROM busybox\nCOPY escape /x\n", 2, "outside the build context", None, id="symlink-escape"),
    pytest.param(
        "FROM busybox\nADD --checksum=sha256:1234 main.py /x\n",
        2,
        "checksum",
        None,
        id="checksum-on-local-file",
    ),
    pytest.param(
        "FROM nosuchimage\nCOPY main.py /x\n", 1, "nosuchimage: no such image", None, id="unknown-image"
    ),
]


@pytest.mark.parametrize(("dockerfile", "line", "message", "hint"), ERRORS)
def test_errors_name_the_line_and_leave_the_store(
    workspace: Workspace, cli: CLI, dockerfile: str, line: int, message: str, hint: str | None
) -> None:
    context = workspace.write({"Dockerfile": dockerfile, "main.py": "x\n", "secret": "s\n"})
    os.symlink("../../etc/passwd", context / "escape")
    index = (workspace.root / "index.json").read_bytes()
    with pytest.raises(DockerfileError) as caught:
        build(context, root=workspace.root, tags=["broken:1"])
    assert caught.value.span is not None and caught.value.span.start.line == line
    assert message in caught.value.render()
    if hint:
        assert hint in (caught.value.hint or "")
    code, _, err = cli(
        ["build", "--root", str(workspace.root), "-t", "broken:1", "--progress", "quiet", str(context)]
    )
    assert code == 1 and message in err and f"Dockerfile:{line}:" in err
    assert (workspace.root / "index.json").read_bytes() == index
    assert list((workspace.root / "tmp").iterdir()) == [] or all(
        p.name.endswith(".lock") for p in (workspace.root / "tmp").iterdir()
    )


def test_unreadable_file_as_an_ordinary_user(tmp_path: Path) -> None:
    """A context file the builder cannot read: a clear error with the line, exit 1 (run as `nobody`)."""
    import shutil
    import subprocess
    import sys
    import tempfile

    from tests.support import REPO

    if os.geteuid() != 0:
        pytest.skip("needs root (to switch to an ordinary user)")
    base = Path(tempfile.mkdtemp(prefix="pbk-unreadable-"))
    try:
        os.chmod(base, 0o755)
        context = base / "context"
        context.mkdir()
        (context / "Dockerfile").write_text("FROM scratch\nCOPY secret /x\n")
        (context / "secret").write_text("s\n")
        os.chmod(context / "secret", 0o600)  # root's, unreadable by nobody
        store = base / "store"
        store.mkdir()
        for path in (context, context / "Dockerfile", store):
            os.chown(path, 65534, 65534)
        # Everything is imported (and the grammar loaded) as root, then the process becomes `nobody`:
        # root's Python installation need not be readable by nobody.
        code = (
            "import os, sys\n"
            "import pybuildkit.execute.builder, pybuildkit.execute.local, pybuildkit.output, pybuildkit.plan.steps\n"
            "from pybuildkit.api import parse\n"
            "parse('FROM scratch\\n')\n"
            "from pybuildkit.execute.checks import run_checks\n"
            "run_checks('FROM scratch\\n')\n"
            "from pybuildkit.execute.session import build\n"
            "from pybuildkit.errors import PyBuildKitError\n"
            "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "try:\n"
            "    build(sys.argv[1], root=sys.argv[2])\n"
            "except PyBuildKitError as error:\n"
            "    print(error.render(), file=sys.stderr)\n"
            "    sys.exit(1)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(context), str(store)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO), "HOME": str(base)},
            timeout=120,
        )
        assert done.returncode == 1, done.stderr
        assert "Dockerfile:2:1:" in done.stderr and "cannot read" in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)


MULTI = """\
FROM busybox AS tools
COPY tool.sh /tool.sh
FROM scratch AS unused
COPY missing-file /never
FROM scratch AS assets
COPY asset.txt /assets/
FROM busybox
COPY --from=tools /tool.sh /usr/bin/tool
COPY --from=assets /assets /srv/assets
COPY --from=busybox /etc/passwd /copied-passwd
CMD ["tool"]
"""


def test_multi_stage_target_and_copy_from(workspace: Workspace) -> None:
    context = workspace.write({"Dockerfile": MULTI, "tool.sh": "#!/bin/sh\n", "asset.txt": "asset\n"})
    events: list[ProgressEvent] = []
    out = workspace.tmp / "rootfs"
    result = build(context, root=workspace.root, outputs=[f"type=local,dest={out}"], progress=events.append)
    assert not any("missing-file" in e.name for e in events)
    assert (out / "usr/bin/tool").read_text() == "#!/bin/sh\n"
    assert (out / "srv/assets/asset.txt").read_text() == "asset\n"
    assert "nobody" in (out / "copied-passwd").read_text()
    assert result.config.config.cmd == ("tool",)
    # --target builds only what the stage needs.
    target = build(context, root=workspace.root, target="assets")
    assert len(target.config.diff_ids) == 1


def test_outputs_every_type(workspace: Workspace) -> None:
    context = workspace.write({"Dockerfile": "FROM busybox\nCOPY a.txt /a.txt\n", "a.txt": "A\n"})
    tmp = workspace.tmp
    build(
        context,
        root=workspace.root,
        tags=["out:1", "out:latest"],
        outputs=[
            f"type=oci,dest={tmp / 'oci.tar'}",
            f"type=docker,dest={tmp / 'docker.tar'}",
            f"type=tar,dest={tmp / 'fs.tar'}",
            f"type=oci-layout,dest={tmp / 'layout'}",
        ],
    )
    json.loads(tool("skopeo", "inspect", f"oci-archive:{tmp / 'oci.tar'}:1"))
    json.loads(tool("skopeo", "inspect", f"docker-archive:{tmp / 'docker.tar'}"))
    json.loads(tool("skopeo", "inspect", f"oci:{tmp / 'layout'}:latest"))
    with tarfile.open(tmp / "fs.tar") as tar:
        names = tar.getnames()
    assert "a.txt" in names and "bin/busybox" in names
    store = Store(workspace.root)
    assert store.resolve("out:1").digest == store.resolve("out:latest").digest


def test_zstd_layers(workspace: Workspace) -> None:
    context = workspace.write({"Dockerfile": "FROM scratch\nCOPY a.txt /a.txt\n", "a.txt": "A\n"})
    layout = workspace.tmp / "layout"
    build(
        context,
        root=workspace.root,
        tags=["z:1"],
        compression="zstd,level=5",
        outputs=[f"type=oci-layout,dest={layout}"],
    )
    manifest = json.loads(tool("skopeo", "inspect", "--raw", f"oci:{layout}:1"))
    assert manifest["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+zstd"


def test_named_build_contexts(workspace: Workspace, busybox_image) -> None:  # type: ignore[no-untyped-def]
    extra = workspace.tmp / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("from a named context\n")
    context = workspace.write({"Dockerfile": "FROM base\nCOPY --from=extra note.txt /note.txt\n"})
    out = workspace.tmp / "rootfs"
    build(
        context,
        root=workspace.tmp / "empty-store",
        build_contexts={"base": f"oci-layout://{busybox_image.layout}:latest", "extra": str(extra)},
        outputs=[f"type=local,dest={out}"],
    )
    assert (out / "note.txt").read_text() == "from a named context\n"
    assert (out / "bin/busybox").is_file()


def test_onbuild_runs_once_and_is_not_inherited(workspace: Workspace) -> None:
    parent = workspace.write(
        {
            "Dockerfile": "FROM scratch\nONBUILD COPY hello.txt /hello.txt\nLABEL parent=1\n",
            "hello.txt": "hi\n",
        }
    )
    built = build(parent, root=workspace.root, tags=["parent:1"])
    assert built.config.config.on_build == ("COPY hello.txt /hello.txt",)
    child_dir = workspace.tmp / "child"
    child_dir.mkdir()
    (child_dir / "Dockerfile").write_text("FROM parent:1\nLABEL child=1\n")
    (child_dir / "hello.txt").write_text("child hello\n")
    out = workspace.tmp / "rootfs"
    child = build(child_dir, root=workspace.root, tags=["child:1"], outputs=[f"type=local,dest={out}"])
    assert child.config.config.on_build == ()
    assert (out / "hello.txt").read_text() == "child hello\n"
    grand = workspace.tmp / "grand"
    grand.mkdir()
    (grand / "Dockerfile").write_text("FROM child:1\nLABEL grand=1\n")
    grandchild = build(grand, root=workspace.root)
    assert len(grandchild.config.diff_ids) == len(child.config.diff_ids)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    served = tmp_path / "www"
    served.mkdir()
    (served / "tool.txt").write_text("downloaded\n")
    (served / "data.tar.gz").write_bytes(data_tar())

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_add_url_with_checksum(workspace: Workspace, server: str) -> None:
    import hashlib

    good = "sha256:" + hashlib.sha256(b"downloaded\n").hexdigest()
    context = workspace.write(
        {"Dockerfile": f"FROM scratch\nADD --checksum={good} {server}/tool.txt /opt/\n"}
    )
    out = workspace.tmp / "rootfs"
    build(context, root=workspace.root, outputs=[f"type=local,dest={out}"])
    assert (out / "opt/tool.txt").read_text() == "downloaded\n"
    bad = workspace.write(
        {"Dockerfile": f"FROM scratch\nADD --checksum=sha256:{'0' * 64} {server}/tool.txt /opt/\n"}
    )
    with pytest.raises(DockerfileError, match="digest mismatch"):
        build(bad, root=workspace.root, no_cache=True)
    # An archive URL is extracted only with --unpack=true (BuildKit's rule); a git URL is refused clearly.
    unpack = workspace.write(
        {
            "Dockerfile": f"FROM scratch\nADD --unpack=true {server}/data.tar.gz /u/\nADD {server}/data.tar.gz /k/\n"
        }
    )
    out2 = workspace.tmp / "rootfs2"
    build(unpack, root=workspace.root, outputs=[f"type=local,dest={out2}"])
    assert (out2 / "u/data/readme").read_text() == "from the archive\n"
    assert (out2 / "k/data.tar.gz").is_file()
    git = workspace.write({"Dockerfile": "FROM scratch\nADD https://example.invalid/repo.git#main /src\n"})
    with pytest.raises(DockerfileError, match="git repository is not supported"):
        build(git, root=workspace.root)


def test_cli_build_plain_progress(workspace: Workspace, cli: CLI) -> None:
    context = workspace.write({"Dockerfile": "FROM busybox\nCOPY a.txt /a.txt\nENV X=1\n", "a.txt": "A\n"})
    code, out, err = cli(
        ["build", "--root", str(workspace.root), "-t", "c:1", "--progress", "plain", str(context)]
    )
    assert code == 0, err
    assert out.strip().startswith("sha256:")
    assert "#1 [1/3] FROM docker.io/library/busybox:latest\n" in err and "#2 [2/3] COPY a.txt /a.txt" in err
    code, out2, err2 = cli(
        ["build", "--root", str(workspace.root), "-t", "c:1", "--progress", "plain", str(context)]
    )
    assert code == 0 and out2 == out and "#2 CACHED" in err2


RUN_FILE = """\
FROM busybox
RUN echo hello > /greeting && mkdir -p /data && touch /data/x /data/y
RUN rm /data/x && chown 1000:1000 /data/y
RUN <<EOF
#!/bin/sh
echo "from a script" > /script-out
EOF
"""


def _sandbox_usable() -> bool:
    try:
        from pybuildkit.execute.sandbox import doctor  # noqa: F401
    except ImportError:
        return False
    return os.geteuid() == 0


@pytest.mark.skipif(not _sandbox_usable(), reason="RUN needs the sandbox (run as root here)")
def test_run_steps_make_layers_with_whiteouts(workspace: Workspace) -> None:
    context = workspace.write({"Dockerfile": RUN_FILE})
    layout = workspace.tmp / "layout"
    result = build(context, root=workspace.root, tags=["run:1"], outputs=[f"type=oci-layout,dest={layout}"])
    rootfs = unpack(layout, "1", workspace.tmp / "bundle")
    assert (rootfs / "greeting").read_text() == "hello\n"
    assert (rootfs / "script-out").read_text() == "from a script\n"
    assert not (rootfs / "data/x").exists()
    assert (rootfs / "data/y").stat().st_uid == 1000
    again = build(context, root=workspace.root, tags=["run:1"])
    assert again.digest == result.digest and again.cache_misses == 0
    failing = workspace.write({"Dockerfile": "FROM busybox\nRUN echo some output && exit 3\n"})
    with pytest.raises(DockerfileError) as caught:
        build(failing, root=workspace.root)
    assert "exit code: 3" in caught.value.message and "some output" in (caught.value.hint or "")
    assert caught.value.span is not None and caught.value.span.start.line == 2


MOUNTS = """\
FROM busybox AS tools
RUN echo tool-from-stage > /tool.txt
FROM busybox
RUN --mount=type=bind,source=input.txt,target=/mnt/input.txt cat /mnt/input.txt > /from-context
RUN --mount=type=bind,from=tools,source=/tool.txt,target=/mnt/tool.txt cat /mnt/tool.txt > /from-stage
RUN --mount=type=cache,target=/cache sh -c 'echo x >> /cache/count; wc -l < /cache/count > /cache-lines'
RUN --mount=type=tmpfs,target=/scratch sh -c 'echo temp > /scratch/t && cat /scratch/t > /from-tmpfs'
"""


@pytest.mark.skipif(not _sandbox_usable(), reason="RUN needs the sandbox (run as root here)")
def test_run_mounts(workspace: Workspace) -> None:
    context = workspace.write({"Dockerfile": MOUNTS, "input.txt": "context input\n"})
    out = workspace.tmp / "rootfs"
    build(context, root=workspace.root, outputs=[f"type=local,dest={out}"])
    assert (out / "from-context").read_text() == "context input\n"
    assert (out / "from-stage").read_text() == "tool-from-stage\n"
    assert (out / "from-tmpfs").read_text() == "temp\n"
    assert not (out / "cache").exists() or not any((out / "cache").iterdir())
    assert not (out / "scratch").exists() or not any((out / "scratch").iterdir())
    # The cache mount persists between builds; a changed mounted file reruns the step that mounts it.
    (context / "input.txt").write_text("changed\n")
    again = build(
        context, root=workspace.root, no_cache=True, outputs=[f"type=local,dest={workspace.tmp / 'again'}"]
    )
    assert (workspace.tmp / "again/from-context").read_text() == "changed\n"
    assert (workspace.tmp / "again/cache-lines").read_text().strip() == "2"
    assert again.cache_misses > 0


def test_from_a_directory_context_and_stage_index(workspace: Workspace) -> None:
    base = workspace.tmp / "base-dir"
    (base / "etc").mkdir(parents=True)
    (base / "etc/release").write_text("dir base\n")
    context = workspace.write(
        {
            "Dockerfile": "FROM rootdir AS first\nCOPY a.txt /a.txt\nFROM scratch\nCOPY --from=0 / /\n",
            "a.txt": "A\n",
        }
    )
    out = workspace.tmp / "rootfs"
    build(
        context,
        root=workspace.root,
        build_contexts={"rootdir": str(base)},
        outputs=[f"type=local,dest={out}"],
    )
    assert (out / "etc/release").read_text() == "dir base\n"
    assert (out / "a.txt").read_text() == "A\n"


@pytest.mark.parametrize("mode", ["rawjson", "tty", "quiet"])
def test_cli_progress_modes(workspace: Workspace, cli: CLI, mode: str) -> None:
    context = workspace.write({"Dockerfile": "FROM scratch\nCOPY a.txt /a.txt\n", "a.txt": "A\n"})
    code, out, err = cli(["build", "--root", str(workspace.root), "--progress", mode, str(context)])
    assert code == 0 and out.startswith("sha256:")
    match mode:
        case "rawjson":
            events = [json.loads(line) for line in err.splitlines()]
            assert {"vertex": 2, "name": "[2/2] COPY a.txt /a.txt", "status": "start"} in events
        case "tty":
            assert "COPY a.txt /a.txt" in err
        case "quiet":
            assert err == ""


def test_cli_explain_cache(workspace: Workspace, cli: CLI) -> None:
    context = workspace.write({"Dockerfile": "FROM scratch\nARG V=1\nCOPY a.txt /a$V\n", "a.txt": "A\n"})
    root = ["build", "--root", str(workspace.root), "--progress", "plain", "--explain-cache"]
    assert cli([*root, str(context)])[0] == 0
    code, _, err = cli([*root, "--build-arg", "V=2", str(context)])
    assert code == 0
    assert 'ARG V changed ("1" -> "2")' in err
    assert "cache miss: [3/3] COPY a.txt /a$V" in err


def test_dry_run_consults_the_cache_and_stores_nothing(workspace: Workspace, cli: CLI) -> None:
    context = workspace.write(
        {"Dockerfile": "FROM busybox\nCOPY a.txt /a\nCOPY b.txt /b\n", "a.txt": "A", "b.txt": "B"}
    )
    build(context, root=workspace.root)
    (context / "b.txt").write_text("changed")
    blobs = sorted(p.name for p in (workspace.root / "blobs/sha256").iterdir())
    code, out, _ = cli(
        ["build", "--root", str(workspace.root), "--dry-run", "--progress", "quiet", str(context)]
    )
    assert code == 0
    assert out.splitlines() == ["CACHED [2/3] COPY a.txt /a", "RUN    [3/3] COPY b.txt /b"]
    assert sorted(p.name for p in (workspace.root / "blobs/sha256").iterdir()) == blobs


CHANGES_SEEN = [
    pytest.param(lambda c: (c / "src/new.txt").write_text("new\n"), id="new-file-in-copied-dir"),
    pytest.param(lambda c: (c / "src/a.txt").unlink(), id="deleted-file"),
    pytest.param(lambda c: (c / "src/a.txt").write_text("A\n"), id="same-size-rewrite"),
    pytest.param(lambda c: os.chmod(c / "src/a.txt", 0o600), id="mode-change"),
    pytest.param(lambda c: (c / "top.txt").write_text("t\n"), id="new-file-matching-wildcard"),
]


@pytest.mark.parametrize("change", CHANGES_SEEN)
def test_short_cut_notices_changes(workspace: Workspace, change: Callable[[Path], object]) -> None:
    context = workspace.write(
        {"Dockerfile": "FROM scratch\nCOPY src/ /src/\nCOPY *.txt /top/\n", "src/a.txt": "a\n", "x.txt": "x"}
    )
    time.sleep(0.05)
    first = build(context, root=workspace.root)
    assert build(context, root=workspace.root).short_circuited
    change(context)
    time.sleep(0.05)
    after = build(context, root=workspace.root)
    assert not after.short_circuited
    assert after.digest != first.digest


def test_two_builds_at_once_share_a_store(workspace: Workspace) -> None:
    import subprocess
    import sys

    from tests.support import REPO

    files: dict[str, str | bytes] = {f"src/f{i}.txt": f"{i}\n" * 100 for i in range(50)}
    context = workspace.write({"Dockerfile": "FROM busybox\nCOPY src/ /src/\nWORKDIR /src/work\n", **files})
    code = (
        "import sys\n"
        "from pybuildkit.execute.session import build\n"
        "print(build(sys.argv[1], root=sys.argv[2], tags=[sys.argv[3]], source_date_epoch=0).digest)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(context), str(workspace.root), f"twin:{n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err for _, err in outputs]
    assert outputs[0][0] == outputs[1][0]
    store = Store(workspace.root)
    assert store.resolve("twin:0").digest == store.resolve("twin:1").digest
    assert not [p for p in (workspace.root / "tmp").iterdir() if not p.name.endswith(".lock")]
