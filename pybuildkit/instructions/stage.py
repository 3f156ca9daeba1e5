"""FROM: the instruction that begins a stage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pybuildkit.errors import InstructionError
from pybuildkit.instructions.base import InstructionBase, comment_text, doc_comment, go_quote
from pybuildkit.instructions.flags import FROM_FLAGS, parse_flags
from pybuildkit.syntax.nodes import InstructionNode

# BuildKit's `validStageName`; names are lower-cased before the check.
STAGE_NAME = re.compile(r"^[a-z][a-z0-9\-_.]*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class FromInstruction(InstructionBase):
    """FROM [--platform=<platform>] <image> [AS <name>]

    `base_name` and `platform` are as written (expanded with the global ARGs by the plan); `name` is the
    stage name lower-cased as BuildKit stores it ("" when there is none).
    """

    base_name: str
    name: str = ""
    name_as_written: str = ""
    as_keyword: str = ""  # the `AS` word as written, for casing checks
    platform: str = ""  # "" when no --platform
    doc_comment: str = ""


def parse_from(node: InstructionNode) -> FromInstruction:
    args = node.args
    name = ""
    if len(args) == 3 and args[1].lower() == "as":
        name = args[2].lower()
        if not STAGE_NAME.match(name):
            raise InstructionError(
                f"invalid name for build stage: {go_quote(args[2])}, name can't start with a number or contain symbols",
                hint="a stage name starts with a letter and holds only letters, digits, '-', '_' and '.'",
            )
    elif len(args) != 1:
        raise InstructionError("FROM requires either one or three arguments", hint="FROM <image> [AS <name>]")
    flags = parse_flags(node.flags, FROM_FLAGS)
    return FromInstruction(
        span=node.span,
        node=node,
        base_name=args[0],
        name=name,
        name_as_written=args[2] if len(args) == 3 else "",
        as_keyword=args[1] if len(args) == 3 else "",
        platform=flags.string("platform"),
        doc_comment=doc_comment(tuple(comment_text(c) for c in node.comments), name),
    )
