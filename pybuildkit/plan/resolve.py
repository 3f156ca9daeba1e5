"""Resolve a Program for one build: global ARGs, FROM lines, the stage graph, `--target` pruning,
ONBUILD triggers, and per-stage expansion at the point of each instruction, as BuildKit's dispatcher.

Pure: images are not fetched. A base image's config (its ENV, ONBUILD triggers, SHELL, ...) comes through
the `base_image` callback, which the build supplies; without it an image is taken to have an empty config.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from pybuildkit.errors import DockerfileError, ExpansionError, InstructionError, PyBuildKitError
from pybuildkit.image.platform import InvalidPlatformError, Platform, host_platform
from pybuildkit.instructions import (
    DEFAULT_SHELL,
    AddInstruction,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvInstruction,
    Instruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    UserInstruction,
    WorkdirInstruction,
    parse_instruction,
)
from pybuildkit.instructions.base import go_quote, is_heredoc_word
from pybuildkit.instructions.suggest import did_you_mean
from pybuildkit.plan.expand import (
    DEFAULT_PATH,
    NON_ENV_ARGS,
    PROXY_ARGS,
    arg_value,
    automatic_args,
    expand_instruction,
)
from pybuildkit.plan.program import Program, Stage
from pybuildkit.shell import Expansion, ShellExpansionError, expand, expand_words
from pybuildkit.source import Position, Span
from pybuildkit.syntax.heredoc import chomp_heredoc_content
from pybuildkit.syntax.nodes import Dockerfile, InstructionNode

SCRATCH = "scratch"

Env = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseImageConfig:
    """What the plan needs from a base image's config (the build resolves images and fills this in)."""

    env: tuple[str, ...] = ()  # `KEY=VALUE` entries, as in the image config
    on_build: tuple[str, ...] = ()  # ONBUILD trigger texts
    shell: tuple[str, ...] = ()
    working_dir: str = ""
    user: str = ""
    os: str = "linux"


