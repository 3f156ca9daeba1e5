"""ONBUILD: an instruction stored in the image, run by the first build that uses the image as a base."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pybuildkit.errors import DockerfileError, InstructionError
from pybuildkit.instructions.base import InstructionBase, err_at_least_one
from pybuildkit.instructions.flags import NO_FLAGS, parse_flags
from pybuildkit.syntax.nodes import InstructionNode

if TYPE_CHECKING:
    from pybuildkit.instructions import Instruction

_ONBUILD_PREFIX = re.compile(r"^\s*ONBUILD\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class OnbuildInstruction(InstructionBase):
    """ONBUILD <INSTRUCTION>

    `expression` is the text stored in the image config (BuildKit's: the line without `ONBUILD`, with any
    here-document bodies appended). `trigger` is the parsed trigger, or None when it does not parse as an
    instruction: BuildKit checks only the trigger's keyword here and reports other errors when the
    trigger runs (`trigger_error` keeps the message).
    """

    expression: str
    trigger_keyword: str
    trigger: Instruction | None = None
    trigger_error: str | None = None


def parse_onbuild(
    node: InstructionNode, parse_trigger: Callable[[InstructionNode], Instruction]
) -> OnbuildInstruction:
    trigger_node = node.trigger
    if trigger_node is None and not node.args:
        raise err_at_least_one("ONBUILD")
    parse_flags(node.flags, NO_FLAGS)
    keyword = (trigger_node.keyword if trigger_node is not None else node.args[0]).strip().upper()
    if keyword == "ONBUILD":
        raise InstructionError(
            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
            hint="write a single ONBUILD before the instruction",
        )
    if keyword in ("MAINTAINER", "FROM"):
        raise InstructionError(
            f"{keyword} isn't allowed as an ONBUILD trigger",
            hint="a trigger runs inside the child image's stage and cannot start a stage; use FROM in the child's Dockerfile"
            if keyword == "FROM"
            else "use LABEL org.opencontainers.image.authors=<name> in the image itself",
        )
    expression = _ONBUILD_PREFIX.sub("", node.original, count=1)
    for heredoc in node.heredocs or (trigger_node.heredocs if trigger_node is not None else ()):
        expression += "\n" + heredoc.content + heredoc.name
    trigger: Instruction | None = None
    error: str | None = None
    if trigger_node is not None:
        try:
            trigger = parse_trigger(trigger_node)
        except DockerfileError as exc:
            error = exc.message
    return OnbuildInstruction(
        span=node.span,
        node=node,
        expression=expression,
        trigger_keyword=keyword,
        trigger=trigger,
        trigger_error=error,
    )
