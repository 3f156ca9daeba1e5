"""Which fields of which instruction are expanded, in one table (BuildKit's `Expand`/`ExpandRaw` methods
and `dispatchExpose`), returning new instructions.

* ENV, LABEL: keys and values.  * COPY: --chown, --chmod, sources, destination; heredoc bodies whose
  delimiter was not quoted (raw: quotes kept).  * ADD: the same plus --checksum.  * WORKDIR, USER,
  STOPSIGNAL, VOLUME: their values.  * RUN: the `--mount` values (the command is left to the shell).
* EXPOSE: each word, then split into words.  * ARG: its defaults, by the ARG scope (`plan/scope.py`).
* Never: FROM (expanded with the global ARGs only, by the plan), CMD, ENTRYPOINT, SHELL, HEALTHCHECK,
  MAINTAINER, ONBUILD, COPY --from, --exclude, --link, --parents, RUN --network/--security/--device.

The scope rules live here too, so that the build's resolver (`plan/resolve.py`) and the linter's static walk
(`linter/analysis.py`) read the same facts: the predefined ARGs (`automatic_args`, `PROXY_ARGS`), an ARG's
value by precedence (`arg_value`), the PATH a stage starts with, and the ARGs kept out of the environment.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import assert_never

from pybuildkit.errors import InstructionError
from pybuildkit.image.platform import Platform
from pybuildkit.instructions import (
    AddInstruction,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvInstruction,
    ExposeInstruction,
    FromInstruction,
    HealthcheckInstruction,
    Instruction,
    KeyValue,
    LabelInstruction,
    MaintainerInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    SourceContent,
    StopsignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
    parse_mount,
    parse_port,
)

Word = Callable[[str], str]
Words = Callable[[str], list[str]]

# The PATH a stage starts with when its base image sets none (BuildKit's `system.DefaultPathEnvUnix`).
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Predefined proxy ARGs (either spelling): usable without an ARG line, given to RUN, kept out of cache keys.
PROXY_ARGS = ("http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy")
# ARGs BuildKit never puts into the environment.
NON_ENV_ARGS = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})


def automatic_args(
    build_platform: Platform, target_platform: Platform, target_stage: str
) -> tuple[tuple[str, str], ...]:
    """The predefined global ARGs and their values (BuildKit's `defaultArgs`), in BuildKit's order."""
    return (
        ("BUILDPLATFORM", str(build_platform)),
        ("BUILDOS", build_platform.os),
        ("BUILDOSVERSION", build_platform.os_version),
        ("BUILDARCH", build_platform.architecture),
        ("BUILDVARIANT", build_platform.variant),
        ("TARGETPLATFORM", str(target_platform)),
        ("TARGETOS", target_platform.os),
        ("TARGETOSVERSION", target_platform.os_version),
        ("TARGETARCH", target_platform.architecture),
        ("TARGETVARIANT", target_platform.variant),
        ("TARGETSTAGE", target_stage),
    )


def arg_value(
    key: str, default: str | None, *, build_args: Mapping[str, str], globals_: Mapping[str, str], word: Word
) -> str | None:
    """The value an `ARG key[=default]` gives, by BuildKit's precedence: a build-arg (its default is then
    not expanded), else the default expanded by `word`, else the value of the global ARG it redeclares
    (`globals_`: empty for the global ARGs themselves); None when it has none (declared, unset)."""
    if key in build_args:
        return build_args[key]
    if default is not None:
        return word(default)
    return globals_.get(key)


def _pairs(pairs: tuple[KeyValue, ...], word: Word) -> tuple[KeyValue, ...]:
    return tuple(replace(p, key=word(p.key), value=word(p.value)) for p in pairs)


def _contents(contents: tuple[SourceContent, ...], raw: Word) -> tuple[SourceContent, ...]:
    return tuple(replace(c, data=raw(c.data)) if c.expand else c for c in contents)


def expand_instruction(instruction: Instruction, *, word: Word, raw: Word, words: Words) -> Instruction:
    """The instruction with its expandable fields expanded.

    `word` expands one word (quotes removed), `raw` expands a here-document body (quotes kept),
    `words` expands and splits (EXPOSE). Errors propagate from the expanders.
    """
    match instruction:
        case EnvInstruction() | LabelInstruction():
            return replace(instruction, pairs=_pairs(instruction.pairs, word))
        case CopyInstruction():
            chown, chmod = word(instruction.chown), word(instruction.chmod)
            sources = tuple(word(s) for s in instruction.sources)
            dest = word(instruction.dest)
            contents = _contents(instruction.contents, raw)
            return replace(
                instruction, chown=chown, chmod=chmod, sources=sources, dest=dest, contents=contents
            )
        case AddInstruction():
            chown, chmod = word(instruction.chown), word(instruction.chmod)
            checksum = word(instruction.checksum)
            sources = tuple(word(s) for s in instruction.sources)
            dest = word(instruction.dest)
            contents = _contents(instruction.contents, raw)
            return replace(
                instruction,
                chown=chown,
                chmod=chmod,
                checksum=checksum,
                sources=sources,
                dest=dest,
                contents=contents,
            )
        case WorkdirInstruction():
            return replace(instruction, path=word(instruction.path))
        case UserInstruction():
            return replace(instruction, user=word(instruction.user))
        case StopsignalInstruction():
            value = word(instruction.signal)
            check_signal(value)
            return replace(instruction, signal=value)
        case VolumeInstruction():
            volumes = tuple(word(v) for v in instruction.volumes)
            if any(v == "" for v in volumes):
                raise InstructionError("VOLUME specified can not be an empty string")
            return replace(instruction, volumes=volumes)
        case RunInstruction():
            return replace(instruction, mounts=tuple(parse_mount(m.spec, word) for m in instruction.mounts))
        case ExposeInstruction():
            ports = tuple(p for raw_port in instruction.ports for p in words(raw_port))
            specs = tuple(spec for p in ports for spec in parse_port(p))
            return replace(instruction, ports=ports, specs=specs)
        case (
            ArgInstruction()
            | FromInstruction()
            | CmdInstruction()
            | EntrypointInstruction()
            | ShellInstruction()
            | HealthcheckInstruction()
            | MaintainerInstruction()
            | OnbuildInstruction()
        ):
            return instruction
        case _:
            assert_never(instruction)


def check_signal(text: str) -> None:
    """moby/sys `ParseSignal`: a positive number, or a Linux signal name with or without `SIG`."""
    if text.isascii() and text.lstrip("+-").isdigit():
        if int(text) == 0:
            raise InstructionError(f"Invalid signal: {text}")
        return
    name = text.upper().removeprefix("SIG")
    known = {s.name.removeprefix("SIG") for s in signal.Signals if s.name.startswith("SIG")}
    rt = {f"RTMIN+{i}" for i in range(1, 16)} | {f"RTMAX-{i}" for i in range(1, 15)} | {"RTMIN", "RTMAX"}
    if name not in known and name not in rt:
        raise InstructionError(f"Invalid signal: {text}")
