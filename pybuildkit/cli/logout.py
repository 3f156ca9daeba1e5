"""`pybuildkit logout [SERVER]`: forget a registry's credentials."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pybuildkit.cli._common import user_errors


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "logout",
        help="log out from a registry",
        description="Remove a registry's credentials from ~/.docker/config.json (or its credential helper).",
    )
    parser.add_argument(
        "server", metavar="SERVER", nargs="?", help="registry host[:port] (default Docker Hub)"
    )
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.registry.login import logout

    key, found = logout(args.server)
    if found:
        print(f"Removing login credentials for {key}")
    else:
        print(f"Not logged in to {key}", file=sys.stderr)
    return 0
