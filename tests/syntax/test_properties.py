"""Properties over random and mutated Dockerfiles: lossless, total (a tree or a DockerfileError, nothing else,
quickly), and the same tree from the hand-written line parsers and from the Lark grammar."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybuildkit.errors import DockerfileError
from pybuildkit.syntax import parse
from tests.syntax._data import all_dockerfiles, case_id, read_text

# Pieces a Dockerfile is made of, so random text often reaches deep into the parser.
PIECES = [
    "FROM ",
    "RUN ",
    "COPY ",
    "ADD ",
    "ENV ",
    "LABEL ",
    "ARG ",
    "CMD ",
    "ENTRYPOINT ",
    "SHELL ",
    "ONBUILD ",
    "HEALTHCHECK ",
    "EXPOSE ",
    "VOLUME ",
    "USER ",
    "WORKDIR ",
    "STOPSIGNAL ",
    "MAINTAINER ",
    "FOO ",
    "# escape=`\n",
    "# escape=\\\n",
    "# syntax=x\n",
    "# check=skip=all\n",
    "#!/bin/sh\n",
    "--mount=type=cache,target=/x ",
    "--from=a ",
    "-- ",
    "--",
    "<<EOF",
    "<<-EOF",
    "<<'EOF'",
    "3<<E",
    "EOF\n",
    "\tEOF\n",
    '["a", "b"]',
    "[1]",
    "[",
    "]",
    "{",
    '"',
    "'",
    "\\",
    "`",
    "\\\n",
    "`\n",
    "\n",
    "\r\n",
    " ",
    "\t",
    "=",
    "a=b ",
    "$X ",
    "${X:-y}",
    "${",
    "\ufeff",
    "\u00a0",
    "é",
    "\x00",
    "\x0b",
    "\x1c",
    "\u2028",
    "#",
    ":",
]
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=40).map("".join)
RANDOM = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def _parse_or_error(text: str, engine: str = "fast") -> object:
    try:
        return parse(text, engine=engine)  # type: ignore[arg-type]
    except DockerfileError as error:
        assert error.message and error.render()
        return ("error", error.message, error.span)


@RANDOM
@given(texts)
def test_random_text_gives_tree_or_dockerfile_error(text: str) -> None:
    result = _parse_or_error(text)
    if not isinstance(result, tuple):
        assert result.to_source() == text  # type: ignore[attr-defined]


@RANDOM
@given(texts)
def test_grammar_engine_agrees(text: str) -> None:
    assert _parse_or_error(text, "grammar") == _parse_or_error(text, "fast")


@RANDOM
@given(st.text(max_size=200))
def test_any_text_round_trips(text: str) -> None:
    result = _parse_or_error("FROM a\n" + text)
    if not isinstance(result, tuple):
        assert result.to_source() == "FROM a\n" + text  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(all_dockerfiles()), st.data())
def test_mutated_real_dockerfiles(path: Path, data: st.DataObject) -> None:
    text = read_text(path)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 8))
        text = text[:at] + data.draw(st.sampled_from(PIECES)) + text[at + cut :]
    assert _parse_or_error(text, "grammar") == _parse_or_error(text, "fast")
    result = _parse_or_error(text)
    if not isinstance(result, tuple):
        assert result.to_source() == text  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", all_dockerfiles(), ids=case_id)
def test_every_dockerfile_round_trips(path: Path) -> None:
    text = read_text(path)
    try:
        tree = parse(text)
    except DockerfileError:
        return  # the negative cases
    assert tree.to_source() == text
    assert "".join(item.text for item in tree.items) == text.removeprefix("\ufeff")
