"""RUN end to end, as root: layers made by RUN (whiteouts, opaque directories, owners), isolation (network,
host files), RUN --mount secret/ssh/cache sharing, the RUN environment (ARG, USER, WORKDIR, SHELL), errors."""

from __future__ import annotations

import gzip
import io
import os
import socket
import tarfile
import threading
import time
from pathlib import Path

import pytest

from pybuildkit.errors import DockerfileError, PyBuildKitError
from pybuildkit.execute.session import build
from pybuildkit.store import Store
from tests.e2e.conftest import Workspace

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="these RUN tests run as root (CI does)")


def layer_members(root: Path, ref: str) -> list[list[tarfile.TarInfo]]:
    """The tar members of each layer of `ref` in the store, bottom first."""
    store = Store(root)
    loaded = store.load(ref)
    out = []
    for layer in loaded.manifest.layers:
        data = store.blob_path(layer.digest).read_bytes()
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            out.append(tar.getmembers())
    return out


def top_layer(root: Path, ref: str) -> dict[str, tarfile.TarInfo]:
    return {m.name: m for m in layer_members(root, ref)[-1]}


LAYERS = """\
FROM busybox
RUN mkdir -p /data/keep /data/old && echo a > /data/x && echo b > /data/old/f && echo k > /data/keep/k
RUN rm /data/x && rm -rf /data/old && mkdir /data/old && echo new > /data/old/g
RUN echo owned > /owned && chown 1000:1000 /owned && mkdir /odir && chown 1000:1000 /odir
"""


def test_whiteouts_opaque_directories_and_owners(workspace: Workspace) -> None:
    context = workspace.write({"Dockerfile": LAYERS})
    build(context, root=workspace.root, tags=["layers:1"])
    layers = layer_members(workspace.root, "layers:1")
    second = {m.name: m for m in layers[-2]}
    assert "data/.wh.x" in second, sorted(second)
    assert "data/old/.wh..wh..opq" in second and "data/old/g" in second
    assert "data/old/f" not in second and "data/keep/k" not in second
    third = {m.name: m for m in layers[-1]}
    assert (third["owned"].uid, third["owned"].gid) == (1000, 1000)
    assert (third["odir"].uid, third["odir"].gid, third["odir"].isdir()) == (1000, 1000, True)
    assert third["owned"].uname == "" and third["owned"].gname == ""
    # Nothing the sandbox provides leaks into a layer.
    for layer in layers[1:]:
        names = {m.name for m in layer}
        assert not names & {"etc/hosts", "etc/resolv.conf", "etc/hostname", "proc", "dev/null"}, names


def test_network_none_has_only_lo_and_host_files_are_invisible(workspace: Workspace, tmp_path: Path) -> None:
    marker = tmp_path / "host-marker-7f3a"
    marker.write_text("host secret\n")
    dockerfile = f"""\
FROM busybox
RUN --network=none ls /sys/class/net > /ifaces; (wget -q -T 2 -O- http://1.1.1.1/ && echo reached || echo unreachable) > /net 2>&1
RUN (cat {marker} 2>&1 || true) > /marker; (echo x > {tmp_path}/written) 2>/dev/null; find / -xdev -name 'host-marker-7f3a' > /found 2>/dev/null; true
"""
    context = workspace.write({"Dockerfile": dockerfile})
    out = workspace.tmp / "out"
    build(context, root=workspace.root, outputs=[f"type=local,dest={out}"])
    assert (out / "ifaces").read_text().split() == ["lo"]
    assert "unreachable" in (out / "net").read_text()
    assert "host secret" not in (out / "marker").read_text()
    assert (out / "found").read_text() == ""
    assert not (tmp_path / "written").exists()


def test_build_level_network_none_and_add_host(workspace: Workspace) -> None:
    dockerfile = "FROM busybox\nRUN ls /sys/class/net > /ifaces && cat /etc/hosts > /hosts\n"
    context = workspace.write({"Dockerfile": dockerfile})
    out = workspace.tmp / "out"
    build(
        context,
        root=workspace.root,
        network="none",
        add_hosts=["db.internal:10.1.2.3"],
        outputs=[f"type=local,dest={out}"],
    )
    assert (out / "ifaces").read_text().split() == ["lo"]
    assert "10.1.2.3\tdb.internal" in (out / "hosts").read_text().replace(" ", "\t")
    # The network mode is part of the step's key: host networking runs the step again.
    again = build(context, root=workspace.root, network="host", add_hosts=["db.internal:10.1.2.3"])
    assert again.cache_misses >= 1


