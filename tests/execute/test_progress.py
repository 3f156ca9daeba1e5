"""Progress rendering: BuildKit-like plain lines, rawjson, quiet."""

from __future__ import annotations

import io
import json

import pytest

from pybuildkit.execute.progress import ProgressEvent, Renderer, Status

EVENTS = [
    ProgressEvent(vertex=5, name="[stage-1 2/4] COPY src/ /app", status=Status.START),
    ProgressEvent(
        vertex=5, name="[stage-1 2/4] COPY src/ /app", status=Status.LOG, message="file src/a changed"
    ),
    ProgressEvent(vertex=5, name="[stage-1 2/4] COPY src/ /app", status=Status.DONE, duration=0.25),
    ProgressEvent(vertex=6, name="[stage-1 3/4] WORKDIR /app", status=Status.START),
    ProgressEvent(vertex=6, name="[stage-1 3/4] WORKDIR /app", status=Status.CACHED, duration=0.0),
    ProgressEvent(vertex=7, name="[stage-1 4/4] COPY x /x", status=Status.ERROR, message="x: not found"),
]


def render(mode: str) -> str:
    out = io.StringIO()
    renderer = Renderer(mode, out)
    for event in EVENTS:
        renderer(event)
    renderer.close()
    return out.getvalue()


def test_plain_lines_like_buildkit() -> None:
    assert render("plain").splitlines() == [
        "#5 [stage-1 2/4] COPY src/ /app",
        "#5 file src/a changed",
        "#5 DONE 0.2s",
        "#6 [stage-1 3/4] WORKDIR /app",
        "#6 CACHED",
        "#7 ERROR: x: not found",
    ]


def test_rawjson_one_object_per_event() -> None:
    lines = [json.loads(line) for line in render("rawjson").splitlines()]
    assert lines[2] == {
        "vertex": 5,
        "name": "[stage-1 2/4] COPY src/ /app",
        "status": "done",
        "duration": 0.25,
    }
    assert len(lines) == len(EVENTS)


def test_quiet_and_tty() -> None:
    assert render("quiet") == ""
    text = render("tty")
    assert "[stage-1 3/4] WORKDIR /app CACHED" in text and "\x1b[2K" in text


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="unknown progress mode"):
        Renderer("fancy", io.StringIO())
