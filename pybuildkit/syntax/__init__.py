"""Dockerfile text → lossless syntax tree (pure: touches no files but the grammar).

`parse(text, filename=...)` gives a frozen `Dockerfile` (see `nodes.py`); `dump_sexp(tree)` prints
BuildKit's AST dump. Lark is imported only when the grammar is first needed, never by importing this package.
"""

from __future__ import annotations

from pybuildkit.syntax.dump import dump_node, dump_sexp
from pybuildkit.syntax.nodes import (
    Comment,
    Directive,
    Dockerfile,
    Flag,
    Heredoc,
    InstructionNode,
    Item,
    Keyword,
    ParseWarning,
)
from pybuildkit.syntax.parser import parse

__all__ = [
    "Comment",
    "Directive",
    "Dockerfile",
    "Flag",
    "Heredoc",
    "InstructionNode",
    "Item",
    "Keyword",
    "ParseWarning",
    "dump_node",
    "dump_sexp",
    "parse",
]
