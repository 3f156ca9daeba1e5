"""Steps: a resolved `Plan` turned into what the executor does, stage by stage (pure).

Each stage becomes a `StageSteps`: where its root filesystem starts (`StageBase`: scratch, another stage,
an image) and one `Step` per instruction, in order, ONBUILD triggers first. A step knows what kind of work it
is (`StepKind`: a filesystem change, a RUN, or a config-only change), the WORKDIR/USER/SHELL in force when it
runs, its progress label (`[stage-1 2/4] COPY src/ /app`, as BuildKit numbers them: FROM is 1), and the
`created_by` text of its history entry.

The image config is folded here too (`apply_config`), since it depends on nothing but the instructions and
the base image's config: ENV, LABEL, EXPOSE, VOLUME, USER, WORKDIR, CMD, ENTRYPOINT (which clears a CMD
inherited from the base), HEALTHCHECK, STOPSIGNAL, SHELL, ONBUILD and MAINTAINER.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, replace
from typing import assert_never

from pybuildkit.errors import InstructionError
from pybuildkit.image.reference import InvalidReferenceError, Reference
from pybuildkit.image.spec import Healthcheck, ImageConfig
from pybuildkit.instructions import (
    AddInstruction,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvInstruction,
    ExposeInstruction,
    FromInstruction,
    HealthcheckInstruction,
    Instruction,
    LabelInstruction,
    MaintainerInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    StopsignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
)
from pybuildkit.instructions.base import go_quote
from pybuildkit.plan.resolve import (
    SCRATCH,
    Plan,
    PlannedInstruction,
    PlannedStage,
    add_config_env,
    normalize_workdir,
    with_default_path,
)


class StepKind(enum.Enum):
    FILES = "files"  # COPY, ADD, WORKDIR: a filesystem change made by the builder itself
    RUN = "run"  # a command in the sandbox
    CONFIG = "config"  # only the image config (and history) changes


class BaseKind(enum.Enum):
    SCRATCH = "scratch"
    STAGE = "stage"
    IMAGE = "image"  # an image reference (the build resolves it: local store or a named context)


@dataclass(frozen=True, slots=True, kw_only=True)
class StageBase:
    """Where a stage's root filesystem and config start."""

    kind: BaseKind
    name: str  # the image reference, the base stage's name, or "scratch"
    stage: int | None = None  # index of the base stage

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One instruction of a stage, ready to execute."""

    stage: int  # stage index
    index: int  # position in the stage's steps (0-based)
    kind: StepKind
    planned: PlannedInstruction
    label: str  # the progress line: `[stage-1 2/4] COPY src/ /app`
    text: str  # the instruction as written (continuations joined)
    created_by: str  # the history entry's text
    workdir: str  # WORKDIR in force when the step runs
    user: str  # USER in force
    shell: tuple[str, ...]  # SHELL in force (empty: the default)

    @property
    def instruction(self) -> Instruction:
        return self.planned.instruction


@dataclass(frozen=True, slots=True, kw_only=True)
class StageSteps:
    """A stage to build: its base, its steps, and the stages it needs (base and COPY --from)."""

    index: int
    name: str  # as written lower-cased, "" when unnamed
    display: str  # name for progress: the stage name, `stage-N`, or "" for a one-stage build
    base: StageBase
    from_label: str  # the FROM progress line
    from_text: str
    platform: str  # FROM --platform, "" when none
    steps: tuple[Step, ...]
    needs: tuple[int, ...]  # stages that must be built first (base stage, --from sources)
    images: tuple[str, ...]  # images it copies from
    planned: PlannedStage


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildSteps:
    """Every stage the target needs (file order) and the target's index."""

    stages: tuple[StageSteps, ...]
    target: int
    plan: Plan

    def stage(self, index: int) -> StageSteps:
        return next(s for s in self.stages if s.index == index)

    @property
    def target_stage(self) -> StageSteps:
        return self.stage(self.target)


def step_kind(instruction: Instruction) -> StepKind:
    match instruction:
        case CopyInstruction() | AddInstruction() | WorkdirInstruction():
            return StepKind.FILES
        case RunInstruction():
            return StepKind.RUN
        case (
            ArgInstruction()
            | CmdInstruction()
            | EntrypointInstruction()
            | EnvInstruction()
            | ExposeInstruction()
            | FromInstruction()
            | HealthcheckInstruction()
            | LabelInstruction()
            | MaintainerInstruction()
            | OnbuildInstruction()
            | ShellInstruction()
            | StopsignalInstruction()
            | UserInstruction()
            | VolumeInstruction()
        ):
            return StepKind.CONFIG
        case _:
            assert_never(instruction)


