"""`pybuildkit prune`: delete blobs nothing refers to, and leftover temp files."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pybuildkit.cli._common import add_root_argument, human_size, open_store, user_errors


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "prune",
        help="free space in the store",
        description="Delete unreferenced blobs and leftover temp files.",
    )
    add_root_argument(parser)
    parser.add_argument("--cache", action="store_true", help="empty the build cache too")
    parser.add_argument("--wait", action="store_true", help="wait for running builds instead of giving up")
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    store = open_store(args)
    result = store.prune(cache=args.cache, wait=args.wait)
    sys.stdout.write(
        f"Deleted {result.blobs_removed} blobs, {result.temps_removed} temp files, "
        f"{result.cache_records_removed} cache records"
        + (f", {result.dirs_removed} work or cache directories" if result.dirs_removed else "")
        + f"\nTotal reclaimed space: {human_size(result.bytes_freed)}\n"
    )
    return 0
