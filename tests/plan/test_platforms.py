"""Platform strings as containerd's `platforms.Parse` + `Format` read and print them."""

from __future__ import annotations

import pytest

from pybuildkit.plan import Platform, host_platform, parse_platform
from pybuildkit.plan.platforms import PlatformError

HOST = Platform(os="linux", architecture="amd64")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/aarch64", "linux/arm64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/armhf", "linux/arm/v7"),
        ("linux/arm/6", "linux/arm/v6"),
        ("Linux/AMD64", "linux/amd64"),
        ("darwin/ppc64le", "darwin/ppc64le"),
        ("macos/arm64", "darwin/arm64"),
        ("linux", "linux/amd64"),
        ("arm64", "linux/arm64"),
        ("windows/amd64", "windows/amd64"),
    ],
)
def test_parse_platform(text: str, expected: str) -> None:
    assert str(parse_platform(text, default=HOST)) == expected


@pytest.mark.parametrize("text", ["", "linux/", "linux/amd64/v2/x", "nonsense", "linux/am d64", "*/amd64"])
def test_parse_platform_errors(text: str) -> None:
    with pytest.raises(PlatformError):
        parse_platform(text, default=HOST)


def test_host_platform_is_linux() -> None:
    assert host_platform().os == "linux"
    assert host_platform().architecture
