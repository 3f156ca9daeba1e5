"""Parity with a real builder: the same Dockerfiles built by Debian's buildah (`buildah bud --isolation chroot
--layers`, storage in temp dirs) and by pybuildkit, from the same busybox base; root filesystems (paths, types,
modes, owners, contents, link targets) and config fields compared. Known differences, each with its reason, are
in docs/compatibility.md ("RUN / parity with buildah") and in `IGNORED` below."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from pybuildkit.execute.session import build
from tests.e2e.conftest import Workspace
from tests.images import BusyboxImage

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0, reason="buildah and the sandbox run as root here (CI runs as root)"
    ),
    pytest.mark.skipif(
        shutil.which("buildah") is None or shutil.which("umoci") is None,
        reason="needs Debian's buildah and umoci",
    ),
]

# Paths buildah's chroot isolation leaves in the image that BuildKit (and pybuildkit) never write: the mount
# points of the files it provides during RUN. See docs/compatibility.md.
IGNORED = {"etc/hosts", "etc/resolv.conf", "etc/hostname", "run", "proc", "sys", "dev"}

CASES = {
    "files-and-owners": """\
FROM busybox
RUN mkdir -p /srv/a/b && echo one > /srv/a/one && chmod 0640 /srv/a/one && ln -s a/one /srv/link \\
 && chown -R 1000:1000 /srv/a/b && mkfifo /srv/fifo && ln /srv/a/one /srv/hard && touch /srv/empty
COPY files/ /srv/copied/
RUN chmod 4755 /srv/copied/tool.sh && echo more >> /srv/copied/data.txt
""",
    "deletions-and-opaque": """\
FROM busybox
RUN mkdir -p /d/x/y /d/keep && echo 1 > /d/x/y/f && echo 2 > /d/gone && echo 3 > /d/keep/k
RUN rm -rf /d/x && mkdir -p /d/x && echo new > /d/x/n && rm /d/gone && rm /bin/vi
""",
    "config-and-env": """\
FROM busybox AS base
ARG VERSION=1.2
ENV APP_HOME=/app PATH=/app/bin:$PATH
RUN mkdir -p $APP_HOME/bin && echo "v$VERSION" > $APP_HOME/version
FROM base
LABEL org.example.name=demo maintainer="someone"
EXPOSE 8080/tcp 53/udp
WORKDIR /app
USER 1000:1000
RUN echo "$APP_HOME $VERSION" > /tmp/seen
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/version"]
""",
    "user-and-workdir": """\
FROM busybox
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group
USER app
WORKDIR /home/app/work
RUN touch mine && mkdir sub && id > ids
USER root
COPY --chown=app files/data.txt ./
""",
}

# Differences that are BuildKit's behaviour, kept on purpose (docs/compatibility.md): a stage built FROM another
# stage inherits its ARGs in BuildKit (so /tmp/seen holds "/app 1.2"); buildah drops them ("/app ").
# (Both put the primary group among the supplementary groups, as BuildKit's executor does: `id` prints
# groups=1000(app) under USER app.) See docs/compatibility.md.
KNOWN = {"config-and-env": {"tmp/seen"}}

CONFIG_FIELDS = ("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Labels")


def _run(argv: list[str], **kwargs: object) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{' '.join(argv)}: {done.stderr}"
    return str(done.stdout)


def tree(rootfs: Path) -> dict[str, tuple[object, ...]]:
    """path -> (type, mode, uid, gid, content digest or link target)."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(rootfs):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(rootfs).as_posix()
            if rel in IGNORED or rel.split("/")[0] in IGNORED - {"etc"}:
                continue
            st = path.lstat()
            kind = stat.S_IFMT(st.st_mode)
            detail: object = ""
            if stat.S_ISREG(st.st_mode):
                detail = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            elif stat.S_ISLNK(st.st_mode):
                detail = os.readlink(path)
            out[rel] = (kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, detail)
    return out


def config_fields(layout: Path, tag: str) -> dict[str, object]:
    index = json.loads((layout / "index.json").read_text())
    wanted = next(
        m
        for m in index["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") in (tag, f"localhost/{tag}")
        or len(index["manifests"]) == 1
    )
    blob = layout / "blobs" / "sha256"
    manifest = json.loads((blob / wanted["digest"].split(":")[1]).read_text())
    config = json.loads((blob / manifest["config"]["digest"].split(":")[1]).read_text())["config"]
    fields = {name: config.get(name) or None for name in CONFIG_FIELDS}
    if fields["Labels"]:
        # buildah adds its own label; BuildKit does not.
        fields["Labels"] = {k: v for k, v in fields["Labels"].items() if k != "io.buildah.version"} or None
    return fields


@pytest.fixture(scope="module")
def buildah(tmp_path_factory: pytest.TempPathFactory, busybox_image: BusyboxImage) -> list[str]:
    base = tmp_path_factory.mktemp("buildah")
    command = [
        "buildah",
        "--root",
        str(base / "root"),
        "--runroot",
        str(base / "runroot"),
        "--storage-driver",
        "vfs",
    ]
    _run([*command, "pull", "-q", f"oci:{busybox_image.layout}:{busybox_image.tag}"])
    image_id = _run([*command, "images", "-q"]).split()[0]
    _run([*command, "tag", image_id, "busybox:latest"])
    return command


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_rootfs_and_config_as_buildah(name: str, buildah: list[str], workspace: Workspace) -> None:
    context = workspace.write(
        {
            "Dockerfile": CASES[name],
            "files/tool.sh": "#!/bin/sh\necho tool\n",
            "files/data.txt": "data\n",
            "files/sub/deep.txt": "deep\n",
        }
    )
    os.chmod(context / "files" / "tool.sh", 0o755)
    ours = workspace.tmp / "ours"
    build(context, root=workspace.root, tags=["parity:1"], outputs=[f"type=oci-layout,dest={ours}"])
    _run(
        [
            *buildah,
            "bud",
            "-q",
            "--isolation",
            "chroot",
            "--layers",
            "--pull-never",
            "-t",
            "parity:1",
            str(context),
        ],
        env={**os.environ, "BUILDAH_FORMAT": "oci"},
    )
    theirs = workspace.tmp / "theirs"
    _run([*buildah, "push", "-q", "parity:1", f"oci:{theirs}:1"])
    for layout, dest in ((ours, "ours-bundle"), (theirs, "theirs-bundle")):
        _run(["umoci", "unpack", "--image", f"{layout}:1", str(workspace.tmp / dest)])
    mine = tree(workspace.tmp / "ours-bundle" / "rootfs")
    other = tree(workspace.tmp / "theirs-bundle" / "rootfs")
    differences = {
        path: (mine.get(path), other.get(path))
        for path in sorted(set(mine) | set(other))
        if mine.get(path) != other.get(path) and path not in KNOWN.get(name, set())
    }
    assert differences == {}
    for path in KNOWN.get(name, set()):
        assert mine.get(path) != other.get(path), f"{path} is listed as a known difference but is the same"
    assert config_fields(ours, "1") == config_fields(theirs, "1")