SECRET_VALUE = "s3cr3t-value-9d1c0e"

SECRETS = """\
FROM busybox
RUN --mount=type=secret,id=token cat /run/secrets/token > /tmp/copy-len && wc -c < /run/secrets/token > /len && rm /tmp/copy-len
RUN --mount=type=secret,id=token,target=/etc/tok,mode=0440,uid=1000,gid=1000 stat -c '%a %u %g' /etc/tok > /perm
RUN --mount=type=secret,id=token,env=TOKEN,required=true sh -c 'printf %s "$TOKEN" | wc -c > /env-len'
RUN --mount=type=secret,id=absent ls /run/secrets > /absent 2>&1 || true
"""


def test_secret_is_mounted_and_never_stored(workspace: Workspace, tmp_path: Path) -> None:
    secret = tmp_path / "token.txt"
    secret.write_text(SECRET_VALUE)
    context = workspace.write({"Dockerfile": SECRETS})
    layout = tmp_path / "layout"
    out = tmp_path / "out"
    result = build(
        context,
        root=workspace.root,
        tags=["sec:1"],
        secrets=[f"id=token,src={secret}"],
        outputs=[f"type=oci-layout,dest={layout}", f"type=local,dest={out}"],
    )
    assert (out / "len").read_text().strip() == str(len(SECRET_VALUE))
    assert (out / "perm").read_text().strip() == "440 1000 1000"
    assert (out / "env-len").read_text().strip() == str(len(SECRET_VALUE))
    assert not (out / "run" / "secrets" / "token").exists()
    # Not in any blob (layers decompressed), of the store or of the layout, nor in any other store file.
    needle = SECRET_VALUE.encode()
    for blob_dir in (workspace.root / "blobs" / "sha256", layout / "blobs" / "sha256"):
        for blob in blob_dir.iterdir():
            data = blob.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            assert needle not in data, blob
    for path in workspace.root.rglob("*"):
        if path.is_file() and path.stat().st_size < 50 << 20:
            assert needle not in path.read_bytes(), path
    # The key does not depend on the secret's content (BuildKit's rule).
    secret.write_text("another value")
    again = build(
        context, root=workspace.root, tags=["sec:1"], secrets=[f"id=token,src={secret}"], no_cache=False
    )
    assert again.digest == result.digest


def test_required_secret_missing_names_the_line(workspace: Workspace) -> None:
    context = workspace.write(
        {"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=k,required=true true\n"}
    )
    with pytest.raises(PyBuildKitError) as caught:
        build(context, root=workspace.root)
    assert "secret k not found" in caught.value.message


def test_ssh_agent_socket_is_forwarded(workspace: Workspace, tmp_path: Path) -> None:
    # busybox has no unix-socket client: check the socket is there, is a socket, and SSH_AUTH_SOCK names it.
    path = tmp_path / "agent.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    dockerfile = (
        "FROM busybox\n"
        "RUN --mount=type=ssh echo $SSH_AUTH_SOCK > /sock && test -S $SSH_AUTH_SOCK && echo socket > /kind\n"
        "RUN --mount=type=ssh,id=other,target=/agent.sock test -S /agent.sock && echo $SSH_AUTH_SOCK > /other\n"
    )
    context = workspace.write({"Dockerfile": dockerfile})
    out = tmp_path / "out"
    try:
        build(
            context,
            root=workspace.root,
            ssh=[f"default={path}", f"other={path}"],
            outputs=[f"type=local,dest={out}"],
        )
    finally:
        server.close()
    assert (out / "sock").read_text().strip() == "/run/buildkit/ssh_agent.0"
    assert (out / "kind").read_text() == "socket\n"
    assert (out / "other").read_text().strip() == "/agent.sock"
    assert not (out / "agent.sock").exists()
    assert not (out / "run" / "buildkit").exists() or not any((out / "run" / "buildkit").iterdir())
    # Without --ssh, a required agent is an error; an optional one is skipped.
    missing = workspace.write({"Dockerfile": "FROM busybox\nRUN --mount=type=ssh,required=true true\n"})
    with pytest.raises(PyBuildKitError) as caught:
        build(missing, root=workspace.root)
    assert "no SSH key 'default' forwarded" in caught.value.message


