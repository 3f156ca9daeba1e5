"""Build checks during a build, as `docker build` runs them: BuildKit's own rules only (not hadolint's),
through the linter, honouring the file's `# check=skip=...;error=true;experimental=...` directive, the
per-instruction `# check=` comments and the `--build-arg`s.

BuildKit evaluates the checks while it converts the Dockerfile, before it solves a single step
(`dockerfile2llb.toDispatchState`); with `error=true` a check that fired fails the build there, with
`lint violation found for rules: A, B` (`linter.Linter.Error`, raised in `finalizeResultImage`). A bad
`check=` directive fails the build before the Dockerfile is even parsed (`newRuleLinter`). The warnings
are returned as data (`BuildResult.warnings`); the CLI prints them as buildx's `printWarnings` does, and
`--check` as buildx's `build --call=check` (`lint.LintResults.PrintTo`). The render functions here return
text; nothing prints.

A build reports the checks BuildKit runs while it dispatches a stage (`DISPATCH_RULES`) only for the
stages the target needs, as BuildKit dispatches no other, and takes UndefinedVar from the plan, which
knows the base images' ENV (`CheckResult.for_plan`); `--check`, like `docker build --check` without
`--target`, reports them for every stage.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pybuildkit.errors import BuildError, DockerfileError
from pybuildkit.execute.result import BuildWarning

if TYPE_CHECKING:
    from pybuildkit.linter import LintConfig
    from pybuildkit.plan import Plan

DOCS = "https://docs.docker.com/go/dockerfile/rule/"
_WORDS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# The rules BuildKit runs in `dispatch` (convert.go, convert_expose.go, validations.go called from there):
# only a stage the build needs reports them. The others run over every stage (`instructions.Parse`,
# `validateStageNames`, `validateCommandCasing`, `buildDispatchStates`, `validateBaseImagesWithDefaultArgs`).
DISPATCH_RULES = frozenset(
    {
        "UndefinedVar",
        "WorkdirRelativePath",
        "LegacyKeyValueFormat",
        "JSONArgsRecommended",
        "ExposeProtoCasing",
        "ExposeInvalidFormat",
        "CopyIgnoredFile",
        "MultipleInstructionsDisallowed",
        "SecretsUsedInArgOrEnv",
        "InvalidBaseImagePlatform",
    }
)
_SKIP_HINT = "fix the Dockerfile, or skip a rule with # check=skip=RULE (or drop error=true)"


class BuildCheckError(BuildError):
    """`# check=error=true` and at least one check fired. Carries the warnings, which are printed too."""

    def __init__(self, warnings: Sequence[BuildWarning], *, filename: str) -> None:
        rules = ", ".join(sorted({w.rule for w in warnings}))  # BuildKit's order is a Go map's: sort it
        super().__init__(f"lint violation found for rules: {rules}", filename=filename, hint=_SKIP_HINT)
        self.warnings = tuple(warnings)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """The checks of one Dockerfile: the warnings, and whether they fail the build."""

    warnings: tuple[BuildWarning, ...] = ()
    error: bool = False  # the file says `# check=error=true`
    rejected: bool = False  # the build rejects an instruction: it fails with that error instead
    filename: str = "Dockerfile"
    # The first instruction the build rejects, as the build reports it (`--check` fails with it).
    rejection: DockerfileError | None = None
    skipped: frozenset[str] = frozenset()  # the directive's `skip=` (lower-cased, as the linter reads it)
    skip_all: bool = False

    def for_stages(self, starts: Sequence[int], needed: Collection[int]) -> CheckResult:
        """Drop the dispatch-time warnings of stages the build does not need. `starts`: the first line of
        each stage, in order; `needed`: the indexes of the stages the build needs."""

        def kept(warning: BuildWarning) -> bool:
            stage = bisect_right(starts, warning.line) - 1  # -1: before the first FROM (a global ARG)
            return warning.rule not in DISPATCH_RULES or stage < 0 or stage in needed

        return replace(self, warnings=tuple(w for w in self.warnings if kept(w)))

    def for_plan(self, plan: Plan, text: str) -> CheckResult:
        """Narrow to what a build of `plan` reports: the dispatch-time checks of the stages it needs only,
        and UndefinedVar from the plan's own expansion, which knows what a static lint cannot (the base
        images' ENV): each instruction's unmatched names less its declared ARGs, as BuildKit's
        `reportUnmatchedVariables`. Triggers from a base's ONBUILD have no line here and are not reported."""
        starts = [stage.base.node.span.start.line for stage in plan.program.stages]
        narrowed = self.for_stages(starts, {stage.index for stage in plan.stages})
        if self.skip_all or "undefinedvar" in self.skipped:
            return narrowed
        from pybuildkit.instructions.suggest import suggest
        from pybuildkit.linter.suppress import instruction_check
        from pybuildkit.plan.expand import NON_ENV_ARGS

        found: list[BuildWarning] = []
        for stage in plan.stages:
            for planned in stage.instructions:
                declared = {name for name, _ in planned.build_args}
                names = planned.undefined_vars - declared - NON_ENV_ARGS
                if not names or planned.onbuild_from is not None:
                    continue
                node = planned.original.node
                local = instruction_check(node)
                if local is not None and (
                    local.skip_all or "undefinedvar" in {n.lower() for n in local.skip}
                ):
                    continue
                options = [name for name, _ in planned.env]
                for name in sorted(names):
                    match = suggest(name, options)
                    message = f"Usage of undefined variable '${name}'" + (
                        f" (did you mean ${match}?)" if match else ""
                    )
                    found.append(
                        BuildWarning(
                            rule="UndefinedVar",
                            message=message,
                            file=self.filename,
                            line=node.span.start.line,
                            column=node.span.start.column,
                            end_line=node.span.end.line,
                            end_column=node.span.end.column,
                            url=rule_url("UndefinedVar"),
                            description=_description("UndefinedVar"),
                            frame=source_frame(text, self.filename, node.span.start.line, node.span.end.line),
                        )
                    )
        kept = [w for w in narrowed.warnings if w.rule != "UndefinedVar"]
        ordered = sorted([*kept, *found], key=lambda w: (w.line, w.column, w.rule, w.message))
        return replace(narrowed, warnings=tuple(ordered))

    def raise_for_error(self) -> None:
        """Fail as BuildKit does when `error=true` and a check fired."""
        if self.error and self.warnings and not self.rejected:
            raise BuildCheckError(self.warnings, filename=self.filename)


