"""A Dockerfile as a program: global (meta) ARGs, then stages, each a FROM and its instructions."""

from __future__ import annotations

from dataclasses import dataclass

from pybuildkit.errors import InstructionError
from pybuildkit.instructions import ArgInstruction, FromInstruction, Instruction, parse_instruction
from pybuildkit.syntax.nodes import Dockerfile


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    """One stage: `FROM ... [AS name]` and the instructions up to the next FROM (unexpanded)."""

    name: str  # lower-cased as BuildKit stores it; "" when unnamed
    index: int
    base: FromInstruction
    instructions: tuple[Instruction, ...]

    @property
    def display_name(self) -> str:
        """The name BuildKit shows in progress and errors: the name, or `stage-N`."""
        return self.name or f"stage-{self.index}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Program:
    """The typed Dockerfile. `meta_args` are the ARGs before the first FROM."""

    filename: str
    source: str
    escape: str
    meta_args: tuple[ArgInstruction, ...]
    stages: tuple[Stage, ...]

    def stage(self, ref: str | int) -> Stage | None:
        """A stage by index, or by name (case-insensitive, as BuildKit looks names up)."""
        if isinstance(ref, int):
            return self.stages[ref] if 0 <= ref < len(self.stages) else None
        wanted = ref.lower()
        for stage in reversed(self.stages):  # a later stage of the same name wins, as in BuildKit's map
            if stage.name and stage.name == wanted:
                return stage
        return None

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages if s.name)


def build_program(tree: Dockerfile, *, source: str | None = None) -> Program:
    """Type every instruction and group them into stages (BuildKit's `instructions.Parse`)."""
    text = tree.to_source() if source is None else source
    meta_args: list[ArgInstruction] = []
    stages: list[Stage] = []
    current: FromInstruction | None = None
    body: list[Instruction] = []

    def close() -> None:
        if current is not None:
            stages.append(Stage(name=current.name, index=len(stages), base=current, instructions=tuple(body)))

    for node in tree.instructions:
        instruction = parse_instruction(node, filename=tree.filename, source=text)
        if isinstance(instruction, FromInstruction):
            close()
            current = instruction
            body = []
        elif current is None:
            if isinstance(instruction, ArgInstruction):
                meta_args.append(instruction)
            else:
                raise InstructionError(
                    "no build stage in current context",
                    hint="the first instruction (after ARGs) must be FROM",
                ).located(filename=tree.filename, span=node.span, source=text)
        else:
            body.append(instruction)
    close()
    return Program(
        filename=tree.filename,
        source=text,
        escape=tree.escape,
        meta_args=tuple(meta_args),
        stages=tuple(stages),
    )
