"""BuildKit checks on FROM lines: where they fire, where they must not, and the exact messages."""

from __future__ import annotations

import pytest

from tests.linter._support import lines, messages

CASES = [
    # rule, Dockerfile, lines where it fires
    ("StageNameCasing", "FROM alpine AS Build\n", [1]),
    ("StageNameCasing", "FROM alpine AS build\n", []),
    ("StageNameCasing", "FROM alpine\n", []),
    ("FromAsCasing", "FROM alpine as build\n", [1]),
    ("FromAsCasing", "from alpine AS build\n", [1]),
    ("FromAsCasing", "from alpine as build\n", []),
    ("FromAsCasing", "From alpine as build\n", []),  # mixed FROM: ConsistentInstructionCasing's job
    ("DuplicateStageName", "FROM a AS x\nFROM b AS x\nFROM c AS X\n", [2, 3]),
    ("DuplicateStageName", "FROM a AS x\nFROM b AS y\n", []),
    ("ReservedStageName", "FROM a AS scratch\nFROM b AS context\n", [1, 2]),
    ("ReservedStageName", "FROM a AS scratchy\n", []),
    ("UndefinedArgInFrom", "FROM alpine:$VERSION\n", [1]),
    ("UndefinedArgInFrom", "ARG VERSION\nFROM alpine:$VERSION\n", []),
    ("UndefinedArgInFrom", "FROM --platform=$BUILDPLATFORM alpine:3\n", []),
    ("UndefinedArgInFrom", "FROM --platform=$BULIDPLATFORM alpine:3\n", [1]),
    ("RedundantTargetPlatform", "FROM --platform=$TARGETPLATFORM alpine:3\n", [1]),
    ("RedundantTargetPlatform", "FROM --platform=${TARGETPLATFORM} alpine:3\n", [1]),
    ("RedundantTargetPlatform", "FROM --platform=$BUILDPLATFORM alpine:3\n", []),
    ("RedundantTargetPlatform", "FROM --platform=${TARGETPLATFORM}${X:-} alpine:3\n", []),
    ("FromPlatformFlagConstDisallowed", "FROM --platform=linux/amd64 alpine:3\n", [1]),
    ("FromPlatformFlagConstDisallowed", "FROM --platform=linux/amd64 alpine:3 AS build-amd64\n", []),
    ("FromPlatformFlagConstDisallowed", "FROM --platform=linux/arm64 alpine:3 AS linux-builder\n", []),
    ("FromPlatformFlagConstDisallowed", "FROM --platform=$BUILDPLATFORM alpine:3\n", []),
    ("InvalidDefaultArgInFrom", "ARG VERSION\nFROM busybox:$VERSION\n", [2]),
    ("InvalidDefaultArgInFrom", "ARG IMAGE\nFROM $IMAGE\n", [2]),
    ("InvalidDefaultArgInFrom", "ARG VERSION=1.36\nFROM busybox:$VERSION\n", []),
    ("InvalidDefaultArgInFrom", 'ARG BUSYBOX_VARIANT=""\nFROM busybox:stable${BUSYBOX_VARIANT}\n', []),
    ("InvalidDefaultArgInFrom", "ARG BUSYBOX_VARIANT\nFROM busybox:stable${BUSYBOX_VARIANT}\n", []),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_where_it_fires(rule: str, text: str, expected: list[int]) -> None:
    assert lines(text, rule) == expected


def test_invalid_default_arg_ignores_build_args() -> None:
    # semantics.md §1.22: the build arg makes the build valid, the default still warns.
    assert lines(
        "ARG VERSION\nFROM busybox:$VERSION\n", "InvalidDefaultArgInFrom", build_args={"VERSION": "1"}
    ) == [2]


MESSAGES = [
    ("StageNameCasing", "FROM alpine AS Build\n", "Stage name 'Build' should be lowercase"),
    ("FromAsCasing", "FROM alpine as build\n", "'as' and 'FROM' keywords' casing do not match"),
    (
        "DuplicateStageName",
        "FROM a AS x\nFROM b AS x\n",
        'Duplicate stage name "x", stage names should be unique',
    ),
    (
        "ReservedStageName",
        "FROM a AS scratch\n",
        'Stage name should not use the same name as reserved stage "scratch"',
    ),
    ("UndefinedArgInFrom", "FROM alpine:$VERSION\n", "FROM argument 'VERSION' is not declared"),
    (
        "UndefinedArgInFrom",
        "FROM --platform=$BULIDPLATFORM alpine:3\n",
        "FROM argument 'BULIDPLATFORM' is not declared (did you mean BUILDPLATFORM?)",
    ),
    (
        "UndefinedArgInFrom",
        "ARG VERSION=1\nFROM alpine:$VERSIN\n",
        "FROM argument 'VERSIN' is not declared (did you mean VERSION?)",
    ),
    (
        "RedundantTargetPlatform",
        "FROM --platform=$TARGETPLATFORM alpine:3\n",
        "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
    ),
    (
        "FromPlatformFlagConstDisallowed",
        "FROM --platform=linux/amd64 alpine:3\n",
        'FROM --platform flag should not use constant value "linux/amd64"',
    ),
    (
        "InvalidDefaultArgInFrom",
        "ARG VERSION\nFROM busybox:$VERSION\n",
        "Default value for ARG busybox:$VERSION results in empty or invalid base image name",
    ),
]


@pytest.mark.parametrize(
    ("rule", "text", "message"), MESSAGES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MESSAGES)]
)
def test_messages_match_buildkit(rule: str, text: str, message: str) -> None:
    assert messages(text, rule) == [message]


def test_invalid_definition_description_is_experimental() -> None:
    text = "# the base\nFROM alpine AS base\n"
    assert lines(text, "InvalidDefinitionDescription") == []
    from tests.linter._support import enabled

    assert lines(text, "InvalidDefinitionDescription", config=enabled("InvalidDefinitionDescription")) == [2]
    good = "# base the base\nFROM alpine AS base\n"
    assert lines(good, "InvalidDefinitionDescription", config=enabled("InvalidDefinitionDescription")) == []
    # the BuildKit directive switches it on too
    directive = "# check=experimental=InvalidDefinitionDescription\n\n# the base\nFROM alpine AS base\n"
    assert lines(directive, "InvalidDefinitionDescription") == [4]
