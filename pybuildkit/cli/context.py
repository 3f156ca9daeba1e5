"""`pybuildkit context ls|why`: what a build would see of a context directory, and why.

`context ls [-f Dockerfile] [-l] DIR` prints every entry a build would see (files, directories, symlinks),
one path per line relative to DIR, in walk order (depth first, names sorted; directories without a
trailing slash, as `context_walk.json` lists them); `-l` prefixes each with its kind (`file`, `dir`,
`symlink`, `other`). `context why [-f Dockerfile] DIR PATH` names the ignore-file line that decides PATH.
An invalid pattern is an error (exit status 1) naming the file and line.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pybuildkit.cli._common import user_errors


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "context",
        help="list what a build would see of a context directory, and why",
        description="Show the build context as a build sees it, after the .dockerignore.",
    )
    commands = parser.add_subparsers(dest="context_command", metavar="SUBCOMMAND", required=True)

    ls = commands.add_parser("ls", help="list every entry a build would see")
    _common(ls)
    ls.add_argument("-l", "--long", action="store_true", help="prefix each path with its kind")
    ls.set_defaults(func=_ls)

    why = commands.add_parser("why", help="name the .dockerignore line that decides a path")
    _common(why)
    why.add_argument("path", metavar="PATH", help="a path relative to DIR")
    why.set_defaults(func=_why)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-f",
        "--file",
        dest="dockerfile",
        metavar="DOCKERFILE",
        help="the Dockerfile; a <DOCKERFILE>.dockerignore beside it replaces DIR/.dockerignore",
    )
    parser.add_argument("dir", metavar="DIR", help="the context directory")


def _write(lines: list[str]) -> None:
    # File names may hold bytes that are not UTF-8 (kept as surrogate escapes): write them back as bytes.
    data = "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        buffer.write(data)
        buffer.flush()
    else:
        sys.stdout.write(data.decode("utf-8", "replace"))


def _check_dockerfile(args: argparse.Namespace) -> None:
    from pathlib import Path

    from pybuildkit.errors import ContextError

    # As `docker build -f`: a Dockerfile that does not exist is an error, not a silent fallback.
    if args.dockerfile and args.dockerfile != "-" and not Path(args.dockerfile).is_file():
        state = "is a directory" if Path(args.dockerfile).is_dir() else "does not exist"
        raise ContextError(
            f"-f {args.dockerfile}: the Dockerfile {state}",
            hint="-f names the Dockerfile whose <Dockerfile>.dockerignore would apply",
        )


@user_errors
def _ls(args: argparse.Namespace) -> int:
    from pybuildkit.context import BuildContext

    _check_dockerfile(args)
    context = BuildContext.open(args.dir, dockerfile=args.dockerfile)
    if args.long:
        _write([f"{entry.kind.value} {entry.path}" for entry in context.walk()])
    else:
        _write([entry.path for entry in context.walk()])
    return 0


@user_errors
def _why(args: argparse.Namespace) -> int:
    from pybuildkit.context import BuildContext, EntryKind, normalize_context_path

    _check_dockerfile(args)
    context = BuildContext.open(args.dir, dockerfile=args.dockerfile)
    path = normalize_context_path(args.path)
    lines: list[str] = []
    if path == ".":
        lines.append("included (the context root is always sent)")
        _write(lines)
        return 0
    rule = context.why(path)
    if rule is None:
        reason = "no pattern matches" if context.ignore_file is not None else "no .dockerignore"
        lines.append(f"included ({reason})")
    elif rule.exclusion:
        lines.append(f"included (re-included by {rule})")
    else:
        lines.append(f"excluded by {rule}")
        entry = context.entry(path)
        if entry is not None and entry.kind is EntryKind.DIR:
            lines.append("note: the directory itself is still sent, since something under it is re-included")
    if not (context.root / path).exists() and not (context.root / path).is_symlink():
        lines.append(f"note: {path} does not exist in {args.dir}")
    _write(lines)
    return 0
