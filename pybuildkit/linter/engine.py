"""Run the rules over Dockerfiles: parse, analyse, check, suppress, override severities, sort.

`lint()` is the public entry (exported as `pybuildkit.lint`); `lint_files()` lints many files in one go
(one ShellCheck process for all of them). A file the parser rejects gives one `SyntaxError` finding
(hadolint's DL1000) with the parser's position, never an exception; so does each instruction the build
would reject (see `buildcheck.py`), and the other rules do not see those instructions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pybuildkit.errors import DockerfileError
from pybuildkit.linter import shellcheck
from pybuildkit.linter.analysis import PROXY_ARGS, Analysis, analyse
from pybuildkit.linter.buildcheck import check_build
from pybuildkit.linter.config import LintConfig
from pybuildkit.linter.model import Finding, Hit, LintReport, Notice, Rule, Severity
from pybuildkit.linter.registry import all_rules
from pybuildkit.linter.suppress import CheckOptions, Pragmas, file_check, hadolint_pragmas, instruction_check
from pybuildkit.source import Position, Span
from pybuildkit.syntax.nodes import Dockerfile, Keyword

SYNTAX_RULE = "SyntaxError"
SHELLCHECK_URL = "https://www.shellcheck.net/wiki/"
SHELLCHECK_MISSING = "shellcheck is not installed; RUN bodies were not checked (SC rules skipped)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """One Dockerfile to lint: its text, the name to report, and its build context (for CopyIgnoredFile)."""

    text: str
    filename: str = "Dockerfile"
    context_dir: Path | None = None
    dockerfile_path: Path | None = None


@dataclass(slots=True, kw_only=True)
class _Pending:
    source: Source
    findings: list[Finding] = field(default_factory=list)
    analysis: Analysis | None = None
    check: CheckOptions = field(default_factory=CheckOptions)
    pragmas: Pragmas = field(default_factory=Pragmas)
    jobs: list[shellcheck.Job] = field(default_factory=list)


def lint(
    text_or_path: str | os.PathLike[str],
    *,
    filename: str | None = None,
    build_args: Mapping[str, str] | None = None,
    context_dir: str | os.PathLike[str] | None = None,
    config: LintConfig | None = None,
) -> list[Finding]:
    """Lint one Dockerfile (its text, or a path) and return the findings in position order."""
    return list(
        lint_report(
            text_or_path, filename=filename, build_args=build_args, context_dir=context_dir, config=config
        ).findings
    )


def lint_report(
    text_or_path: str | os.PathLike[str],
    *,
    filename: str | None = None,
    build_args: Mapping[str, str] | None = None,
    context_dir: str | os.PathLike[str] | None = None,
    config: LintConfig | None = None,
) -> LintReport:
    """As `lint`, plus notices about the run (e.g. ShellCheck missing)."""
    source = make_source(text_or_path, filename=filename, context_dir=context_dir)
    return lint_files([source], build_args=build_args, config=config)[0]


def make_source(
    text_or_path: str | os.PathLike[str],
    *,
    filename: str | None = None,
    context_dir: str | os.PathLike[str] | None = None,
) -> Source:
    """A `Source` from text or a path. A `str` holding a newline is text; other `str`s name a file."""
    context = Path(context_dir) if context_dir is not None else None
    if isinstance(text_or_path, os.PathLike) or ("\n" not in text_or_path and Path(text_or_path).is_file()):
        path = Path(text_or_path)
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as error:
            from pybuildkit.errors import PyBuildKitError

            raise PyBuildKitError(f"cannot read {path}: {error.strerror}") from None
        return Source(
            text=text,
            filename=filename or str(text_or_path),
            context_dir=context if context is not None else path.parent,
            dockerfile_path=path,
        )
    return Source(text=str(text_or_path), filename=filename or "Dockerfile", context_dir=context)


def lint_files(
    sources: Sequence[Source],
    *,
    build_args: Mapping[str, str] | None = None,
    config: LintConfig | None = None,
) -> list[LintReport]:
    """Lint many Dockerfiles with one configuration; one report per source, in order."""
    config = config or LintConfig()
    rules = _active_rules(config)
    pending = [_check_one(source, rules, config, build_args or {}) for source in sources]
    notices: list[Notice] = []
    jobs = [job for p in pending for job in p.jobs]
    if config.shellcheck and _wants_shellcheck(config):
        if not shellcheck.available():
            if any(p.analysis is not None for p in pending):
                notices.append(Notice(message=SHELLCHECK_MISSING))
        else:
            by_node = {id(p_job.node): p for p in pending for p_job in p.jobs}
            seen: set[tuple[int, str, str]] = set()
            for found in shellcheck.run(jobs):
                # One finding per RUN, code and message (hadolint keeps a set of them too).
                key = (id(found.node), found.code, found.message)
                if key in seen:
                    continue
                seen.add(key)
                owner = by_node[id(found.node)]
                owner.findings.extend(
                    _finalise(
                        owner,
                        config,
                        rule_id=found.code,
                        aliases=(),
                        default=found.severity,
                        url=SHELLCHECK_URL + found.code,
                        hit=Hit(span=found.span, message=found.message, node=found.node),
                    )
                )
    reports = []
    for p in pending:
        findings = tuple(sorted(p.findings, key=lambda f: f.sort_key))
        reports.append(LintReport(findings=findings, notices=tuple(notices)))
    return reports


def _wants_shellcheck(config: LintConfig) -> bool:
    return "shellcheck" not in {name.lower() for name in config.ignored}


def _active_rules(config: LintConfig) -> list[Rule]:
    ignored = {name.lower() for name in config.ignored}
    active = []
    for entry in all_rules():
        names = {n.lower() for n in entry.names}
        if names & ignored:
            continue
        # Rules off by default stay in the list: a file's `# check=experimental=...` may switch them on.
        active.append(entry)
    return active


def _check_one(
    source: Source, rules: Sequence[Rule], config: LintConfig, build_args: Mapping[str, str]
) -> _Pending:
    pending = _Pending(source=source)
    try:
        tree = _parse(source.text, source.filename)
        pending.check = file_check(tree)
    except DockerfileError as error:
        pending.findings.append(_syntax_finding(source, error))
        return pending
    checked = check_build(tree, filename=source.filename, text=source.text)
    pending.findings.extend(
        _syntax_finding(source, r.error, aliases=() if r.typed else ("DL1000",)) for r in checked.rejections
    )
    tree = checked.tree
    matcher, ignore_file = _ignore_matcher(source)
    analysis = analyse(
        tree,
        text=source.text,
        config=config,
        build_args=build_args,
        ignore_matcher=matcher,
        ignore_file=ignore_file,
    )
    pending.analysis = analysis
    pending.pragmas = hadolint_pragmas(source.text) if not config.disable_ignore_pragma else Pragmas()
    check = pending.check
    experimental = {n.lower() for n in check.experimental}
    skipped = {n.lower() for n in check.skip}
    enabled = {n.lower() for n in config.enabled}
    for entry in rules:
        names = {n.lower() for n in entry.names}
        buildkit = entry.origin.startswith("buildkit")
        switched_on = names & enabled or (buildkit and (check.experimental_all or names & experimental))
        if not entry.enabled and not switched_on:
            continue
        if names & skipped or (buildkit and check.skip_all):
            continue
        for hit in entry.check(analysis):
            pending.findings.extend(
                _finalise(
                    pending,
                    config,
                    rule_id=entry.id,
                    aliases=entry.aliases,
                    default=entry.severity,
                    url=entry.url,
                    hit=hit,
                )
            )
    if config.shellcheck and _wants_shellcheck(config):
        pending.jobs = _shellcheck_jobs(analysis)
    return pending


def _finalise(
    pending: _Pending,
    config: LintConfig,
    *,
    rule_id: str,
    aliases: tuple[str, ...],
    default: Severity,
    url: str,
    hit: Hit,
) -> list[Finding]:
    names = (rule_id, *aliases)
    lowered = {n.lower() for n in names}
    if lowered & {n.lower() for n in config.ignored}:
        return []
    line = hit.span.start.line
    if pending.pragmas.ignores(names, hit.node, line):
        return []
    if hit.node is not None:
        local = instruction_check(hit.node)
        if local is not None and (local.skip_all or lowered & {n.lower() for n in local.skip}):
            return []
        if local is not None and local.error:
            default = Severity.ERROR
    severity = config.severity_for(names, default)
    if pending.check.error and rule_id[:2] != "DL" and not rule_id.startswith("SC"):
        severity = Severity.ERROR
    end = hit.span.end
    if end.line < hit.span.start.line or (
        end.line == hit.span.start.line and end.column < hit.span.start.column
    ):
        end = hit.span.start
    return [
        Finding(
            file=pending.source.filename,
            line=line,
            column=hit.span.start.column,
            end_line=end.line,
            end_column=end.column,
            rule=rule_id,
            aliases=aliases,
            severity=severity,
            message=hit.message,
            url=url,
        )
    ]


def _syntax_finding(
    source: Source, error: DockerfileError, *, aliases: tuple[str, ...] = ("DL1000",)
) -> Finding:
    span = error.span or Span(start=Position(line=1, column=1), end=Position(line=1, column=1))
    from pybuildkit.linter.model import DOCS_BASE

    return Finding(
        file=source.filename,
        line=span.start.line,
        column=span.start.column,
        end_line=max(span.end.line, span.start.line),
        end_column=span.end.column,
        rule=SYNTAX_RULE,
        aliases=aliases,
        severity=Severity.ERROR,
        message=error.message,
        url=f"{DOCS_BASE}{SYNTAX_RULE}.md",
        hint=error.hint,
    )


def _parse(text: str, filename: str) -> Dockerfile:
    import pybuildkit

    tree: Dockerfile = pybuildkit.parse(text, filename=filename)
    return tree


def _ignore_matcher(source: Source) -> tuple[object | None, str | None]:
    if source.context_dir is None:
        return None, None
    from pybuildkit.linter.rules.copy_ignored_file import load_matcher

    return load_matcher(source.context_dir, source.dockerfile_path)


def _shellcheck_jobs(analysis: Analysis) -> list[shellcheck.Job]:
    """One ShellCheck job per shell-form RUN (ONBUILD RUN too), with the stage's shell and the ARG/ENV
    names visible there (the stage's own and those of the in-file stages it is built on)."""
    jobs: list[shellcheck.Job] = []
    ends: dict[int, tuple[tuple[str, ...], frozenset[str]]] = {}
    meta = {w.partition("=")[0] for n in analysis.meta if n.kind is Keyword.ARG for w in n.args}
    for stage in analysis.stages:
        shell: tuple[str, ...] = ("/bin/sh",)
        names: set[str] = (set(PROXY_ARGS) - {"ALL_PROXY", "all_proxy"}) | meta
        if stage.parent is not None and stage.parent in ends:
            shell, inherited = ends[stage.parent]
            names |= inherited
        for node in stage.instructions:
            run = node.trigger if node.kind is Keyword.ONBUILD and node.trigger is not None else node
            match run.kind:
                case Keyword.SHELL if run.json and run.args and run is node:
                    shell = tuple(run.args)
                case Keyword.ARG if run is node:
                    names.update(w.partition("=")[0] for w in run.args)
                case Keyword.ENV if run is node:
                    names.update(run.args[i] for i in range(0, len(run.args), 3))
                case Keyword.RUN:
                    job = shellcheck.make_job(run, shell, sorted(names), report_on=node)
                    if job is not None:
                        jobs.append(job)
                case _:
                    pass
        ends[stage.index] = (shell, frozenset(names))
    return jobs
