"""Images built with RUN steps run under a third-party runtime: `umoci unpack` then Debian's `runc run`
(crun fails on these machines' cgroup set-up)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from pybuildkit.execute.session import build
from tests.e2e.conftest import Workspace

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="runc run needs root here (CI runs as root)"),
    pytest.mark.skipif(
        shutil.which("runc") is None or shutil.which("umoci") is None, reason="needs Debian's runc and umoci"
    ),
]

DOCKERFILE = """\
FROM busybox
RUN mkdir -p /opt/app/old && echo stale > /opt/app/old/f && echo gone > /opt/app/gone
RUN rm /opt/app/gone && rm -rf /opt/app/old && mkdir /opt/app/old && echo fresh > /opt/app/old/g \\
 && echo 'app:x:1000:1000::/opt/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group \\
 && chown -R 1000:1000 /opt/app && ln -s old/g /opt/app/link
COPY <<'EOF' /opt/app/show
ls /opt/app | xargs echo
cat /opt/app/link
id -u; pwd; echo "$MESSAGE"
EOF
ENV MESSAGE="made by pybuildkit"
USER app
WORKDIR /opt/app
CMD ["/bin/sh", "/opt/app/show"]
"""


def test_built_image_runs_under_runc(workspace: Workspace, tmp_path: Path) -> None:
    context = workspace.write({"Dockerfile": DOCKERFILE})
    layout = tmp_path / "layout"
    build(context, root=workspace.root, tags=["rt:1"], outputs=[f"type=oci-layout,dest={layout}"])
    bundle = tmp_path / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--image", f"{layout}:1", str(bundle)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    rootfs = bundle / "rootfs"
    assert not (rootfs / "opt/app/gone").exists() and not (rootfs / "opt/app/old/f").exists()
    assert (rootfs / "opt/app/old/g").stat().st_uid == 1000
    config_path = bundle / "config.json"
    config = json.loads(config_path.read_text())
    config["process"]["terminal"] = False  # no terminal here: runc would want a console socket
    config_path.write_text(json.dumps(config))
    name = f"pybuildkit-test-{secrets.token_hex(4)}"
    try:
        done = subprocess.run(
            ["runc", "run", "-b", str(bundle), name], capture_output=True, text=True, timeout=60
        )
    finally:
        subprocess.run(["runc", "delete", "-f", name], capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["link old show", "fresh", "1000", "/opt/app", "made by pybuildkit"]
