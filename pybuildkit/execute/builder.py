"""The build: Dockerfile + context → steps → cached execution → image in the store → outputs.

`Builder` walks the steps of every stage the target needs against an `Executor` (stages whose
dependencies are done run concurrently, one thread each), keys each step (`plan/cachekey.py`), reuses a
cached result or executes the step, and folds the image config and history. `session.build()` is the
public entry point that sets it up.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pybuildkit.errors import BuildError, DockerfileError, PyBuildKitError
from pybuildkit.execute.executor import BaseImage, Executor, LayerRef, StageState
from pybuildkit.execute.progress import ProgressEvent, Status
from pybuildkit.execute.result import StepReport
from pybuildkit.image.spec import History, Image
from pybuildkit.plan.cachekey import KeyParts, explain, step_parts
from pybuildkit.plan.steps import (
    BaseKind,
    BuildSteps,
    ConfigState,
    StageSteps,
    Step,
    StepKind,
    apply_config,
    base_config,
    scratch_config,
)

COMMENT = "buildkit.dockerfile.v0"
FAST_VERSION = 1
RACY_NS = 1_000_000_000

Progress = Callable[[ProgressEvent], None]


@dataclass(slots=True)
class _Outcome:
    state: StageState
    config: ConfigState
    history: list[History]
    os: str
    architecture: str
    variant: str
    latest: str = ""  # the newest `created` of this build's steps in the chain


@dataclass(slots=True)
class _Vertices:
    """Progress vertex numbers, assigned up front so concurrent stages number deterministically."""

    next: int = 1
    numbers: dict[tuple[int, int], int] = field(default_factory=dict)

    def take(self) -> int:
        number = self.next
        self.next += 1
        return number


class Builder:
    """Runs the steps of a build against an executor (see the module docstring)."""

    def __init__(
        self,
        steps: BuildSteps,
        executor: Executor,
        *,
        no_cache: bool = False,
        explain_cache: bool = False,
        progress: Progress | None = None,
        options: tuple[tuple[str, str], ...] = (),
        slot: str = "",
        created: str = "",
        fixed_time: bool = False,
        default_platform: tuple[str, str, str] = ("linux", "amd64", ""),
        vertices: _Vertices | None = None,
    ) -> None:
        self.steps = steps
        self.executor = executor
        self.no_cache = no_cache
        self.explain_cache = explain_cache
        self.progress = progress
        self.options = options
        self.slot = slot
        self.created = created
        self.fixed_time = fixed_time  # SOURCE_DATE_EPOCH: every timestamp is `created`
        self.default_platform = default_platform
        self.vertices = vertices or _Vertices()
        self._lock = threading.Lock()
        self.reports: list[StepReport] = []
        for stage in steps.stages:
            self.vertices.numbers[(stage.index, -1)] = self.vertices.take()
            for step in stage.steps:
                if step.kind is not StepKind.CONFIG:
                    self.vertices.numbers[(stage.index, step.index)] = self.vertices.take()

    def emit(self, event: ProgressEvent) -> None:
        if self.progress is not None:
            with self._lock:
                self.progress(event)

    def run(self) -> tuple[Image, tuple[LayerRef, ...], tuple[StepReport, ...]]:
        """Build every stage; the target's image config and layers, and the step reports (in order)."""
        outcomes: dict[int, _Outcome] = {}
        stages = self.steps.stages
        if len(stages) == 1:
            outcomes[stages[0].index] = self.stage(stages[0], outcomes)
        else:
            futures: dict[int, concurrent.futures.Future[_Outcome]] = {}
            with concurrent.futures.ThreadPoolExecutor(max_workers=len(stages)) as pool:

                def task(stage: StageSteps) -> _Outcome:
                    for need in stage.needs:
                        outcomes[need] = futures[need].result()
                    return self.stage(stage, outcomes)

                for stage in stages:
                    futures[stage.index] = pool.submit(task, stage)
                try:
                    for stage in stages:
                        outcomes[stage.index] = futures[stage.index].result()
                except BaseException:
                    for future in futures.values():
                        future.cancel()
                    raise
        target = outcomes[self.steps.target]
        os_, arch, variant = target.os, target.architecture, target.variant
        image = Image(
            architecture=arch,
            os=os_,
            variant=variant,
            created=self.created if self.fixed_time else (target.latest or self.created),
            author=target.config.author,
            config=target.config.config,
            diff_ids=tuple(layer.diff_id for layer in target.state.layers),
            history=tuple(target.history),
        )
        position = {stage.index: n for n, stage in enumerate(stages)}
        reports = sorted(self.reports, key=lambda r: (position.get(r.stage, 0), r.index))
        return image, target.state.layers, tuple(reports)

    def stage(self, stage: StageSteps, outcomes: Mapping[int, _Outcome]) -> _Outcome:
        number = self.vertices.numbers[(stage.index, -1)]
        started = time.monotonic()
        self.emit(ProgressEvent(vertex=number, name=stage.from_label, status=Status.START))
        try:
            outcome = self._start(stage, outcomes)
        except PyBuildKitError as error:
            self.emit(
                ProgressEvent(
                    vertex=number, name=stage.from_label, status=Status.ERROR, message=error.message
                )
            )
            raise self._locate(error, stage.planned.stage.base.span) from None
        self.emit(
            ProgressEvent(
                vertex=number, name=stage.from_label, status=Status.DONE, duration=time.monotonic() - started
            )
        )
        states = {index: outcome.state for index, outcome in outcomes.items()}
        for step in stage.steps:
            outcome = self.step(step, outcome, states)
        return outcome

    def _start(self, stage: StageSteps, outcomes: Mapping[int, _Outcome]) -> _Outcome:
        if stage.base.kind is BaseKind.STAGE:
            assert stage.base.stage is not None
            base = outcomes[stage.base.stage]
            return _Outcome(
                state=base.state,
                config=ConfigState(config=base_config(base.config.config), author=base.config.author),
                history=list(base.history),
                os=base.os,
                architecture=base.architecture,
                variant=base.variant,
                latest=base.latest,
            )
        image: BaseImage = self.executor.base(stage)
        os_, arch, variant = self.default_platform
        if stage.platform:
            os_, _, rest = stage.platform.partition("/")
            arch, _, variant = rest.partition("/")
        if stage.base.kind is BaseKind.SCRATCH:
            config = ConfigState(config=scratch_config())
        else:
            config = ConfigState(config=base_config(image.config))
            os_, arch, variant = image.os or os_, image.architecture or arch, image.variant
        return _Outcome(
            state=StageState(key=image.key, layers=image.layers),
            config=config,
            history=list(image.history),
            os=os_,
            architecture=arch,
            variant=variant,
        )

    def _locate(self, error: PyBuildKitError, span: Any) -> DockerfileError:
        program = self.steps.plan.program
        located: DockerfileError
        if isinstance(error, DockerfileError):
            located = error
            if located.span is None:
                located.located(filename=program.filename, span=span, source=program.source)
            return located
        located = BuildError(error.message, hint=error.hint)
        return located.located(filename=program.filename, span=span, source=program.source)

    def step(self, step: Step, outcome: _Outcome, states: Mapping[int, StageState]) -> _Outcome:
        number = self.vertices.numbers.get((step.stage, step.index))
        started = time.monotonic()
        if number is not None:
            self.emit(ProgressEvent(vertex=number, name=step.label, status=Status.START))
        slot = hashlib.sha256(f"{self.slot}\0{step.stage}\0{step.index}".encode()).hexdigest()
        try:
            inputs = self.executor.inputs(step, states)
            parts = step_parts(
                step,
                parent=outcome.state.key,
                files=inputs.files,
                sources=inputs.sources,
                options=self.options,
            )
            key = parts.key
            lookup = _link_key(step, parts) or key
            record = None if self.no_cache or not inputs.cacheable else self.executor.cache_get(lookup)
            reasons: tuple[str, ...] = ()
            layer: LayerRef | None
            created = self.created
            if record is not None:
                value = record.get("layer")
                layer = LayerRef.from_json(value) if isinstance(value, Mapping) else None
                if not self.fixed_time and isinstance(record.get("created"), str):
                    created = record["created"]  # a cached step keeps the time it ran: same image again
            else:
                if self.explain_cache:
                    previous: KeyParts | None = self.executor.last_parts(slot)
                    reasons = ("--no-cache",) if self.no_cache else explain(previous, parts)
                layer = (
                    None
                    if step.kind is StepKind.CONFIG
                    else self.executor.execute(step, outcome.state, inputs, states)
                )
                self.executor.cache_put(
                    lookup,
                    {"layer": layer.to_json() if layer is not None else None, "created": created},
                    parts,
                    slot,
                )
        except PyBuildKitError as error:
            if number is not None:
                self.emit(
                    ProgressEvent(vertex=number, name=step.label, status=Status.ERROR, message=error.message)
                )
            raise self._locate(error, step.planned.span) from None
        duration = time.monotonic() - started
        cached = record is not None
        if number is not None:
            for reason in reasons:
                self.emit(ProgressEvent(vertex=number, name=step.label, status=Status.LOG, message=reason))
            self.emit(
                ProgressEvent(
                    vertex=number,
                    name=step.label,
                    status=Status.CACHED if cached else Status.DONE,
                    duration=duration,
                )
            )
        with self._lock:
            self.reports.append(
                StepReport(
                    stage=step.stage,
                    index=step.index,
                    label=step.label,
                    key=key,
                    cached=cached,
                    duration=duration,
                    layer=layer.digest if layer is not None else "",
                    reasons=reasons,
                )
            )
        history = History(
            created=created,
            created_by=step.created_by,
            comment=COMMENT,
            empty_layer=layer is None,
        )
        layers = outcome.state.layers + ((layer,) if layer is not None else ())
        # Config-only steps leave the filesystem chain alone (as in BuildKit's LLB graph): an ARG or LABEL
        # that changes invalidates only the steps that use what it set.
        chain = outcome.state.key if step.kind is StepKind.CONFIG else key
        return _Outcome(
            state=StageState(key=chain, layers=layers),
            config=apply_config(outcome.config, step),
            history=[*outcome.history, history],
            os=outcome.os,
            architecture=outcome.architecture,
            variant=outcome.variant,
            latest=max(outcome.latest, created),
        )


def _link_key(step: Step, parts: KeyParts) -> str | None:
    """`COPY --link` makes a layer that does not depend on the layers below it, so its cache record is
    found without the parent (BuildKit: the cache survives a change of base). Not when --chown names a
    user, which is looked up in the layers below."""
    instruction = step.instruction
    if not getattr(instruction, "link", False):
        return None
    owner = str(getattr(instruction, "chown", ""))
    if owner and not all(part.isdigit() for part in owner.split(":")):
        return None
    return replace(parts, parent="--link").key


__all__ = ["Builder", "Progress"]
