"""`build -o type=tar,dest=-` owns stdout: the stream is a tar and nothing else."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path


def test_tar_to_stdout_is_only_the_tar(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\nCOPY a /a\n")
    (context / "a").write_text("hi\n")
    env = dict(os.environ, PYBUILDKIT_ROOT=str(tmp_path / "root"))
    done = subprocess.run(
        [sys.executable, "-m", "pybuildkit", "build", "-q", "-o", "type=tar,dest=-", str(context)],
        capture_output=True,
        env=env,
        check=True,
    )
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        assert archive.getnames() == ["a"]
    # tarfile stops reading at the end-of-archive blocks, so check that nothing follows them.
    assert len(done.stdout) % 512 == 0
    assert done.stdout.endswith(b"\0" * 1024)
    assert b"sha256:" not in done.stdout
    assert done.stderr.decode().strip().startswith("sha256:")
