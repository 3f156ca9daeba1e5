"""Differential test against the `dockerfile` PyPI package (BuildKit 0.12's Go parser, as a binding).

Every Dockerfile the tests hold goes through both; `pybuildkit.compat` must give the same commands, or the
same failure. The package is older than the BuildKit we follow; a file that trips one of the documented
differences (see `pybuildkit.compat`) is skipped with the reason, never compared loosely.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybuildkit import compat
from pybuildkit.errors import DockerfileError
from pybuildkit.syntax import parse
from tests.syntax._data import all_dockerfiles, case_id, read_text

dockerfile = pytest.importorskip("dockerfile")

_CHECK_DIRECTIVE = re.compile(r"\A(?:\s*#[^\n]*\n)*?\s*#\s*check\s*=", re.IGNORECASE)
_HEREDOC_SPACE = re.compile(r"<<-?[ \t\r]")
_JSON_KINDS = {"run", "cmd", "entrypoint", "shell", "add", "copy", "volume", "healthcheck"}


def known_difference(text: str) -> str | None:
    """Why BuildKit 0.12 (the package) and current BuildKit may disagree on `text`, or None."""
    if "\x00" in text or "\\u0000" in text:
        return "the binding hands strings over as C strings, so a NUL ends them"
    if _CHECK_DIRECTIVE.search(text):
        return "`# check=` is a parser directive since frontend 1.8"
    if _HEREDOC_SPACE.search(text):
        return "whitespace after `<<` opens a heredoc since BuildKit 0.13"
    try:
        tree = parse(text)
    except DockerfileError:
        return None
    nodes = list(tree.instructions)
    nodes += [n.trigger for n in tree.instructions if n.trigger is not None]
    for node in nodes:
        if node.name in _JSON_KINDS and not node.json:
            rest = node.original
            start = rest.find("[")
            if start < 0:
                continue
            try:
                _, end = json.JSONDecoder().raw_decode(rest[start:])
            except ValueError:
                continue
            if rest[start + end :].strip():
                return "JSON followed by more text is shell form since frontend 1.9"
    if tree.escape == "`" and any(
        "--" in n.original and ("\\" in n.original or "`" in n.original) for n in nodes
    ):
        return "flags honour the escape directive since BuildKit 0.13"
    return None


def _theirs(text: str) -> object:
    try:
        return [(*c[:8], tuple(tuple(h) for h in c.heredocs)) for c in dockerfile.parse_string(text)]
    except dockerfile.GoParseError as error:
        return ("error", str(error))


def _ours(text: str) -> object:
    try:
        return [(*c[:8], tuple(tuple(h) for h in c.heredocs)) for c in compat.parse_string(text)]
    except DockerfileError as error:
        return ("error", error.message)


@pytest.mark.parametrize("path", all_dockerfiles(), ids=case_id)
def test_same_commands_as_the_go_parser(path: Path) -> None:
    text = read_text(path)
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in text):
        pytest.skip("not UTF-8: the binding cannot take it as a Python str")
    theirs, ours = _theirs(text), _ours(text)
    if theirs == ours:
        return
    reason = known_difference(text)
    if reason is not None:
        pytest.skip(f"known difference: {reason}")
    if isinstance(theirs, tuple) and isinstance(ours, tuple):
        return  # both fail: messages may carry Go's location prefix
    assert ours == theirs


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('FROM a\nCMD ["a"] extra\n', "JSON followed"),
        ("# check=skip=all\n# escape=`\nFROM a\nRUN a `\n  b\n", "check"),
        ('FROM a\nCMD ["a\\u0000b"]\n', "NUL"),
        ("FROM a\nRUN << EOF\nx\nEOF\n", "whitespace after"),
    ],
    ids=["json-trailing", "check-directive", "nul", "heredoc-space"],
)
def test_known_differences_are_real(text: str, reason: str) -> None:
    """Each documented difference is real (the two disagree) and recognised by `known_difference`."""
    assert _theirs(text) != _ours(text)
    found = known_difference(text)
    assert found is not None and reason in found


def test_commands_match_for_a_rich_file() -> None:
    text = (
        "FROM a AS b\nenv A=1 B='x y'\nLABEL k v w\nONBUILD copy --from=x a b\nHEALTHCHECK --interval=5s CMD [\"a\"]\n"
        "RUN <<EOF\nhi\nEOF\nfoo bar\nONBUILD ONBUILD RUN x\nUSER\n"
    )
    assert _ours(text) == _theirs(text)


_PIECES = [
    "FROM a",
    "RUN echo hi",
    "RUN <<EOF",
    "EOF",
    "COPY --from=x a b",
    "ONBUILD RUN x",
    "ENV a=b c=d",
    "ENV a b c",
    'LABEL x="y z"',
    'CMD ["a", "b"]',
    'CMD ["a", 1]',
    "CMD ['a']",
    "  ",
    "",
    "# c",
    "#",
    "\\",
    "`",
    "RUN a \\",
    "RUN a `",
    "  b",
    "ARG x=1 y",
    "HEALTHCHECK --interval=5s CMD x",
    "EXPOSE 80 443",
    "USER x",
    "FOO bar",
    "COPY <<A <<B /d",
    "A",
    "B",
    "RUN <<-X",
    "\tX",
    'RUN --a="b c" d',
    "COPY -- --x y",
    'VOLUME ["/a"]',
    "RUN 3<<E cat",
    "E",
    "onbuild copy <<E /x",
    "ENV",
    "RUN <<'Q'",
    "Q",
    "RUN ${a",
    "RUN <<E ${x:-y z}",
    "ENV é=ü",
    "RUN ☃ \u00a0",
]
_TOPS = ["", "# escape=`\n", "# syntax=docker/dockerfile:1\n", "\ufeff", "#!/bin/sh\n"]


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_TOPS),
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=9),
    st.sampled_from(["\n", "\r\n"]),
)
def test_random_files_match_the_go_parser(top: str, lines: list[str], newline: str) -> None:
    text = top + newline.join(lines) + newline
    theirs, ours = _theirs(text), _ours(text)
    if theirs == ours or (isinstance(theirs, tuple) and isinstance(ours, tuple)):
        return
    assert known_difference(text) is not None, (theirs, ours)


# A line holding only whitespace and a line continuation (QA: `unknown instruction: ` with no name).
# BuildKit's parser (parser.go `Parse`) joins it to the next instruction when one follows (through
# comment and empty lines); at the end of the file, or before comment lines only, it makes an instruction
# with an empty name, which `instructions.Parse` rejects as "unknown instruction: ".
LONE_CONTINUATIONS = {
    "at-eof": "FROM scratch\n  \\\n",
    "at-eof-no-indent": "FROM scratch\n\\\n",
    "at-eof-no-newline": "FROM scratch\n  \\",
    "middle": "FROM scratch\n  \\\nRUN x\n",
    "before-comment-then-instruction": "FROM scratch\n  \\\n# c\nRUN x\n",
    "before-comment-at-eof": "FROM scratch\n  \\\n# c\n",
    "before-empty-line": "FROM scratch\n  \\\n\nRUN x\n",
    "tab-indent": "FROM scratch\n\t\\\nCOPY a b\n",
    "backtick-escape": "# escape=`\nFROM scratch\n  `\n",
}


@pytest.mark.parametrize("text", list(LONE_CONTINUATIONS.values()), ids=list(LONE_CONTINUATIONS))
def test_lone_continuation_matches_the_go_parser(text: str) -> None:
    assert _ours(text) == _theirs(text)
