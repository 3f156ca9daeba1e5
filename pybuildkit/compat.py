"""A drop-in for the `dockerfile` PyPI package (a binding of BuildKit's Go parser, now deprecated).

`parse_string(text)` and `parse_file(path)` return tuples of `Command` named tuples with exactly that
package's fields and values, so its users switch by changing one import::

    from pybuildkit import compat as dockerfile

Fields: `cmd` (keyword as written; None for an empty one), `sub_cmd` (ONBUILD's trigger keyword, else None),
`json`, `original`, `start_line`, `end_line` (1-based), `flags`, `value` (ENV/LABEL as key, value, key,
value...), `heredocs` (`Heredoc(name, file_descriptor, content)`). As in that package: an ONBUILD reports its
own flags and its trigger's values and JSON flag, and the heredoc bodies (each body, then its terminator
name, then a newline) are appended to `original`, except for ONBUILD.

Where that package (built on BuildKit 0.12) and current BuildKit disagree, this follows current BuildKit:

* `CMD ["a"] extra` is shell form (BuildKit now decodes JSON with `json.Unmarshal`, which rejects trailing
  text; 0.12 took the first JSON value and ignored the rest);
* `# check=...` is a parser directive (since Dockerfile frontend 1.8), so it is not an instruction's comment;
* `<< EOF` (whitespace after `<<`) opens a heredoc;
* flags honour the `# escape=` character (0.12 always used a backslash there).

One difference comes from the binding itself: it hands strings to Python as C strings, so a NUL (`\u0000`
in a JSON array) cuts a value short there; here the value is whole.

Errors raise `GoParseError` (a `DockerfileError`) for parse errors and `GoIOError` (an `OSError`) for
files that cannot be read, like the package's exceptions of the same names.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from pybuildkit.errors import DockerfileError
from pybuildkit.syntax.nodes import Dockerfile, InstructionNode, Keyword

__all__ = ["Command", "GoIOError", "GoParseError", "Heredoc", "commands", "parse_file", "parse_string"]


class Heredoc(NamedTuple):
    name: str
    file_descriptor: int
    content: str


class Command(NamedTuple):
    cmd: str | None
    sub_cmd: str | None
    json: bool
    original: str | None
    start_line: int
    end_line: int
    flags: tuple[str, ...]
    value: tuple[str, ...]
    heredocs: tuple[Heredoc, ...]


class GoParseError(DockerfileError):
    """The text is not a Dockerfile (the `dockerfile` package's exception of the same name)."""


class GoIOError(OSError):
    """The file could not be read."""


def parse_string(text: str) -> tuple[Command, ...]:
    """Parse Dockerfile text into the `dockerfile` package's commands."""
    from pybuildkit.syntax.parser import parse

    try:
        tree = parse(text)
    except DockerfileError as error:
        raise GoParseError(
            error.message, filename=error.filename, span=error.span, source=error.source
        ) from None
    return commands(tree)


def parse_file(path: str | os.PathLike[str]) -> tuple[Command, ...]:
    """Parse a Dockerfile on disk into the `dockerfile` package's commands."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise GoIOError(str(error)) from None
    return parse_string(data.decode("utf-8", "surrogateescape"))


def commands(tree: Dockerfile) -> tuple[Command, ...]:
    """The commands of an already parsed tree."""
    return tuple(_command(node) for node in tree.instructions)


def _command(node: InstructionNode) -> Command:
    inner = node.trigger if node.trigger is not None else node
    values = inner.args
    if inner is not node and inner.trigger is not None:
        values = ("",)  # `ONBUILD ONBUILD x`: Go's inner node holds its own trigger under an empty value
    if inner.kind in (Keyword.ENV, Keyword.LABEL):
        values = tuple(v for i, v in enumerate(values) if i % 3 != 2)  # drop the separators
    original = node.original
    heredocs: tuple[Heredoc, ...] = ()
    if node.trigger is None and node.heredocs:
        original += "\n" + "".join(h.content + h.name + "\n" for h in node.heredocs)
        heredocs = tuple(Heredoc(h.name, h.file_descriptor, h.content) for h in node.heredocs)
    first = node.span.start.line
    return Command(
        cmd=node.keyword or None,
        sub_cmd=(node.trigger.keyword or None) if node.trigger is not None else None,
        json=inner.json,
        original=original or None,
        start_line=first,
        end_line=node.span.end.line,
        flags=tuple(flag.text for flag in node.flags),
        value=values,
        heredocs=heredocs,
    )
