"""RUN: run a command in the stage's filesystem, with its mounts, network, security and devices."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pybuildkit.errors import InstructionError
from pybuildkit.instructions.base import InlineFile, InstructionBase, go_quote, json_args
from pybuildkit.instructions.flags import RUN_FLAGS, parse_flags
from pybuildkit.instructions.mounts import Mount, parse_go_bool, parse_mount, preview_mount, split_csv
from pybuildkit.instructions.suggest import did_you_mean
from pybuildkit.syntax.nodes import InstructionNode


class NetworkMode(StrEnum):
    DEFAULT = "default"
    NONE = "none"
    HOST = "host"


class SecurityMode(StrEnum):
    SANDBOX = "sandbox"
    INSECURE = "insecure"


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A `--device=name[,required]` CDI device request."""

    name: str
    required: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInstruction(InstructionBase):
    """RUN [--mount=...] [--network=default|none|host] [--security=sandbox|insecure] [--device=...] <command>

    `command` is the exec-form argv, or one string (the shell form, `prepend_shell`); here-document bodies
    are in `files` (the command then holds the `<<EOF` words, as BuildKit keeps them).
    """

    command: tuple[str, ...]
    prepend_shell: bool
    files: tuple[InlineFile, ...] = ()
    mounts: tuple[Mount, ...] = ()
    network: NetworkMode = NetworkMode.DEFAULT
    security: SecurityMode = SecurityMode.SANDBOX
    devices: tuple[Device, ...] = ()
    flags_used: tuple[str, ...] = ()


def parse_device(text: str) -> Device:
    """BuildKit's `ParseDevice`: `name`, `name=...` or the first bare word, and `required[=bool]`."""
    name = ""
    required = False
    for field in split_csv(text, "devices"):
        key, sep, value = field.partition("=")
        key = key.lower()
        if not sep:
            if key == "required":
                required = True
            elif not name:
                name = field
            else:
                raise InstructionError(f"invalid field '{field}' must be a key=value pair")
            continue
        if key == "name":
            if name:
                raise InstructionError(f"device name already set to {name}")
            name = value
        elif key == "required":
            flag = parse_go_bool(value)
            if flag is None:
                raise InstructionError(f"invalid value for {key}: {value}")
            required = flag
        elif not name:
            name = field
        else:
            raise InstructionError(
                f"unexpected key '{key}' in '{field}'", hint=did_you_mean(key, ("name", "required"))
            )
    return Device(name=name, required=required)


def parse_run(node: InstructionNode) -> RunInstruction:
    flags = parse_flags(node.flags, RUN_FLAGS)
    specs = flags.strings("mount")
    for spec in specs:
        parse_mount(spec, None)  # BuildKit's parse-time check: no variables in `from`
    network = flags.string("network")
    if network not in NetworkMode.__members__.values():
        raise InstructionError(
            f"invalid network mode {go_quote(network)}",
            hint=did_you_mean(network, [m.value for m in NetworkMode]),
        )
    security = flags.string("security")
    if security not in SecurityMode.__members__.values():
        raise InstructionError(
            f"security {go_quote(security)} is not valid",
            hint=did_you_mean(security, [m.value for m in SecurityMode])
            or "use --security=insecure or sandbox",
        )
    files = tuple(
        InlineFile(
            name=h.name, data=h.content, chomp=h.chomp, expand=h.expand, file_descriptor=h.file_descriptor
        )
        for h in node.heredocs
    )
    return RunInstruction(
        span=node.span,
        node=node,
        command=json_args(node.args, node.json),
        prepend_shell=not node.json,
        files=files,
        mounts=tuple(preview_mount(spec) for spec in specs),
        network=NetworkMode(network),
        security=SecurityMode(security),
        devices=tuple(parse_device(d) for d in flags.strings("device")),
        flags_used=flags.used,
    )
