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

Left out: BuildKit reports the dispatch-time checks (UndefinedVar, WorkdirRelativePath, ...) only for the
stages the target needs; the linter reads every stage.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pybuildkit.errors import BuildError, DockerfileError
from pybuildkit.execute.result import BuildWarning

if TYPE_CHECKING:
    from pybuildkit.linter import LintConfig

DOCS = "https://docs.docker.com/go/dockerfile/rule/"
_WORDS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
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
    text: str = field(default="", repr=False)  # the Dockerfile, for `render_check`'s source frames
    # The first instruction the build rejects, as the build reports it (`--check` fails with it).
    rejection: DockerfileError | None = None

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
        return CheckResult(filename=filename, text=text, rejection=error)
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
        rejected=rejection is not None,
        filename=filename,
        text=text,
        rejection=rejection,
    )


_CONFIG: list[tuple[LintConfig, frozenset[str]]] = []


def _config() -> tuple[LintConfig, frozenset[str]]:
    """A config that runs BuildKit's rules only: hadolint's are ignored (so they cost nothing), as are its
    pragmas and ShellCheck, and no project lint config is read (BuildKit reads none)."""
    if not _CONFIG:
        from pybuildkit.linter import LintConfig, all_rules

        rules = all_rules()
        buildkit = [r for r in rules if r.origin.startswith("buildkit")]
        names = frozenset(r.id for r in buildkit)
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
) -> CheckResult:
    """`docker build --check`: run the checks on the build's Dockerfile without building anything. A
    Dockerfile the build would reject is in `rejection` (`docker build --check` fails with that error)."""
    from pybuildkit.execute.session import _find_dockerfile, _read

    path: Path | None = None
    if dockerfile_data is not None:
        data = dockerfile_data
    else:
        path = _find_dockerfile(context_dir, dockerfile)
        data = _read(path)
    return run_checks(
        data.decode("utf-8", "surrogateescape"),
        filename=display_name(path),
        build_args=build_args,
        context_dir=Path(context_dir),
        dockerfile=path,
    )


def display_name(dockerfile: Path | None) -> str:
    """The Dockerfile's name in messages: relative to the current directory when below it; `-f -` has
    no file and is called `Dockerfile`, as docker calls it."""
    if dockerfile is None:
        return "Dockerfile"
    shown = os.path.relpath(dockerfile)
    return os.path.abspath(dockerfile) if shown.startswith("..") else shown


def render_warnings(warnings: Sequence[BuildWarning]) -> str:
    """What buildx prints after a build (`printWarnings`): a blank line, the count, one line each."""
    if not warnings:
        return ""
    count = "1 warning found" if len(warnings) == 1 else f"{len(warnings)} warnings found"
    lines = [f"\n {count} (use docker --debug to expand):"]
    lines += [f" - {w.short}" for w in warnings]
    return "\n".join(lines) + "\n"


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
        parts.append(source_frame(result.text, w.file, w.line, max(w.end_line, w.line)))
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