def test_cache_mount_persists_with_owner_and_locked_sharing(workspace: Workspace, tmp_path: Path) -> None:
    # Two builds at once on a locked cache: their RUNs never overlap.
    dockerfile = (
        "FROM busybox\nARG N\n"
        "RUN --mount=type=cache,id=c1,target=/c,sharing=locked,uid=1000,gid=1000,mode=0750 "
        'sh -c \'stat -c "%u %g %a" /c > /perm; test ! -e /c/busy || echo overlap >> /c/bad; '
        "touch /c/busy; sleep 0.5; rm /c/busy; echo $N >> /c/log'\n"
    )
    context = workspace.write({"Dockerfile": dockerfile})
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            build(
                context,
                root=workspace.root,
                build_args={"N": str(n)},
                outputs=[f"type=local,dest={tmp_path}/o{n}"],
            )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one, args=(n,)) for n in (1, 2)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert time.monotonic() - started >= 1.0
    assert (tmp_path / "o1" / "perm").read_text().strip() == "1000 1000 750"
    # A third build sees what the first two left in the cache.
    check = workspace.write(
        {
            "Dockerfile": "FROM busybox\nRUN --mount=type=cache,id=c1,target=/c cat /c/log > /log; test ! -e /c/bad\n"
        }
    )
    build(check, root=workspace.root, outputs=[f"type=local,dest={tmp_path}/o3"])
    assert sorted((tmp_path / "o3" / "log").read_text().split()) == ["1", "2"]


