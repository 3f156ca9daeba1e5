"""`pybuildkit push NAME [DEST]`: upload a stored image to a registry."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pybuildkit.cli._common import add_root_argument, open_store, user_errors
from pybuildkit.cli.pull import add_registry_arguments, print_event, registry_options


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "push",
        help="push an image to a registry",
        description="Push a stored image to the registry its name names (or to DEST).",
    )
    add_root_argument(parser)
    add_registry_arguments(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the pushed reference")
    parser.add_argument("name", metavar="NAME", help="the stored image, e.g. registry.example/app:1")
    parser.add_argument("dest", metavar="DEST", nargs="?", help="push under this reference instead of NAME")
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.registry import push

    store = open_store(args)
    result = push(
        store,
        args.name,
        args.dest,
        options=registry_options(args),
        progress=None if args.quiet else print_event,
    )
    if not args.quiet:
        tag = result.reference.tag or "latest"
        print(f"{tag}: digest: {result.descriptor.digest} size: {result.descriptor.size}", file=sys.stderr)
    print(str(result.reference))
    return 0
