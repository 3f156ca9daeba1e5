"""Platform strings as containerd's `platforms.Parse` + `Normalize` + `Format` read and print them, and the
host's platform."""

from __future__ import annotations

import os

import pytest

from pybuildkit.image.platform import InvalidPlatformError, Platform, host_platform

CASES = [
    ("linux/amd64", "linux/amd64"),
    ("linux/x86_64", "linux/amd64"),
    ("linux/arm64", "linux/arm64"),
    ("linux/aarch64", "linux/arm64"),
    ("linux/arm64/v8", "linux/arm64"),
    ("linux/arm64/8", "linux/arm64"),
    ("linux/arm", "linux/arm/v7"),
    ("linux/armhf", "linux/arm/v7"),
    ("linux/armel", "linux/arm/v6"),
    ("linux/arm/v6", "linux/arm/v6"),
    ("linux/arm/7", "linux/arm/v7"),
    ("linux/i386", "linux/386"),
    ("linux/i686", "linux/386"),
    ("LINUX/PPC64LE", "linux/ppc64le"),
    ("linux/s390x", "linux/s390x"),
    ("linux/riscv64", "linux/riscv64"),
    ("linux/amd64/v1", "linux/amd64"),
    ("linux/amd64/v3", "linux/amd64/v3"),
    ("arm64", "linux/arm64"),
    ("windows/amd64", "windows/amd64"),
    ("linux/arm/6", "linux/arm/v6"),
    ("Linux/AMD64", "linux/amd64"),
    ("darwin/ppc64le", "darwin/ppc64le"),
    ("macos/arm64", "darwin/arm64"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[row[0] for row in CASES])
def test_parse_normalises(text: str, expected: str) -> None:
    assert str(Platform.parse(text)) == expected


# A lone word takes what it lacks from the default platform (the host's when none is given).
HOST = Platform(os="linux", architecture="amd64")
LONE = [
    ("linux", HOST, "linux/amd64"),
    ("arm64", HOST, "linux/arm64"),
    ("linux", Platform(os="linux", architecture="arm", variant="v6"), "linux/arm/v6"),
    ("windows", Platform(os="linux", architecture="arm", variant="v6"), "windows/arm/v7"),
]


@pytest.mark.parametrize(("text", "default", "expected"), LONE, ids=[f"{r[0]}-{r[1]}" for r in LONE])
def test_lone_word_takes_the_default(text: str, default: Platform, expected: str) -> None:
    assert str(Platform.parse(text, default=default)) == expected


BAD = [
    ("empty", ""),
    ("no-arch", "linux/"),
    ("no-os", "/amd64"),
    ("too-long", "a/b/c/d"),
    ("four-parts", "linux/amd64/v2/x"),
    ("unknown-word", "nonsense"),
    ("space", "linux/am d64"),
    ("wildcard", "*/amd64"),
]


@pytest.mark.parametrize("text", [row[1] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_platforms(text: str) -> None:
    with pytest.raises(InvalidPlatformError):
        Platform.parse(text, default=HOST)


def test_host_platform_matches_uname() -> None:
    host = host_platform()
    assert host.os == "linux"
    assert host.architecture
    expected = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine)
    if expected:
        assert host.architecture == expected
    assert Platform.parse(str(host)) == host


def test_matching_ignores_default_variant() -> None:
    assert Platform.parse("linux/arm64").matches(Platform(os="linux", architecture="aarch64", variant="v8"))
    assert not Platform.parse("linux/arm/v6").matches(Platform.parse("linux/arm/v7"))
    assert not Platform.parse("linux/amd64").matches(Platform.parse("linux/arm64"))


def test_json_round_trip() -> None:
    platform = Platform(os="windows", architecture="amd64", os_version="10.0.17763", os_features=("win32k",))
    value = platform.to_json()
    assert value == {
        "architecture": "amd64",
        "os": "windows",
        "os.version": "10.0.17763",
        "os.features": ["win32k"],
    }
    assert Platform.from_json(value) == platform
