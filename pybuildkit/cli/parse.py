"""`pybuildkit parse`: print a Dockerfile's syntax tree in one of several views.

    pybuildkit parse [--format summary|source|nodes|sexp|json] [--build-arg K=V]... [--target T] FILE

FILE `-` reads standard input. Formats:

* `summary` (default): one line per instruction, `LINE:COL KEYWORD [flags] args`, for people to read;
  parser warnings (NoEmptyContinuation) go to standard error;
* `source`: the text given back from the tree, byte for byte (the lossless round trip);
* `nodes`: a JSON array with the fields of the `dockerfile` PyPI package (`pybuildkit.compat`);
* `sexp`: BuildKit's AST dump, as in its parser test files;
* `json`: stages and typed instructions after ARG/ENV expansion (`pybuildkit.plan.program_json`), using
  `--build-arg` and `--target`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

FORMATS = ("summary", "source", "nodes", "sexp", "json")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "parse",
        help="parse a Dockerfile and print its syntax tree",
        description="Parse a Dockerfile (as BuildKit does) and print it in one of several views.",
    )
    parser.add_argument("file", metavar="FILE", help='the Dockerfile ("-" reads standard input)')
    parser.add_argument(
        "--format", choices=FORMATS, default="summary", help="the view to print (default: summary)"
    )
    parser.add_argument(
        "--build-arg",
        action="append",
        default=[],
        metavar="K=V",
        help="a build argument for --format json (K alone takes its value from the environment)",
    )
    parser.add_argument("--target", default=None, help="the stage to build, for --format json")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pybuildkit.errors import PyBuildKitError
    from pybuildkit.syntax.parser import parse

    if args.file == "-":
        data = sys.stdin.buffer.read()
        filename = "Dockerfile"
    else:
        filename = args.file
        try:
            with open(args.file, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise PyBuildKitError(f"cannot read {args.file}: {error.strerror}") from None
    tree = parse(data.decode("utf-8", "surrogateescape"), filename=filename)
    match args.format:
        case "source":
            _emit(tree.to_source())
        case "sexp":
            from pybuildkit.syntax.dump import dump_sexp

            _emit(dump_sexp(tree) + "\n")
        case "nodes":
            import json

            from pybuildkit.compat import commands

            nodes = [
                {
                    **command._asdict(),
                    "flags": list(command.flags),
                    "value": list(command.value),
                    "heredocs": [h._asdict() for h in command.heredocs],
                }
                for command in commands(tree)
            ]
            _emit(json.dumps(nodes, indent=2, ensure_ascii=False) + "\n")
        case "json":
            import json

            try:
                from pybuildkit.plan import program_json
            except ImportError:
                raise PyBuildKitError(
                    "--format json is not available yet (pybuildkit.plan.program_json is missing)"
                ) from None
            result = program_json(tree, _build_args(args.build_arg), args.target)
            _emit(json.dumps(result, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
        case _:
            _emit(_summary(tree))
            for warning in tree.warnings:
                print(
                    f"{filename}:{warning.span.start.line}: warning: {warning.rule}: {warning.message}",
                    file=sys.stderr,
                )
    return 0


def _build_args(pairs: list[str]) -> dict[str, str]:
    from pybuildkit.errors import PyBuildKitError

    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not name:
            raise PyBuildKitError(f"invalid --build-arg {pair!r}: expected NAME=value")
        if sep:
            values[name] = value
        elif name in os.environ:
            values[name] = os.environ[name]
    return values


def _summary(tree: Any) -> str:
    from pybuildkit.syntax._go import quote

    out: list[str] = []
    for directive in tree.directives:
        out.append(f"{directive.span.start}  # {directive.name}={directive.value}")
    for node in tree.instructions:
        words = [node.keyword.upper() if node.kind is not None else node.keyword]
        words += [flag.text for flag in node.flags]
        inner = node
        while inner.trigger is not None:
            inner = inner.trigger
            words.append(inner.keyword.upper())
            words += [flag.text for flag in inner.flags]
        words += [quote(arg) for arg in inner.args]
        if inner.json:
            words.append("(exec form)")
        for heredoc in node.heredocs:
            words.append(f"<<{heredoc.name}: {len(heredoc.content.splitlines())} lines")
        out.append(f"{node.span.start}  {' '.join(words)}")
    return "\n".join(out) + "\n"


def _emit(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
