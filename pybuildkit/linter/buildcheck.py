"""What the build would reject, found without building: instructions the build cannot type or dispatch.

`docker build --check` runs BuildKit's conversion (`dockerfile2llb.DockerfileLint` → `toDispatchState`),
so an instruction `instructions.Parse` or the dispatcher rejects (`COPPY`, `ENV` with no arguments,
`COPY a`, `COPY --chmod=abc`) fails the check with that error. The linter reports each such instruction
as one error finding (the `SyntaxError` rule, as a parse error is). An instruction that does not type is
hidden from the other rules, which read only typed instructions (and a stage whose FROM does not type is
hidden whole); one that types but fails a dispatch check (`--chmod`, a port, a `--mount`) stays visible. BuildKit stops at the first error; we report every rejected
instruction, since they are independent of each other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pybuildkit.errors import DockerfileError
from pybuildkit.instructions import (
    AddInstruction,
    CopyInstruction,
    ExposeInstruction,
    RunInstruction,
    parse_instruction,
    parse_mount,
    parse_port,
)
from pybuildkit.instructions.chmod import parse_chmod
from pybuildkit.instructions.flags import RUN_FLAGS, parse_flags
from pybuildkit.syntax.nodes import Dockerfile, InstructionNode, Keyword

# What the build's COPY/ADD accept for --chmod: octal, or chmod(1) symbolic clauses (execute/copy.py).


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection:
    """An instruction the build would refuse, and the build's error (located at the instruction)."""

    node: InstructionNode
    error: DockerfileError
    typed: bool = False  # it typed, and failed a dispatch check (hadolint's parser reads it: no DL1000)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildCheck:
    """The rejections, and the tree the rules read (without the rejected instructions)."""

    rejections: tuple[Rejection, ...]
    tree: Dockerfile


def check_build(tree: Dockerfile, *, filename: str, text: str) -> BuildCheck:
    """Type every instruction as the build does; a stage whose FROM is rejected is hidden whole."""
    rejections: list[Rejection] = []
    hidden: set[int] = set()
    hiding_stage = False
    for node in tree.instructions:
        if node.kind is Keyword.FROM:
            hiding_stage = False
        try:
            instruction = parse_instruction(node, filename=filename, source=text)
        except DockerfileError as error:
            rejections.append(Rejection(node=node, error=error))
            if not _forbidden_trigger(node):
                hidden.add(id(node))
            # The rules cannot place a rejected FROM's instructions in any stage: hide the stage too.
            hiding_stage = hiding_stage or node.kind is Keyword.FROM
            continue
        if hiding_stage:
            hidden.add(id(node))
            continue
        try:
            _check_dispatch(instruction)
        except DockerfileError as error:
            # It typed, so the rules still read it (hadolint's DL3011 names a bad port, for one).
            error.located(filename=filename, span=node.span, source=text)
            rejections.append(Rejection(node=node, error=error, typed=True))
    if not hidden:
        return BuildCheck(rejections=tuple(rejections), tree=tree)
    items = tuple(i for i in tree.items if not (isinstance(i, InstructionNode) and id(i) in hidden))
    return BuildCheck(rejections=tuple(rejections), tree=replace(tree, items=items))


# Triggers BuildKit refuses after ONBUILD; hadolint's DL3043 names the same fault, so it still sees them.
_FORBIDDEN_TRIGGERS = frozenset({Keyword.FROM, Keyword.ONBUILD, Keyword.MAINTAINER})


def _forbidden_trigger(node: InstructionNode) -> bool:
    trigger = node.trigger
    return node.kind is Keyword.ONBUILD and trigger is not None and trigger.kind in _FORBIDDEN_TRIGGERS


def _check_dispatch(instruction: object) -> None:
    """What BuildKit checks when it dispatches a stage (lint dispatches every stage: `AllStages` in
    `DockerfileLint`): `--chmod`, EXPOSE ports, `--mount` fields. A value with a variable is only known
    at build time, so only literal values are read."""
    match instruction:
        case CopyInstruction() | AddInstruction():
            _check_chmod(instruction.chmod)
        case ExposeInstruction():
            for port in instruction.ports:
                if "$" not in port:
                    parse_port(port)
        case RunInstruction():
            for spec in parse_flags(instruction.node.flags, RUN_FLAGS).strings("mount"):
                if "$" not in spec:
                    parse_mount(spec, _literal)
        case _:
            pass


def _literal(value: str) -> str:
    return value


def _check_chmod(text: str) -> None:
    # A `$VAR` is only known at build time.
    if text and "$" not in text:
        parse_chmod(text)
