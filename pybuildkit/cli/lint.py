"""`pybuildkit lint [--context DIR] [--format F] [--failure-threshold T] [--build-arg K=V] [--config FILE]
[--fix] FILE...`: lint Dockerfiles; exit 1 when a finding reaches the failure threshold."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from pybuildkit.cli._common import user_errors

THRESHOLDS = ("error", "warning", "info", "style", "none")
# The linter's formatter names, written out so `register` need not import the linter (tests keep them equal).
FORMATS = ("text", "json", "sarif", "github", "checkstyle", "gitlab", "junit")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="check Dockerfiles with BuildKit's build checks and hadolint's rules",
        description="Check Dockerfiles with BuildKit's build checks and hadolint's rules (ARG-aware, static).",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="Dockerfiles to lint ('-' reads standard input)"
    )
    parser.add_argument(
        "--context", metavar="DIR", help="build context (default: each Dockerfile's directory)"
    )
    parser.add_argument(
        "-f", "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--failure-threshold",
        choices=THRESHOLDS,
        help="exit 1 when a finding is at least this severe (default: info, or the config's)",
    )
    parser.add_argument("--build-arg", action="append", default=[], metavar="K=V", help="a build argument")
    parser.add_argument(
        "--config", metavar="FILE", help="lint config (.hadolint.yaml, .pybuildkit.toml, pyproject.toml)"
    )
    parser.add_argument("--ignore", action="append", default=[], metavar="RULE", help="do not report RULE")
    parser.add_argument(
        "--enable",
        action="append",
        default=[],
        metavar="RULE",
        help="report RULE although it is off by default",
    )
    parser.add_argument(
        "--trusted-registry",
        action="append",
        default=[],
        metavar="REGISTRY",
        help="allowed registry for DL3026",
    )
    parser.add_argument(
        "--no-shellcheck", action="store_true", help="do not check RUN bodies with shellcheck"
    )
    parser.add_argument("--no-fail", action="store_true", help="always exit 0 when linting ran")
    parser.add_argument(
        "--fix", action="store_true", help="rewrite the files with the safe style fixes first"
    )
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.errors import PyBuildKitError
    from pybuildkit.linter import Source, find_config, lint_files, load_config_file, make_source
    from pybuildkit.linter.config import parse_severity
    from pybuildkit.linter.formatters import render

    build_args: dict[str, str] = {}
    for item in args.build_arg:
        key, sep, value = item.partition("=")
        if not key:
            raise PyBuildKitError(f"invalid --build-arg {item!r}", hint="write --build-arg NAME=value")
        build_args[key] = value if sep else ""
    if args.context and not Path(args.context).is_dir():
        raise PyBuildKitError(
            f"--context {args.context}: no such directory",
            hint="name the build context directory (the Dockerfile's directory by default)",
        )
    first = Path(args.files[0]) if args.files[0] != "-" else Path.cwd()
    config = (
        load_config_file(Path(args.config))
        if args.config
        else find_config(first.parent if first.is_file() else Path.cwd())
    )
    if args.ignore:
        config = replace(config, ignored=config.ignored | frozenset(args.ignore))
    if args.enable:
        config = replace(config, enabled=config.enabled | frozenset(args.enable))
    if args.trusted_registry:
        config = replace(config, trusted_registries=(*config.trusted_registries, *args.trusted_registry))
    if args.no_shellcheck:
        config = replace(config, shellcheck=False)
    if args.failure_threshold:
        config = replace(
            config,
            failure_threshold=parse_severity(
                args.failure_threshold, where="--failure-threshold", allow_none=True
            ),
        )
    sources = []
    for name in args.files:
        if name == "-":
            context = Path(args.context) if args.context else None
            sources.append(Source(text=sys.stdin.read(), filename="-", context_dir=context))
            continue
        path = Path(name)
        if path.is_dir():
            raise PyBuildKitError(
                f"{name} is a directory, not a Dockerfile", hint=f"name the file, e.g. {path / 'Dockerfile'}"
            )
        if not path.is_file():
            raise PyBuildKitError(f"no such Dockerfile: {name}")
        if args.fix:
            from pybuildkit.linter.fmt import format_text

            try:
                text = path.read_bytes().decode("utf-8")
            except OSError as error:
                raise PyBuildKitError(f"cannot read {name}: {error.strerror}") from None
            except UnicodeDecodeError:
                raise PyBuildKitError(
                    f"{name} is not UTF-8 text", hint="--fix rewrites UTF-8 files only"
                ) from None
            fixed = format_text(text, filename=name)
            if fixed != text:
                try:
                    path.write_text(fixed, encoding="utf-8")
                except OSError as error:
                    raise PyBuildKitError(f"cannot write {name}: {error.strerror}") from None
        sources.append(make_source(path, filename=name, context_dir=args.context))
    reports = lint_files(sources, build_args=build_args, config=config)
    findings = [f for report in reports for f in report.findings]
    notices = {n.message for report in reports for n in report.notices}
    for message in sorted(notices):
        print(f"notice: {message}", file=sys.stderr)
    output = render(
        args.format,
        findings,
        files=[s.filename for s in sources],
        sources={s.filename: s.text for s in sources},
    )
    sys.stdout.write(output)
    if config.no_fail or args.no_fail or config.failure_threshold is None:
        return 0
    threshold = config.failure_threshold.rank
    return 1 if any(f.severity.rank >= threshold for f in findings) else 0
