"""The `pybuildkit` command: parse arguments, call the library, render. Nothing else lives here.

Each subcommand is a module of this package with `register(subparsers)`; a module imports the library
inside its handler, so `import pybuildkit.cli` stays light and a one-file `parse` or `lint` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

# Order is the order of `pybuildkit --help`.
COMMANDS: tuple[str, ...] = (
    "build",
    "run",
    "parse",
    "lint",
    "fmt",
    "context",
    "images",
    "inspect",
    "save",
    "rmi",
    "prune",
    "import_",
    "pull",
    "push",
    "login",
    "logout",
    "doctor",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pybuildkit",
        description="Parse, lint and build Dockerfiles into OCI images, without a daemon and without root.",
    )
    parser.add_argument("--debug", action="store_true", help="show a traceback on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"pybuildkit.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from pybuildkit.errors import PyBuildKitError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        status: int = args.func(args)
        return status
    except PyBuildKitError as error:
        if args.debug:
            traceback.print_exc()
        print(f"error: {error.render()}" if not _has_location(error) else error.render(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except OSError as error:
        if args.debug:
            traceback.print_exc()
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return 1
    except Exception as error:
        # A bug of ours: say so in one line instead of a traceback, and how to learn more.
        if args.debug:
            raise
        print(
            f"error: internal error: {type(error).__name__}: {error}\nhint: run with --debug and report it",
            file=sys.stderr,
        )
        return 1


def _has_location(error: Exception) -> bool:
    from pybuildkit.errors import DockerfileError

    return isinstance(error, DockerfileError)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
