"""hadolint's apt rules: DL3008 (pin versions), DL3009 (delete the lists), DL3014 (`-y`),
DL3015 (`--no-install-recommends`), DL3027 (`apt` is for people)."""

from __future__ import annotations

from collections.abc import Iterator

from pybuildkit.linter.analysis import Analysis
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._cmd import Cmd, cmds, has_cache_mount, runs, runs_with
from pybuildkit.linter.rules._util import hit
from pybuildkit.linter.rules.dl_from import image_stage_runs


def _apt_get_packages(commands: list[Cmd]) -> list[str]:
    return [
        arg
        for c in commands
        if c.has_args("apt-get", ["install"])
        for arg in c.args_no_flags(("t", "target-release"))
        if arg != "install"
    ]


@rule(
    id="DL3008",
    severity=Severity.WARNING,
    summary="Pin versions in apt get install",
    bad="FROM debian:12.7\nRUN apt-get install -y --no-install-recommends curl\n",
    good="FROM debian:12.7\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u7\n",
)
def dl3008(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis):
        packages = _apt_get_packages(cmds(analysis, run))
        if not all("=" in p or "/" in p or p.endswith(".deb") for p in packages):
            yield hit(
                reported,
                "Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`",
            )


def _forgot_cleanup(commands: list[Cmd]) -> bool:
    update = any(c.has_args(("apt", "apt-get", "aptitude"), ["update"]) for c in commands)
    cleanup = any(c.has_args("rm", ["-rf", "/var/lib/apt/lists/*"]) for c in commands)
    return update and not cleanup


@rule(
    id="DL3009",
    severity=Severity.INFO,
    summary="Delete the apt lists (/var/lib/apt/lists) after installing something",
    bad="FROM debian:12.7\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10\n",
    good=(
        "FROM debian:12.7\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
    ),
)
def dl3009(analysis: Analysis) -> Iterator[Hit]:
    # hadolint reports a RUN only when its stage is the last one, or is used as a base by some FROM.
    for reported, run in image_stage_runs(analysis):
        if not _forgot_cleanup(cmds(analysis, run)):
            continue
        if has_cache_mount(run, "/var/lib/apt/lists") or (
            has_cache_mount(run, "/var/lib/apt") and has_cache_mount(run, "/var/cache/apt")
        ):
            continue
        yield hit(reported, "Delete the apt lists (/var/lib/apt/lists) after installing something")


@rule(
    id="DL3014",
    severity=Severity.WARNING,
    summary="Use the `-y` switch to avoid manual input `apt-get -y install <package>`",
    bad="FROM debian:12.7\nRUN apt-get install --no-install-recommends curl=7.88.1-10\n",
    good="FROM debian:12.7\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10\n",
)
def dl3014(analysis: Analysis) -> Iterator[Hit]:
    def asks(c: Cmd) -> bool:
        yes = (
            c.has_any_flag(("y", "yes", "qq", "assume-yes"))
            or c.count_flag("q") == 2
            or c.count_flag("quiet") == 2
            or "-q=2" in c.args
        )
        return c.has_args("apt-get", ["install"]) and not yes

    for reported in runs_with(analysis, asks):
        yield hit(reported, "Use the `-y` switch to avoid manual input `apt-get -y install <package>`")


@rule(
    id="DL3015",
    severity=Severity.INFO,
    summary="Avoid additional packages by specifying `--no-install-recommends`",
    bad="FROM debian:12.7\nRUN apt-get install -y curl=7.88.1-10\n",
    good="FROM debian:12.7\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10\n",
)
def dl3015(analysis: Analysis) -> Iterator[Hit]:
    def recommends(c: Cmd) -> bool:
        return c.has_args("apt-get", ["install"]) and not (
            c.has_flag("no-install-recommends") or c.has_arg("APT::Install-Recommends=false")
        )

    for reported in runs_with(analysis, recommends):
        yield hit(reported, "Avoid additional packages by specifying `--no-install-recommends`")


@rule(
    id="DL3027",
    severity=Severity.WARNING,
    summary="Do not use apt as it is meant to be an end-user tool, use apt-get or apt-cache instead",
    bad="FROM debian:12.7\nRUN apt install -y curl\n",
    good="FROM debian:12.7\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10\n",
)
def dl3027(analysis: Analysis) -> Iterator[Hit]:
    for reported in runs_with(analysis, lambda c: c.name == "apt"):
        yield hit(
            reported, "Do not use apt as it is meant to be an end-user tool, use apt-get or apt-cache instead"
        )
