"""BuildKit's shell words, standalone: quote removal, `$VAR`/`${VAR...}` expansion, word splitting.

Knows nothing of Dockerfiles. `expand_word`/`expand_words`/`expand` follow BuildKit's lexer exactly;
`split_command` tokenizes a POSIX sh command line (no expansion) for the linter.
"""

from __future__ import annotations

from pybuildkit._go import quote as go_quote  # BuildKit's `%q`, for messages that match its own
from pybuildkit.shell.lex import (
    Expansion,
    ShellExpansionError,
    env_from_list,
    expand,
    expand_word,
    expand_words,
)
from pybuildkit.shell.split import Command, Redirect, Word, split_command

__all__ = [
    "Command",
    "Expansion",
    "Redirect",
    "ShellExpansionError",
    "Word",
    "env_from_list",
    "expand",
    "expand_word",
    "expand_words",
    "go_quote",
    "split_command",
]
