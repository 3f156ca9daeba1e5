"""BuildKit's checks on FROM lines: stage names, `AS` casing, ARGs in FROM, `--platform`.

Behaviour follows BuildKit's `instructions/parse.go` (StageNameCasing, FromAsCasing,
InvalidDefinitionDescription) and `dockerfile2llb/validations.go` (the rest); BuildKit's integration
tests `testStageName`, `testDuplicateStageName`, `testReservedStageName`, `testUndeclaredArg`,
`testRedundantTargetPlatform`, `testFromPlatformFlagConstDisallowed`, `testInvalidDefaultArgInFrom`
show them.
"""

from __future__ import annotations

from collections.abc import Iterator

from pybuildkit.errors import PyBuildKitError
from pybuildkit.linter.analysis import AUTOMATIC_ARGS, Analysis, Stage, arg_pairs
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._util import hit, suggest
from pybuildkit.linter.shellwords import expand
from pybuildkit.linter.suppress import _comment_body
from pybuildkit.shell import Expansion
from pybuildkit.syntax.nodes import InstructionNode, Keyword

RESERVED = frozenset({"context", "scratch"})


@rule(
    id="StageNameCasing",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Stage names should be lowercase",
    bad="FROM alpine AS BuilderBase\n",
    good="FROM alpine AS builder-base\n",
    fixable=True,
)
def stage_name_casing(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        args = stage.node.args
        if len(args) == 3 and args[2] != args[2].lower():
            yield hit(stage.node, f"Stage name '{args[2]}' should be lowercase")


@rule(
    id="FromAsCasing",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="The 'as' keyword should match the case of the 'from' keyword",
    bad="FROM debian:12 as builder\n",
    good="FROM debian:12 AS builder\n",
    fixable=True,
)
def from_as_casing(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        node = stage.node
        if len(node.args) < 3:
            continue
        keyword, word = node.keyword, node.args[1]
        if keyword == keyword.lower():
            ok = word == word.lower()
        elif keyword == keyword.upper():
            ok = word == word.upper()
        else:
            ok = True  # mixed-case FROM: ConsistentInstructionCasing speaks instead
        if not ok:
            yield hit(node, f"'{word}' and '{keyword}' keywords' casing do not match")


@rule(
    id="DuplicateStageName",
    aliases=("DL3024",),
    origin="buildkit+hadolint",
    severity=Severity.ERROR,
    summary="Stage names should be unique",
    bad="FROM debian:12 AS build\nFROM alpine:3 AS build\n",
    good="FROM debian:12 AS build-debian\nFROM alpine:3 AS build-alpine\n",
)
def duplicate_stage_name(analysis: Analysis) -> Iterator[Hit]:
    seen: set[str] = set()
    for stage in analysis.stages:
        if stage.name is None:
            continue
        name = stage.name.lower()
        if name in seen:
            yield hit(stage.node, f'Duplicate stage name "{name}", stage names should be unique')
        seen.add(name)


@rule(
    id="ReservedStageName",
    aliases=("DL3063",),
    origin="buildkit+hadolint",
    severity=Severity.WARNING,
    summary="Reserved words should not be used as stage names",
    bad="FROM alpine:3 AS scratch\n",
    good="FROM alpine:3 AS base\n",
)
def reserved_stage_name(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        if stage.name is not None and stage.name.lower() in RESERVED:
            yield hit(
                stage.node,
                f'Stage name should not use the same name as reserved stage "{stage.name.lower()}"',
            )


def _from_keys(analysis: Analysis) -> set[str]:
    keys = set(AUTOMATIC_ARGS)
    for node in analysis.meta:
        if node.kind is Keyword.ARG:
            keys.update(name for name, _ in arg_pairs(node))
    return keys


def _platforms(analysis: Analysis) -> Iterator[tuple[Stage, Expansion]]:
    """Each stage with `FROM --platform`, and the flag expanded with the global ARGs."""
    for stage in analysis.stages:
        if stage.platform:
            yield stage, expand(stage.platform, analysis.from_values, analysis.escape)


@rule(
    id="UndefinedArgInFrom",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="FROM command must use declared ARGs",
    bad="FROM node:${NODE_VERSION}-alpine\n",
    good="ARG NODE_VERSION=22\nFROM node:${NODE_VERSION}-alpine\n",
)
def undefined_arg_in_from(analysis: Analysis) -> Iterator[Hit]:
    keys = _from_keys(analysis)
    values = analysis.from_values
    for stage in analysis.stages:
        words = [stage.base] + ([stage.platform] if stage.platform else [])
        for word in words:
            result = expand(word, values, analysis.escape)
            for name in sorted(result.unmatched - keys):
                match = suggest(name, keys)
                message = f"FROM argument '{name}' is not declared"
                if match:
                    message += f" (did you mean {match}?)"
                yield hit(stage.node, message)


@rule(
    id="RedundantTargetPlatform",
    aliases=("DL3065",),
    origin="buildkit+hadolint",
    severity=Severity.WARNING,
    summary="Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
    bad="FROM --platform=$TARGETPLATFORM alpine:3\n",
    good="FROM alpine:3\n",
)
def redundant_target_platform(analysis: Analysis) -> Iterator[Hit]:
    for stage, result in _platforms(analysis):
        if (
            result.matched == {"TARGETPLATFORM"}
            and not result.unmatched
            and result.value == analysis.from_values["TARGETPLATFORM"]
        ):
            yield hit(
                stage.node,
                f"Setting platform to predefined {stage.platform} in FROM is redundant as this is the default behavior",
            )


@rule(
    id="FromPlatformFlagConstDisallowed",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="FROM --platform flag should not use a constant value",
    bad="FROM --platform=linux/amd64 alpine:3 AS build\n",
    good="FROM --platform=linux/amd64 alpine:3 AS build-amd64\n",
)
def from_platform_flag_const_disallowed(analysis: Analysis) -> Iterator[Hit]:
    from pybuildkit.image.platform import Platform

    for stage, result in _platforms(analysis):
        if result.matched or result.unmatched:
            continue
        try:
            platform = Platform.parse(result.value)
        except PyBuildKitError:
            continue
        name = (stage.name or "").lower()
        if platform.os in name or platform.architecture in name:
            continue
        yield hit(stage.node, f'FROM --platform flag should not use constant value "{result.value}"')


def _valid_reference(text: str) -> bool:
    from pybuildkit.image.reference import Reference

    if not text:
        return False
    try:
        Reference.parse(text)
    except PyBuildKitError:
        return False
    return True


@rule(
    id="InvalidDefaultArgInFrom",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Default value for global ARG results in an empty or invalid base image name",
    bad="ARG TAG\nFROM busybox:${TAG}\n",
    good="ARG TAG=latest\nFROM busybox:${TAG}\n",
)
def invalid_default_arg_in_from(analysis: Analysis) -> Iterator[Hit]:
    # Defaults only: build args do not count here (semantics.md §1.22).
    defaults: dict[str, str] = dict(AUTOMATIC_ARGS)
    for node in analysis.meta:
        if node.kind is Keyword.ARG:
            for name, value in arg_pairs(node):
                if value is not None:
                    defaults[name] = expand(value, defaults, analysis.escape).value
    for stage in analysis.stages:
        result = expand(stage.base, defaults, analysis.escape)
        if analysis.stage_named(result.value) is not None and result.value:
            continue
        if not _valid_reference(result.value):
            yield hit(
                stage.node, f"Default value for ARG {stage.base} results in empty or invalid base image name"
            )


def _description_ok(node: InstructionNode, keys: list[str]) -> bool:
    if not node.comments or not keys:
        return True
    last = _comment_body(node.comments[-1])
    return last.split(" ")[0] in keys


@rule(
    id="InvalidDefinitionDescription",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`",
    bad="# the version of Go to use\nARG GO_VERSION=1.23\n",
    good="# GO_VERSION the version of Go to use\nARG GO_VERSION=1.23\n",
    enabled=False,  # experimental in BuildKit
)
def invalid_definition_description(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.instructions:
        if node.kind is Keyword.FROM:
            stage = analysis.stage_of(node)
            if stage is not None and stage.name and not _description_ok(node, [stage.name.lower()]):
                yield hit(
                    node,
                    f"Comment for FROM should follow the format: `# {stage.name.lower()} <description>`",
                )
        elif node.kind is Keyword.ARG:
            keys = [name for name, _ in arg_pairs(node)]
            if not _description_ok(node, keys):
                example = keys[0] if len(keys) == 1 else "<arg_key>"
                yield hit(node, f"Comment for ARG should follow the format: `# {example} <description>`")
