"""What every typed instruction shares: the node it came from, its span, and small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field

from pybuildkit.errors import InstructionError
from pybuildkit.shell import go_quote as go_quote  # re-exported: BuildKit's `%q`, one implementation
from pybuildkit.source import Span
from pybuildkit.syntax.heredoc import HeredocError, HeredocMarker, parse_heredoc
from pybuildkit.syntax.nodes import InstructionNode


@dataclass(frozen=True, slots=True, kw_only=True)
class InstructionBase:
    """Fields of every instruction: where it was written and the syntax node it was made from."""

    span: Span
    node: InstructionNode = field(repr=False, compare=False)

    @property
    def keyword(self) -> str:
        """The instruction word as written (`Copy`)."""
        return self.node.keyword

    @property
    def code(self) -> str:
        """BuildKit's `String()`: the logical line, trimmed (continuations joined)."""
        return self.node.original.strip()

    @property
    def comments(self) -> tuple[str, ...]:
        """The comment lines directly above, without `#` (BuildKit's `PrevComment`)."""
        return tuple(comment_text(c) for c in self.node.comments)


def comment_text(line: str) -> str:
    text = line.strip()
    return text[1:].strip() if text.startswith("#") else text


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyValue:
    """One ENV or LABEL pair; `legacy` for the `ENV key value` form (no `=`)."""

    key: str
    value: str
    legacy: bool = False

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


@dataclass(frozen=True, slots=True, kw_only=True)
class InlineFile:
    """A here-document body given to a RUN (not chomped yet: `chomp` records `<<-`)."""

    name: str
    data: str
    chomp: bool
    expand: bool = True
    file_descriptor: int = 0


def json_args(args: tuple[str, ...], json: bool) -> tuple[str, ...]:
    """BuildKit's `handleJSONArgs`: exec form as is; shell form joined into one string."""
    if not args:
        return ()
    return args if json else (" ".join(args),)


def heredoc_marker(word: str) -> HeredocMarker | None:
    """The here-document a word opens (`<<EOF`, `<<-"EOF"`, `3<<EOF`), or None (BuildKit `MustParseHeredoc`)."""
    try:
        return parse_heredoc(word)
    except HeredocError:
        return None


def is_heredoc_word(word: str) -> bool:
    return heredoc_marker(word) is not None


# How each instruction is written, for the hint of an argument-count error (BuildKit's messages have none).
_USAGE = {
    "ADD": "write ADD <src>... <dest>",
    "ARG": "write ARG NAME or ARG NAME=default",
    "COPY": "write COPY <src>... <dest>",
    "ENV": "write ENV NAME=value",
    "EXPOSE": "write EXPOSE <port>[/<protocol>], e.g. EXPOSE 8080/tcp",
    "HEALTHCHECK": "write HEALTHCHECK [options] CMD <command>, or HEALTHCHECK NONE",
    "LABEL": "write LABEL key=value",
    "MAINTAINER": "write MAINTAINER <name> (better: LABEL org.opencontainers.image.authors=<name>)",
    "ONBUILD": "write ONBUILD <instruction>, e.g. ONBUILD RUN make",
    "SHELL": 'write SHELL ["/bin/sh", "-c"]',
    "STOPSIGNAL": "write STOPSIGNAL <signal>, e.g. STOPSIGNAL SIGTERM",
    "USER": "write USER <user>[:<group>]",
    "VOLUME": 'write VOLUME /path or VOLUME ["/path"]',
    "WORKDIR": "write WORKDIR /path",
}


def usage_hint(command: str) -> str | None:
    """`write ENV NAME=value`: how `command` is written, or None when we have no line for it."""
    return _USAGE.get(command)


def err_at_least_one(command: str) -> InstructionError:
    return InstructionError(f"{command} requires at least one argument", hint=usage_hint(command))


def err_exactly_one(command: str) -> InstructionError:
    return InstructionError(f"{command} requires exactly one argument", hint=usage_hint(command))


def err_no_destination(command: str) -> InstructionError:
    return InstructionError(
        f"{command} requires at least two arguments, but only one was provided. Destination could not be determined",
        hint=f"{usage_hint(command)}: the last argument is the destination",
    )


def doc_comment(comments: tuple[str, ...], name: str) -> str:
    """BuildKit's `getDocComment`: the first comment line that starts with `name `, with the name removed."""
    if not name:
        return ""
    for line in comments:
        if line.startswith(name + " "):
            return line[len(name) + 1 :]
    return ""