def rule_url(rule: str) -> str:
    """BuildKit's docs link for a rule: `FromAsCasing` → `.../rule/from-as-casing/`."""
    return f"{DOCS}{_WORDS.sub('-', rule).lower()}/"


def run_checks(
    text: str,
    *,
    filename: str = "Dockerfile",
    build_args: Mapping[str, str] | None = None,
    context_dir: Path | None = None,
    dockerfile: Path | None = None,
) -> CheckResult:
    """Run BuildKit's checks on a Dockerfile's text. Raises the directive's error for a `check=` value
    BuildKit refuses (`error=maybe`); a Dockerfile that does not parse gives no warnings (the build
    reports the parse error itself)."""
    import pybuildkit
    from pybuildkit.linter import Source, lint_files
    from pybuildkit.linter.engine import SYNTAX_RULE
    from pybuildkit.linter.suppress import file_check
    from pybuildkit.source import Position, Span

    try:
        tree = pybuildkit.parse(text, filename=filename)
    except DockerfileError as error:
        return CheckResult(filename=filename, rejection=error)
    try:
        options = file_check(tree)
    except DockerfileError as error:
        raise error.located(filename=filename, source=text) from None
    config, names = _config()
    source = Source(text=text, filename=filename, context_dir=context_dir, dockerfile_path=dockerfile)
    report = lint_files([source], build_args=build_args, config=config)[0]
    warnings = tuple(
        BuildWarning(
            rule=f.rule,
            message=f.message,
            file=f.file,
            line=f.line,
            column=f.column,
            end_line=f.end_line,
            end_column=f.end_column,
            url=rule_url(f.rule),
            description=names[f.rule],
            frame=source_frame(text, f.file, f.line, max(f.end_line, f.line)),
        )
        for f in report.findings
        if f.rule in names
    )
    rejection: DockerfileError | None = None
    for f in report.findings:
        if f.rule == SYNTAX_RULE:
            span = Span(
                start=Position(line=f.line, column=f.column),
                end=Position(line=f.end_line, column=f.end_column),
            )
            rejection = BuildError(f.message, filename=filename, span=span, source=text, hint=f.hint)
            break
    return CheckResult(
        warnings=warnings,
        error=options.error,
        skipped=frozenset(name.lower() for name in options.skip),
        skip_all=options.skip_all,
        rejected=rejection is not None,
        filename=filename,
        rejection=rejection,
    )


_CONFIG: list[tuple[LintConfig, dict[str, str]]] = []


def _description(rule: str) -> str:
    return _config()[1].get(rule, "")


def _config() -> tuple[LintConfig, dict[str, str]]:
    """A config that runs BuildKit's rules only: hadolint's are ignored (so they cost nothing), as are its
    pragmas and ShellCheck, and no project lint config is read (BuildKit reads none)."""
    if not _CONFIG:
        from pybuildkit.linter import LintConfig, all_rules

        rules = all_rules()
        buildkit = [r for r in rules if r.origin.startswith("buildkit")]
        names = {r.id: r.summary for r in buildkit}  # BuildKit's rules, with their descriptions
        aliases = {n.lower() for r in buildkit for n in r.names}
        others = frozenset(r.id for r in rules if r not in buildkit and r.id.lower() not in aliases)
        config = LintConfig(
            ignored=others, shellcheck=False, disable_ignore_pragma=True, failure_threshold=None
        )
        _CONFIG.append((config, names))
    return _CONFIG[0]


