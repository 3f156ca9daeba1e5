"""The executor seam: the handful of side effects a build needs, behind one Protocol.

The builder (`builder.py`) walks the steps, computes cache keys and folds the image config; everything that
touches files, the store, the network or the sandbox is a method of an `Executor`:

* `base(stage)`: the base a stage starts from (scratch, an image from the store or a named context);
* `inputs(step, states)`: what the step reads, digested for its cache key (context files, source stages);
* `cache_get(key)` / `cache_put(key, record, parts)`: the step cache;
* `execute(step, state, inputs, states)`: do the step (COPY/ADD/WORKDIR/RUN) and return its layer;
* `commit(image, layers)`: store the image config and manifest.

`RecordingExecutor` implements it in memory and records every call: `--dry-run` and the plan tests use it.
`LocalExecutor` (`local.py`) is the real one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pybuildkit.image.spec import Descriptor, History, Image, ImageConfig
from pybuildkit.plan.cachekey import KeyParts, base_key
from pybuildkit.plan.steps import BaseKind, StageSteps, Step, StepKind


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerRef:
    """A layer blob in the store."""

    digest: str
    diff_id: str
    size: int
    media_type: str

    def to_json(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "diff_id": self.diff_id,
            "size": self.size,
            "media_type": self.media_type,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> LayerRef:
        return cls(
            digest=str(value["digest"]),
            diff_id=str(value["diff_id"]),
            size=int(value["size"]),
            media_type=str(value["media_type"]),
        )

    def descriptor(self) -> Descriptor:
        return Descriptor(media_type=self.media_type, digest=self.digest, size=self.size)


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseImage:
    """What a stage starts from: its key (chains the cache), layers, config and history."""

    key: str
    layers: tuple[LayerRef, ...] = ()
    config: ImageConfig = field(default_factory=ImageConfig)
    history: tuple[History, ...] = ()
    os: str = "linux"
    architecture: str = ""
    variant: str = ""
    digest: str = ""  # the manifest digest (images); "" for scratch


@dataclass(frozen=True, slots=True, kw_only=True)
class StageState:
    """A stage (or a stage so far): the key of its last step and its layers, bottom first."""

    key: str
    layers: tuple[LayerRef, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class StepInputs:
    """What a step reads, as key parts, plus whatever the executor wants to keep for `execute`."""

    files: tuple[tuple[str, str], ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    cacheable: bool = True  # False: the step must run every time (nothing to stat, e.g. ADD of a URL)
    payload: Any = field(default=None, compare=False)


class Executor(Protocol):
    """See the module docstring."""

    def base(self, stage: StageSteps) -> BaseImage: ...

    def inputs(self, step: Step, states: Mapping[int, StageState]) -> StepInputs: ...

    def cache_get(self, key: str) -> dict[str, Any] | None: ...

    def cache_put(self, key: str, record: Mapping[str, Any], parts: KeyParts, slot: str) -> None: ...

    def last_parts(self, slot: str) -> KeyParts | None:
        """The key parts recorded when the step in `slot` last ran (for --explain-cache)."""
        ...

    def execute(
        self, step: Step, state: StageState, inputs: StepInputs, states: Mapping[int, StageState]
    ) -> LayerRef | None: ...

    def commit(self, image: Image, layers: Sequence[LayerRef]) -> Descriptor: ...


@dataclass(slots=True)
class Call:
    """One recorded executor call."""

    method: str
    what: str
    detail: dict[str, Any] = field(default_factory=dict)


class RecordingExecutor:
    """An in-memory executor: records calls, fakes layers from step keys, keeps a cache in a dict.

    `images` maps an image reference to the `BaseImage` it should resolve to (default: an empty image
    whose key is derived from the name).
    """

    def __init__(self, images: Mapping[str, BaseImage] | None = None) -> None:
        self.calls: list[Call] = []
        self.cache: dict[str, dict[str, Any]] = {}
        self.parts: dict[str, KeyParts] = {}
        self.images = dict(images or {})
        self.files: dict[str, str] = {}  # context path -> digest, for key tests

    def base(self, stage: StageSteps) -> BaseImage:
        self.calls.append(Call("base", stage.base.name, {"stage": stage.index}))
        match stage.base.kind:
            case BaseKind.SCRATCH:
                return BaseImage(key=base_key("scratch", "scratch", platform=stage.platform))
            case BaseKind.IMAGE:
                found = self.images.get(stage.base.name)
                if found is not None:
                    return found
                return BaseImage(key=base_key("image", stage.base.name, digest="sha256:" + "0" * 64))
            case BaseKind.STAGE:
                raise AssertionError("the builder resolves stage bases itself")

    def inputs(self, step: Step, states: Mapping[int, StageState]) -> StepInputs:
        self.calls.append(Call("inputs", step.text, {"stage": step.stage}))
        files: tuple[tuple[str, str], ...] = ()
        sources: tuple[tuple[str, str], ...] = ()
        instruction = step.instruction
        if step.kind is StepKind.FILES:
            names = getattr(instruction, "sources", ())
            files = tuple((name, self.files.get(name, "sha256:" + "1" * 64)) for name in names)
        if step.planned.source_stage is not None:
            state = states[step.planned.source_stage]
            sources = ((f"stage {step.planned.source_stage}", state.key),)
            files = ()
        return StepInputs(files=files, sources=sources)

    def cache_get(self, key: str) -> dict[str, Any] | None:
        return self.cache.get(key)

    def cache_put(self, key: str, record: Mapping[str, Any], parts: KeyParts, slot: str) -> None:
        self.cache[key] = dict(record)
        self.parts[slot] = parts

    def last_parts(self, slot: str) -> KeyParts | None:
        return self.parts.get(slot)

    def execute(
        self, step: Step, state: StageState, inputs: StepInputs, states: Mapping[int, StageState]
    ) -> LayerRef | None:
        self.calls.append(Call("execute", step.text, {"stage": step.stage, "kind": step.kind.value}))
        seed = hashlib.sha256(f"{state.key}\0{step.text}".encode()).hexdigest()
        return LayerRef(
            digest="sha256:" + seed,
            diff_id="sha256:" + hashlib.sha256(seed.encode()).hexdigest(),
            size=1,
            media_type="application/vnd.oci.image.layer.v1.tar+gzip",
        )

    def commit(self, image: Image, layers: Sequence[LayerRef]) -> Descriptor:
        data = image.to_bytes()
        self.calls.append(Call("commit", f"{len(layers)} layers", {"config": json.loads(data)}))
        return Descriptor(
            media_type="application/vnd.oci.image.manifest.v1+json",
            digest="sha256:" + hashlib.sha256(data).hexdigest(),
            size=len(data),
        )

    def executed(self) -> list[str]:
        """The steps that ran, as `text` (for assertions)."""
        return [call.what for call in self.calls if call.method == "execute"]


class DryRunExecutor:
    """Wraps a real executor for `--dry-run`: bases, inputs and cache lookups are real (so the keys and
    the CACHED marks are what a build would see), but nothing executes, is stored or committed."""

    def __init__(self, real: Executor) -> None:
        self.real = real
        self.recording = RecordingExecutor()

    def base(self, stage: StageSteps) -> BaseImage:
        return self.real.base(stage)

    def inputs(self, step: Step, states: Mapping[int, StageState]) -> StepInputs:
        return self.real.inputs(step, states)

    def cache_get(self, key: str) -> dict[str, Any] | None:
        return self.real.cache_get(key)

    def cache_put(self, key: str, record: Mapping[str, Any], parts: KeyParts, slot: str) -> None:
        self.recording.cache_put(key, record, parts, slot)

    def last_parts(self, slot: str) -> KeyParts | None:
        return self.real.last_parts(slot)

    def execute(
        self, step: Step, state: StageState, inputs: StepInputs, states: Mapping[int, StageState]
    ) -> LayerRef | None:
        return self.recording.execute(step, state, inputs, states)

    def commit(self, image: Image, layers: Sequence[LayerRef]) -> Descriptor:
        return self.recording.commit(image, layers)
