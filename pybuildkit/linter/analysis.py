"""Everything rules read, computed once per file: stages, the ARG/ENV scope before each instruction
(with build args), resolved base images, RUN scripts cut into commands, the context's ignore matcher.

This is a static view (nothing is pulled or run). Where a value depends on a base image we cannot see
(its ENV), `Stage.env_known` is False and rules say less rather than guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pybuildkit.image.platform import Platform
from pybuildkit.linter.config import LintConfig
from pybuildkit.linter.shellwords import Command, Script, expand, split_script
from pybuildkit.plan.expand import DEFAULT_PATH, arg_value, automatic_args
from pybuildkit.plan.expand import PROXY_ARGS as _PROXY_ARGS
from pybuildkit.shell import Expansion
from pybuildkit.syntax.nodes import Dockerfile, InstructionNode, Keyword

_LINT_PLATFORM = Platform(os="linux", architecture="amd64")

# The predefined ARGs as a linux/amd64 build sets them (the linter reads a file as for that build, whatever
# the host); TARGETSTAGE is unknown statically. Names and order come from the plan, as the build's do.
AUTOMATIC_ARGS: Mapping[str, str] = MappingProxyType(
    dict(automatic_args(_LINT_PLATFORM, _LINT_PLATFORM, target_stage=""))
)
PROXY_ARGS = frozenset(name for lower in _PROXY_ARGS for name in (lower, lower.upper()))


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """Variables visible before an instruction: values known, plus names declared with no value."""

    values: Mapping[str, str]
    declared: frozenset[str]
    env_known: bool  # False: the base image may define more (its ENV is not known statically)

    def defines(self, name: str) -> bool:
        return name in self.values or name in self.declared


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    index: int
    node: InstructionNode  # the FROM
    name: str | None  # the alias as written (`AS Name`)
    base: str  # the image word as written
    base_resolved: Expansion  # the image word after global ARG expansion (defaults and build args)
    platform: str | None  # `--platform` as written
    parent: int | None  # the stage it is built FROM, when the base names an earlier stage
    instructions: tuple[InstructionNode, ...]  # after the FROM, up to the next FROM


@dataclass(slots=True, kw_only=True)
class Analysis:
    """What every rule reads. Built by `analyse`; rules treat it as read-only."""

    filename: str
    text: str
    tree: Dockerfile
    config: LintConfig
    build_args: Mapping[str, str]
    escape: str
    instructions: tuple[InstructionNode, ...]
    meta: tuple[InstructionNode, ...]  # instructions before the first FROM
    meta_scope: Scope
    from_values: Mapping[str, str]  # what FROM lines and `COPY --from` see: predefined and global ARGs
    stages: tuple[Stage, ...]
    ignore_matcher: object | None = None  # context's ignore matcher (see rules/copy_ignored_file.py)
    ignore_file: str | None = None
    _scopes: dict[int, Scope] = field(default_factory=dict)
    _stage_of: dict[int, int] = field(default_factory=dict)
    _scripts: dict[int, Script] = field(default_factory=dict)

    def scope(self, node: InstructionNode) -> Scope:
        return self._scopes.get(id(node), self.meta_scope)

    def stage_of(self, node: InstructionNode) -> Stage | None:
        index = self._stage_of.get(id(node))
        return None if index is None else self.stages[index]

    def stage_named(self, name: str) -> Stage | None:
        for stage in self.stages:
            if stage.name is not None and stage.name.lower() == name.lower():
                return stage
        return None

    def groups(self) -> tuple[tuple[InstructionNode, ...], ...]:
        """Instructions per stage, with the ones before the first FROM as a group of their own (hadolint
        checks a file with no FROM as one stage)."""
        return (self.meta, *(s.instructions for s in self.stages))

    def nodes(self, *kinds: Keyword) -> tuple[InstructionNode, ...]:
        return tuple(n for n in self.instructions if n.kind in kinds)

    def script(self, node: InstructionNode) -> Script:
        """The commands of a RUN (shell form, heredoc bodies included; exec form is one command)."""
        cached = self._scripts.get(id(node))
        if cached is None:
            cached = run_script(node)
            self._scripts[id(node)] = cached
        return cached

    def commands(self, node: InstructionNode) -> tuple[Command, ...]:
        return self.script(node).commands

    def expand(self, node: InstructionNode, word: str) -> Expansion:
        return expand(word, self.scope(node).values, self.escape)


SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"})


def run_script(node: InstructionNode) -> Script:
    if node.json:
        # hadolint reads exec form as the shell text of its words joined by spaces.
        return split_script(" ".join(node.args))
    text = node.args[0] if node.args else ""
    if not node.heredocs:
        return split_script(text)
    head = split_script(text)
    first = head.commands[0].name if head.commands else ""
    # A heredoc is the script when it is the whole command (`RUN <<EOF`) or fed to a shell.
    scripts = [head]
    if not head.commands or first in SHELLS:
        scripts.extend(split_script(h.content) for h in node.heredocs)
    commands = tuple(c for s in scripts for c in s.commands if c.name not in SHELLS or len(c.words) > 1)
    return Script(commands=commands, has_pipe=any(s.has_pipe for s in scripts))


def arg_pairs(node: InstructionNode) -> list[tuple[str, str | None]]:
    """ARG `name[=default]` words as (name, default or None)."""
    pairs: list[tuple[str, str | None]] = []
    for word in node.args:
        name, sep, value = word.partition("=")
        pairs.append((name, value if sep else None))
    return pairs


def env_pairs(node: InstructionNode) -> list[tuple[str, str, str]]:
    """ENV/LABEL `key, value, sep` triples as (key, value, sep)."""
    args = node.args
    return [(args[i], args[i + 1], args[i + 2]) for i in range(0, len(args) - 2, 3)]


def analyse(
    tree: Dockerfile,
    *,
    text: str,
    config: LintConfig,
    build_args: Mapping[str, str] | None = None,
    ignore_matcher: object | None = None,
    ignore_file: str | None = None,
) -> Analysis:
    build_args = dict(build_args or {})
    escape = tree.escape
    instructions = tree.instructions
    meta: list[InstructionNode] = []
    scopes: dict[int, Scope] = {}
    stage_of: dict[int, int] = {}

    def ex(word: str, values: Mapping[str, str]) -> str:
        return expand(word, values, escape).value

    # Global (meta) ARGs: only FROM lines see them, until a stage redeclares one.
    meta_values: dict[str, str] = {}
    meta_declared: set[str] = set()
    index = 0
    while index < len(instructions) and instructions[index].kind is not Keyword.FROM:
        node = instructions[index]
        scopes[id(node)] = Scope(values=dict(meta_values), declared=frozenset(meta_declared), env_known=True)
        if node.kind is Keyword.ARG:
            for name, default in arg_pairs(node):
                value = arg_value(
                    name,
                    default,
                    build_args=build_args,
                    globals_={},
                    word=lambda text: ex(text, meta_values),
                )
                if value is None:
                    meta_declared.add(name)
                else:
                    meta_values[name] = value
        meta.append(node)
        index += 1
    meta_scope = Scope(values=dict(meta_values), declared=frozenset(meta_declared), env_known=True)
    from_values = {**AUTOMATIC_ARGS, **meta_values}

    stages: list[Stage] = []
    stage_end_scope: list[Scope] = []
    rest = instructions[index:]
    groups: list[list[InstructionNode]] = []
    for node in rest:
        if node.kind is Keyword.FROM:
            groups.append([node])
        else:
            groups[-1].append(node)
    for number, group in enumerate(groups):
        from_node = group[0]
        words = from_node.args
        base = words[0] if words else ""
        alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
        platform = next((f.value for f in from_node.flags if f.name == "platform"), None)
        resolved = expand(base, from_values, escape)
        parent = None
        for earlier in stages:
            if earlier.name is not None and earlier.name.lower() == resolved.value.lower():
                parent = earlier.index
        scopes[id(from_node)] = Scope(
            values=dict(from_values), declared=frozenset(meta_declared), env_known=True
        )
        stage_of[id(from_node)] = number
        if parent is not None:
            inherited = stage_end_scope[parent]
            values = dict(inherited.values)
            declared = set(inherited.declared)
            env_known = inherited.env_known
        else:
            values = {"PATH": DEFAULT_PATH}
            declared = set()
            env_known = resolved.value.lower() == "scratch"
        for node in group[1:]:
            stage_of[id(node)] = number
            scopes[id(node)] = Scope(values=dict(values), declared=frozenset(declared), env_known=env_known)
            _apply(node, values, declared, build_args, from_values, ex)
        stage_end_scope.append(Scope(values=values, declared=frozenset(declared), env_known=env_known))
        stages.append(
            Stage(
                index=number,
                node=from_node,
                name=alias,
                base=base,
                base_resolved=resolved,
                platform=platform,
                parent=parent,
                instructions=tuple(group[1:]),
            )
        )

    return Analysis(
        filename=tree.filename,
        text=text,
        tree=tree,
        config=config,
        build_args=build_args,
        escape=escape,
        instructions=instructions,
        meta=tuple(meta),
        meta_scope=meta_scope,
        from_values=MappingProxyType(from_values),
        stages=tuple(stages),
        ignore_matcher=ignore_matcher,
        ignore_file=ignore_file,
        _scopes=scopes,
        _stage_of=stage_of,
    )


def _apply(
    node: InstructionNode,
    values: dict[str, str],
    declared: set[str],
    build_args: Mapping[str, str],
    globals_: Mapping[str, str],
    ex: Callable[[str, Mapping[str, str]], str],
) -> None:
    """Update the scope after `node` (ARG and ENV only). `globals_`: the predefined and global ARGs."""
    if node.kind is Keyword.ARG:
        for name, default in arg_pairs(node):
            value = arg_value(
                name, default, build_args=build_args, globals_=globals_, word=lambda text: ex(text, values)
            )
            if value is None:
                declared.add(name)
            else:
                values[name] = value
    elif node.kind is Keyword.ENV:
        # All values of one ENV see the scope before it (BuildKit expands the whole line first).
        before = dict(values)
        for key, value, _sep in env_pairs(node):
            values[key] = ex(value, before)
            declared.discard(key)
