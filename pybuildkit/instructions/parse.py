"""Syntax node → typed instruction: the dispatch on the keyword, and the one place errors get located."""

from __future__ import annotations

from typing import assert_never

from pybuildkit.errors import DockerfileError, InstructionError
from pybuildkit.instructions.args import ArgInstruction, parse_arg
from pybuildkit.instructions.config import (
    EnvInstruction,
    ExposeInstruction,
    LabelInstruction,
    MaintainerInstruction,
    StopsignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
    parse_env,
    parse_expose,
    parse_label,
    parse_maintainer,
    parse_stopsignal,
    parse_user,
    parse_volume,
    parse_workdir,
)
from pybuildkit.instructions.files import AddInstruction, CopyInstruction, parse_add, parse_copy
from pybuildkit.instructions.onbuild import OnbuildInstruction, parse_onbuild
from pybuildkit.instructions.process import (
    CmdInstruction,
    EntrypointInstruction,
    HealthcheckInstruction,
    ShellInstruction,
    parse_cmd,
    parse_entrypoint,
    parse_healthcheck,
    parse_shell,
)
from pybuildkit.instructions.run import RunInstruction, parse_run
from pybuildkit.instructions.stage import FromInstruction, parse_from
from pybuildkit.instructions.suggest import did_you_mean
from pybuildkit.syntax.nodes import InstructionNode, Keyword

Instruction = (
    FromInstruction
    | RunInstruction
    | CmdInstruction
    | EntrypointInstruction
    | CopyInstruction
    | AddInstruction
    | EnvInstruction
    | ArgInstruction
    | LabelInstruction
    | ExposeInstruction
    | VolumeInstruction
    | UserInstruction
    | WorkdirInstruction
    | HealthcheckInstruction
    | StopsignalInstruction
    | ShellInstruction
    | OnbuildInstruction
    | MaintainerInstruction
)


_EMPTY_HINT = "this line continues an instruction that never comes; remove the line continuation at its end"


def parse_instruction(
    node: InstructionNode, *, filename: str = "Dockerfile", source: str | None = None
) -> Instruction:
    """The typed instruction for `node`; a bad instruction raises InstructionError located at the node."""
    try:
        return _parse(node)
    except DockerfileError as error:
        raise error.located(filename=filename, span=node.span, source=source) from None


def _parse(node: InstructionNode) -> Instruction:
    kind = node.kind
    if kind is None:
        if not node.keyword:
            # BuildKit's parser makes an instruction with an empty name from a line that is only a line
            # continuation with nothing after it (at the end of the file, or before comment lines only).
            raise InstructionError("unknown instruction: ", hint=_EMPTY_HINT)
        raise InstructionError(
            f"unknown instruction: {node.keyword}",
            hint=did_you_mean(node.keyword, [k.value.upper() for k in Keyword], case_sensitive=False),
        )
    match kind:
        case Keyword.ADD:
            return parse_add(node)
        case Keyword.ARG:
            return parse_arg(node)
        case Keyword.CMD:
            return parse_cmd(node)
        case Keyword.COPY:
            return parse_copy(node)
        case Keyword.ENTRYPOINT:
            return parse_entrypoint(node)
        case Keyword.ENV:
            return parse_env(node)
        case Keyword.EXPOSE:
            return parse_expose(node)
        case Keyword.FROM:
            return parse_from(node)
        case Keyword.HEALTHCHECK:
            return parse_healthcheck(node)
        case Keyword.LABEL:
            return parse_label(node)
        case Keyword.MAINTAINER:
            return parse_maintainer(node)
        case Keyword.ONBUILD:
            return parse_onbuild(node, _parse)
        case Keyword.RUN:
            return parse_run(node)
        case Keyword.SHELL:
            return parse_shell(node)
        case Keyword.STOPSIGNAL:
            return parse_stopsignal(node)
        case Keyword.USER:
            return parse_user(node)
        case Keyword.VOLUME:
            return parse_volume(node)
        case Keyword.WORKDIR:
            return parse_workdir(node)
        case _:
            assert_never(kind)
