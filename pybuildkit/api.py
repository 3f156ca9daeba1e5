"""The public entry points: `pybuildkit.parse` and `pybuildkit.parse_file`."""

from __future__ import annotations

import os

from pybuildkit.errors import DockerfileError
from pybuildkit.syntax.nodes import Dockerfile


def parse(text: str, *, filename: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile text into a frozen, lossless tree (`parse(text).to_source() == text`).

    Raises `DockerfileSyntaxError` (a `DockerfileError`) with file, line, column and a hint for what
    BuildKit's parser rejects.
    """
    from pybuildkit.syntax.parser import parse as parse_text

    return parse_text(text, filename=filename)


def parse_file(path: str | os.PathLike[str]) -> Dockerfile:
    """Read and parse a Dockerfile. The text is decoded as UTF-8; bytes that are not UTF-8 are kept
    (as surrogate escapes) so `to_source()` still gives the file back."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise DockerfileError(f"cannot read {name}: {error.strerror}", filename=name) from None
    # newline handling stays ours (CRLF is part of the lossless text), so read bytes, not text mode
    return parse(data.decode("utf-8", "surrogateescape"), filename=name)
