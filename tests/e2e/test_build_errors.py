"""Real builds that must fail cleanly, and what BuildKit shows or does that a build must match: a bad FROM
reference refused at its line before any step, BuildKit's FROM progress label, the primary gid among a RUN
user's groups. Each failure asserts the exit status and the whole message, and that the store is unchanged."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import Workspace

CLI = Callable[[list[str]], tuple[int, str, str]]


def _store_files(root: Path) -> list[tuple[str, int]]:
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size)
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(".lock")
    )


BAD_FROM = [
    pytest.param(
        "FROM busybox\nCOPY a /a\nFROM Bad:Image\nCOPY a /a\n",
        'context/Dockerfile:3:1: failed to parse stage name "Bad:Image": invalid reference format: '
        "repository name must be lowercase\n"
        " 2 |     COPY a /a\n"
        " 3 | >>> FROM Bad:Image\n"
        " 4 |     COPY a /a\n"
        "hint: use 'bad:Image'\n",
        id="uppercase",
    ),
    pytest.param(
        "ARG BASE=busy--box:\nFROM $BASE\nCOPY a /a\n",
        'context/Dockerfile:2:1: failed to parse stage name "busy--box:": invalid reference format\n'
        " 1 |     ARG BASE=busy--box:\n"
        " 2 | >>> FROM $BASE\n"
        " 3 |     COPY a /a\n"
        "hint: a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'\n",
        id="from-an-arg",
    ),
]


@pytest.mark.parametrize(("dockerfile", "err"), BAD_FROM)
def test_bad_from_reference_is_refused_before_any_step(
    workspace: Workspace, cli: CLI, dockerfile: str, err: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.write({"Dockerfile": dockerfile, "a": "a\n"})
    monkeypatch.chdir(workspace.tmp)  # the Dockerfile is named relative to the current directory
    before = _store_files(workspace.root)
    code, out, got = cli(["build", "--root", str(workspace.root), "--progress", "plain", "context"])
    assert (code, out) == (1, "")
    # The whole of standard error: no step ran, so no progress line either.
    assert got == err, got
    assert "Traceback" not in got
    assert _store_files(workspace.root) == before


def test_from_label_is_buildkits(workspace: Workspace, cli: CLI) -> None:
    context = workspace.write(
        {
            "Dockerfile": "ARG BASE=busybox\nFROM ${BASE} AS build\nCOPY a /a\nENV X=1\nFROM build\nCOPY a /b\n",
            "a": "a\n",
        }
    )
    code, _, err = cli(["build", "--root", str(workspace.root), "--progress", "plain", str(context)])
    assert code == 0, err
    # BuildKit names the vertex "FROM " + the resolved reference: expanded, normalised, without `AS build`.
    assert err.splitlines()[0] == "#1 [build 1/3] FROM docker.io/library/busybox:latest", err
    assert "${BASE}" not in err and "AS build" not in err


def _sandbox_usable() -> bool:
    try:
        from pybuildkit.execute.sandbox import doctor  # noqa: F401
    except ImportError:
        return False
    return os.geteuid() == 0


@pytest.mark.skipif(not _sandbox_usable(), reason="RUN needs the sandbox (run as root here)")
@pytest.mark.parametrize(
    ("user", "groups"),
    [
        pytest.param("1000:1000", "1000", id="uid-gid"),
        pytest.param("app", "1000 10", id="name-with-a-supplementary-group"),
        pytest.param("app:wheel", "10", id="name-and-group"),
    ],
)
def test_run_user_gets_its_primary_gid_as_a_supplementary_group(
    workspace: Workspace, cli: CLI, user: str, groups: str
) -> None:
    # BuildKit's executor (executor/oci/user.go ensureAdditionalGids) puts the primary gid first among the
    # additional gids; the kernel's list (/proc/self/status Groups) shows it.
    dockerfile = (
        "FROM busybox\n"
        "RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'wheel:x:10:app' >> /etc/group\n"
        f"USER {user}\n"
        "RUN grep '^Groups:' /proc/self/status | cut -f2 > /tmp/groups\n"
    )
    context = workspace.write({"Dockerfile": dockerfile})
    layout = workspace.tmp / "layout"
    code, _, err = cli(
        [
            "build",
            "--root",
            str(workspace.root),
            "--progress",
            "quiet",
            "-o",
            f"type=local,dest={layout}",
            str(context),
        ]
    )
    assert code == 0, err
    # The kernel keeps the list sorted.
    assert (layout / "tmp" / "groups").read_text().split() == sorted(groups.split(), key=int)