def test_private_cache_gets_a_fresh_directory_when_busy(workspace: Workspace, tmp_path: Path) -> None:
    dockerfile = (
        "FROM busybox\nARG N\n"
        "RUN --mount=type=cache,id=p,target=/c,sharing=private sh -c 'ls /c > /seen; echo $N > /c/f$N; sleep 0.6'\n"
    )
    context = workspace.write({"Dockerfile": dockerfile})
    threads = [
        threading.Thread(
            target=build,
            args=(context,),
            kwargs={
                "root": workspace.root,
                "build_args": {"N": str(n)},
                "outputs": [f"type=local,dest={tmp_path}/o{n}"],
            },
        )
        for n in (1, 2)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - started < 1.5  # not serialized
    assert (tmp_path / "o1" / "seen").read_text() == "" and (tmp_path / "o2" / "seen").read_text() == ""


ENVIRONMENT = """\
FROM busybox
RUN echo 'app:x:1234:2345::/home/app:/bin/sh' >> /etc/passwd && echo 'grp:x:2345:' >> /etc/group \\
 && echo 'extra:x:3456:app' >> /etc/group && mkdir -p /home/app && chown 1234:2345 /home/app
ARG BUILD_ONLY=arg-value
ENV IMAGE_ENV=env-value
USER app
WORKDIR /home/app
RUN id > id.txt && pwd > pwd.txt && echo "$BUILD_ONLY $IMAGE_ENV" > env.txt
SHELL ["/bin/sh", "-c", "echo shell-used > /tmp/shell-marker; exec /bin/sh -c \\"$0\\""]
USER root
RUN cp /tmp/shell-marker /shell.txt
"""


def test_user_workdir_arg_env_and_shell(workspace: Workspace) -> None:
    context = workspace.write({"Dockerfile": ENVIRONMENT})
    out = workspace.tmp / "out"
    result = build(context, root=workspace.root, outputs=[f"type=local,dest={out}"])
    ident = (out / "home/app/id.txt").read_text()
    assert "uid=1234(app)" in ident and "gid=2345(grp)" in ident and "3456(extra)" in ident
    assert (out / "home/app/id.txt").stat().st_uid == 1234
    assert (out / "home/app/pwd.txt").read_text() == "/home/app\n"
    assert (out / "home/app/env.txt").read_text() == "arg-value env-value\n"
    assert (out / "shell.txt").read_text() == "shell-used\n"
    env = dict(item.partition("=")[::2] for item in result.config.config.env)
    assert "BUILD_ONLY" not in env and env["IMAGE_ENV"] == "env-value"


def test_failing_run_reports_command_status_output_and_line(workspace: Workspace) -> None:
    dockerfile = "FROM busybox\n\nRUN echo first-line && echo last words >&2 && exit 7\n"
    context = workspace.write({"Dockerfile": dockerfile})
    before = sorted(p.name for p in (workspace.root / "blobs" / "sha256").iterdir())
    with pytest.raises(DockerfileError) as caught:
        build(context, root=workspace.root, tags=["never:1"])
    error = caught.value
    assert "exit code: 7" in error.message and "echo first-line" in error.message
    assert "last words" in (error.hint or "")
    assert error.span is not None and error.span.start.line == 3
    assert sorted(p.name for p in (workspace.root / "blobs" / "sha256").iterdir()) == before
    assert [p for p in (workspace.root / "tmp").iterdir() if p.name.startswith("build-")] == []


def test_prune_removes_snapshot_caches_and_leftover_build_dirs(workspace: Workspace) -> None:
    context = workspace.write({"Dockerfile": "FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n"})
    first = build(context, root=workspace.root, tags=["p:1"])
    store = Store(workspace.root)
    leftover = store.temp_dir / "build-leftover"
    (leftover / "run-x" / "upper").mkdir(parents=True)
    os.chmod(leftover / "run-x", 0o000)  # as overlay leaves its workdir
    assert (workspace.root / "snapshots").is_dir() and (workspace.root / "flat").is_dir()
    with store.lease(), pytest.raises(PyBuildKitError):
        store.prune()  # a running build (a lease) keeps prune away
    result = store.prune()
    assert result.dirs_removed >= 3
    for name in ("snapshots", "flat", "context-cache"):
        assert not (workspace.root / name).exists(), name
    assert not leftover.exists()
    # The caches come back on demand: a build on top of the pruned image still runs RUN.
    context = workspace.write({"Dockerfile": "FROM p:1\nRUN cat /one /two > /both\n"})
    out = workspace.tmp / "out"
    build(context, root=workspace.root, outputs=[f"type=local,dest={out}"])
    assert (out / "both").read_text() == "one\ntwo\n"
    again = build(
        workspace.write({"Dockerfile": "FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n"}),
        root=workspace.root,
        tags=["p:1"],
    )
    assert again.digest == first.digest


def test_ctrl_c_kills_the_tree_and_leaves_the_store_clean(workspace: Workspace) -> None:
    import signal
    import subprocess
    import sys

    from tests.support import REPO

    marker = f"sleep-{os.getpid()}-interrupt"
    context = workspace.write(
        {"Dockerfile": f"FROM busybox\nRUN cp /bin/sleep /bin/{marker} && /bin/{marker} 60\n"}
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pybuildkit",
            "build",
            "--progress",
            "plain",
            "--root",
            str(workspace.root),
            str(context),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # wait for the RUN to start
        if "RUN cp" in line:
            break
    time.sleep(0.7)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=20)
    assert proc.returncode != 0 and time.monotonic() - started < 10
    time.sleep(0.3)
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and marker in _cmdline(p)]
    assert leftovers == []
    assert str(workspace.root) not in Path("/proc/mounts").read_text()
    assert [p.name for p in (workspace.root / "tmp").iterdir() if p.is_dir()] == []
    # The store still builds (and prunes) fine.
    ok = workspace.write({"Dockerfile": "FROM busybox\nRUN echo fine > /fine\n"})
    build(ok, root=workspace.root, tags=["after:1"])
    Store(workspace.root).prune()


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_cache_mount_seeded_from_a_stage_and_bind_from_an_image(workspace: Workspace) -> None:
    dockerfile = """\
FROM busybox AS seed
RUN mkdir -p /seed/sub && echo seeded > /seed/sub/s
FROM busybox
RUN --mount=type=cache,id=seeded,target=/c,from=seed,source=/seed cat /c/sub/s > /from-cache && echo more > /c/more
RUN --mount=type=cache,id=seeded,target=/c,from=seed,source=/seed ls /c | xargs echo > /listing
RUN --mount=type=bind,from=busybox,source=/etc,target=/img-etc,rw echo x > /img-etc/new && cat /img-etc/group > /group
RUN test ! -e /etc/new && test ! -e /img-etc/new && echo clean > /clean
"""
    context = workspace.write({"Dockerfile": dockerfile})
    out = workspace.tmp / "out"
    build(context, root=workspace.root, outputs=[f"type=local,dest={out}"])
    assert (out / "from-cache").read_text() == "seeded\n"
    assert (out / "listing").read_text() == "more sub\n"
    assert (out / "group").read_text().startswith("root:x:0:")
    assert (out / "clean").read_text() == "clean\n"
