"""UndefinedVar: names no ARG/ENV/build arg defines where they are used (semantics.md §1.12-13)."""

from __future__ import annotations

import pytest

from tests.linter._support import lines, messages

CASES = [
    ("scratch-undefined", "FROM scratch\nCOPY $foo .\n", [2]),
    ("declared-later", "FROM scratch\nCOPY $foo .\nARG foo=bar\n", [2]),
    ("declared-arg", "FROM scratch\nARG foo=bar\nCOPY $foo .\n", []),
    ("declared-arg-no-value", "FROM scratch\nARG foo\nCOPY $foo .\n", []),
    ("env", "FROM scratch\nENV foo=bar\nCOPY $foo .\n", []),
    ("path-is-defined", "FROM scratch\nENV P=$PATH:/x\n", []),
    ("inherited-from-stage", "FROM alpine AS base\nARG foo=Dockerfile\nFROM base\nCOPY $foo .\n", []),
    ("global-arg-not-in-stage", "ARG foo=1\nFROM scratch\nCOPY $foo .\n", [3]),
    ("global-arg-redeclared", "ARG foo=1\nFROM scratch\nARG foo\nCOPY $foo .\n", []),
    ("run-not-checked", "FROM scratch\nRUN echo $nope\n", []),
    ("default-value-form", "FROM scratch\nCOPY ${foo:-x} .\n", [2]),
    ("build-arg-does-not-declare", "FROM scratch\nCOPY $foo .\n", [2]),
    ("label-key", "FROM scratch\nLABEL $key=v\n", [2]),
    ("workdir", "FROM scratch\nWORKDIR /$dir\n", [2]),
    ("external-base-no-typo", "FROM python:3.12\nCOPY $PYTHON_HOME/x /x\n", []),
    ("external-base-typo", "FROM python:3.12\nENV APP_HOME=/app\nCOPY x $APP_HOEM/\n", [3]),
    ("arg-default-sees-earlier", "FROM scratch\nARG A=1 B=$A\nCOPY $B .\n", []),
    # Which fields expand is the plan's table (plan/expand.py), as the build's.
    ("env-key", "FROM scratch\nENV $key=v\n", [2]),
    ("add-checksum", "FROM scratch\nADD --checksum=$sum https://example.com/a /a\n", [2]),
    ("run-mount", "FROM scratch\nRUN --mount=type=cache,target=/$cache true\n", [2]),
    ("heredoc-body-keeps-quotes", "FROM scratch\nCOPY <<EOF /f\n'$quoted'\nEOF\n", [2]),
    ("heredoc-quoted-delimiter", "FROM scratch\nCOPY <<'EOF' /f\n$quoted\nEOF\n", []),
    ("untypable-instruction", "FROM scratch\nCOPY --bogus=1 $x /x\n", []),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_where_it_fires(name: str, text: str, expected: list[int]) -> None:
    assert lines(text, "UndefinedVar") == expected


def test_message_and_suggestion() -> None:
    text = "FROM scratch\nARG DIR_NAME=x\nCOPY $DIR_NAEM /\nCOPY $other /\n"
    assert messages(text, "UndefinedVar") == [
        "Usage of undefined variable '$DIR_NAEM' (did you mean $DIR_NAME?)",
        "Usage of undefined variable '$other'",
    ]
