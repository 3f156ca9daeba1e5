"""hadolint's rules for the other package managers: npm (DL3016), gem (DL3028), yum (DL3030, DL3032,
DL3033), zypper (DL3034-DL3037), dnf (DL3038, DL3040, DL3041), yarn (DL3060), go (DL3062)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pybuildkit.linter.analysis import Analysis, arg_pairs, env_pairs
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._cmd import Cmd, cmds, has_cache_mount, run_of, runs, runs_with
from pybuildkit.linter.rules._util import hit
from pybuildkit.linter.rules.dl_from import image_stage_runs
from pybuildkit.syntax.nodes import Keyword

DNF = ("dnf", "microdnf")


def _first_index(commands: list[Cmd], test: Callable[[Cmd], bool]) -> int | None:
    return next((i for i, c in enumerate(commands) if test(c)), None)


def _installs_without_yes(managers: tuple[str, ...]) -> Callable[[Cmd], bool]:
    """yum's and dnf's install verbs run without `-y` (DL3030, DL3038)."""
    return lambda c: (
        c.has_args(managers, ["install", "groupinstall", "localinstall"])
        and not c.has_any_flag(("y", "assumeyes"))
    )


def _cleaned_after(commands: list[Cmd], install: Callable[[Cmd], bool], clean: Callable[[Cmd], bool]) -> bool:
    """No install, or the first clean comes after the first install (hadolint's index comparison)."""
    first_install = _first_index(commands, install)
    if first_install is None:
        return True
    first_clean = _first_index(commands, clean)
    return first_clean is not None and first_install < first_clean


# --- npm -----------------------------------------------------------------------------------------


def _npm_version_fixed(package: str) -> bool:
    if package.startswith(("git://", "git+ssh://", "git+http://", "git+https://")):
        return "#" in package
    if package.endswith((".tar", ".tar.gz", ".tgz")) or package.startswith(("/", "./", "../", "~/")):
        return True
    name = package
    if name.startswith("@"):
        name = name.lstrip("@")
        name = name.split("/", 1)[1] if "/" in name else name
    return "@" in name


@rule(
    id="DL3016",
    severity=Severity.WARNING,
    summary="Pin versions in npm",
    bad="FROM node:22\nRUN npm install -g typescript\n",
    good="FROM node:22\nRUN npm install -g typescript@5.6.3\n",
)
def dl3016(analysis: Analysis) -> Iterator[Hit]:
    def unpinned(c: Cmd) -> bool:
        if not c.has_args("npm", ["install"]):
            return False
        args = c.args_no_flags(("loglevel", "registry"))
        if not args or args[0] != "install":
            return False
        packages = args[args.index("install") :]
        while packages and packages[0] == "install":
            packages.pop(0)
        return not all(_npm_version_fixed(p) for p in packages)

    for reported in runs_with(analysis, unpinned):
        yield hit(
            reported,
            "Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`",
        )


# --- gem -----------------------------------------------------------------------------------------


def _gems(c: Cmd) -> list[str]:
    if not c.has_args("gem", ["install", "i"]) or "-v" in c.args or "--version" in c.args:
        return []
    if any(a.startswith("--version=") for a in c.args):
        return []
    args = list(c.args)
    if "--" in args:
        args = args[: args.index("--")]
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = True  # an option and its value
            continue
        if arg not in ("install", "i"):
            out.append(arg)
    return out


@rule(
    id="DL3028",
    severity=Severity.WARNING,
    summary="Pin versions in gem install",
    bad="FROM ruby:3.3\nRUN gem install bundler\n",
    good="FROM ruby:3.3\nRUN gem install bundler:2.5.22\n",
)
def dl3028(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis):
        if not all(":" in g for c in cmds(analysis, run) for g in _gems(c)):
            yield hit(
                reported,
                "Pin versions in gem install. Instead of `gem install <gem>` use `gem install <gem>:<version>`",
            )


# --- yum / dnf -------------------------------------------------------------------------------------


@rule(
    id="DL3030",
    severity=Severity.WARNING,
    summary="Use the -y switch to avoid manual input `yum install -y <package>`",
    bad="FROM centos:7\nRUN yum install httpd-2.4.6 && yum clean all\n",
    good="FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
)
def dl3030(analysis: Analysis) -> Iterator[Hit]:
    for reported in runs_with(analysis, _installs_without_yes(("yum",))):
        yield hit(reported, "Use the -y switch to avoid manual input `yum install -y <package>`")


@rule(
    id="DL3032",
    severity=Severity.WARNING,
    summary="`yum clean all` missing after yum command",
    bad="FROM centos:7\nRUN yum install -y httpd-2.4.6\n",
    good="FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
)
def dl3032(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis):

        def clean(c: Cmd) -> bool:
            return c.has_args("yum", ["clean", "all"]) or c.has_args("rm", ["-rf", "/var/cache/yum/*"])

        if not _cleaned_after(cmds(analysis, run), lambda c: c.has_args("yum", ["install"]), clean):
            yield hit(reported, "`yum clean all` missing after yum command.")


def _version_like(parts: list[str]) -> bool:
    allowed = set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.~^_:+")
    return bool(parts) and all(set(p) <= allowed for p in parts) and any(p[:1].isdigit() for p in parts)


def _rpm_version_fixed(package: str, names: set[str]) -> bool:
    parts = package.split("-")
    if len(parts) <= 1:
        return False
    if package.endswith(".rpm"):
        return True
    if "$" in package:
        return any("${" + name + "}" in package for name in names)
    return _version_like(parts[1:])


def _rpm_rule(
    analysis: Analysis, managers: tuple[str, ...], excluded: tuple[str, ...], message: str
) -> Iterator[Hit]:
    arg_names: set[str] = set()
    for node in analysis.meta:
        if node.kind is Keyword.ARG:
            arg_names.update(n for n, _ in arg_pairs(node))
    for stage in analysis.stages:
        env_names: set[str] = set()
        for node in stage.instructions:
            if node.kind is Keyword.ENV:
                env_names.update(k for k, _, _ in env_pairs(node))
                continue
            if node.kind is Keyword.ARG:
                arg_names.update(n for n, _ in arg_pairs(node))
                continue
            run = run_of(node)
            if run is None:
                continue
            names = env_names | arg_names
            ok = True
            for c in cmds(analysis, run):
                if not c.has_args(managers, ["install"]):
                    continue
                packages = [a for a in c.args_no_flags() if a not in ("install", "module")]
                if c.has_args(managers, ["module"]):
                    ok = ok and all(":" in p for p in packages)
                elif not c.has_args(managers, excluded):
                    ok = ok and all(_rpm_version_fixed(p, names) for p in packages)
            if not ok:
                yield hit(node, message)


@rule(
    id="DL3033",
    severity=Severity.WARNING,
    summary="Specify version with `yum install -y <package>-<version>`",
    bad="FROM centos:7\nRUN yum install -y httpd && yum clean all\n",
    good="FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
)
def dl3033(analysis: Analysis) -> Iterator[Hit]:
    yield from _rpm_rule(
        analysis, ("yum",), ("module",), "Specify version with `yum install -y <package>-<version>`."
    )


@rule(
    id="DL3038",
    severity=Severity.WARNING,
    summary="Use the -y switch to avoid manual input `dnf install -y <package>`",
    bad="FROM fedora:41\nRUN dnf install httpd-2.4.62 && dnf clean all\n",
    good="FROM fedora:41\nRUN dnf install -y httpd-2.4.62 && dnf clean all\n",
)
def dl3038(analysis: Analysis) -> Iterator[Hit]:
    for reported in runs_with(analysis, _installs_without_yes(DNF)):
        yield hit(reported, "Use the -y switch to avoid manual input `dnf install -y <package>`")


DNF_INSTALL = ("install", "in", "upgrade", "up", "upgrade-minimal", "up-min", "reinstall", "rei")


@rule(
    id="DL3040",
    severity=Severity.WARNING,
    summary="`dnf clean all` missing after dnf command",
    bad="FROM fedora:41\nRUN dnf install -y httpd-2.4.62\n",
    good="FROM fedora:41\nRUN dnf install -y httpd-2.4.62 && dnf clean all\n",
)
def dl3040(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis):
        commands = cmds(analysis, run)
        ok = True
        for manager in DNF:

            def install(c: Cmd, m: str = manager) -> bool:
                return c.has_args(m, DNF_INSTALL)

            def clean(c: Cmd, m: str = manager) -> bool:
                return c.has_args(m, ["clean", "all"]) or c.has_args("rm", ["-rf", "/var/cache/libdnf5*"])

            ok = ok and _cleaned_after(commands, install, clean)
        if ok or has_cache_mount(run, "/var/cache/libdnf5") or has_cache_mount(run, ".cache/libdnf5"):
            continue
        yield hit(reported, "`dnf clean all` missing after dnf command.")


@rule(
    id="DL3041",
    severity=Severity.WARNING,
    summary="Specify version with `dnf install -y <package>-<version>`",
    bad="FROM fedora:41\nRUN dnf install -y httpd && dnf clean all\n",
    good="FROM fedora:41\nRUN dnf install -y httpd-2.4.62 && dnf clean all\n",
)
def dl3041(analysis: Analysis) -> Iterator[Hit]:
    yield from _rpm_rule(
        analysis, DNF, ("module", "group"), "Specify version with `dnf install -y <package>-<version>`."
    )


# --- zypper -------------------------------------------------------------------------------------------


@rule(
    id="DL3034",
    severity=Severity.WARNING,
    summary="Non-interactive switch missing from `zypper` command: `zypper install -y`",
    bad="FROM opensuse/leap:15.6\nRUN zypper install httpd=2.4.58 && zypper clean\n",
    good="FROM opensuse/leap:15.6\nRUN zypper install -y httpd=2.4.58 && zypper clean\n",
)
def dl3034(analysis: Analysis) -> Iterator[Hit]:
    verbs = ["install", "in", "remove", "rm", "source-install", "si", "patch"]
    switches = ("non-interactive", "n", "no-confirm", "y")
    for reported in runs_with(
        analysis, lambda c: c.has_args("zypper", verbs) and not c.has_any_flag(switches)
    ):
        yield hit(reported, "Non-interactive switch missing from `zypper` command: `zypper install -y`")


@rule(
    id="DL3035",
    severity=Severity.WARNING,
    summary="Do not use `zypper dist-upgrade`",
    bad="FROM opensuse/leap:15.6\nRUN zypper dist-upgrade -y\n",
    good="FROM opensuse/leap:15.6\nRUN zypper patch -y\n",
)
def dl3035(analysis: Analysis) -> Iterator[Hit]:
    for reported in runs_with(analysis, lambda c: c.has_args("zypper", ["dist-upgrade", "dup"])):
        yield hit(reported, "Do not use `zypper dist-upgrade`.")


@rule(
    id="DL3036",
    severity=Severity.WARNING,
    summary="`zypper clean` missing after zypper use",
    bad="FROM opensuse/leap:15.6\nRUN zypper install -y httpd=2.4.58\n",
    good="FROM opensuse/leap:15.6\nRUN zypper install -y httpd=2.4.58 && zypper clean\n",
)
def dl3036(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis):
        if has_cache_mount(run, "/var/cache/zypp"):
            continue
        if not _cleaned_after(
            cmds(analysis, run),
            lambda c: c.has_args("zypper", ["install", "in"]),
            lambda c: c.has_args("zypper", ["clean", "cc"]),
        ):
            yield hit(reported, "`zypper clean` missing after zypper use.")


@rule(
    id="DL3037",
    severity=Severity.WARNING,
    summary="Specify version with `zypper install -y <package>=<version>`",
    bad="FROM opensuse/leap:15.6\nRUN zypper install -y httpd && zypper clean\n",
    good="FROM opensuse/leap:15.6\nRUN zypper install -y httpd=2.4.58 && zypper clean\n",
)
def dl3037(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis):
        packages = [
            a
            for c in cmds(analysis, run)
            if c.has_args("zypper", ["install", "in"])
            for a in c.args_no_flags()
            if a not in ("install", "in")
        ]
        if not all(any(s in p for s in ("=", ">", "<")) or p.endswith(".rpm") for p in packages):
            yield hit(reported, "Specify version with `zypper install -y <package>=<version>`.")


# --- yarn ----------------------------------------------------------------------------------------------


@rule(
    id="DL3060",
    severity=Severity.INFO,
    summary="`yarn cache clean` missing after `yarn install` was run",
    bad="FROM node:22\nRUN yarn install\n",
    good="FROM node:22\nRUN yarn install && yarn cache clean\n",
)
def dl3060(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in image_stage_runs(analysis):
        commands = cmds(analysis, run)
        install = _first_index(commands, lambda c: c.has_args("yarn", ["install"]))
        clean = _first_index(commands, lambda c: c.has_args("yarn", ["cache", "clean"]))
        if install is None:
            continue
        forgot = clean is None and not has_cache_mount(run, ".cache/yarn")
        cleaned_before = clean is not None and clean < install
        if forgot or cleaned_before:
            yield hit(reported, "`yarn cache clean` missing after `yarn install` was run.")


# --- go ----------------------------------------------------------------------------------------------


def _go_packages(commands: list[Cmd]) -> list[str]:
    run_packages = [
        arg
        for c in commands
        if c.has_args("go", ["run"])
        for index, arg in enumerate(c.args_no_flags())
        if arg != "run" and index <= 1
    ]
    if run_packages:
        return run_packages
    return [
        arg
        for c in commands
        if c.has_args("go", ["install", "get"])
        for arg in c.args_no_flags()
        if arg not in ("install", "get", "tool")
    ]


def _go_version_fixed(package: str) -> bool:
    local = package == "." or package.startswith(("/", "."))
    return local or ("@" in package and not package.endswith(("@latest", "@none")))


@rule(
    id="DL3062",
    severity=Severity.WARNING,
    summary="Pin versions in go",
    bad="FROM golang:1.23\nRUN go install golang.org/x/tools/gopls@latest\n",
    good="FROM golang:1.23\nRUN go install golang.org/x/tools/gopls@v0.16.2\n",
)
def dl3062(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis):
        if not all(_go_version_fixed(p) for p in _go_packages(cmds(analysis, run))):
            yield hit(
                reported,
                "Pin versions in go. Instead of `go install <package>` use `go install <package>@<version>`",
            )
