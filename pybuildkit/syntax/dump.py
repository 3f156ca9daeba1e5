"""BuildKit's AST dump (`Node.Dump`): the `result` format of BuildKit's parser test files.

One line per instruction: `(keyword ["--flag" ...] "arg" ...)`, keyword lower-cased, strings Go-quoted,
ONBUILD's trigger nested: `(onbuild (run "echo" "test"))`.
"""

from __future__ import annotations

from pybuildkit.syntax import _go
from pybuildkit.syntax.nodes import Dockerfile, InstructionNode


def dump_node(node: InstructionNode) -> str:
    """One instruction, without the surrounding parentheses."""
    parts = [_go.lower(node.keyword)]
    if node.flags:
        parts.append("[" + " ".join(_go.quote(flag.text) for flag in node.flags) + "]")
    if node.trigger is not None:
        parts.append("(" + dump_node(node.trigger) + ")")
    parts.extend(_go.quote(arg) for arg in node.args)
    return _go.trim_space(" ".join(parts))


def dump_sexp(tree: Dockerfile) -> str:
    """The whole dump, as BuildKit prints it (no final newline)."""
    return _go.trim_space("".join("(" + dump_node(node) + ")\n" for node in tree.instructions))
