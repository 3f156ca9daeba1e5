"""Platforms (`linux/amd64`, `linux/arm/v7`): parse, normalize and format as containerd's `platforms` does,
and the host's platform (the default build and target platform)."""

from __future__ import annotations

import platform as _platform
import re
from dataclasses import dataclass

from pybuildkit.errors import PyBuildKitError

_COMPONENT = re.compile(r"^[A-Za-z0-9_.-]+$")
_KNOWN_OS = frozenset(
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
_KNOWN_ARCH = frozenset(
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


class PlatformError(PyBuildKitError):
    """A platform string that containerd would not parse."""


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""

    def __str__(self) -> str:
        """containerd's `Format`: os/arch[/variant]."""
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def _normalize_arch(arch: str, variant: str) -> tuple[str, str]:
    arch, variant = arch.lower(), variant.lower()
    match arch:
        case "i386":
            return "386", ""
        case "x86_64" | "x86-64" | "amd64":
            return "amd64", "" if variant == "v1" else variant
        case "aarch64" | "arm64":
            return "arm64", "" if variant in ("8", "v8") else variant
        case "armhf":
            return "arm", "v7"
        case "armel":
            return "arm", "v6"
        case "arm":
            if variant in ("", "7"):
                return "arm", "v7"
            if variant in ("5", "6", "8"):
                return "arm", "v" + variant
            return "arm", variant
    return arch, variant


def _normalize_os(os_name: str) -> str:
    lowered = os_name.lower()
    return "darwin" if lowered == "macos" else lowered


def host_platform() -> Platform:
    """The machine this runs on, as a Linux platform."""
    machine = _platform.machine().lower()
    arch, variant = {
        "x86_64": ("amd64", ""),
        "amd64": ("amd64", ""),
        "aarch64": ("arm64", ""),
        "arm64": ("arm64", ""),
        "armv7l": ("arm", "v7"),
        "armv6l": ("arm", "v6"),
        "i386": ("386", ""),
        "i686": ("386", ""),
    }.get(machine, (machine, ""))
    return Platform(os="linux", architecture=arch, variant=variant)


def parse_platform(text: str, *, default: Platform | None = None) -> Platform:
    """Parse `os[/arch[/variant]]` (or a lone arch) as containerd does; `default` fills what is missing."""
    base = default or host_platform()
    if "*" in text:
        raise PlatformError(f"{text!r}: wildcards not yet supported: invalid argument")
    parts = text.split("/")
    for part in parts:
        if not _COMPONENT.match(part):
            raise PlatformError(
                f'"{part}" is an invalid component of "{text}": platform specifier component must match '
                f'"^[A-Za-z0-9_.-]+$": invalid argument'
            )
    if len(parts) == 1:
        single = parts[0]
        if single.lower() in _KNOWN_OS or single.lower() == "macos":
            os_name = _normalize_os(single)
            if os_name == base.os:
                return Platform(os=os_name, architecture=base.architecture, variant=base.variant)
            return Platform(os=os_name, architecture=base.architecture)
        arch, variant = _normalize_arch(single, "")
        if arch in _KNOWN_ARCH:
            return Platform(os=base.os, architecture=arch, variant=variant)
        raise PlatformError(f'"{text}": unknown operating system or architecture: invalid argument')
    if len(parts) in (2, 3):
        arch, variant = _normalize_arch(parts[1], parts[2] if len(parts) == 3 else "")
        return Platform(os=_normalize_os(parts[0]), architecture=arch, variant=variant)
    raise PlatformError(f'"{text}": cannot parse platform specifier: invalid argument')
