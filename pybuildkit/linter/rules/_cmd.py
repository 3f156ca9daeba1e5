"""hadolint's view of one shell command (its `Hadolint.Shell.Command`), rebuilt on our shell words so
the RUN rules decide exactly as hadolint does: the name as written, every argument, and the flags
(`--name[=v]` gives `name`; `-abc` gives `a`, `b`, `c`; `-` and `--` are not flags)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from pybuildkit.linter.analysis import Analysis
from pybuildkit.linter.shellwords import Command
from pybuildkit.syntax.nodes import InstructionNode, Keyword


@dataclass(frozen=True, kw_only=True)
class Cmd:
    name: str
    args: tuple[str, ...]

    @cached_property
    def flags(self) -> tuple[tuple[str, int], ...]:
        """(flag name, index of the argument it came from)."""
        out: list[tuple[str, int]] = []
        for index, arg in enumerate(self.args):
            if arg in ("-", "--"):
                continue
            if arg.startswith("--"):
                out.append((arg[2:].split("=", 1)[0], index))
            elif arg.startswith("-"):
                out.extend((ch, index) for ch in arg[1:])
        return tuple(out)

    @cached_property
    def flag_indexes(self) -> frozenset[int]:
        return frozenset(i for _, i in self.flags)

    def has_args(self, names: str | Iterable[str], wanted: Iterable[str]) -> bool:
        """hadolint `cmdHasArgs`: the command is one of `names` and has one of `wanted` as an argument."""
        names = (names,) if isinstance(names, str) else tuple(names)
        return self.name in names and any(a in self.args for a in wanted)

    def has_flag(self, flag: str) -> bool:
        return any(f == flag for f, _ in self.flags)

    def count_flag(self, flag: str) -> int:
        return sum(1 for f, _ in self.flags if f == flag)

    def has_any_flag(self, flags: Iterable[str]) -> bool:
        wanted = set(flags)
        return any(f in wanted for f, _ in self.flags)

    def has_arg(self, arg: str) -> bool:
        return arg in self.args

    def args_no_flags(self, dropped: Iterable[str] = ()) -> list[str]:
        """hadolint `getArgsNoFlags (dropFlagArg dropped cmd)`: arguments that are not flags, with the
        values of the `dropped` flags (given as the next word) left out."""
        drop = set(dropped)
        skip: set[int] = set()
        for flag, index in self.flags:
            if flag in drop and "=" not in self.args[index] and index + 1 < len(self.args):
                skip.add(index + 1)
        return [a for i, a in enumerate(self.args) if i not in self.flag_indexes and i not in skip]

    def flag_args(self, flag: str) -> list[str]:
        """hadolint `getFlagArg`: the word after each occurrence of `flag`."""
        out = []
        for f, index in self.flags:
            if f == flag and index + 1 < len(self.args):
                out.append(self.args[index + 1])
        return out


def to_cmd(command: Command) -> Cmd:
    return Cmd(name=command.words[0] if command.words else "", args=tuple(command.words[1:]))


def run_of(node: InstructionNode, *, onbuild: bool = True) -> InstructionNode | None:
    """The RUN a node runs: the node itself, or the trigger of an `ONBUILD RUN` when `onbuild`."""
    if node.kind is Keyword.RUN:
        return node
    if (
        onbuild
        and node.kind is Keyword.ONBUILD
        and node.trigger is not None
        and node.trigger.kind is Keyword.RUN
    ):
        return node.trigger
    return None


def runs(analysis: Analysis, *, onbuild: bool = True) -> Iterator[tuple[InstructionNode, InstructionNode]]:
    """(reported node, RUN node): each RUN, and each `ONBUILD RUN` when `onbuild` (hadolint's `onbuild`)."""
    for node in analysis.instructions:
        run = run_of(node, onbuild=onbuild)
        if run is not None:
            yield node, run


def cmds(analysis: Analysis, node: InstructionNode) -> list[Cmd]:
    return [to_cmd(c) for c in analysis.commands(node)]


def runs_with(analysis: Analysis, test: Callable[[Cmd], bool]) -> Iterator[InstructionNode]:
    """The node to report for each RUN (and `ONBUILD RUN`) with a command that passes `test`, once a RUN."""
    for reported, run in runs(analysis):
        if any(test(c) for c in cmds(analysis, run)):
            yield reported


def mount_targets(node: InstructionNode, kinds: tuple[str, ...] = ("cache", "tmpfs")) -> list[str]:
    """Targets of `RUN --mount=type=cache|tmpfs,target=...` (hadolint `hasCacheOrTmpfsMountWith`)."""
    targets = []
    for f in node.flags:
        if f.name != "mount" or not f.value:
            continue
        fields = dict(part.partition("=")[::2] for part in f.value.split(","))
        if fields.get("type") in kinds:
            target = fields.get("target") or fields.get("dst") or fields.get("destination")
            if target:
                targets.append(target)
    return targets


def has_cache_mount(node: InstructionNode, path: str) -> bool:
    return any(path in target for target in mount_targets(node))
