"""The Dockerfile syntax tree: frozen, lossless, every node with its source span.

This is the contract between `syntax/` and every later layer. Nothing here is expanded: values are
as written (quotes kept), exactly what BuildKit's parser hands to its instructions package.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pybuildkit.source import Span


class Keyword(StrEnum):
    """Instructions BuildKit knows. An unknown instruction has `InstructionNode.kind is None`."""

    ADD = "add"
    ARG = "arg"
    CMD = "cmd"
    COPY = "copy"
    ENTRYPOINT = "entrypoint"
    ENV = "env"
    EXPOSE = "expose"
    FROM = "from"
    HEALTHCHECK = "healthcheck"
    LABEL = "label"
    MAINTAINER = "maintainer"
    ONBUILD = "onbuild"
    RUN = "run"
    SHELL = "shell"
    STOPSIGNAL = "stopsignal"
    USER = "user"
    VOLUME = "volume"
    WORKDIR = "workdir"


@dataclass(frozen=True, slots=True, kw_only=True)
class Directive:
    """A parser directive at the top of the file: `# syntax=...`, `# escape=...`, `# check=...`."""

    name: str  # lower-cased
    value: str
    span: Span
    text: str  # exact source text, newline included


@dataclass(frozen=True, slots=True, kw_only=True)
class Comment:
    """A comment line (or a blank line) outside any instruction; kept for lossless output."""

    span: Span
    text: str  # exact source text, newline included


@dataclass(frozen=True, slots=True, kw_only=True)
class Flag:
    """A leading `--name[=value]` word of an instruction, as written."""

    name: str
    value: str | None  # None for a bare `--name`
    span: Span

    @property
    def text(self) -> str:
        return f"--{self.name}" if self.value is None else f"--{self.name}={self.value}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Heredoc:
    """A here-document attached to an instruction (`<<EOF`, `<<-EOF`, `3<<"EOF"`)."""

    name: str
    content: str  # raw body, not chomped and not expanded, with its final newline
    expand: bool  # False when the delimiter was quoted
    chomp: bool  # True for `<<-`
    file_descriptor: int  # the digits before `<<`, 0 when none
    span: Span  # the body and the terminator line


@dataclass(frozen=True, slots=True, kw_only=True)
class InstructionNode:
    """One instruction, continuation lines joined.

    `args` is BuildKit's node value list for this instruction (see conformance README, parser/ format):
    JSON elements or the trimmed rest for RUN/CMD/ENTRYPOINT/SHELL; words for FROM/EXPOSE/ADD/COPY/
    VOLUME/ARG; `key, value, sep` triples for ENV/LABEL; one string for MAINTAINER/USER/WORKDIR/
    STOPSIGNAL; for HEALTHCHECK the sub-command word then the rest as for CMD. ONBUILD has `trigger`.
    """

    keyword: str  # as written, e.g. "Copy"
    kind: Keyword | None  # None: unknown instruction (kept; rejected by `instructions/`)
    flags: tuple[Flag, ...]
    args: tuple[str, ...]
    json: bool  # exec (JSON array) form
    original: str  # BuildKit's `original`: the logical line, continuations joined, comments dropped
    heredocs: tuple[Heredoc, ...]
    trigger: InstructionNode | None  # ONBUILD's inner instruction
    span: Span  # from the keyword to the end of the last line (heredoc bodies included)
    text: str  # exact source text: all physical lines and heredoc bodies, newlines included
    comments: tuple[str, ...] = ()  # comment lines directly above (doc comments, `# check=skip=` ...)

    @property
    def name(self) -> str:
        """The lower-cased keyword."""
        return self.keyword.lower()


Item = Directive | Comment | InstructionNode


@dataclass(frozen=True, slots=True, kw_only=True)
class Dockerfile:
    """A whole parsed file. `to_source()` gives back the exact input text."""

    filename: str
    items: tuple[Item, ...]
    escape: str  # the escape character in force (`\\` or a backtick)
    bom: bool = False  # the text began with a UTF-8 byte order mark
    warnings: tuple[ParseWarning, ...] = ()

    @property
    def directives(self) -> tuple[Directive, ...]:
        return tuple(i for i in self.items if isinstance(i, Directive))

    @property
    def instructions(self) -> tuple[InstructionNode, ...]:
        return tuple(i for i in self.items if isinstance(i, InstructionNode))

    def to_source(self) -> str:
        return ("\ufeff" if self.bom else "") + "".join(item.text for item in self.items)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseWarning:
    """Something the parser accepted but BuildKit warns about (e.g. an empty continuation line)."""

    rule: str  # BuildKit check name, e.g. "NoEmptyContinuation"
    message: str
    span: Span
