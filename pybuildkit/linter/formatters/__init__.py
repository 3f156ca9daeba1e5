"""Output formats for findings. Each module has `render(findings, *, files, sources) -> str`:
`files` are the linted files in order (formats that list passing files need them), `sources` their text
(for code frames)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Protocol

from pybuildkit.linter.model import Finding

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github", "checkstyle", "gitlab", "junit")


class Renderer(Protocol):
    def __call__(
        self, findings: Sequence[Finding], *, files: Sequence[str], sources: Mapping[str, str]
    ) -> str: ...


def renderer(name: str) -> Renderer:
    if name not in FORMATS:
        raise ValueError(f"unknown lint format {name!r}")
    module = importlib.import_module(f"pybuildkit.linter.formatters.{name}_format")
    render: Renderer = module.render
    return render


def render(
    name: str,
    findings: Sequence[Finding],
    *,
    files: Sequence[str] = (),
    sources: Mapping[str, str] | None = None,
) -> str:
    return renderer(name)(findings, files=files, sources=sources or {})
