"""`pybuildkit run`: run a command in an image from the store, in the build sandbox (as `docker run`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pybuildkit.cli._common import add_root_argument, open_store


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a command in an image",
        description="Run a command in an image from the store, in the same sandbox as RUN, without a daemon. "
        "The image's Entrypoint, Cmd, Env, WorkingDir and User apply; the exit status is the command's.",
    )
    parser.add_argument("--rm", action="store_true", help="remove the container's changes when it exits")
    parser.add_argument(
        "--network", default="host", choices=("host", "none"), help="host (default) or none (only lo)"
    )
    parser.add_argument(
        "-e", "--env", action="append", default=[], metavar="K=V", help="set a variable (K alone: from here)"
    )
    parser.add_argument("-w", "--workdir", default="", metavar="DIR", help="the working directory")
    parser.add_argument("-u", "--user", default=None, metavar="USER[:GROUP]", help="run as this user")
    parser.add_argument(
        "-v",
        "--volume",
        action="append",
        default=[],
        metavar="HOSTDIR:DIR[:ro]",
        help="bind a host directory (repeatable)",
    )
    parser.add_argument("--entrypoint", default=None, metavar="CMD", help="override the image's Entrypoint")
    parser.add_argument("--hostname", default="", metavar="NAME", help="the container's host name")
    add_root_argument(parser)
    parser.add_argument("image", metavar="IMAGE", help="an image in the store (name, tag or digest)")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD", help="the command and arguments")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pybuildkit.execute.container import ContainerRun, parse_volume, run_container

    request = ContainerRun(
        image=args.image,
        command=tuple(args.command),
        entrypoint=(args.entrypoint,) if args.entrypoint else (() if args.entrypoint == "" else None),
        env=tuple(args.env),
        workdir=args.workdir,
        user=args.user,
        volumes=tuple(parse_volume(v) for v in args.volume),
        network=args.network,
        hostname=args.hostname,
        remove=args.rm,
    )
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    return run_container(
        open_store(args),
        request,
        stdin=_fileno(sys.stdin),
        stdout=_fileno(sys.stdout),
        stderr=_fileno(sys.stderr),
    )


def _fileno(stream: Any) -> int | None:
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None
