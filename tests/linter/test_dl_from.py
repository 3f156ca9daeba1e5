"""hadolint's FROM and stage-reference rules, ARG-aware (hadolint#219, #979, #1078)."""

from __future__ import annotations

import pytest

from pybuildkit.linter import LintConfig
from tests.linter._support import lines

CASES = [
    ("DL3006", "FROM debian\n", [1]),
    ("DL3006", "FROM debian:12\nFROM scratch\nFROM debian@sha256:" + "0" * 64 + "\n", []),
    ("DL3006", "FROM debian:12 AS base\nFROM base\n", []),
    ("DL3006", "ARG IMAGE=debian:12\nFROM ${IMAGE}\n", []),  # hadolint#979: resolved, tagged
    ("DL3006", "ARG REGISTRY=docker.io\nFROM ${REGISTRY}/library/debian\n", [2]),
    ("DL3006", "ARG IMAGE=debian\nFROM ${IMAGE}\n", [2]),
    ("DL3006", "ARG IMAGE\nFROM ${IMAGE}\n", []),  # unknown value: judged as written ($-prefixed)
    ("DL3006", "FROM registry.example.com:5000/team/app\n", [1]),
    ("DL3007", "FROM debian:latest\n", [1]),
    ("DL3007", "ARG TAG=latest\nFROM debian:$TAG\n", [2]),
    ("DL3007", "FROM debian:latest@sha256:" + "0" * 64 + "\n", []),
    ("DL3007", "ARG TAG=12\nFROM debian:$TAG\n", []),
    ("DL3029", "FROM --platform=linux/amd64 debian:12\n", [1]),
    ("DL3029", "FROM --platform=$BUILDPLATFORM debian:12\n", []),
    ("DL3022", "FROM debian:12\nCOPY --from=build /a /a\n", [2]),
    ("DL3022", "FROM golang:1 AS build\nFROM debian:12\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\n", []),
    ("DL3022", "FROM debian:12\nCOPY --from=nginx:1.25 /etc/nginx /etc/nginx\nCOPY --from=3 /x /x\n", [3]),
    ("DL3023", "FROM golang:1 AS build\nCOPY --from=build /a /a\n", [2]),
    ("DL3023", "FROM golang:1 AS build\nFROM debian:12\nCOPY --from=build /a /a\n", []),
    ("DL3061", "LABEL a=b\nARG X\nFROM debian:12\n", [1]),
    ("DL3061", "# comment\nARG X\nFROM debian:12\n", []),
    ("DL3067", "FROM a:1 AS a\nFROM scratch\nCOPY --from=a / /\n", [3]),
    ("DL3067", "FROM a:1 AS a\nFROM scratch\nCOPY --from=a /bin /bin\nCOPY / /\n", []),
    ("DL3063", "FROM a:1 AS scratch\n", [1]),
    ("DL3065", "FROM --platform=$TARGETPLATFORM a:1\n", [1]),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_where_it_fires(rule: str, text: str, expected: list[int]) -> None:
    assert lines(text, rule) == expected


def test_build_args_resolve_the_base() -> None:
    text = "ARG IMAGE=debian\nFROM ${IMAGE}\n"
    assert lines(text, "DL3006") == [2]
    assert lines(text, "DL3006", build_args={"IMAGE": "debian:12"}) == []


TRUSTED = LintConfig(shellcheck=False, trusted_registries=("docker.io", "*.example.com"))
REGISTRY_CASES = [
    ("FROM debian:12\n", []),
    ("FROM quay.io/x/y:1\n", [1]),
    ("FROM registry.example.com/x:1\n", []),
    ("FROM debian:12 AS a\nFROM a\n", []),
    ("FROM debian:12\nCOPY --from=quay.io/x/y:1 /a /a\n", [2]),
    ("FROM debian:12\nRUN --mount=type=bind,from=ghcr.io/x/y:1,target=/x ls\n", [2]),
    ("FROM scratch\n", []),
]


@pytest.mark.parametrize(
    ("text", "expected"), REGISTRY_CASES, ids=[f"dl3026-{i}" for i in range(len(REGISTRY_CASES))]
)
def test_dl3026_trusted_registries(text: str, expected: list[int]) -> None:
    assert lines(text, "DL3026", config=TRUSTED) == expected
    assert lines(text, "DL3026") == []  # no trusted registries configured: no opinion


def test_dl3057_is_off_by_default() -> None:
    from tests.linter._support import enabled

    text = 'FROM debian:12 AS a\nHEALTHCHECK CMD ["x"]\nFROM a\nFROM debian:12\n'
    assert lines(text, "DL3057") == []
    assert lines(text, "DL3057", config=enabled("DL3057")) == [4]


def test_copy_from_is_resolved_with_global_args() -> None:
    text = "ARG BUILDER=build\nFROM golang:1 AS build\nFROM debian:12\nCOPY --from=$BUILDER /a /a\n"
    assert lines(text, "DL3022") == []
    assert lines("FROM debian:12\nCOPY --from=$NOPE /a /a\n", "DL3022") == [2]
