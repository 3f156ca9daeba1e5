"""Dockerfile text → lossless syntax tree (pure: touches no files but the grammar).

`parse(text, filename=...)` gives a frozen `Dockerfile` (see `nodes.py`); `dump_sexp(tree)` prints
BuildKit's AST dump; `detect_syntax(text)` / `parse_directive(key, text)` find a directive the way BuildKit's
frontend selection does (past a shebang, `//` and JSON forms for `syntax`). Lark is imported only when the
grammar is first needed, never by importing this package.

Modules, in data-flow order: `lines` (the line pass: directives, escape, continuations, heredoc bodies,
offset map) → `args` (BuildKit's per-keyword line parsers) or `grammar` (the Lark LALR grammar in
grammar/dockerfile.lark) → `parser` (spans, exact text, the frozen tree) → `dump` (BuildKit's AST dump).
`heredoc` and `directives` hold BuildKit's word-level rules for those two; `_go` Go's text rules.
"""

from __future__ import annotations

from pybuildkit.syntax.directives import DetectedDirective, detect_syntax, parse_directive
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
    "DetectedDirective",
    "Directive",
    "Dockerfile",
    "Flag",
    "Heredoc",
    "InstructionNode",
    "Item",
    "Keyword",
    "ParseWarning",
    "detect_syntax",
    "dump_node",
    "dump_sexp",
    "parse",
    "parse_directive",
]
