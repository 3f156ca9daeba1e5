"""Step cache keys (pure): what a step's result depends on, hashed, and explained when it changes.

A key is the sha256 of the canonical JSON of `KeyParts`:

* `parent`: the key of the step before (a stage's first step: the base's key: `scratch` + platform, an
  image's manifest digest, or the base stage's last key), so a change anywhere above invalidates below;
* `instruction`: the expanded instruction (every field but its source position and syntax node, so moving
  a line or editing a comment elsewhere keeps the cache), plus the WORKDIR/USER/SHELL it runs with;
* `args`: the ARG/ENV values its expansion used, and for RUN every variable in its environment, proxy
  variables excepted (BuildKit keeps `http_proxy` and friends out of the cache key, `testBuiltinArgs`);
* `files`: digests of what it reads from the build context, source by source (`ContextDigests`);
* `sources`: keys of the stages and images it copies from;
* `options`: what changes the layer bytes (compression, SOURCE_DATE_EPOCH).

`explain` compares the parts recorded at the last build of the same step with the current ones and says, in
words, which input changed.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pybuildkit.plan.expand import PROXY_ARGS
from pybuildkit.plan.steps import Step, StepKind

KEY_VERSION = "pybuildkit-step-v1"
_SKIP_FIELDS = frozenset({"span", "node", "doc_comment", "flags_used"})


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyParts:
    """Everything a step's key is made of (see the module docstring)."""

    parent: str
    instruction: str
    args: tuple[tuple[str, str], ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    options: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "parent": self.parent,
            "instruction": self.instruction,
            "args": [list(p) for p in self.args],
            "files": [list(p) for p in self.files],
            "sources": [list(p) for p in self.sources],
            "options": [list(p) for p in self.options],
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> KeyParts:
        def pairs(name: str) -> tuple[tuple[str, str], ...]:
            return tuple((str(a), str(b)) for a, b in value.get(name) or ())

        return cls(
            parent=str(value.get("parent", "")),
            instruction=str(value.get("instruction", "")),
            args=pairs("args"),
            files=pairs("files"),
            sources=pairs("sources"),
            options=pairs("options"),
        )

    @property
    def key(self) -> str:
        return hash_json({"v": KEY_VERSION, **self.to_json()})


def hash_json(value: object) -> str:
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(data.encode("utf-8", "surrogateescape")).hexdigest()


def canonical(value: object) -> object:
    """A JSON-able form of an instruction value: dataclass fields by name (positions and syntax nodes left
    out), enums by value, tuples as lists."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, bytes):
        return value.hex()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, object] = {"kind": type(value).__name__}
        for item in dataclasses.fields(value):
            if item.name in _SKIP_FIELDS:
                continue
            out[item.name] = canonical(getattr(value, item.name))
        return out
    if isinstance(value, tuple | list):
        return [canonical(item) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(str(item) for item in value)
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    return str(value)


def instruction_text(step: Step) -> str:
    """The canonical text of what the step does (the `instruction` part of its key)."""
    planned = step.planned
    value: dict[str, object] = {
        "instruction": canonical(planned.instruction),
        "workdir": step.workdir,
        "user": step.user,
    }
    if step.kind is StepKind.RUN:
        value["argv"] = list(planned.argv or ())
        value["shell"] = list(step.shell)
        if planned.script is not None:
            value["script"] = list(planned.script)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def used_args(step: Step) -> tuple[tuple[str, str], ...]:
    """The variables the step's result depends on: those its expansion used; for RUN, its whole
    environment. Proxy variables never count."""
    env = dict(step.planned.env)
    names = set(env) if step.kind is StepKind.RUN else set(step.planned.used_vars) & set(env)
    return tuple(sorted((k, env[k]) for k in names if k.lower() not in PROXY_ARGS))


def step_parts(
    step: Step,
    *,
    parent: str,
    files: tuple[tuple[str, str], ...] = (),
    sources: tuple[tuple[str, str], ...] = (),
    options: tuple[tuple[str, str], ...] = (),
) -> KeyParts:
    return KeyParts(
        parent=parent,
        instruction=instruction_text(step),
        args=used_args(step),
        files=files,
        sources=sources,
        options=options if step.kind is not StepKind.CONFIG else (),
    )


def base_key(kind: str, name: str, *, digest: str = "", platform: str = "") -> str:
    """The key a stage's first step chains from."""
    return hash_json({"v": KEY_VERSION, "base": kind, "name": name, "digest": digest, "platform": platform})


def _diff_pairs(
    what: str, old: tuple[tuple[str, str], ...], new: tuple[tuple[str, str], ...], *, limit: int = 10
) -> list[str]:
    before, after = dict(old), dict(new)
    out: list[str] = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            out.append(f"{what} {name} is new")
        elif name not in after:
            out.append(f"{what} {name} is gone")
        elif before[name] != after[name]:
            out.append(f"{what} {name} changed ({_short(before[name])} -> {_short(after[name])})")
    if len(out) > limit:
        out = [*out[:limit], f"... and {len(out) - limit} more"]
    return out


def _short(value: str) -> str:
    if value.startswith("sha256:"):
        return value[7:19]
    return json.dumps(value) if len(value) <= 40 else json.dumps(value[:37] + "...")


def explain(previous: KeyParts | None, current: KeyParts) -> tuple[str, ...]:
    """Why a step missed the cache, in words (the parts that differ); the first reason first."""
    if previous is None:
        return ("no earlier build of this step",)
    reasons: list[str] = []
    if previous.parent != current.parent:
        reasons.append("the step before it changed (parent)")
    if previous.instruction != current.instruction:
        reasons.append("the instruction changed")
    reasons += _diff_pairs("ARG", previous.args, current.args)
    reasons += _diff_pairs("file", previous.files, current.files)
    reasons += _diff_pairs("source", previous.sources, current.sources)
    reasons += _diff_pairs("option", previous.options, current.options)
    if not reasons:
        reasons.append("the cached result is gone (pruned)")
    return tuple(reasons)
