"""hadolint's rules on what RUN runs, read from the shell words (heredoc bodies included):
DL3001, DL3003, DL3004, DL3010, DL3046, DL3047, DL3059, DL4001, DL4005, DL4006."""

from __future__ import annotations

from collections.abc import Iterator

from pybuildkit.linter.analysis import Analysis, run_script
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._cmd import Cmd, cmds, runs, runs_with, to_cmd
from pybuildkit.linter.rules._util import copy_sources, flag, hit, unquote
from pybuildkit.linter.shellwords import split_script
from pybuildkit.syntax.nodes import InstructionNode, Keyword

ARCHIVES = (
    ".tar",
    ".Z",
    ".bz2",
    ".gz",
    ".lz",
    ".lzma",
    ".tZ",
    ".tb2",
    ".tbz",
    ".tbz2",
    ".tgz",
    ".tlz",
    ".tpz",
    ".txz",
    ".xz",
)
NON_POSIX = ("pwsh", "powershell", "cmd")


def _names(analysis: Analysis, node: InstructionNode) -> list[str]:
    return [c.name for c in cmds(analysis, node)]


@rule(
    id="DL3001",
    severity=Severity.INFO,
    summary="For some bash commands it makes no sense running them in a Docker container",
    bad="FROM debian:12.7\nRUN service nginx start\n",
    good='FROM debian:12.7\nCMD ["nginx", "-g", "daemon off;"]\n',
)
def dl3001(analysis: Analysis) -> Iterator[Hit]:
    invalid = {"free", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim"}
    for reported, run in runs(analysis):
        if any(name in invalid for name in _names(analysis, run)):
            yield hit(
                reported,
                "For some bash commands it makes no sense running them in a Docker container like `ssh`, `vim`, "
                "`shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`",
            )


@rule(
    id="DL3003",
    severity=Severity.WARNING,
    summary="Use WORKDIR to switch to a directory",
    bad="FROM debian:12.7\nRUN cd /app && make\n",
    good="FROM debian:12.7\nWORKDIR /app\nRUN make\n",
)
def dl3003(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis, onbuild=False):
        if "cd" in _names(analysis, run):
            yield hit(reported, "Use WORKDIR to switch to a directory")


@rule(
    id="DL3004",
    severity=Severity.ERROR,
    summary="Do not use sudo as it leads to unpredictable behavior",
    bad="FROM debian:12.7\nRUN sudo apt-get update\n",
    good="FROM debian:12.7\nRUN apt-get update\n",
)
def dl3004(analysis: Analysis) -> Iterator[Hit]:
    for reported, run in runs(analysis):
        if "sudo" in _names(analysis, run):
            yield hit(
                reported,
                "Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root",
            )


def _basename(path: str) -> str:
    path = unquote(path)
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _is_archive(path: str) -> bool:
    return unquote(path).endswith(ARCHIVES)


def _extracts(cmd: Cmd, archive: str) -> bool:
    tar = cmd.name == "tar" and any(
        a in ("--extract", "--get") or (a.startswith("-") and "x" in a) for a in cmd.args
    )
    unzip = cmd.name in ("unzip", "gunzip", "bunzip2", "unlzma", "unxz", "zgz", "uncompress", "zcat", "gzcat")
    return (tar or unzip) and archive in [_basename(a) for a in cmd.args_no_flags()]


@rule(
    id="DL3010",
    severity=Severity.INFO,
    summary="Use `ADD` for extracting archives into an image",
    bad="FROM debian:12.7\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt\n",
    good="FROM debian:12.7\nADD app.tar.gz /opt/\n",
)
def dl3010(analysis: Analysis) -> Iterator[Hit]:
    # As hadolint: state (and findings) start over at each FROM, so only the last stage reports.
    archives: list[tuple[InstructionNode, str]] = []
    extracted: list[InstructionNode] = []
    for node in analysis.groups()[-1]:
        if node.kind is Keyword.COPY and flag(node, "from") is None and len(node.args) >= 2:
            target = node.args[-1]
            if _is_archive(target):
                archives.append((node, _basename(target)))
            else:
                archives.extend((node, _basename(s)) for s in copy_sources(node) if _is_archive(_basename(s)))
        elif node.kind is Keyword.RUN:
            commands = cmds(analysis, node)
            for copy_node, archive in archives:
                if copy_node not in extracted and any(_extracts(c, archive) for c in commands):
                    extracted.append(copy_node)
    seen: set[int] = set()
    for copy_node in extracted:
        if id(copy_node) not in seen:
            seen.add(id(copy_node))
            yield hit(copy_node, "Use `ADD` for extracting archives into an image")


@rule(
    id="DL3046",
    severity=Severity.WARNING,
    summary="`useradd` without flag `-l` and high UID will result in excessively large Image",
    bad="FROM debian:12.7\nRUN useradd -u 123456 app\n",
    good="FROM debian:12.7\nRUN useradd -l -u 123456 app\n",
)
def dl3046(analysis: Analysis) -> Iterator[Hit]:
    def high_uid(c: Cmd) -> bool:
        return (
            c.name == "useradd"
            and not c.has_any_flag(("l", "no-log-init"))
            and c.has_any_flag(("u", "uid"))
            and any(len(v) > 5 for v in c.flag_args("u"))
        )

    for reported in runs_with(analysis, high_uid):
        yield hit(
            reported, "`useradd` without flag `-l` and high UID will result in excessively large Image."
        )


@rule(
    id="DL3047",
    severity=Severity.INFO,
    summary="Avoid use of wget without progress bar",
    bad="FROM debian:12.7\nRUN wget https://example.com/app.tar.gz\n",
    good="FROM debian:12.7\nRUN wget --progress=dot:giga https://example.com/app.tar.gz\n",
)
def dl3047(analysis: Analysis) -> Iterator[Hit]:
    def shows_bar(c: Cmd) -> bool:
        quiet = (
            c.has_any_flag(("q", "quiet", "o", "output-file", "a", "append-output", "no-verbose"))
            or "-nv" in c.args
        )
        return c.name == "wget" and not c.has_flag("progress") and not quiet

    for reported in runs_with(analysis, shows_bar):
        yield hit(
            reported,
            "Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`. "
            "Or consider using `-q` or `-nv` (shorthands for `--quiet` or `--no-verbose`).",
        )


@rule(
    id="DL3059",
    severity=Severity.INFO,
    summary="Multiple consecutive `RUN` instructions. Consider consolidation",
    bad="FROM debian:12.7\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10\n",
    good="FROM debian:12.7\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10\n",
)
def dl3059(analysis: Analysis) -> Iterator[Hit]:
    previous: tuple[tuple[str, ...], int] | None = None
    for node in analysis.instructions:
        if node.kind is not Keyword.RUN:
            previous = None
            continue
        flags = tuple(sorted(f.text for f in node.flags))
        # hadolint counts each simple command twice (ShellCheck's command and its redirect wrapper) and
        # allows more than 2: so a RUN of two or more commands is never "consolidatable".
        count = len(analysis.commands(node))
        if previous is None or previous[0] != flags or count > 1 or previous[1] > 1:
            previous = (flags, count)
        else:
            yield hit(node, "Multiple consecutive `RUN` instructions. Consider consolidation.")


@rule(
    id="DL4001",
    severity=Severity.WARNING,
    summary="Either use Wget or Curl but not both",
    bad="FROM debian:12.7\nRUN wget -q https://example.com/a\nRUN curl -fsSO https://example.com/b\n",
    good="FROM debian:12.7\nRUN curl -fsSO https://example.com/a\nRUN curl -fsSO https://example.com/b\n",
)
def dl4001(analysis: Analysis) -> Iterator[Hit]:
    for group in analysis.groups():
        used: set[str] = set()
        for node in group:
            run = node if node.kind is Keyword.RUN else node.trigger if node.kind is Keyword.ONBUILD else None
            if run is None or run.kind is not Keyword.RUN:
                continue
            found = {n for n in _names(analysis, run) if n in ("curl", "wget")}
            used |= found
            if found and len(used) >= 2:
                yield hit(node, "Either use Wget or Curl but not both")


@rule(
    id="DL4005",
    severity=Severity.WARNING,
    summary="Use SHELL to change the default shell",
    bad="FROM debian:12.7\nRUN ln -sf /bin/bash /bin/sh\n",
    good='FROM debian:12.7\nSHELL ["/bin/bash", "-c"]\n',
)
def dl4005(analysis: Analysis) -> Iterator[Hit]:
    for reported in runs_with(analysis, lambda c: c.has_args("ln", ["/bin/sh"])):
        yield hit(reported, "Use SHELL to change the default shell")


def _pipefail_shell(words: tuple[str, ...]) -> bool:
    text = " ".join(words)
    if any(text.startswith(p) for p in NON_POSIX):
        return True
    for command in split_script(text).commands:
        c = to_cmd(command)
        if c.name.rsplit("/", 1)[-1] in ("bash", "zsh", "ash") and c.has_flag("o") and "pipefail" in c.args:
            return True
    return False


@rule(
    id="DL4006",
    severity=Severity.WARNING,
    summary="Set the SHELL option -o pipefail before RUN with a pipe in it",
    bad="FROM debian:12.7\nRUN curl -fsSL https://example.com/install.sh | sh\n",
    good='FROM debian:12.7\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN curl -fsSL https://example.com/install.sh | sh\n',
)
def dl4006(analysis: Analysis) -> Iterator[Hit]:
    for group in analysis.groups():
        safe = False
        for node in group:
            if node.kind is Keyword.SHELL:
                safe = _pipefail_shell(tuple(node.args))
            elif node.kind is Keyword.RUN and not safe and run_script(node).has_pipe:
                yield hit(
                    node,
                    "Set the SHELL option -o pipefail before RUN with a pipe in it. If you are using /bin/sh in an "
                    "alpine image or if your shell is symlinked to busybox then consider explicitly setting your "
                    "SHELL to /bin/ash, or disable this check",
                )