BaseImageLookup = Callable[[str, Platform], BaseImageConfig | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedInstruction:
    """One instruction of a stage, expanded at its point in the stage.

    `env` is the environment in force when it runs (ARGs and ENVs so far, the base image's ENV; proxies
    are apart, in `Plan.proxy_env`). `build_args` are the ARGs declared so far in scope (name, value) in
    order, as BuildKit lists them in a RUN's history. `used_vars`/`undefined_vars` are the names its
    expansion looked up and found or not. `argv` is the command to run for RUN and the image's
    command for CMD/ENTRYPOINT (shell form wrapped in the stage's SHELL).
    """

    instruction: Instruction
    original: Instruction
    env: Env
    build_args: tuple[tuple[str, str | None], ...]
    used_vars: frozenset[str] = frozenset()
    undefined_vars: frozenset[str] = frozenset()
    argv: tuple[str, ...] | None = None
    workdir: str = "/"  # WORKDIR in force when it runs
    user: str = ""  # USER in force
    shell: tuple[str, ...] = ()  # SHELL in force (empty: the default)
    script: tuple[str, str] | None = None  # RUN heredoc with a #! line: (file name, content) run as a file
    source_stage: int | None = None  # COPY --from=<stage>
    mount_stages: tuple[int, ...] = ()  # RUN --mount from=<stage>
    onbuild_from: Span | None = None  # set for a trigger: the FROM span of the stage it runs in

    @property
    def span(self) -> Span:
        return self.original.span

    @property
    def history_args(self) -> tuple[str, ...]:
        """BuildKit's `RUN |N k=v ...` prefix words: each ARG name once (first declaration order), with
        its value in the environment, else its declared value."""
        env = dict(self.env)
        values: dict[str, str] = {}
        for key, value in self.build_args:
            values[key] = env.get(key, value or "")
        if not values:
            return ()
        return (f"|{len(values)}", *(f"{k}={v}" for k, v in values.items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedStage:
    """A stage to build: its expanded base and its expanded instructions (ONBUILD triggers first)."""

    stage: Stage
    base_name: str  # expanded FROM image or stage name
    base_stage: int | None  # index of the stage it is built FROM, if any
    platform: Platform | None  # FROM --platform, parsed
    used_args: frozenset[str]  # global ARGs the FROM line used
    undefined_args: frozenset[str]  # names the FROM line used that no global ARG defines
    instructions: tuple[PlannedInstruction, ...]
    env: Env  # at the end of the stage
    config_env: tuple[str, ...]  # the image config's Env at the end of the stage
    shell: tuple[str, ...]
    workdir: str
    user: str
    dependencies: tuple[int, ...]  # stages it copies or mounts from
    images: tuple[str, ...]  # images it copies or mounts from

    @property
    def index(self) -> int:
        return self.stage.index

    @property
    def name(self) -> str:
        return self.stage.name


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What one build does: the reachable stages in file order, the target last among them."""

    program: Program
    target: int  # index of the target stage
    stages: tuple[PlannedStage, ...]
    global_args: Env  # after the build-args and the meta ARGs
    build_args: Env
    proxy_env: tuple[str, ...]  # `HTTP_PROXY=v`, `http_proxy=v`, ...
    build_platform: Platform
    target_platform: Platform

    def stage(self, ref: str | int) -> PlannedStage | None:
        found = self.program.stage(ref)
        if found is None:
            return None
        return next((s for s in self.stages if s.index == found.index), None)

    @property
    def target_stage(self) -> PlannedStage:
        return next(s for s in self.stages if s.index == self.target)


# --- environment lists -----------------------------------------------------------------------------


class _EnvList:
    """BuildKit's llb EnvList: set = remove and append (the latest setting is last)."""

    def __init__(self, items: Env = ()) -> None:
        self.items: dict[str, str] = dict(items)
        self._frozen: Env | None = None

    def set(self, key: str, value: str) -> None:
        self.items.pop(key, None)
        self.items[key] = value
        self._frozen = None

    def freeze(self) -> Env:
        # most instructions leave the environment alone: share one snapshot between them
        if self._frozen is None:
            self._frozen = tuple(self.items.items())
        return self._frozen


def add_config_env(env: tuple[str, ...], key: str, value: str) -> tuple[str, ...]:
    """BuildKit's `addEnv` for the image config: replace the first entry with the key in place, else append."""
    out = list(env)
    for i, entry in enumerate(out):
        if entry.partition("=")[0] == key:
            out[i] = f"{key}={value}"
            return tuple(out)
    return (*out, f"{key}={value}")


def with_default_path(env: tuple[str, ...], os: str = "linux") -> tuple[str, ...]:
    """A base image's config Env as a stage starts from it: `PATH=DEFAULT_PATH` added when it sets none
    (not for Windows images)."""
    if os == "windows" or any(entry.partition("=")[0] == "PATH" for entry in env):
        return env
    return (*env, "PATH=" + DEFAULT_PATH)


def proxy_env(build_args: Mapping[str, str]) -> tuple[str, ...]:
    """The proxy variables RUN gets (both spellings); the lower-case build-arg wins over the upper-case."""
    found: dict[str, str] = {}
    for key in sorted(build_args):
        if key.lower() in PROXY_ARGS:
            found[key.lower()] = build_args[key]
    out: list[str] = []
    for name in ("http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy"):
        value = found.get(name, "")
        if value:
            out += [f"{name.upper()}={value}", f"{name}={value}"]
    return tuple(out)


def default_args(
    build_platform: Platform, target_platform: Platform, build_args: Mapping[str, str], target: str
) -> _EnvList:
    """The automatic ARGs (BuildKit's `defaultArgs`), each replaced by a build-arg of the same name."""
    env = _EnvList()
    for key, value in automatic_args(build_platform, target_platform, target or "default"):
        env.set(key, build_args.get(key, value))
    return env


# --- the resolver ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _StageState:
    env: _EnvList
    config_env: tuple[str, ...]
    build_args: list[tuple[str, str | None]]
    shell: tuple[str, ...]
    workdir: str
    user: str


@dataclass(slots=True)
class _Command:
    instruction: Instruction
    source_stage: int | None = None
    mount_stages: tuple[int, ...] = ()
    images: tuple[str, ...] = ()
    onbuild_from: Span | None = None


@dataclass(slots=True)
class _StageInfo:
    stage: Stage
    base_name: str
    base_stage: int | None
    platform: Platform | None
    used_args: frozenset[str]
    undefined_args: frozenset[str] = frozenset()
    commands: list[_Command] = field(default_factory=list)
    triggers_done: bool = False


def _error_span(error: PyBuildKitError, node: InstructionNode) -> Span:
    """Where an expansion failed: the failing construct inside the instruction when it can be found."""
    if not isinstance(error, ShellExpansionError) or error.offset is None:
        return node.span
    index = node.text.find(error.word)
    if index < 0:
        return node.span
    index += error.offset
    start = node.span.start
    newlines = node.text.count("\n", 0, index)
    if newlines:
        column = index - node.text.rfind("\n", 0, index)
    else:
        # node.text may begin with the indentation before the keyword, which the span does not count
        keyword_at = len(node.text) - len(node.text.lstrip(" \t"))
        column = start.column + index - keyword_at
    return Span(start=Position(line=start.line + newlines, column=column), end=node.span.end)


def _locate(error: PyBuildKitError, program: Program, span: Span | None) -> DockerfileError:
    if isinstance(error, ShellExpansionError):
        located: DockerfileError = ExpansionError(error.message, hint=error.hint)
    elif isinstance(error, DockerfileError):
        located = error
    else:
        located = InstructionError(error.message, hint=error.hint)
    return located.located(filename=program.filename, span=span, source=program.source)


def load_program(
    tree: Dockerfile,
    *,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    platform: str | Platform | None = None,
    base_image: BaseImageLookup | None = None,
) -> Plan:
    """Type the tree and resolve it for one build (see `plan_program`)."""
    from pybuildkit.plan.program import build_program

    return plan_program(
        build_program(tree), build_args=build_args, target=target, platform=platform, base_image=base_image
    )


def plan_program(
    program: Program,
    *,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    platform: str | Platform | None = None,
    build_platform: Platform | None = None,
    base_image: BaseImageLookup | None = None,
) -> Plan:
    """Resolve `program` for a build with these build-args, target and target platform."""
    args = dict(build_args or {})
    if not program.stages:
        raise DockerfileError("dockerfile contains no stages to build", filename=program.filename)
    host = build_platform or host_platform()
    try:
        target_platform = (
            platform if isinstance(platform, Platform) else Platform.parse(platform) if platform else host
        )
    except InvalidPlatformError as error:
        raise DockerfileError(
            f"invalid target platform: {error.message}", filename=program.filename
        ) from None
    return _Resolver(program, args, target, host, target_platform, base_image).run()


class _Resolver:
    def __init__(
        self,
        program: Program,
        build_args: dict[str, str],
        target: str | None,
        build_platform: Platform,
        target_platform: Platform,
        base_image: BaseImageLookup | None,
    ) -> None:
        self.program = program
        self.build_args = build_args
        self.target = target
        self.build_platform = build_platform
        self.target_platform = target_platform
        self.base_image = base_image
        self.escape = program.escape
        self.infos: list[_StageInfo] = []
        self.by_name: dict[str, int] = {}
        self.configs: dict[tuple[str, Platform], BaseImageConfig | None] = {}

    # -- globals and FROM --

    def meta_args(self) -> _EnvList:
        stages = self.program.stages
        target_name = self.target or stages[-1].name
        env = default_args(self.build_platform, self.target_platform, self.build_args, target_name)
        for instruction in self.program.meta_args:

            def word(text: str, node: InstructionNode = instruction.node) -> str:
                return self.word(text, dict(env.items), node).value

            for definition in instruction.args:
                value = arg_value(
                    definition.key, definition.value, build_args=self.build_args, globals_={}, word=word
                )
                if value is not None:
                    env.set(definition.key, value)
        return env

    def word(self, text: str, env: Mapping[str, str], where: InstructionNode) -> Expansion:
        try:
            return expand(text, env, self.escape)
        except ShellExpansionError as error:
            raise _locate(error, self.program, _error_span(error, where)) from None

    def resolve_from(self, stage: Stage, globals_: Mapping[str, str]) -> _StageInfo:
        base = stage.base
        result = self.word(base.base_name, globals_, base.node)
        used = set(result.matched)
        undefined = set(result.unmatched)
        if result.value == "":
            raise _locate(
                InstructionError(f"base name ({base.base_name}) should not be blank"), self.program, base.span
            )
        platform: Platform | None = None
        if base.platform:
            expanded = self.word(base.platform, globals_, base.node)
            used |= expanded.matched
            undefined |= expanded.unmatched
            hint = None
            for name in sorted(expanded.unmatched):
                hint = did_you_mean(name, globals_, prefix="$") or hint
            if expanded.value == "":
                raise _locate(
                    InstructionError(f"empty platform value from expression {base.platform}", hint=hint),
                    self.program,
                    base.span,
                )
            try:
                platform = Platform.parse(expanded.value, default=self.target_platform)
            except InvalidPlatformError as error:
                raise _locate(
                    InstructionError(f"failed to parse platform {base.platform}: {error.message}", hint=hint),
                    self.program,
                    base.span,
                ) from None
        base_stage = self.by_name.get(result.value)  # exact: names are stored lower-cased
        return _StageInfo(
            stage=stage,
            base_name=result.value,
            base_stage=base_stage,
            platform=platform,
            used_args=frozenset(used),
            undefined_args=frozenset(undefined - used),
        )

    # -- the graph --

    def command(self, instruction: Instruction, span: Span) -> _Command:
        cmd = _Command(instruction=instruction)
        if isinstance(instruction, CopyInstruction) and instruction.from_:
            ref = instruction.from_
            if self.word(ref, {}, instruction.node).value != ref:
                raise _locate(
                    InstructionError(
                        "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround"
                    ),
                    self.program,
                    span,
                )
            index = _go_atoi(ref)
            if index is not None:
                if not 0 <= index < len(self.program.stages):
                    raise _locate(InstructionError(f"invalid stage index {index}"), self.program, span)
                cmd.source_stage = index
            elif ref.lower() in self.by_name:  # a stage name hides an image of the same name
                cmd.source_stage = self.by_name[ref.lower()]
            else:
                cmd.images = (ref,)
        elif isinstance(instruction, RunInstruction):
            stages: list[int] = []
            images: list[str] = []
            for mount in instruction.mounts:
                if not mount.from_:
                    continue
                if mount.from_.lower() in self.by_name:
                    stages.append(self.by_name[mount.from_.lower()])
                else:
                    images.append(mount.from_)
            cmd.mount_stages, cmd.images = tuple(stages), tuple(images)
        return cmd

    def deps(self, info: _StageInfo) -> set[int]:
        out: set[int] = set()
        for cmd in info.commands:
            if cmd.source_stage is not None:
                out.add(cmd.source_stage)
            out.update(cmd.mount_stages)
        return out

    def check_cycles(self) -> None:
        done: set[int] = set()

        def visit(i: int, path: list[int]) -> bool:
            if i in done:
                return False
            done.add(i)
            path.append(i)
            for dep in sorted(self.deps(self.infos[i])):
                if dep in path or visit(dep, path):
                    return True
            path.pop()
            return False

        for info in self.infos:
            if visit(info.stage.index, []):
                raise _locate(
                    InstructionError(f"circular dependency detected on stage: {info.stage.display_name}"),
                    self.program,
                    info.stage.base.span,
                )

    def reachable(self, target: int) -> set[int]:
        seen: set[int] = set()
        todo = [target]
        while todo:
            i = todo.pop()
            if i in seen:
                continue
            seen.add(i)
            info = self.infos[i]
            if info.base_stage is not None:
                todo.append(info.base_stage)
            todo.extend(self.deps(info))
        return seen

    def triggers(self, info: _StageInfo) -> bool:
        """Put the base's ONBUILD triggers in front of the stage; True when they add dependencies."""
        info.triggers_done = True
        span = info.stage.base.span
        found: list[Instruction] = []
        if info.base_stage is None:
            config = self.image_config(info)
            for text in config.on_build if config else ():
                found.append(self.parse_trigger(text, span))
        else:
            for instruction in self.infos[info.base_stage].stage.instructions:
                if isinstance(instruction, OnbuildInstruction):
                    if instruction.trigger is None:
                        raise _locate(
                            InstructionError(instruction.trigger_error or "invalid ONBUILD trigger"),
                            self.program,
                            instruction.span,
                        )
                    found.append(instruction.trigger)
        commands = []
        for trigger in found:
            cmd = self.command(trigger, span)
            cmd.onbuild_from = span
            commands.append(cmd)
        info.commands[:0] = commands
        return any(c.source_stage is not None or c.mount_stages for c in commands)

    def parse_trigger(self, text: str, span: Span) -> Instruction:
        try:
            tree = _parse_text(text, self.program.filename)
            nodes = tree.instructions
            if len(nodes) != 1:
                raise InstructionError("onbuild trigger should be a single expression")
            instruction = parse_instruction(nodes[0], filename=self.program.filename)
        except PyBuildKitError as error:
            raise _locate(error, self.program, span) from None
        if isinstance(instruction, OnbuildInstruction):
            raise _locate(
                InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"), self.program, span
            )
        return instruction

    def image_config(self, info: _StageInfo) -> BaseImageConfig | None:
        if info.base_name == SCRATCH or self.base_image is None:
            return None
        key = (info.base_name, info.platform or self.target_platform)
        if key not in self.configs:
            self.configs[key] = self.base_image(*key)
        return self.configs[key]

    # -- dispatch --

    def run(self) -> Plan:
        program = self.program
        globals_ = self.meta_args()
        global_map = dict(globals_.items)
        for stage in program.stages:
            info = self.resolve_from(stage, global_map)
            self.infos.append(info)
            if stage.name:
                self.by_name[stage.name] = stage.index
        for info in self.infos:
            info.commands = [self.command(i, i.span) for i in info.stage.instructions]
        self.check_cycles()
        if self.target:
            found = self.by_name.get(self.target.lower())
            if found is None:
                raise DockerfileError(
                    f"target stage {go_quote(self.target)} could not be found",
                    filename=program.filename,
                    hint=did_you_mean(self.target, self.by_name),
                )
            target = found
        else:
            target = len(program.stages) - 1
        while True:
            reachable = self.reachable(target)
            grew = False
            for i in sorted(reachable):
                if not self.infos[i].triggers_done and self.triggers(self.infos[i]):
                    grew = True
            if not grew:
                break
        self.check_cycles()
        states: dict[int, _StageState] = {}
        planned: list[PlannedStage] = []
        for i in sorted(reachable):
            stage_plan, states[i] = self.dispatch(self.infos[i], states, global_map)
            planned.append(stage_plan)
        return Plan(
            program=program,
            target=target,
            stages=tuple(planned),
            global_args=globals_.freeze(),
            build_args=tuple(sorted(self.build_args.items())),
            proxy_env=proxy_env(self.build_args),
            build_platform=self.build_platform,
            target_platform=self.target_platform,
        )

    def initial_state(self, info: _StageInfo, states: dict[int, _StageState]) -> _StageState:
        if info.base_stage is not None:
            base = states[info.base_stage]
            return _StageState(
                env=_EnvList(base.env.freeze()),
                config_env=base.config_env,
                build_args=list(base.build_args),
                shell=base.shell,
                workdir=base.workdir,
                user=base.user,
            )
        config = self.image_config(info) or BaseImageConfig()
        config_env = with_default_path(config.env, config.os)
        env = _EnvList()
        for entry in config_env:
            key, _, value = entry.partition("=")
            env.set(key, value)
        workdir = config.working_dir or "/"
        return _StageState(
            env=env,
            config_env=config_env,
            build_args=[],
            shell=config.shell,
            workdir=workdir,
            user=config.user,
        )

    def dispatch(
        self, info: _StageInfo, states: dict[int, _StageState], globals_: Mapping[str, str]
    ) -> tuple[PlannedStage, _StageState]:
        state = self.initial_state(info, states)
        out: list[PlannedInstruction] = []
        stage_name = info.stage.display_name if len(self.infos) > 1 else ""
        for cmd in info.commands:
            original = cmd.instruction
            span = original.span
            env_before = state.env.freeze()
            args_before = tuple(state.build_args)
            workdir, user, shell = state.workdir, state.user, state.shell
            matched: set[str] = set()
            unmatched: set[str] = set()
            try:
                if isinstance(original, ArgInstruction):
                    expanded: Instruction = self.dispatch_arg(original, state, globals_, matched, unmatched)
                else:
                    expanded = self.expand(original, state.env.items, matched, unmatched)
            except (ShellExpansionError, InstructionError) as error:
                raise _locate(error, self.program, _error_span(error, original.node)) from None
            if cmd.source_stage is not None and cmd.source_stage >= info.stage.index:
                assert isinstance(original, CopyInstruction)
                raise _locate(
                    InstructionError(
                        f"cannot copy from stage {go_quote(original.from_)}, it needs to be defined before current stage {go_quote(stage_name)}"
                    ),
                    self.program,
                    span,
                )
            if isinstance(expanded, CopyInstruction | AddInstruction):
                try:
                    check_sources(expanded)
                except InstructionError as error:
                    raise _locate(error, self.program, span) from None
            if isinstance(expanded, RunInstruction):
                for mount in expanded.mounts:
                    index = self.by_name.get(mount.from_.lower()) if mount.from_ else None
                    if index is not None and index >= info.stage.index:
                        raise _locate(
                            InstructionError(
                                f"cannot mount from stage {go_quote(mount.from_)} to {go_quote(mount.target)}, stage needs to be defined before current command"
                            ),
                            self.program,
                            span,
                        )
            argv, script = self.apply(expanded, state)
            out.append(
                PlannedInstruction(
                    instruction=expanded,
                    original=original,
                    env=env_before,
                    build_args=args_before,
                    used_vars=frozenset(matched),
                    undefined_vars=frozenset(unmatched - matched),
                    argv=argv,
                    workdir=workdir,
                    user=user,
                    shell=shell,
                    script=script,
                    source_stage=cmd.source_stage,
                    mount_stages=cmd.mount_stages,
                    onbuild_from=cmd.onbuild_from,
                )
            )
        deps = sorted(self.deps(info))
        images = sorted({image for cmd in info.commands for image in cmd.images})
        return (
            PlannedStage(
                stage=info.stage,
                base_name=info.base_name,
                base_stage=info.base_stage,
                platform=info.platform,
                used_args=info.used_args,
                undefined_args=info.undefined_args,
                instructions=tuple(out),
                env=state.env.freeze(),
                config_env=state.config_env,
                shell=state.shell,
                workdir=state.workdir,
                user=state.user,
                dependencies=tuple(deps),
                images=tuple(images),
            ),
            state,
        )

    def expand(
        self, instruction: Instruction, env: dict[str, str], matched: set[str], unmatched: set[str]
    ) -> Instruction:
        escape = self.escape

        def word(text: str) -> str:
            result = expand(text, env, escape)
            matched.update(result.matched)
            unmatched.update(result.unmatched)
            return result.value

        def raw(text: str) -> str:
            # BuildKit expands heredoc bodies with a fresh backslash lexer that keeps quotes as text.
            result = expand(text, env, "\\", skip_processing_quotes=True)
            matched.update(result.matched)
            unmatched.update(result.unmatched)
            return result.value

        def words(text: str) -> list[str]:
            word(text)  # records the names looked up
            return expand_words(text, env, escape)

        return expand_instruction(instruction, word=word, raw=raw, words=words)

    def dispatch_arg(
        self,
        instruction: ArgInstruction,
        state: _StageState,
        globals_: Mapping[str, str],
        matched: set[str],
        unmatched: set[str],
    ) -> ArgInstruction:
        definitions = []

        def word(text: str) -> str:
            result = expand(text, dict(state.env.items), self.escape)
            matched.update(result.matched)
            unmatched.update(result.unmatched)
            return result.value

        for definition in instruction.args:
            key = definition.key
            value = arg_value(key, definition.value, build_args=self.build_args, globals_=globals_, word=word)
            if value is not None and key not in NON_ENV_ARGS:
                state.env.set(key, value)
            state.build_args.append((key, value))
            definitions.append(replace(definition, value=value))
        return replace(instruction, args=tuple(definitions))

    def apply(
        self, instruction: Instruction, state: _StageState
    ) -> tuple[tuple[str, ...] | None, tuple[str, str] | None]:
        """Update the stage state; the command line for RUN/CMD/ENTRYPOINT."""
        shell = state.shell or DEFAULT_SHELL
        match instruction:
            case EnvInstruction():
                for pair in instruction.pairs:
                    state.env.set(pair.key, pair.value)
                    state.config_env = add_config_env(state.config_env, pair.key, pair.value)
            case ShellInstruction():
                state.shell = instruction.shell
            case WorkdirInstruction():
                state.workdir = normalize_workdir(state.workdir, instruction.path)
            case UserInstruction():
                state.user = instruction.user
            case RunInstruction():
                return run_argv(instruction, shell)
            case CmdInstruction() | EntrypointInstruction():
                command = instruction.command
                if instruction.prepend_shell:  # BuildKit's withShell, also for an empty command
                    return (*shell, " ".join(command)), None
                return command, None
            case _:
                pass
        return None, None


def run_argv(
    instruction: RunInstruction, shell: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, str] | None]:
    """The argv of a RUN, as BuildKit's `dispatchRun` builds it (here-documents included)."""
    args = instruction.command
    script: tuple[str, str] | None = None
    if instruction.files:
        if len(args) != 1 or not instruction.prepend_shell:
            raise InstructionError(f"parsing produced an invalid run command: {list(args)}")
        if is_heredoc_word(args[0]):
            first = instruction.files[0]
            data = chomp_heredoc_content(first.data) if first.chomp else first.data
            if data.startswith("#!"):
                script = (first.name, data)
                args = (posixpath.join("/dev/pipes/", first.name),)
            else:
                args = (data,)
        else:
            text = args[0]
            for file in instruction.files:
                text += "\n" + file.data + file.name
            args = (text,)
    if instruction.prepend_shell:
        return (*shell, " ".join(args)), script
    return args, script


def check_sources(instruction: CopyInstruction | AddInstruction) -> None:
    """BuildKit's source checks made when a COPY/ADD is dispatched (convert_copy.go)."""
    if isinstance(instruction, AddInstruction) and instruction.checksum and len(instruction.sources) != 1:
        raise InstructionError("checksum can't be specified for multiple sources")
    if isinstance(instruction, CopyInstruction):
        for source in instruction.sources:
            if source.startswith(("http://", "https://")) and not source.endswith(".git"):
                raise InstructionError(
                    "source can't be a URL for COPY", hint="use ADD to fetch a URL, or download it in a RUN"
                )


def normalize_workdir(current: str, path: str) -> str:
    """A WORKDIR relative to the current one, cleaned (`/a` + `b/../c` is `/a/c`)."""
    joined = path if path.startswith("/") else posixpath.join(current or "/", path)
    cleaned = posixpath.normpath(joined)
    return "/" if cleaned in ("", ".", "//") else cleaned


def _parse_text(text: str, filename: str) -> Dockerfile:
    """Parse an ONBUILD trigger from an image config with the syntax layer."""
    from pybuildkit.syntax import parse

    return parse(text, filename=filename)


def _go_atoi(text: str) -> int | None:
    body = text[1:] if text[:1] in ("+", "-") else text
    if body and body.isascii() and body.isdigit():
        return int(text)
    return None
