"""`pybuildkit fmt`: golden outputs, idempotence, and "same instructions after formatting" on every
Dockerfile the tests hold (comments and heredoc bodies byte for byte)."""

from __future__ import annotations

from pathlib import Path

import pytest

import pybuildkit
from pybuildkit.errors import DockerfileError
from pybuildkit.linter.fmt import format_text
from pybuildkit.shell import ShellExpansionError, expand
from pybuildkit.syntax.nodes import Comment, Dockerfile, InstructionNode, Keyword
from tests.linter._support import CASES
from tests.support import REPO, conformance_dir

GOLDEN = [
    ("keywords", "from alpine:3 as build\nrun echo hi\n", "FROM alpine:3 AS build\nRUN echo hi\n"),
    ("onbuild-trigger", "onbuild run make\n", "ONBUILD RUN make\n"),
    ("json-spacing", 'CMD ["a","b"]\nENTRYPOINT [ "x" ,"y" ]\n', 'CMD ["a", "b"]\nENTRYPOINT ["x", "y"]\n'),
    ("json-unicode-kept", 'CMD ["♥","a b"]\n', 'CMD ["♥", "a b"]\n'),
    (
        "legacy-env",
        "ENV A /srv/app\nENV B hello world\nLABEL c d\n",
        'ENV A=/srv/app\nENV B="hello world"\nLABEL c=d\n',
    ),
    ("legacy-env-quoted", 'ENV A "hello world"\n', 'ENV A="hello world"\n'),
    ("legacy-env-escapes-left", "ENV A it\\'s\n", "ENV A it\\'s\n"),
    ("continuation-indent", "RUN a \\\n&& b \\\n  && c\n", "RUN a \\\n    && b \\\n    && c\n"),
    ("continuation-in-quotes-left", 'RUN echo "a \\\nb"\n', 'RUN echo "a \\\nb"\n'),
    (
        "comments-kept",
        "# syntax=docker/dockerfile:1\n# a comment\n\nfrom a\n",
        "# syntax=docker/dockerfile:1\n# a comment\n\nFROM a\n",
    ),
    ("heredoc-kept", "from a\ncopy <<EOF /x\n  body\nEOF\n", "FROM a\nCOPY <<EOF /x\n  body\nEOF\n"),
    ("already-formatted", 'FROM a:1\nCMD ["a", "b"]\n', 'FROM a:1\nCMD ["a", "b"]\n'),
    ("crlf", "from a\r\nrun x\r\n", "FROM a\r\nRUN x\r\n"),
]


@pytest.mark.parametrize(("name", "source", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden(name: str, source: str, expected: str) -> None:
    assert format_text(source) == expected


def _corpus() -> list[Path]:
    files = sorted(CASES.glob("*/Dockerfile")) + sorted((REPO / "examples").glob("*/Dockerfile"))
    files += sorted((REPO / "fixtures").glob("**/Dockerfile"))
    root = conformance_dir()
    if root is not None:
        files += sorted((root / "parser").glob("*/Dockerfile"))
    return files


def _meaning(node: InstructionNode) -> tuple[object, ...]:
    args: tuple[object, ...] = node.args
    if node.kind in (Keyword.ENV, Keyword.LABEL):
        values = []
        for i in range(0, len(node.args) - 2, 3):
            try:
                value = expand(node.args[i + 1], {}).value
            except ShellExpansionError:
                value = node.args[i + 1]
            values.append((node.args[i], value))
        args = tuple(values)
    elif node.kind in (Keyword.RUN, Keyword.CMD, Keyword.ENTRYPOINT) and not node.json:
        args = tuple(" ".join(a.split()) for a in node.args)  # continuation indentation only
    trigger = _meaning(node.trigger) if node.trigger is not None else None
    return (
        node.kind,
        tuple(f.text for f in node.flags),
        args,
        node.json,
        tuple(h.content for h in node.heredocs),
        trigger,
    )


def _comments(tree: Dockerfile) -> list[str]:
    return [item.text for item in tree.items if isinstance(item, Comment)]


CORPUS = _corpus()


@pytest.mark.parametrize("path", CORPUS, ids=[f"{p.parent.name}" for p in CORPUS])
def test_same_instructions_after_formatting(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    try:
        before = pybuildkit.parse(text)
    except DockerfileError:
        pytest.skip("not a Dockerfile BuildKit reads")
    formatted = format_text(text)
    after = pybuildkit.parse(formatted)
    assert [_meaning(n) for n in after.instructions] == [_meaning(n) for n in before.instructions]
    assert _comments(after) == _comments(before)
    assert [d.text for d in after.directives] == [d.text for d in before.directives]
    assert format_text(formatted) == formatted  # idempotent
