"""What the store commands share: the `--root` option and opening the store it names."""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pybuildkit.store import Store


def add_root_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        metavar="DIR",
        default=None,
        help="the image store (default: $PYBUILDKIT_ROOT, else $XDG_DATA_HOME/pybuildkit or ~/.local/share/pybuildkit)",
    )


def open_store(args: argparse.Namespace) -> Store:
    from pybuildkit.store import Store

    root = getattr(args, "root", None) or os.environ.get("PYBUILDKIT_ROOT") or None
    return Store(root)


def human_size(size: int) -> str:
    """Docker's units: 1000-based, three significant digits (`4.87MB`)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.3g}{unit}"
        value /= 1000
    return f"{size}B"


def user_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap a command's handler so a file-system failure the library did not anticipate (a full disk, a
    permission) still prints as one line naming the path, not a traceback (`--debug` shows it)."""

    @functools.wraps(run)
    def guarded(args: argparse.Namespace) -> int:
        from pybuildkit.errors import PyBuildKitError

        try:
            return run(args)
        except OSError as error:
            if isinstance(error, BrokenPipeError):
                raise
            where = f"{error.filename}: " if error.filename else ""
            raise PyBuildKitError(f"{where}{error.strerror or error}") from error

    return guarded
