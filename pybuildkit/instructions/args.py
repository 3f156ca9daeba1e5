"""ARG: declare a build argument, optionally with a default."""

from __future__ import annotations

from dataclasses import dataclass

from pybuildkit.errors import InstructionError
from pybuildkit.instructions.base import InstructionBase, comment_text, doc_comment, err_at_least_one
from pybuildkit.syntax.nodes import InstructionNode


@dataclass(frozen=True, slots=True, kw_only=True)
class ArgDefinition:
    """`name` or `name=default` (the default as written, quotes kept; None when there is none)."""

    key: str
    value: str | None = None
    doc_comment: str = ""

    def __str__(self) -> str:
        return self.key if self.value is None else f"{self.key}={self.value}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArgInstruction(InstructionBase):
    """ARG <name>[=<default value>] [<name>[=<default value>]...]"""

    args: tuple[ArgDefinition, ...]


def parse_arg(node: InstructionNode) -> ArgInstruction:
    # BuildKit declares no flags for ARG and never parses them, so `--x` words are ignored here too.
    if not node.args:
        raise err_at_least_one("ARG")
    comments = tuple(comment_text(c) for c in node.comments)
    definitions = []
    for word in node.args:
        key, sep, value = word.partition("=")
        if sep and not key:
            raise InstructionError(
                "ARG names can not be blank", hint="put a name before the `=`: ARG NAME=value"
            )
        definitions.append(
            ArgDefinition(key=key, value=value if sep else None, doc_comment=doc_comment(comments, key))
        )
    return ArgInstruction(span=node.span, node=node, args=tuple(definitions))
