"""hadolint's apk rules: DL3018 (pin versions), DL3019 (`--no-cache`)."""

from __future__ import annotations

from collections.abc import Iterator

from pybuildkit.linter.analysis import Analysis
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._cmd import cmds, has_cache_mount, runs
from pybuildkit.linter.rules._util import hit


@rule(
    id="DL3018",
    severity=Severity.WARNING,
    summary="Pin versions in apk add",
    bad="FROM alpine:3.20\nRUN apk add --no-cache curl\n",
    good="FROM alpine:3.20\nRUN apk add --no-cache curl=8.11.0-r2\n",
)
def dl3018(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis):
        packages = [
            arg
            for c in cmds(analysis, run)
            if c.has_args("apk", ["add"])
            for arg in c.args_no_flags(("t", "virtual", "repository", "X"))
            if arg != "add"
        ]
        if not all(any(s in p for s in "=~><") or p.endswith(".apk") for p in packages):
            yield hit(
                reported,
                "Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`",
            )


@rule(
    id="DL3019",
    severity=Severity.INFO,
    summary="Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*`",
    bad="FROM alpine:3.20\nRUN apk add curl=8.11.0-r2\n",
    good="FROM alpine:3.20\nRUN apk add --no-cache curl=8.11.0-r2\n",
)
def dl3019(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis):
        if has_cache_mount(run, "/var/cache/apk"):
            continue
        if any(c.has_args("apk", ["add"]) and not c.has_flag("no-cache") for c in cmds(analysis, run)):
            yield hit(
                reported,
                "Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages",
            )
