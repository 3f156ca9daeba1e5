"""Instruction flags (`--name[=value]`) with BuildKit's BFlags rules, and the flags each instruction accepts.

A flag is a bool (`--link`, `--link=true`, `--link=false`), a string (`--from=x`, a value is required) or
a repeatable string (`--mount=...` several times). Unknown flags, duplicates and bad values fail with the
words BuildKit uses (`unknown flag: --x`, `duplicate flag specified: --x`, ...), located at the flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from pybuildkit.errors import InstructionError
from pybuildkit.instructions.suggest import did_you_mean
from pybuildkit.source import Span
from pybuildkit.syntax.nodes import Flag


class FlagKind(Enum):
    BOOL = "bool"
    STRING = "string"
    STRINGS = "strings"  # may repeat; every value is kept in order


@dataclass(frozen=True, slots=True, kw_only=True)
class FlagSpec:
    """One flag an instruction accepts, with its default (False / "" unless BuildKit says otherwise)."""

    name: str
    kind: FlagKind
    default: str = ""  # for BOOL: "true" or "false"


def _bool(name: str, default: bool = False) -> FlagSpec:
    return FlagSpec(name=name, kind=FlagKind.BOOL, default="true" if default else "false")


def _string(name: str, default: str = "") -> FlagSpec:
    return FlagSpec(name=name, kind=FlagKind.STRING, default=default)


def _strings(name: str) -> FlagSpec:
    return FlagSpec(name=name, kind=FlagKind.STRINGS)


# The flags BuildKit declares per instruction (frontend/dockerfile/instructions/parse.go and the RUN hooks).
ADD_FLAGS = (
    _string("chown"),
    _string("chmod"),
    _bool("link"),
    _bool("keep-git-dir"),
    _string("checksum"),
    _bool("unpack"),
    _strings("exclude"),
)
COPY_FLAGS = (
    _string("chown"),
    _string("from"),
    _string("chmod"),
    _bool("link"),
    _strings("exclude"),
    _bool("parents"),
)
FROM_FLAGS = (_string("platform"),)
RUN_FLAGS = (
    _strings("mount"),
    _string("network", "default"),
    _string("security", "sandbox"),
    _strings("device"),
)
HEALTHCHECK_FLAGS = (
    _string("interval"),
    _string("timeout"),
    _string("start-period"),
    _string("start-interval"),
    _string("retries"),
)
NO_FLAGS: tuple[FlagSpec, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FlagValues:
    """The parsed flags of one instruction: every declared flag has a value (its default when not given)."""

    values: tuple[tuple[str, str | tuple[str, ...]], ...]
    used: tuple[str, ...]  # names given on the instruction, in the order first written

    def _get(self, name: str) -> str | tuple[str, ...]:
        for key, value in self.values:
            if key == name:
                return value
        raise KeyError(name)

    def string(self, name: str) -> str:
        value = self._get(name)
        assert isinstance(value, str)
        return value

    def boolean(self, name: str) -> bool:
        return self.string(name) == "true"

    def optional_boolean(self, name: str) -> bool | None:
        """True/False when the flag was written, None when it was not (BuildKit's `*bool`)."""
        return self.boolean(name) if name in self.used else None

    def strings(self, name: str) -> tuple[str, ...]:
        value = self._get(name)
        assert isinstance(value, tuple)
        return value


def parse_flags(flags: Sequence[Flag], specs: Iterable[FlagSpec]) -> FlagValues:
    """Check `flags` against `specs` as BuildKit's `BFlags.Parse` does."""
    return _parse(((f.name, f.value, f.span) for f in flags), tuple(specs))


def parse_flag_words(words: Sequence[str], specs: Iterable[FlagSpec]) -> FlagValues:
    """The same from raw words (`--name=value`); a bare `--` ends the flags."""
    items: list[tuple[str, str | None, Span | None]] = []
    for word in words:
        if word == "--":
            break
        if not word.startswith("--"):
            raise InstructionError(f"arg should start with -- : {word}", hint="write flags as --name=value")
        name, sep, value = word[2:].partition("=")
        items.append((name, value if sep else None, None))
    return _parse(items, tuple(specs))


def _parse(items: Iterable[tuple[str, str | None, Span | None]], specs: tuple[FlagSpec, ...]) -> FlagValues:
    by_name = {spec.name: spec for spec in specs}
    values: dict[str, str | tuple[str, ...]] = {
        spec.name: (() if spec.kind is FlagKind.STRINGS else spec.default) for spec in specs
    }
    used: list[str] = []
    for name, value, span in items:
        if name == "" and value is None:  # a bare `--`: the end of the flags
            break
        written = f"--{name}"
        spec = by_name.get(name)
        if spec is None:
            raise InstructionError(
                f"unknown flag: {written}", span=span, hint=did_you_mean(name, by_name, prefix="--")
            )
        if name in used and spec.kind is not FlagKind.STRINGS:
            raise InstructionError(
                f"duplicate flag specified: {written}", span=span, hint=f"give {written} once"
            )
        if name not in used:
            used.append(name)
        match spec.kind:
            case FlagKind.BOOL:
                if value == "":
                    raise InstructionError(
                        f"missing a value on flag: {written}",
                        span=span,
                        hint=f"write {written} or {written}=false",
                    )
                lowered = "" if value is None else value.lower()
                if lowered not in ("true", "false", ""):
                    raise InstructionError(
                        f"expecting boolean value for flag {written}, not: {value}",
                        span=span,
                        hint=f"write {written}, {written}=true or {written}=false",
                    )
                values[name] = "false" if lowered == "false" else "true"
            case FlagKind.STRING:
                if value is None:
                    raise InstructionError(
                        f"missing a value on flag: {written}", span=span, hint=f"write {written}=<value>"
                    )
                values[name] = value
            case FlagKind.STRINGS:
                if value is None:
                    raise InstructionError(
                        f"missing a value on flag: {written}", span=span, hint=f"write {written}=<value>"
                    )
                previous = values[name]
                assert isinstance(previous, tuple)
                values[name] = (*previous, value)
    return FlagValues(values=tuple(values.items()), used=tuple(used))
