"""Small helpers the rule modules share."""

from __future__ import annotations

from collections.abc import Iterable

from pybuildkit.linter.model import Hit
from pybuildkit.syntax.nodes import InstructionNode


def hit(node: InstructionNode, message: str) -> Hit:
    """A finding on a whole instruction (BuildKit reports the instruction's range; hadolint its line)."""
    return Hit(span=node.span, message=message, node=node)


def copy_sources(node: InstructionNode) -> tuple[str, ...]:
    """COPY/ADD source words (the destination and heredoc markers left out)."""
    words = node.args[:-1]
    return tuple(w for w in words if not w.startswith("<<"))


def flag(node: InstructionNode, name: str) -> str | None:
    for f in node.flags:
        if f.name == name:
            return f.value if f.value is not None else ""
    return None


def unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def suggest(value: str, options: Iterable[str]) -> str | None:
    """BuildKit's "did you mean" pick (imported only when there is something to suggest)."""
    from pybuildkit.instructions.suggest import suggest as pick

    return pick(value, options)
