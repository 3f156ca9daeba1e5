"""The plan as stable JSON-able data (what `pybuildkit parse --format json` prints)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum

from pybuildkit.image.platform import Platform
from pybuildkit.plan.resolve import BaseImageLookup, Plan, PlannedInstruction, PlannedStage, load_program
from pybuildkit.source import Span
from pybuildkit.syntax.nodes import Dockerfile

JSON = None | bool | int | str | list["JSON"] | dict[str, "JSON"]


def _span(span: Span) -> dict[str, JSON]:
    return {
        "start": {"line": span.start.line, "column": span.start.column},
        "end": {"line": span.end.line, "column": span.end.column},
    }


def to_json(value: object) -> JSON:
    """Dataclasses as objects (`kind` names an instruction; the syntax node is left out), enums as values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, Span):
        return _span(value)
    if isinstance(value, Platform):
        return str(value)
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, JSON] = {}
        name = type(value).__name__
        if name.endswith("Instruction"):
            out["kind"] = name.removesuffix("Instruction").lower()
        for f in dataclasses.fields(value):
            if f.name == "node":
                continue
            out[f.name.rstrip("_")] = to_json(getattr(value, f.name))
        if name.endswith("Instruction"):
            out["code"] = getattr(value, "code")  # noqa: B009
        return out
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def _instruction(planned: PlannedInstruction) -> JSON:
    data = to_json(planned.instruction)
    assert isinstance(data, dict)
    if planned.argv is not None:
        data["argv"] = list(planned.argv)
    if planned.source_stage is not None:
        data["source_stage"] = planned.source_stage
    if planned.onbuild_from is not None:
        data["onbuild"] = True
    return data


def _stage(stage: PlannedStage) -> JSON:
    return {
        "index": stage.index,
        "name": stage.name or None,
        "base": stage.base_name,
        "base_stage": stage.base_stage,
        "platform": None if stage.platform is None else str(stage.platform),
        "from": to_json(stage.stage.base),
        "dependencies": list(stage.dependencies),
        "images": list(stage.images),
        "instructions": [_instruction(p) for p in stage.instructions],
        "env": [f"{k}={v}" for k, v in stage.env],
    }


def plan_json(plan: Plan) -> JSON:
    return {
        "filename": plan.program.filename,
        "target": plan.target,
        "build_platform": str(plan.build_platform),
        "target_platform": str(plan.target_platform),
        "global_args": [f"{k}={v}" for k, v in plan.global_args],
        "meta_args": to_json(plan.program.meta_args),
        "stages": [_stage(s) for s in plan.stages],
    }


def program_json(
    tree: Dockerfile,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    *,
    platform: str | None = None,
    base_image: BaseImageLookup | None = None,
) -> JSON:
    """The stages the target needs and their instructions after expansion, as JSON-able data."""
    return plan_json(
        load_program(tree, build_args=build_args, target=target, platform=platform, base_image=base_image)
    )
