"""Build progress: events (data), and renderers for `--progress plain|tty|quiet|rawjson`.

The library only emits `ProgressEvent`s to a callback; these renderers turn them into text as BuildKit's
plain progress shows it:

    #5 [stage-1 2/4] COPY src/ /app
    #5 CACHED
    #6 [stage-1 3/4] WORKDIR /app
    #6 DONE 0.0s

`tty` shows the same lines, with the running steps on a status line that is redrawn in place; `rawjson`
writes one JSON object per event; `quiet` writes nothing.
"""

from __future__ import annotations

import enum
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO


class Status(enum.Enum):
    START = "start"
    CACHED = "cached"
    DONE = "done"
    ERROR = "error"
    LOG = "log"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgressEvent:
    """Something happened to vertex `vertex` (a FROM, a step, the export)."""

    vertex: int
    name: str
    status: Status
    duration: float | None = None
    message: str = ""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"vertex": self.vertex, "name": self.name, "status": self.status.value}
        if self.duration is not None:
            out["duration"] = round(self.duration, 6)
        if self.message:
            out["message"] = self.message
        return out


MODES = ("auto", "plain", "tty", "quiet", "rawjson")


def plain_line(event: ProgressEvent) -> str | None:
    match event.status:
        case Status.START:
            return f"#{event.vertex} {event.name}"
        case Status.CACHED:
            return f"#{event.vertex} CACHED"
        case Status.DONE:
            return f"#{event.vertex} DONE {event.duration or 0.0:.1f}s"
        case Status.ERROR:
            return f"#{event.vertex} ERROR: {event.message}"
        case Status.LOG:
            return f"#{event.vertex} {event.message}"


class Renderer:
    """A progress callback that writes to `out` in one of the modes."""

    def __init__(self, mode: str = "auto", out: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stderr
        if mode == "auto":
            mode = "tty" if self.out.isatty() else "plain"
        if mode not in MODES:
            raise ValueError(f"unknown progress mode {mode!r}")
        self.mode = mode
        self.started = time.monotonic()
        self.running: dict[int, str] = {}
        self._lock = threading.Lock()
        self._status_shown = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if self.mode == "tty":
            # Redraw the status line while a long step runs, so the elapsed time keeps moving.
            self._ticker = threading.Thread(target=self._tick, name="progress-tty", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                if self.running:
                    self._status()
                    self.out.flush()

    def _status(self) -> None:
        if self._status_shown:
            self.out.write("\r\x1b[2K")
        elapsed = time.monotonic() - self.started
        names = ", ".join(self.running.values())
        self.out.write(f"[+] Building {elapsed:.1f}s  {names}"[:200])
        self._status_shown = True

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            match self.mode:
                case "quiet":
                    return
                case "rawjson":
                    self.out.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
                case "plain":
                    line = plain_line(event)
                    if line is not None:
                        self.out.write(line + "\n")
                case "tty":
                    self._tty(event)
            self.out.flush()

    def _tty(self, event: ProgressEvent) -> None:
        if self._status_shown:
            self.out.write("\r\x1b[2K")
            self._status_shown = False
        if event.status is Status.START:
            self.running[event.vertex] = event.name
        elif event.status is not Status.LOG:
            self.running.pop(event.vertex, None)
        line = plain_line(event)
        if line is not None and event.status is not Status.START:
            prefix = f"#{event.vertex} {event.name} " if event.status is not Status.LOG else ""
            text = line.split(" ", 1)[1] if " " in line else line
            self.out.write(f"{prefix}{text}\n")
        if self.running:
            self._status()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            if self._status_shown:
                self.out.write("\r\x1b[2K")
                self._status_shown = False
            self.out.flush()


def collect(into: list[ProgressEvent]) -> Callable[[ProgressEvent], None]:
    """A callback that appends events to a list (tests)."""
    return into.append
