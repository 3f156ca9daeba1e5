"""The plan: a Dockerfile as a program of stages, resolved for one build.

`build_program(tree)` types the instructions and groups them (`Program`, `Stage`); `load_program(tree,
build_args=..., target=..., platform=...)` resolves ARG/ENV scope, the stage graph, `--target` pruning and
ONBUILD, expanding each instruction at its point as BuildKit does (`Plan`). Pure: nothing is fetched.
"""

from __future__ import annotations

from pybuildkit.image.platform import Platform, host_platform
from pybuildkit.plan.expand import expand_instruction
from pybuildkit.plan.program import Program, Stage, build_program
from pybuildkit.plan.render import plan_json, program_json
from pybuildkit.plan.resolve import (
    BaseImageConfig,
    BaseImageLookup,
    Plan,
    PlannedInstruction,
    PlannedStage,
    load_program,
    plan_program,
)

__all__ = [
    "BaseImageConfig",
    "BaseImageLookup",
    "Plan",
    "PlannedInstruction",
    "PlannedStage",
    "Platform",
    "Program",
    "Stage",
    "build_program",
    "expand_instruction",
    "host_platform",
    "load_program",
    "plan_json",
    "plan_program",
    "program_json",
]
