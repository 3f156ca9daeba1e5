"""hadolint's pip rules: DL3013 (pin versions), DL3042 (`--no-cache-dir`)."""

from __future__ import annotations

from collections.abc import Iterator

from pybuildkit.linter.analysis import Analysis, env_pairs
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._cmd import Cmd, cmds, has_cache_mount, runs_with
from pybuildkit.linter.rules._util import hit
from pybuildkit.linter.rules.dl_from import parse_image
from pybuildkit.syntax.nodes import Keyword

VCS = (
    "git+file", "git+https", "git+ssh", "git+http", "git+git", "git", "hg+file", "hg+http", "hg+https", "hg+ssh",
    "hg+static-http", "svn", "svn+svn", "svn+http", "svn+https", "svn+ssh", "bzr+http", "bzr+https", "bzr+ssh",
    "bzr+sftp", "bzr+ftp", "bzr+lp",
)  # fmt: skip
PIP_VALUE_FLAGS = (
    "abi", "b", "build", "e", "editable", "extra-index-url", "f", "find-links", "i", "index-url", "implementation",
    "no-binary", "only-binary", "platform", "prefix", "progress-bar", "proxy", "python", "python-version", "root",
    "root-user-action", "src", "t", "target", "trusted-host", "upgrade-strategy",
)  # fmt: skip
VERSION_SYMBOLS = ("==", ">=", "<=", ">", "<", "!=", "~=", "===")
TRUTHY = frozenset({"1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES"})


def is_pip_install(c: Cmd) -> bool:
    """hadolint `isPipInstall`: `pip* install` (not pipenv) or `python* -m pip install`."""
    args = list(c.args)
    std = c.name.startswith("pip") and not c.name.startswith("pipenv") and "install" in args
    python = c.name.startswith("python") and any(
        args[i : i + 3] == ["-m", "pip", "install"] for i in range(len(args))
    )
    return std or python


def _strip_install(args: list[str]) -> list[str]:
    index = args.index("install") if "install" in args else len(args)
    rest = args[index:]
    while rest and rest[0] == "install":
        rest.pop(0)
    return rest


def _version_fixed(package: str) -> bool:
    vcs = any(package.startswith(s) for s in VCS)
    return (
        any(s in package for s in VERSION_SYMBOLS)
        or (vcs and "@" in package)
        or package.endswith((".whl", ".tar.gz"))
        or (not vcs and "/" in package)
    )


@rule(
    id="DL3013",
    severity=Severity.WARNING,
    summary="Pin versions in pip",
    bad="FROM python:3.12\nRUN pip install --no-cache-dir requests\n",
    good="FROM python:3.12\nRUN pip install --no-cache-dir requests==2.32.3\n",
)
def dl3013(analysis: Analysis) -> Iterator[Hit]:
    def unpinned(c: Cmd) -> bool:
        if not is_pip_install(c) or c.has_flag("constraint") or c.has_flag("c"):
            return False
        if "--requirement" in c.args or "-r" in c.args or "." in c.args:
            return False
        return not all(_version_fixed(p) for p in _strip_install(c.args_no_flags(PIP_VALUE_FLAGS)))

    for reported in runs_with(analysis, unpinned):
        yield hit(
            reported,
            "Pin versions in pip. Instead of `pip install <package>` use `pip install <package>==<version>` "
            "or `pip install --requirement <requirements file>`",
        )


def _pip_wrapper(c: Cmd) -> bool:
    args = list(c.args)
    for wrapper in ("pipx", "pipenv"):
        if wrapper in c.name:
            return True
        if c.name.startswith("python") and any(args[i : i + 2] == ["-m", wrapper] for i in range(len(args))):
            return True
    return False


def _no_cache_in_text(text: str) -> bool:
    _, found, after = text.partition("PIP_NO_CACHE_DIR=")
    if not found:
        return False
    return any(after.startswith(t) for t in TRUTHY)


@rule(
    id="DL3042",
    severity=Severity.WARNING,
    summary="Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`",
    bad="FROM python:3.12\nRUN pip install requests==2.32.3\n",
    good="FROM python:3.12\nRUN pip install --no-cache-dir requests==2.32.3\n",
)
def dl3042(analysis: Analysis) -> Iterator[Hit]:
    # PIP_NO_CACHE_DIR set by ENV in a stage (or the stage it is built on, by image name) counts.
    no_cache: dict[str, bool] = {}
    for stage in analysis.stages:
        key = stage.name or parse_image(stage.base).name
        no_cache[key] = no_cache.get(parse_image(stage.base).name, False)
        for node in stage.instructions:
            if node.kind is Keyword.ENV:
                for name, value, _ in env_pairs(node):
                    if name == "PIP_NO_CACHE_DIR" and value in TRUTHY:
                        no_cache[key] = True
                continue
            run = node if node.kind is Keyword.RUN else node.trigger if node.kind is Keyword.ONBUILD else None
            if run is None or run.kind is not Keyword.RUN or no_cache.get(key):
                continue
            text = run.args[0] if run.args and not run.json else " ".join(run.args)
            if _no_cache_in_text(text) or has_cache_mount(run, ".cache/pip"):
                continue
            if any(
                is_pip_install(c) and "--no-cache-dir" not in c.args and not _pip_wrapper(c)
                for c in cmds(analysis, run)
            ):
                yield hit(
                    node, "Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`"
                )
