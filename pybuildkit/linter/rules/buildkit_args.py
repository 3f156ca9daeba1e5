"""UndefinedVar: a `$NAME` that no ARG, ENV or build arg defines where it is used.

BuildKit expands words of ADD, COPY, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR and ARG
defaults (and COPY heredoc bodies) at dispatch, and reports the names left unmatched that are not
declared ARGs (`reportUnmatchedVariables`; BuildKit test `testUndefinedVar`, semantics.md §1.12-13).
A base image's ENV is not known statically: for a stage on an external image we only report a name
that is a near miss of a defined one (the "did you mean" case), where a typo is nearly certain.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Set

from pybuildkit.errors import PyBuildKitError
from pybuildkit.instructions import parse_instruction
from pybuildkit.linter.analysis import Analysis, Scope, arg_pairs
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._util import hit, suggest
from pybuildkit.linter.shellwords import expand
from pybuildkit.plan.expand import NON_ENV_ARGS, expand_instruction
from pybuildkit.syntax.nodes import InstructionNode, Keyword


def unmatched_names(node: InstructionNode, analysis: Analysis) -> set[str]:
    """The names the build's expansion of this instruction looks up and does not find in its scope.

    Which fields expand is the plan's table (`plan.expand.expand_instruction`), run here with tolerant
    expanders. An instruction the build cannot type gives none (the build fails before it expands); one
    whose expanded value it would reject gives the names looked up before that."""
    try:
        instruction = parse_instruction(node, filename=analysis.filename, source=analysis.text)
    except PyBuildKitError:
        return set()
    env = analysis.scope(node).values
    found: set[str] = set()

    def word(text: str) -> str:
        result = expand(text, env, analysis.escape)
        found.update(result.unmatched)
        return result.value

    def raw(text: str) -> str:
        # A here-document body: BuildKit's backslash lexer with quotes kept as text.
        result = expand(text, env, skip_processing_quotes=True)
        found.update(result.unmatched)
        return result.value

    with contextlib.suppress(PyBuildKitError):
        expand_instruction(instruction, word=word, raw=raw, words=lambda text: word(text).split())
    return found


@rule(
    id="UndefinedVar",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Variables should be defined before their use",
    bad="FROM scratch\nCOPY $SRC_DIR /app\n",
    good="FROM scratch\nARG SRC_DIR=src\nCOPY $SRC_DIR /app\n",
)
def undefined_var(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        for node in stage.instructions:
            scope = analysis.scope(node)
            if node.kind is Keyword.ARG:
                # An ARG's default sees the ARGs declared earlier on the same line.
                values = dict(scope.values)
                for name, value in arg_pairs(node):
                    if name in analysis.build_args:
                        values[name] = analysis.build_args[name]
                    elif value is not None:
                        result = expand(value, values, analysis.escape)
                        yield from _report(node, result.unmatched, scope, values, analysis)
                        values[name] = result.value
                continue
            yield from _report(node, unmatched_names(node, analysis), scope, scope.values, analysis)


def _report(
    node: InstructionNode, unmatched: Set[str], scope: Scope, values: Mapping[str, str], analysis: Analysis
) -> Iterator[Hit]:
    for name in sorted(unmatched):
        if name in NON_ENV_ARGS or scope.defines(name) or name in analysis.build_args:
            continue
        match = suggest(name, values.keys())
        if not scope.env_known and match is None:
            continue
        message = f"Usage of undefined variable '${name}'"
        if match:
            message += f" (did you mean ${match}?)"
        yield hit(node, message)
