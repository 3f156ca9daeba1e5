"""`pybuildkit run` end to end, as root: the image's Entrypoint/Cmd/Env/WorkingDir/User, the options, the
exit status, volumes, the network, and what is left behind."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from pybuildkit.execute.container import ContainerRun, Volume, run_container
from pybuildkit.execute.session import build
from pybuildkit.store import Store
from tests.e2e.conftest import Workspace

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="these tests run the sandbox as root (CI does)")

IMAGE = """\
FROM busybox
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group \\
 && mkdir -p /home/app && chown app:app /home/app
ENV GREETING=hello FROM_IMAGE=yes
WORKDIR /home/app
USER app
ENTRYPOINT ["/bin/sh", "-c", "echo \\"$GREETING $(id -un) $(pwd) $0 $*\\"; exit ${CODE:-0}"]
CMD ["default-arg"]
"""


@pytest.fixture
def image(workspace: Workspace) -> Store:
    context = workspace.write({"Dockerfile": IMAGE})
    build(context, root=workspace.root, tags=["runme:1"])
    return Store(workspace.root)


def run(store: Store, tmp_path: Path, request: ContainerRun) -> tuple[int, str, str]:
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with open(out, "wb") as o, open(err, "wb") as e:
        code = run_container(store, request, stdout=o.fileno(), stderr=e.fileno())
    return code, out.read_text(), err.read_text()


CASES = [
    pytest.param(ContainerRun(image="runme:1"), 0, "hello app /home/app default-arg \n", id="image-defaults"),
    pytest.param(
        ContainerRun(image="runme:1", command=("a", "b"), env=("GREETING=hi", "CODE=3")),
        3,
        "hi app /home/app a b\n",
        id="command-env-exit-status",
    ),
    pytest.param(
        ContainerRun(image="runme:1", user="0", workdir="/tmp"),
        0,
        "hello root /tmp default-arg \n",
        id="user-and-workdir",
    ),
    pytest.param(
        ContainerRun(image="runme:1", entrypoint=("/bin/cat",), command=("/etc/hostname",), hostname="box"),
        0,
        "box\n",
        id="entrypoint-and-hostname",
    ),
    pytest.param(
        ContainerRun(image="runme:1", entrypoint=("/bin/ls",), command=("/sys/class/net",), network="none"),
        0,
        "lo\n",
        id="network-none",
    ),
]


@pytest.mark.parametrize(("request_", "code", "stdout"), CASES)
def test_run_honours_the_image_and_the_options(
    image: Store, tmp_path: Path, request_: ContainerRun, code: int, stdout: str
) -> None:
    got = run(image, tmp_path, request_)
    assert got[:2] == (code, stdout), got[2]


def test_volumes_and_rm(image: Store, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in.txt").write_text("from the host\n")
    ro = tmp_path / "ro"
    ro.mkdir()
    request = ContainerRun(
        image="runme:1",
        user="0",
        entrypoint=("/bin/sh", "-c"),
        command=(
            "cat /mnt/in.txt && echo out > /mnt/out.txt && (echo x > /ro/x) 2>/dev/null; touch /changed",
        ),
        volumes=(Volume(source=shared, target="/mnt"), Volume(source=ro, target="/ro", readonly=True)),
        remove=True,
    )
    assert run(image, tmp_path, request)[:2] == (0, "from the host\n")
    assert (shared / "out.txt").read_text() == "out\n"
    assert not (ro / "x").exists()
    assert list((image.root / "containers").iterdir()) == []
    # Without --rm the container's changes are kept under <root>/containers/.
    kept = ContainerRun(image="runme:1", user="0", entrypoint=("/bin/touch",), command=("/kept",))
    assert run(image, tmp_path, kept)[0] == 0
    (left,) = (image.root / "containers").iterdir()
    assert (left / "upper" / "kept").is_file()


def test_unknown_command_and_cli(image: Store, tmp_path: Path) -> None:
    code, _, err = run(image, tmp_path, ContainerRun(image="runme:1", entrypoint=("/no/such",)))
    assert code == 127 and "/no/such" in err
    from pybuildkit.cli import run as run_cli

    parser = argparse.ArgumentParser(prog="pybuildkit")
    run_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["run", "--rm", "--root", str(image.root), "-e", "CODE=5", "-u", "0", "-w", "/", "runme:1", "x", "-y"]
    )
    assert (args.image, args.command, args.env, args.user) == ("runme:1", ["x", "-y"], ["CODE=5"], "0")
    assert args.func(args) == 5


def test_the_example_builds_and_runs(workspace: Workspace, tmp_path: Path) -> None:
    from tests.support import REPO

    store = Store(workspace.root)
    store.tag("busybox:debian", store.resolve("busybox:latest"))
    build(REPO / "examples" / "hello", root=workspace.root, tags=["hello"])
    code, out, err = run(store, tmp_path, ContainerRun(image="hello", remove=True))
    assert (code, out.splitlines()) == (
        0,
        ["hello, world!", "built with a cache mount used 1 time(s)", "running as app in /home/app"],
    ), err
