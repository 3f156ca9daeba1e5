"""The flags each instruction accepts (BuildKit's declarations), through real Dockerfile text."""

from __future__ import annotations

import pytest

from pybuildkit.errors import InstructionError
from pybuildkit.instructions import parse_instruction
from pybuildkit.instructions.flags import (
    ADD_FLAGS,
    COPY_FLAGS,
    FROM_FLAGS,
    HEALTHCHECK_FLAGS,
    RUN_FLAGS,
    FlagKind,
    parse_flag_words,
)
from tests.instructions.build import parse_text

DECLARED = {
    "ADD": (
        {f.name for f in ADD_FLAGS},
        {"chown", "chmod", "link", "keep-git-dir", "checksum", "unpack", "exclude"},
    ),
    "COPY": ({f.name for f in COPY_FLAGS}, {"chown", "from", "chmod", "link", "exclude", "parents"}),
    "FROM": ({f.name for f in FROM_FLAGS}, {"platform"}),
    "RUN": ({f.name for f in RUN_FLAGS}, {"mount", "network", "security", "device"}),
    "HEALTHCHECK": (
        {f.name for f in HEALTHCHECK_FLAGS},
        {"interval", "timeout", "start-period", "start-interval", "retries"},
    ),
}


@pytest.mark.parametrize("keyword", sorted(DECLARED))
def test_declared_flags_are_buildkits(keyword: str) -> None:
    ours, buildkit = DECLARED[keyword]
    assert ours == buildkit


ACCEPTED = [
    "ADD --chown=1:1 --chmod=644 --link --keep-git-dir=true --checksum=sha256:0 --unpack --exclude=a --exclude=b x /y",
    "COPY --chown=1:1 --from=st --chmod=644 --link=false --exclude=a --parents x /y",
    "FROM --platform=linux/arm64 x",
    "RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t --network=host --security=sandbox --device=a x",
    "HEALTHCHECK --interval=1s --timeout=2s --start-period=3s --start-interval=4s --retries=5 CMD x",
]


@pytest.mark.parametrize("line", ACCEPTED, ids=[line.split()[0] for line in ACCEPTED])
def test_every_declared_flag_is_accepted(line: str) -> None:
    parse_instruction(parse_text(line + "\n").instructions[0])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ENV --x a=b", "unknown flag: --x"),
        ("LABEL --x a=b", "unknown flag: --x"),
        ("EXPOSE --x 80", "unknown flag: --x"),
        ("VOLUME --x /v", "unknown flag: --x"),
        ("USER --x me", "unknown flag: --x"),
        ("WORKDIR --x /w", "unknown flag: --x"),
        ("CMD --x a", "unknown flag: --x"),
        ("ENTRYPOINT --x a", "unknown flag: --x"),
        ('SHELL --x ["a"]', "unknown flag: --x"),
        ("FROM --plaform=linux x", "unknown flag: --plaform"),
        ("COPY --form=x a b", "unknown flag: --form"),
        ("COPY --exclude a b", "missing a value on flag: --exclude"),
    ],
)
def test_flag_errors_through_text(line: str, message: str) -> None:
    node = parse_text("FROM x\n" + line + "\n").instructions[1]
    with pytest.raises(InstructionError) as caught:
        parse_instruction(node)
    assert caught.value.message == message
    flag_span = node.flags[0].span if node.flags else node.span
    assert caught.value.span == flag_span  # errors point at the flag


def test_double_dash_ends_the_flags() -> None:
    spec = [next(f for f in COPY_FLAGS if f.kind is FlagKind.BOOL)]
    values = parse_flag_words(["--link", "--", "--whatever"], spec)
    assert values.boolean("link") and values.used == ("link",)
