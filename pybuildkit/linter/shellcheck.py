"""RUN bodies checked with ShellCheck, as hadolint does: each shell-form RUN (heredoc bodies too) becomes a
script headed by the stage's shell (`#!/bin/sh`, or the SHELL set), with every ARG/ENV name declared as
`export NAME=1` so ShellCheck does not call them unassigned; SC1090, SC1091 and SC2187 are excluded.

All scripts of a run go to one `shellcheck` process (it checks each file on its own), which keeps
linting many Dockerfiles fast.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pybuildkit.linter.model import Severity
from pybuildkit.source import Position, Span
from pybuildkit.syntax.nodes import InstructionNode

EXCLUDED = "SC1090,SC1091,SC2187"
NON_POSIX = ("pwsh", "powershell", "cmd")
_LEVELS = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "style": Severity.STYLE,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One script to check, and how to map its lines back to the Dockerfile."""

    node: InstructionNode
    script: str
    header_lines: int  # lines added before the body (shebang, exports)
    body_line: int  # Dockerfile line of the body's first line


@dataclass(frozen=True, slots=True, kw_only=True)
class ShellFinding:
    node: InstructionNode
    code: str
    severity: Severity
    message: str
    span: Span


def available() -> bool:
    return shutil.which("shellcheck") is not None


def make_job(
    node: InstructionNode,
    shell: Sequence[str],
    names: Sequence[str],
    *,
    report_on: InstructionNode | None = None,
) -> Job | None:
    """The script for a shell-form RUN, or None (exec form, non-POSIX shell). Findings are reported on
    `report_on` (the ONBUILD holding a RUN trigger), by default on the RUN itself."""
    if node.json or not node.args:
        return None
    program = shell[0] if shell else "/bin/sh"
    if any(p in program.lower() for p in NON_POSIX):
        return None
    exports = "".join(f"export {name}=1\n" for name in sorted(set(names)))
    body = node.args[0]
    if node.heredocs:
        words = body.split()
        if all(w.lstrip("0123456789").startswith("<<") for w in words) or (
            words and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash", "dash") and len(node.heredocs) == 1
        ):
            body = node.heredocs[0].content  # the heredoc is the script (`RUN <<EOF`, `RUN <<EOF bash`)
        else:
            body += "\n" + "".join(h.content + h.name + "\n" for h in node.heredocs)
    if body.startswith("#!"):
        return None
    header = f"#!{program}\n{exports}"
    return Job(
        node=node,
        script=header + body + "\n",
        header_lines=header.count("\n"),
        body_line=node.span.start.line,
    )


def run(jobs: Sequence[Job]) -> list[ShellFinding]:
    """Check every job with shellcheck; findings come back on the RUN's lines.

    Identical scripts are checked once (the same RUN body under the same shell and names gives the same
    findings), and the unique ones are split over a few shellcheck processes running side by side."""
    if not jobs:
        return []
    program = shutil.which("shellcheck")
    if program is None:
        return []
    unique: dict[str, list[Job]] = {}
    for job in jobs:
        unique.setdefault(job.script, []).append(job)
    scripts = list(unique)
    comments: dict[str, list[dict[str, object]]] = {script: [] for script in scripts}
    with tempfile.TemporaryDirectory(prefix="pybuildkit-sc-") as folder:
        paths: list[str] = []
        for number, script in enumerate(scripts):
            path = os.path.join(folder, f"{number}.sh")
            Path(path).write_text(script, encoding="utf-8")
            paths.append(path)
        workers = max(1, min(os.cpu_count() or 1, 8, (len(paths) + 49) // 50))
        size = max(1, -(-len(paths) // workers))
        chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
        processes = [
            subprocess.Popen(
                [program, "-f", "json1", "-S", "style", "-e", EXCLUDED, *chunk],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for chunk in chunks
        ]
        for process in processes:
            out, _ = process.communicate()
            try:
                data = json.loads(out or "{}")
            except json.JSONDecodeError:
                continue
            for comment in data.get("comments", []):
                comments[scripts[int(Path(comment["file"]).stem)]].append(comment)
    found: list[ShellFinding] = []
    for script, same in unique.items():
        for job in same:
            found.extend(_finding(job, comment) for comment in comments[script])
    return found


def _finding(job: Job, comment: dict[str, object]) -> ShellFinding:
    # hadolint reports ShellCheck's findings on the RUN instruction (its first line): a RUN's text is its
    # logical line, continuations joined, so ShellCheck's own lines do not map back one to one.
    span = Span(start=Position(line=job.node.span.start.line, column=1), end=job.node.span.end)
    code = f"SC{comment.get('code')}"
    return ShellFinding(
        node=job.node,
        code=code,
        severity=_LEVELS.get(str(comment.get("level")), Severity.WARNING),
        message=str(comment.get("message", "")),
        span=span,
    )