def build_steps(plan: Plan) -> BuildSteps:
    """Turn a resolved plan into steps. The WORKDIR, USER and SHELL in force come from the plan (which took
    a base image's from the `base_image` callback it was given)."""
    multi = len(plan.program.stages) > 1
    stages: list[StageSteps] = []
    for planned in plan.stages:
        stage = planned.stage
        display = stage.display_name if multi else ""
        if planned.base_stage is not None:
            base = StageBase(kind=BaseKind.STAGE, name=planned.base_name, stage=planned.base_stage)
        elif planned.base_name == SCRATCH:
            base = StageBase(kind=BaseKind.SCRATCH, name=SCRATCH)
        else:
            base = StageBase(kind=BaseKind.IMAGE, name=planned.base_name)
        from_name = base_reference(planned, plan) if base.kind is BaseKind.IMAGE else planned.base_name
        total = len(planned.instructions) + 1
        prefix = f"{display} " if display else ""
        steps: list[Step] = []
        for i, item in enumerate(planned.instructions):
            instruction = item.instruction
            text = item.original.code
            if item.onbuild_from is not None:
                text = f"ONBUILD {text}" if not text.upper().startswith("ONBUILD") else text
            steps.append(
                Step(
                    stage=stage.index,
                    index=i,
                    kind=step_kind(instruction),
                    planned=item,
                    label=f"[{prefix}{i + 2}/{total}] {text}",
                    text=text,
                    created_by=created_by(item, item.workdir),
                    workdir=item.workdir,
                    user=item.user,
                    shell=item.shell,
                )
            )
        needs = sorted(
            {*planned.dependencies, *([planned.base_stage] if planned.base_stage is not None else [])}
        )
        images = tuple(sorted({*planned.images}))
        stages.append(
            StageSteps(
                index=stage.index,
                name=stage.name,
                display=display,
                base=base,
                # BuildKit's vertex name: the expanded, normalised reference, without `AS name`.
                from_label=f"[{prefix}1/{total}] FROM {from_name}",
                from_text=stage.base.code,
                platform=str(planned.platform) if planned.platform is not None else "",
                steps=tuple(steps),
                needs=tuple(needs),
                images=images,
                planned=planned,
            )
        )
    return BuildSteps(stages=tuple(stages), target=plan.target, plan=plan)


def base_reference(planned: PlannedStage, plan: Plan) -> str:
    """The full reference of a stage's base image (`busybox` → `docker.io/library/busybox:latest`), checked
    as BuildKit's `resolveBaseImage` does before it looks the image up; an `InstructionError` at the FROM
    line for a name that is no reference (`FROM Bad:Image`)."""
    name = planned.base_name
    try:
        return str(Reference.parse(name))
    except InvalidReferenceError as error:
        if "must be lowercase" in error.message:
            reason = "invalid reference format: repository name must be lowercase"
        elif "longer than" in error.message:
            reason = "invalid reference format: repository name must not be more than 255 characters"
        else:
            reason = "invalid reference format"
        program = plan.program
        raise InstructionError(
            f"failed to parse stage name {go_quote(name)}: {reason}", hint=error.hint
        ).located(filename=program.filename, span=planned.stage.base.span, source=program.source) from None


# --- history ---------------------------------------------------------------------------------------


def go_list(items: tuple[str, ...] | list[str]) -> str:
    """Go's `%v` of a []string: `[a b c]`."""
    return "[" + " ".join(items) + "]"


def go_quoted_list(items: tuple[str, ...]) -> str:
    """Go's `%q` of a []string: `["a" "b"]`."""
    return "[" + " ".join(json.dumps(item, ensure_ascii=False) for item in items) + "]"


