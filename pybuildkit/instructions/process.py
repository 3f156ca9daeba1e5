"""How the container runs: CMD, ENTRYPOINT, SHELL and HEALTHCHECK."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pybuildkit.errors import InstructionError
from pybuildkit.instructions.base import InstructionBase, err_at_least_one, go_quote, json_args, usage_hint
from pybuildkit.instructions.durations import MILLISECOND, parse_duration
from pybuildkit.instructions.flags import HEALTHCHECK_FLAGS, NO_FLAGS, FlagValues, parse_flags
from pybuildkit.syntax.nodes import InstructionNode

DEFAULT_SHELL: tuple[str, ...] = ("/bin/sh", "-c")  # Linux; BuildKit's defaultShell


@dataclass(frozen=True, slots=True, kw_only=True)
class CmdInstruction(InstructionBase):
    """CMD ["executable","param1","param2"]   or   CMD command param1 param2"""

    command: tuple[str, ...]
    prepend_shell: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class EntrypointInstruction(InstructionBase):
    """ENTRYPOINT ["executable", "param1", "param2"]   or   ENTRYPOINT command param1 param2

    An empty `command` (`ENTRYPOINT []`) clears the entrypoint (BuildKit stores null).
    """

    command: tuple[str, ...]
    prepend_shell: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ShellInstruction(InstructionBase):
    """SHELL ["executable", "parameters"]"""

    shell: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthcheckInstruction(InstructionBase):
    """HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--start-interval=D] [--retries=N] CMD <command>
    or HEALTHCHECK NONE

    `test` is the image config's: `("NONE",)`, `("CMD", argv...)` or `("CMD-SHELL", "command line")`.
    Durations are nanoseconds; 0 means "the default".
    """

    test: tuple[str, ...]
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


def parse_cmd(node: InstructionNode) -> CmdInstruction:
    parse_flags(node.flags, NO_FLAGS)
    return CmdInstruction(
        span=node.span, node=node, command=json_args(node.args, node.json), prepend_shell=not node.json
    )


def parse_entrypoint(node: InstructionNode) -> EntrypointInstruction:
    parse_flags(node.flags, NO_FLAGS)
    return EntrypointInstruction(
        span=node.span, node=node, command=json_args(node.args, node.json), prepend_shell=not node.json
    )


def parse_shell(node: InstructionNode) -> ShellInstruction:
    parse_flags(node.flags, NO_FLAGS)
    shell = json_args(node.args, node.json)
    if not shell:
        raise err_at_least_one("SHELL")
    if not node.json:
        raise InstructionError(
            "SHELL requires the arguments to be in JSON form", hint='write it as SHELL ["/bin/bash", "-c"]'
        )
    return ShellInstruction(span=node.span, node=node, shell=shell)


def _interval(flags: FlagValues, name: str) -> int:
    text = flags.string(name)
    if text == "":
        return 0
    nanos = parse_duration(text)
    if nanos == 0:
        return 0
    if nanos < MILLISECOND:
        raise InstructionError(
            f"Interval {go_quote(name)} cannot be less than 1ms",
            hint=f"use --{name}=1ms or more (0 keeps the default)",
        )
    return nanos


_INT = re.compile(r"^[+-]?[0-9]+$")
_RETRIES_HINT = "--retries takes a whole number of 0 or more, e.g. --retries=3"


def parse_healthcheck(node: InstructionNode) -> HealthcheckInstruction:
    if not node.args:
        raise err_at_least_one("HEALTHCHECK")
    kind = node.args[0].upper()
    rest = node.args[1:]
    if kind == "NONE":
        # BuildKit declares no flags for NONE and does not parse them.
        if rest:
            raise InstructionError("HEALTHCHECK NONE takes no arguments", hint="write HEALTHCHECK NONE alone")
        return HealthcheckInstruction(span=node.span, node=node, test=("NONE",))
    flags = parse_flags(node.flags, HEALTHCHECK_FLAGS)
    if kind != "CMD":
        raise InstructionError(
            f"Unknown type {go_quote(kind)} in HEALTHCHECK (try CMD)", hint=usage_hint("HEALTHCHECK")
        )
    command = json_args(rest, node.json)
    if not command:
        raise InstructionError(
            "Missing command after HEALTHCHECK CMD",
            hint="write the command after CMD, e.g. HEALTHCHECK CMD true",
        )
    test = ("CMD" if node.json else "CMD-SHELL", *command)
    interval = _interval(flags, "interval")
    timeout = _interval(flags, "timeout")
    start_period = _interval(flags, "start-period")
    start_interval = _interval(flags, "start-interval")
    retries = 0
    text = flags.string("retries")
    if text:
        if not _INT.match(text):
            raise InstructionError(
                f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax", hint=_RETRIES_HINT
            )
        retries = int(text)
        if not -(2**31) <= retries < 2**31:
            raise InstructionError(
                f"strconv.ParseInt: parsing {go_quote(text)}: value out of range", hint=_RETRIES_HINT
            )
        if retries < 0:
            raise InstructionError(f"--retries cannot be negative ({retries})", hint=_RETRIES_HINT)
    return HealthcheckInstruction(
        span=node.span,
        node=node,
        test=test,
        interval=interval,
        timeout=timeout,
        start_period=start_period,
        start_interval=start_interval,
        retries=retries,
    )
