"""`pybuildkit fmt [--check] [--diff] FILE...`: rewrite Dockerfiles in the canonical style
(see `pybuildkit.linter.fmt`). `--check` changes nothing and exits 1 when a file would change;
`--diff` prints a unified diff instead of writing."""

from __future__ import annotations

import argparse
import difflib
import stat
import sys
from pathlib import Path
from typing import Any

from pybuildkit.cli._common import user_errors


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fmt",
        help="format Dockerfiles (keyword case, JSON spacing, key=value, indentation)",
        description="Format Dockerfiles on the lossless syntax tree; comments and heredocs are kept exactly.",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="Dockerfiles to format ('-': stdin to stdout)"
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file would change")
    parser.add_argument("--diff", action="store_true", help="print a unified diff; write nothing")
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.errors import PyBuildKitError
    from pybuildkit.linter.fmt import format_text

    changed = []
    for name in args.files:
        if name == "-":
            text = sys.stdin.read()
            sys.stdout.write(format_text(text, filename="-"))
            continue
        path = Path(name)
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as error:
            raise PyBuildKitError(f"cannot read {name}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise PyBuildKitError(f"{name} is not UTF-8 text") from None
        formatted = format_text(text, filename=name)
        if formatted == text:
            continue
        changed.append(name)
        if args.diff:
            sys.stdout.writelines(
                difflib.unified_diff(
                    text.splitlines(keepends=True),
                    formatted.splitlines(keepends=True),
                    fromfile=f"a/{name}",
                    tofile=f"b/{name}",
                )
            )
        elif args.check:
            print(f"would reformat {name}", file=sys.stderr)
        else:
            _rewrite(path, formatted)
            print(f"reformatted {name}", file=sys.stderr)
    if args.check or args.diff:
        return 1 if changed else 0
    return 0


def _rewrite(path: Path, text: str) -> None:
    """Replace the file's content atomically, keeping what a rename would lose: a symlink stays a symlink (its
    target is rewritten) and the file keeps its mode. A failure leaves the file as it was."""
    from pybuildkit.errors import PyBuildKitError
    from pybuildkit.store.files import atomic_write

    target = path.resolve()
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
        atomic_write(target, text.encode("utf-8"), mode=mode)
    except OSError as error:
        raise PyBuildKitError(
            f"cannot write {path}: {error.strerror or error}", hint="the file was left unchanged"
        ) from None