def created_by(item: PlannedInstruction, workdir: str = "/") -> str:
    """The history entry's `created_by`, as BuildKit's dispatcher writes it."""
    instruction = item.instruction
    match instruction:
        case EnvInstruction():
            return "ENV " + " ".join(f"{p.key}={p.value}" for p in instruction.pairs)
        case LabelInstruction():
            return "LABEL " + " ".join(f"{p.key}={p.value}" for p in instruction.pairs)
        case MaintainerInstruction():
            return "MAINTAINER " + instruction.maintainer
        case ExposeInstruction():
            ports = sorted({port for spec in instruction.specs or () for port in spec.exposed})
            return "EXPOSE " + go_list(ports)
        case UserInstruction():
            return "USER " + instruction.user
        case WorkdirInstruction():
            return "WORKDIR " + normalize_workdir(workdir, instruction.path)
        case CmdInstruction():
            return "CMD " + go_quoted_list(item.argv or ())
        case EntrypointInstruction():
            return "ENTRYPOINT " + go_quoted_list(item.argv or ())
        case HealthcheckInstruction():
            return "HEALTHCHECK " + go_quoted_list(instruction.test)
        case VolumeInstruction():
            return "VOLUME " + go_list(instruction.volumes)
        case StopsignalInstruction():
            return "STOPSIGNAL " + instruction.signal
        case ShellInstruction():
            return "SHELL " + go_list(instruction.shell)
        case OnbuildInstruction():
            return "ONBUILD " + instruction.expression
        case ArgInstruction():
            return "ARG " + " ".join(
                d.key if d.value is None else f"{d.key}={d.value}" for d in instruction.args
            )
        case CopyInstruction() | AddInstruction():
            word = "COPY" if isinstance(instruction, CopyInstruction) else "ADD"
            flags = []
            if isinstance(instruction, CopyInstruction) and instruction.from_:
                flags.append(f"--from={instruction.from_}")
            if instruction.chown:
                flags.append(f"--chown={instruction.chown}")
            if instruction.chmod:
                flags.append(f"--chmod={instruction.chmod}")
            if instruction.link:
                flags.append("--link")
            names = [*instruction.sources, *(f"<<{c.path}" for c in instruction.contents)]
            return " ".join([word, *flags, *names, instruction.dest]) + " # buildkit"
        case RunInstruction():
            argv = item.argv or ()
            return " ".join(["RUN", *item.history_args, *argv]) + " # buildkit"
        case FromInstruction():
            return "FROM " + instruction.base_name
        case _:
            assert_never(instruction)


# --- the image config ------------------------------------------------------------------------------


def scratch_config() -> ImageConfig:
    """What BuildKit gives `FROM scratch`: the default PATH and WorkingDir `/`."""
    return ImageConfig(env=with_default_path(()), working_dir="/")


def base_config(config: ImageConfig) -> ImageConfig:
    """A base image's config as a stage starts from it: PATH added when missing, ONBUILD cleared (the
    triggers run in this stage and are not handed on)."""
    return replace(config, env=with_default_path(config.env), on_build=())


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigState:
    """The config being built, and whether this stage set CMD itself (ENTRYPOINT keeps such a CMD)."""

    config: ImageConfig
    cmd_set: bool = False
    author: str = ""


def _set_pair(pairs: tuple[tuple[str, str], ...], key: str, value: str) -> tuple[tuple[str, str], ...]:
    out = [p for p in pairs if p[0] != key]
    if len(out) == len(pairs):
        return (*pairs, (key, value))
    return tuple((k, value) if k == key else (k, v) for k, v in pairs)


def apply_config(state: ConfigState, step: Step) -> ConfigState:
    """The config after `step`."""
    config = state.config
    instruction = step.instruction
    match instruction:
        case EnvInstruction():
            env = config.env
            for pair in instruction.pairs:
                env = add_config_env(env, pair.key, pair.value)
            return replace(state, config=replace(config, env=env))
        case LabelInstruction():
            labels = config.labels
            for pair in instruction.pairs:
                labels = _set_pair(labels, pair.key, pair.value)
            return replace(state, config=replace(config, labels=labels))
        case MaintainerInstruction():
            return replace(state, author=instruction.maintainer)
        case ExposeInstruction():
            ports = {*config.exposed_ports}
            for spec in instruction.specs or ():
                ports.update(spec.exposed)
            return replace(state, config=replace(config, exposed_ports=tuple(sorted(ports))))
        case VolumeInstruction():
            volumes = tuple(sorted({*config.volumes, *instruction.volumes}))
            return replace(state, config=replace(config, volumes=volumes))
        case UserInstruction():
            return replace(state, config=replace(config, user=instruction.user))
        case WorkdirInstruction():
            workdir = normalize_workdir(step.workdir, instruction.path)
            return replace(state, config=replace(config, working_dir=workdir))
        case CmdInstruction():
            return replace(state, config=replace(config, cmd=step.planned.argv or ()), cmd_set=True)
        case EntrypointInstruction():
            argv = step.planned.argv or ()
            entrypoint = argv if argv else None
            cmd = config.cmd if state.cmd_set else None
            return replace(state, config=replace(config, entrypoint=entrypoint, cmd=cmd))
        case HealthcheckInstruction():
            health = Healthcheck(
                test=instruction.test,
                interval=instruction.interval,
                timeout=instruction.timeout,
                start_period=instruction.start_period,
                start_interval=instruction.start_interval,
                retries=instruction.retries,
            )
            return replace(state, config=replace(config, healthcheck=health))
        case StopsignalInstruction():
            return replace(state, config=replace(config, stop_signal=instruction.signal))
        case ShellInstruction():
            return replace(state, config=replace(config, shell=instruction.shell))
        case OnbuildInstruction():
            return replace(state, config=replace(config, on_build=(*config.on_build, instruction.expression)))
        case ArgInstruction() | CopyInstruction() | AddInstruction() | RunInstruction() | FromInstruction():
            return state
        case _:
            assert_never(instruction)
