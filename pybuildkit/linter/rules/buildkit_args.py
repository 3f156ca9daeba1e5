"""UndefinedVar: a `$NAME` that no ARG, ENV or build arg defines where it is used.

BuildKit expands words of ADD, COPY, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR and ARG
defaults (and COPY heredoc bodies) at dispatch, and reports the names left unmatched that are not
declared ARGs (`reportUnmatchedVariables`; BuildKit test `testUndefinedVar`, semantics.md §1.12-13).
A base image's ENV is not known statically: for a stage on an external image we only report a name
that is a near miss of a defined one (the "did you mean" case), where a typo is nearly certain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set

from pybuildkit.linter.analysis import Analysis, Scope, arg_pairs, env_pairs
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._util import hit, suggest
from pybuildkit.linter.shellwords import expand
from pybuildkit.syntax.nodes import InstructionNode, Keyword

NON_ENV_ARGS = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})


def expanded_words(node: InstructionNode) -> list[str]:
    """The words BuildKit expands for this instruction (before expansion)."""
    match node.kind:
        case Keyword.ADD | Keyword.COPY:
            words = [w for w in node.args if not w.startswith("<<")]
            words += [f.value for f in node.flags if f.name in ("chown", "chmod") and f.value]
            words += [h.content for h in node.heredocs if h.expand]
            return words
        case Keyword.ENV:
            return [value for _, value, _ in env_pairs(node)]
        case Keyword.LABEL:
            return [w for key, value, _ in env_pairs(node) for w in (key, value)]
        case Keyword.ARG:
            return [value for _, value in arg_pairs(node) if value is not None]
        case Keyword.EXPOSE | Keyword.VOLUME | Keyword.STOPSIGNAL | Keyword.USER | Keyword.WORKDIR:
            return list(node.args)
        case _:
            return []


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
            words = expanded_words(node)
            if not words:
                continue
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
            unmatched: set[str] = set()
            for word in words:
                unmatched |= analysis.expand(node, word).unmatched
            yield from _report(node, unmatched, scope, scope.values, analysis)


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
