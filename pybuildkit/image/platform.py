"""Platforms (`linux/arm64`, `linux/arm/v7`): parsing, formatting and normalising as containerd's
`platforms` package does (`Parse`, `Normalize`, `Format`), and the host's own platform.

The one implementation for the whole package: the plan reads `FROM --platform` and `--platform` with it,
the image, store and registry layers pick manifests with it.
"""

from __future__ import annotations

import os
import platform as _stdlib_platform
import re
from dataclasses import dataclass
from typing import Any, Final

from pybuildkit.errors import PyBuildKitError


class InvalidPlatformError(PyBuildKitError):
    """A platform string that containerd would not parse."""


_HINT: Final = "write it as os/arch[/variant], e.g. linux/arm64 or linux/arm/v7"
_COMPONENT: Final = re.compile(r"^[A-Za-z0-9_.-]+$")

# Go's known GOOS and GOARCH values (containerd's `isKnownOS`/`isKnownArch`): a lone word is an OS
# when it names one, else an architecture when it names one, else an error.
_KNOWN_OS: Final = frozenset(
    [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "hurd",
        "illumos",
        "ios",
        "js",
        "linux",
        "nacl",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "wasip1",
        "windows",
        "zos",
    ]
)
_KNOWN_ARCH: Final = frozenset(
    [
        "386",
        "amd64",
        "amd64p32",
        "arm",
        "armbe",
        "arm64",
        "arm64be",
        "loong64",
        "mips",
        "mipsle",
        "mips64",
        "mips64le",
        "mips64p32",
        "mips64p32le",
        "ppc",
        "ppc64",
        "ppc64le",
        "riscv",
        "riscv64",
        "s390",
        "s390x",
        "sparc",
        "sparc64",
        "wasm",
    ]
)

# `uname -m` spellings containerd does not know, as the architecture (and variant) they name; read
# before containerd's own rules so that the host's machine name and a user's `linux/i686` both work.
_MACHINE: Final[dict[str, tuple[str, str]]] = {
    "i486": ("386", ""),
    "i586": ("386", ""),
    "i686": ("386", ""),
    "armv5l": ("arm", "v5"),
    "armv6l": ("arm", "v6"),
    "armv7l": ("arm", "v7"),
    "armv8l": ("arm", "v8"),
    "loongarch64": ("loong64", ""),
}


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Platform:
    """An OCI platform. `str()` gives containerd's `Format`: `os/arch[/variant]`."""

    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str, *, default: Platform | None = None) -> Platform:
        """Parse `os[/arch[/variant]]`, a lone OS or a lone architecture, normalised.

        A lone word takes what it lacks from `default` (the host's platform when None): an OS gets the
        default's architecture (and its variant when the OS is the same), an architecture the default's OS.
        """
        if "*" in text:
            raise InvalidPlatformError(f"{text!r}: wildcards not yet supported: invalid argument", hint=_HINT)
        parts = text.split("/")
        for part in parts:
            if not _COMPONENT.match(part):
                raise InvalidPlatformError(
                    f'"{part}" is an invalid component of "{text}": platform specifier component must match '
                    f'"^[A-Za-z0-9_.-]+$": invalid argument',
                    hint=_HINT,
                )
        match parts:
            case [single]:
                base = default or host_platform()
                os_name = _normalize_os(single)
                if os_name in _KNOWN_OS:
                    variant = base.variant if os_name == base.os else ""
                    return normalize(cls(os=os_name, architecture=base.architecture, variant=variant))
                arch, variant = _normalize_arch(single, "")
                if arch in _KNOWN_ARCH:
                    return cls(os=base.os, architecture=arch, variant=variant)
                raise InvalidPlatformError(
                    f'"{text}": unknown operating system or architecture: invalid argument', hint=_HINT
                )
            case [os_name, arch]:
                return normalize(cls(os=os_name, architecture=arch))
            case [os_name, arch, variant]:
                return normalize(cls(os=os_name, architecture=arch, variant=variant))
        raise InvalidPlatformError(f'"{text}": cannot parse platform specifier: invalid argument', hint=_HINT)

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
        """Same OS and architecture, and the variant agrees (an empty variant matches any)."""
        mine, theirs = normalize(self), normalize(other)
        return (
            mine.os == theirs.os
            and mine.architecture == theirs.architecture
            and (mine.variant == theirs.variant or not mine.variant or not theirs.variant)
        )

    def __str__(self) -> str:
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)


def _normalize_os(os_name: str) -> str:
    lowered = os_name.lower()
    return "darwin" if lowered == "macos" else lowered


def _normalize_arch(arch: str, variant: str) -> tuple[str, str]:
    """containerd's `normalizeArch`: `aarch64` is `arm64` (whose default variant v8 is dropped), `armhf`
    is `arm/v7`, a bare `arm` is `arm/v7`, `x86_64` is `amd64` (v1 dropped)..."""
    arch, variant = arch.lower(), variant.lower()
    if arch in _MACHINE:
        arch, implied = _MACHINE[arch]
        variant = variant or implied
    match arch:
        case "i386":
            return "386", ""
        case "x86_64" | "x86-64" | "amd64":
            return "amd64", "" if variant == "v1" else variant
        case "aarch64" | "arm64":
            if variant in ("8", "v8", "v8.0"):
                return "arm64", ""
            return "arm64", "v9" if variant in ("9", "9.0", "v9.0") else variant
        case "armhf":
            return "arm", "v7"
        case "armel":
            return "arm", "v6"
        case "arm":
            if variant in ("", "7"):
                return "arm", "v7"
            return "arm", "v" + variant if variant in ("5", "6", "8") else variant
    return arch, variant


def normalize(platform: Platform) -> Platform:
    """containerd's `Normalize`: the OS and architecture spelled as OCI spells them (see `_normalize_arch`)."""
    arch, variant = _normalize_arch(platform.architecture, platform.variant)
    return Platform(
        os=_normalize_os(platform.os),
        architecture=arch,
        variant=variant,
        os_version=platform.os_version,
        os_features=platform.os_features,
    )


def host_platform() -> Platform:
    """This machine as a Linux platform (`linux/amd64` on x86-64): what builds target and pulls select by
    default. Always Linux, since the images built and pulled are Linux images whatever the host runs."""
    machine = os.uname().machine if hasattr(os, "uname") else _stdlib_platform.machine()
    return normalize(Platform(os="linux", architecture=machine))