def check(
    context_dir: str | os.PathLike[str],
    *,
    dockerfile: str | os.PathLike[str] | None = None,
    dockerfile_data: bytes | None = None,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
) -> CheckResult:
    """`docker build --check`: run the checks on the build's Dockerfile without building anything. A
    Dockerfile the build would reject is in `rejection` (`docker build --check` fails with that error).
    Every stage is checked, unless a `target` is named: then, as in a build, the dispatch-time checks of
    the stages it does not need are dropped (an unknown target raises the build's error)."""
    from pybuildkit.execute.session import _find_dockerfile, _read

    path: Path | None = None
    if dockerfile_data is not None:
        data = dockerfile_data
    else:
        path = _find_dockerfile(context_dir, dockerfile)
        data = _read(path)
    text = data.decode("utf-8", "surrogateescape")
    filename = display_name(path)
    result = run_checks(
        text, filename=filename, build_args=build_args, context_dir=Path(context_dir), dockerfile=path
    )
    if target is None or result.rejection is not None:
        return result
    import pybuildkit
    from pybuildkit.plan import load_program

    plan = load_program(pybuildkit.parse(text, filename=filename), build_args=build_args, target=target)
    starts = [stage.base.node.span.start.line for stage in plan.program.stages]
    # Not `for_plan`: without the base images, the plan knows their ENV no better than the linter.
    return result.for_stages(starts, {stage.index for stage in plan.stages})


def display_name(dockerfile: Path | None) -> str:
    """The Dockerfile's name in messages: relative to the current directory when below it; `-f -` has
    no file and is called `Dockerfile`, as docker calls it."""
    if dockerfile is None:
        return "Dockerfile"
    shown = os.path.relpath(dockerfile)
    return os.path.abspath(dockerfile) if shown.startswith("..") else shown


def render_warnings(warnings: Sequence[BuildWarning], *, debug: bool = False) -> str:
    """What buildx prints after a build (`printWarnings`): a blank line, the count, one line each; with
    `debug` (`docker --debug build`) each also gets its description, docs link and source excerpt."""
    if not warnings:
        return ""
    count = "1 warning found" if len(warnings) == 1 else f"{len(warnings)} warnings found"
    parts = [f"\n {count}{'' if debug else ' (use docker --debug to expand)'}:\n"]
    for w in warnings:
        parts.append(f" - {w.short}\n")
        if debug:
            parts.append(f"{w.description}\n" if w.description else "")
            parts.append(f"More info: {w.url}\n" if w.url else "")
            parts.append(f"{w.frame}\n")
    return "".join(parts)


def render_check(result: CheckResult) -> str:
    """What `docker build --check` prints (buildx's `printResult` for `lint`): the count, then each
    warning with its rule, docs link, message and source frame."""
    warnings = result.warnings
    if not warnings:
        return "Check complete, no warnings found.\n"
    count = (
        "1 warning has been found!" if len(warnings) == 1 else f"{len(warnings)} warnings have been found!"
    )
    parts = [f"Check complete, {count}\n"]
    for w in warnings:
        parts.append(f"\nWARNING: {w.rule} - {w.url}\n{w.message}\n")
        parts.append(w.frame)
    return "".join(parts)


def source_frame(text: str, filename: str, start: int, end: int) -> str:
    """BuildKit's source excerpt (`errdefs.Source.Print`): the lines, padded with context, the named
    ones marked `>>>`, between dashed rules."""
    lines = text.split("\n")
    if start < 1 or start > len(lines):
        return ""
    end = min(end, len(lines))
    first, last = start, end
    pad = 4 if start == end else 2
    done = 0
    while done < pad:
        if first > 1:
            first -= 1
            done += 1
        if last != len(lines):
            last += 1
            done += 1
        done += 1
    out = [f"{filename}:{start}", "-" * 20]
    for number in range(first, last + 1):
        mark = ">>>" if start <= number <= end else "   "
        out.append(f" {number:3d} | {mark} {lines[number - 1]}")
    out.append("-" * 20)
    return "\n".join(out) + "\n"


__all__ = [
    "DISPATCH_RULES",
    "BuildCheckError",
    "BuildWarning",
    "CheckResult",
    "check",
    "display_name",
    "render_check",
    "render_warnings",
    "rule_url",
    "run_checks",
    "source_frame",
]
