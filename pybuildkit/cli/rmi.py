"""`pybuildkit rmi NAME...`: remove tags from the store (`prune` frees the blobs)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pybuildkit.cli._common import add_root_argument, open_store, user_errors


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rmi", help="remove images from the store", description="Remove image tags."
    )
    add_root_argument(parser)
    parser.add_argument("names", metavar="NAME", nargs="+", help="images to remove")
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.errors import PyBuildKitError
    from pybuildkit.image import local_name

    store = open_store(args)
    status = 0
    for name in args.names:
        try:
            descriptor = store.remove(name)
        except PyBuildKitError as error:
            sys.stderr.write(f"error: {error.render()}\n")
            status = 1
            continue
        sys.stdout.write(f"Untagged: {local_name(name)}\nDeleted: {descriptor.digest}\n")
    return status
