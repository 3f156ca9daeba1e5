"""The linter never raises on text: a file the parser accepts gives findings, one it rejects gives a
single SyntaxError finding with the parser's position, and each instruction the build cannot type gives
one SyntaxError finding at that instruction (property test)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pybuildkit
from pybuildkit.errors import DockerfileError
from pybuildkit.instructions import parse_instruction
from pybuildkit.linter import LintConfig, lint

KEYWORDS = ["FROM", "RUN", "CMD", "ENV", "ARG", "COPY", "ADD", "LABEL", "EXPOSE", "WORKDIR", "USER", "ONBUILD",
            "HEALTHCHECK", "SHELL", "ENTRYPOINT", "VOLUME", "STOPSIGNAL", "MAINTAINER", "from", "Run", "BOGUS"]  # fmt: skip
WORDS = ["a", "debian:12", "$X", "${Y:-z}", "--from=b", "--platform=$TARGETPLATFORM", "AS", "b", "[\"x\",", "\"y\"]",
         "&&", "|", "apt-get", "install", "-y", "pip", "cd", "sudo", "=", "k=v", "<<EOF", "\\", "'q", "\"", "80/TCP",
         "1.2.3.4:80:80", "/", "#", ";", "$(id)", "`x`", "-"]  # fmt: skip

line = st.tuples(st.sampled_from(KEYWORDS), st.lists(st.sampled_from(WORDS), max_size=6)).map(
    lambda t: " ".join([t[0], *t[1]])
)
extras = st.sampled_from(
    ["", "# comment", "EOF", "# check=skip=all", "# hadolint ignore=DL3008", "  ", "# escape=`"]
)
dockerfile = st.lists(st.one_of(line, extras), min_size=0, max_size=12).map(
    lambda lines: "\n".join(lines) + "\n"
)
QUIET = LintConfig(shellcheck=False)
DISPATCH_CHECKED = {"EXPOSE", "RUN", "COPY", "ADD"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfile)
def test_lint_never_raises(text: str) -> None:
    found = lint(text, config=QUIET)
    try:
        tree = pybuildkit.parse(text)
    except DockerfileError:
        assert [f.rule for f in found] == ["SyntaxError"]
        return
    rejected = set()
    for node in tree.instructions:
        try:
            parse_instruction(node)
        except DockerfileError as error:
            rejected.add((node.span.start.line, error.message))
    errors = {(f.line, f.message) for f in found if f.rule == "SyntaxError"}
    # The typing errors all appear; any other SyntaxError is the `# check=` directive's (line 1) or a
    # dispatch check's (a port, --mount or --chmod) on an instruction that typed.
    dispatched = {n.span.start.line for n in tree.instructions if n.keyword.upper() in DISPATCH_CHECKED}
    assert rejected <= errors
    assert all(line == 1 or line in dispatched for line, message in errors - rejected)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_lint_never_raises_on_any_text(text: str) -> None:
    lint(text if "\n" in text else text + "\n", config=QUIET)


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "\ufeffFROM a\n", "FROM a\r\nRUN b\r\n"])
def test_edge_files(text: str) -> None:
    lint(text or "\n", config=QUIET)
