"""Platforms (`linux/arm64`, `linux/arm/v7`): parsing, normalising as containerd does, and the host's own."""

from __future__ import annotations

import os
import platform as _stdlib_platform
from dataclasses import dataclass
from typing import Any, Final

from pybuildkit.errors import PyBuildKitError


class InvalidPlatformError(PyBuildKitError):
    """A platform string that is not `os[/arch[/variant]]`."""


# Machine names (uname -m, Go's GOARCH spellings) to OCI architecture and default variant.
_ARCH: Final[dict[str, tuple[str, str]]] = {
    "x86_64": ("amd64", ""),
    "x86-64": ("amd64", ""),
    "amd64": ("amd64", ""),
    "i386": ("386", ""),
    "i486": ("386", ""),
    "i586": ("386", ""),
    "i686": ("386", ""),
    "386": ("386", ""),
    "aarch64": ("arm64", ""),
    "arm64": ("arm64", ""),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
    "armv5l": ("arm", "v5"),
    "armv6l": ("arm", "v6"),
    "armv7l": ("arm", "v7"),
    "armv8l": ("arm", "v8"),
    "arm": ("arm", "v7"),
    "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
    "mips64": ("mips64", ""),
    "mips64le": ("mips64le", ""),
    "loong64": ("loong64", ""),
    "loongarch64": ("loong64", ""),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Platform:
    """An OCI platform. `str()` gives `os/arch[/variant]`."""

    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse `os[/arch[/variant]]` (or a bare architecture, taken as linux) and normalise it."""
        parts = [part.strip().lower() for part in text.strip().split("/")]
        if not parts or not all(parts) or len(parts) > 3:
            raise InvalidPlatformError(
                f"invalid platform {text!r}",
                hint="write it as os/arch[/variant], e.g. linux/arm64 or linux/arm/v7",
            )
        if len(parts) == 1:
            # A bare word is an OS when it names one, else an architecture (as containerd reads it).
            if parts[0] in _OSES:
                return normalize(cls(os=parts[0], architecture=host_platform().architecture))
            return normalize(cls(os="linux", architecture=parts[0]))
        variant = parts[2] if len(parts) == 3 else ""
        return normalize(cls(os=parts[0], architecture=parts[1], variant=variant))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        if self.os_version:
            out["os.version"] = self.os_version
        if self.os_features:
            out["os.features"] = list(self.os_features)
        return out

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Platform:
        return cls(
            os=str(value.get("os", "")),
            architecture=str(value.get("architecture", "")),
            variant=str(value.get("variant", "")),
            os_version=str(value.get("os.version", "")),
            os_features=tuple(str(item) for item in value.get("os.features") or ()),
        )

    def matches(self, other: Platform) -> bool:
        """Same OS and architecture, and the variant agrees (an empty variant matches the default one)."""
        mine, theirs = normalize(self), normalize(other)
        return (
            mine.os == theirs.os
            and mine.architecture == theirs.architecture
            and (mine.variant == theirs.variant or not mine.variant or not theirs.variant)
        )

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text


_OSES: Final = frozenset({"linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos"})


def normalize(platform: Platform) -> Platform:
    """containerd's rules: `aarch64` is `arm64` (v8 is its default, so dropped), `armhf` is `arm/v7`, etc."""
    os_name = platform.os.lower()
    if os_name == "macos":
        os_name = "darwin"
    arch, default_variant = _ARCH.get(platform.architecture.lower(), (platform.architecture.lower(), ""))
    variant = platform.variant.lower()
    if variant and not variant.startswith("v") and variant[0].isdigit():
        variant = "v" + variant
    match arch:
        case "arm64":
            if variant in ("v8", "v8.0"):
                variant = ""
            elif variant == "v9.0":
                variant = "v9"
        case "arm":
            if variant in ("", "v7.0"):
                variant = default_variant or "v7"
        case "amd64":
            if variant == "v1":
                variant = ""
        case _:
            if not variant:
                variant = default_variant
    return Platform(
        os=os_name,
        architecture=arch,
        variant=variant,
        os_version=platform.os_version,
        os_features=platform.os_features,
    )


def host_platform() -> Platform:
    """The platform of this machine, normalised (`linux/amd64` on x86-64 Linux)."""
    machine = os.uname().machine if hasattr(os, "uname") else _stdlib_platform.machine()
    arch, variant = _ARCH.get(machine.lower(), (machine.lower(), ""))
    return normalize(
        Platform(os=_stdlib_platform.system().lower() or "linux", architecture=arch, variant=variant)
    )
