"""Whole rendered errors: location, message, code frame and hint, as the CLI prints them."""

from __future__ import annotations

import pytest

from pybuildkit.errors import DockerfileError
from pybuildkit.plan import load_program
from pybuildkit.syntax.nodes import InstructionNode
from tests.instructions.build import node, parse_text, tree

CASES = [
    pytest.param(
        (node("FROM", "busybox"), node("COPPY", "a", "b"), node("RUN", "x")),
        {},
        "Dockerfile:2:1: unknown instruction: COPPY\n"
        " 1 |     FROM busybox\n"
        " 2 | >>> COPPY a b\n"
        " 3 |     RUN x\n"
        "hint: did you mean COPY?",
        id="unknown-instruction",
    ),
    pytest.param(
        (node("FROM", "busybox"), node("COPY", "a", "/b", flags=("--chmown=1",)), node("RUN", "x")),
        {},
        "Dockerfile:2:6: unknown flag: --chmown\n"
        " 1 |     FROM busybox\n"
        " 2 | >>> COPY --chmown=1 a /b\n"
        " 3 |     RUN x\n"
        "hint: did you mean --chown?",
        id="unknown-flag-at-the-flag",
    ),
    pytest.param(
        (node("ARG", 'FOO=${FOO:?"custom error"}'), node("FROM", "busybox")),
        {},
        'Dockerfile:1:9: failed to process "${FOO:?\\"custom error\\"}": FOO: custom error\n'
        ' 1 | >>> ARG FOO=${FOO:?"custom error"}\n'
        " 2 |     FROM busybox",
        id="global-arg-error",
    ),
    pytest.param(
        (node("FROM", "busybox", "AS", "build"), node("RUN", "x")),
        {"target": "biuld"},
        'Dockerfile: target stage "biuld" could not be found\nhint: did you mean build?',
        id="unknown-target",
    ),
    pytest.param(
        (
            node("FROM", "busybox", "AS", "a"),
            node("COPY", "x", "y", flags=("--from=b",)),
            node("FROM", "busybox", "AS", "b"),
        ),
        {"target": "a"},
        'Dockerfile:2:1: cannot copy from stage "b", it needs to be defined before current stage "a"\n'
        " 1 |     FROM busybox AS a\n"
        " 2 | >>> COPY --from=b x y\n"
        " 3 |     FROM busybox AS b",
        id="copy-from-later-stage",
    ),
    pytest.param(
        (node("FROM", "busybox"), node("USER"), node("RUN", "x")),
        {},
        "Dockerfile:2:1: USER requires exactly one argument\n"
        " 1 |     FROM busybox\n"
        " 2 | >>> USER\n"
        " 3 |     RUN x\n"
        "hint: write USER <user>[:<group>]",
        id="exactly-one",
    ),
    pytest.param(
        (node("FROM", "busybox"), node("RUN", "x", flags=("--mount=type=cahce,target=/c",))),
        {},
        'Dockerfile:2:1: unsupported mount type "cahce"\n'
        " 1 |     FROM busybox\n"
        " 2 | >>> RUN --mount=type=cahce,target=/c x\n"
        "hint: did you mean cache?",
        id="mount-type",
    ),
    pytest.param(
        (node("RUN", "x"),),
        {},
        "Dockerfile:1:1: no build stage in current context\n"
        " 1 | >>> RUN x\n"
        "hint: the first instruction (after ARGs) must be FROM",
        id="no-stage",
    ),
]


@pytest.mark.parametrize(("nodes", "options", "rendered"), CASES)
def test_rendered_error(nodes: tuple[InstructionNode, ...], options: dict[str, str], rendered: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        load_program(tree(*nodes), **options)  # type: ignore[arg-type]
    assert caught.value.render() == rendered


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        (
            "FROM busybox\n  ENV A=1 \\\n    B=${X:?missing}\n",
            'Dockerfile:3:7: failed to process "${X:?missing}": X: missing\n'
            " 2 |       ENV A=1 \\\n"
            " 3 | >>>     B=${X:?missing}",
        ),
        (
            "FROM busybox\n  WORKDIR /a/${X:?no workdir}\nRUN x\n",
            'Dockerfile:2:14: failed to process "/a/${X:?no workdir}": X: no workdir\n'
            " 1 |     FROM busybox\n"
            " 2 | >>>   WORKDIR /a/${X:?no workdir}\n"
            " 3 |     RUN x",
        ),
    ],
    ids=["continuation-line", "indented"],
)
def test_expansion_errors_point_at_the_variable(text: str, rendered: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        load_program(parse_text(text))
    assert caught.value.render() == rendered
