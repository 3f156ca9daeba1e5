"""Runs one sandbox job described by JSON and prints the outcome as JSON.

Stdlib only, so an unprivileged test user can run it with the system python3 against a world-readable
copy of the package: `python3 driver.py < job.json`. The root-mode tests call `execute_job` directly, so
both modes go through the same code.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any


def execute_job(job: dict[str, Any]) -> dict[str, Any]:
    from pybuildkit.errors import SandboxError
    from pybuildkit.execute.sandbox import (
        BindMount,
        FileMount,
        Mount,
        NetworkMode,
        RunSpec,
        SnapshotMode,
        TmpfsMount,
        remove_tree,
        run,
    )

    mounts: list[Mount] = []
    for m in job.get("mounts", ()):
        if m["type"] == "bind":
            mounts.append(BindMount(source=Path(m["source"]), target=m["target"], readonly=m["readonly"]))
        elif m["type"] == "tmpfs":
            mounts.append(TmpfsMount(target=m["target"], size=m.get("size")))
        else:
            mounts.append(
                FileMount(
                    target=m["target"],
                    content=base64.b64decode(m["content"]),
                    mode=m.get("mode", 0o400),
                    uid=m.get("uid", 0),
                    gid=m.get("gid", 0),
                )
            )
    stdout: list[bytes] = []
    stderr: list[bytes] = []
    spec = RunSpec(
        lowerdirs=tuple(Path(p) for p in job["lowerdirs"]),
        upperdir=Path(job["upperdir"]),
        scratch=Path(job["scratch"]),
        argv=tuple(job["argv"]),
        env=tuple((k, v) for k, v in job.get("env", ())),
        cwd=job.get("cwd", "/"),
        user=job.get("user", ""),
        network=NetworkMode(job.get("network", "host")),
        hostname=job.get("hostname", "buildkitsandbox"),
        extra_hosts=tuple((h, ip) for h, ip in job.get("extra_hosts", ())),
        mounts=tuple(mounts),
        stdout=stdout.append,
        stderr=stderr.append,
        timeout=job.get("timeout"),
        snapshot=SnapshotMode(job["snapshot"]) if job.get("snapshot") else None,
    )
    try:
        result = run(spec)
        if job.get("remove_after"):
            remove_tree(spec.upperdir)
            remove_tree(spec.scratch)
    except SandboxError as error:
        return {"error": error.message, "error_type": type(error).__name__}
    return {
        "exit_code": result.exit_code,
        "signal": result.signal,
        "exec_error": result.exec_error,
        "timed_out": result.timed_out,
        "stdout": b"".join(stdout).decode(errors="replace"),
        "stderr": b"".join(stderr).decode(errors="replace"),
        "uid_map": [[r.container, r.host, r.size] for r in result.idmap.uids.ranges],
        "gid_map": [[r.container, r.host, r.size] for r in result.idmap.gids.ranges],
        "method": result.idmap.method.value,
        "snapshot": result.snapshot.value,
        "opaque_xattr": result.opaque_xattr,
        "placeholders": list(result.placeholders),
        "warnings": list(result.warnings),
        "duration": result.duration,
    }


if __name__ == "__main__":
    print(json.dumps(execute_job(json.load(sys.stdin))))
