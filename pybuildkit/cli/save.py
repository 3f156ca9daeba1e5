"""`pybuildkit save NAME... -o FILE [--format docker|oci]`: write stored images to an archive."""

from __future__ import annotations

import argparse
from typing import Any

from pybuildkit.cli._common import add_root_argument, open_store, user_errors


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "save",
        help="save an image to a docker-archive or OCI archive",
        description="Save a stored image to a tar.",
    )
    add_root_argument(parser)
    parser.add_argument("name", metavar="NAME", help="the image to save")
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the archive to write ('-' for stdout)"
    )
    parser.add_argument(
        "--format",
        choices=("docker", "oci", "oci-layout"),
        default="docker",
        help="docker-archive (loads with docker/podman load), OCI archive, or an OCI layout directory",
    )
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pybuildkit.output import export_docker_archive, export_oci_archive, export_oci_layout

    store = open_store(args)
    descriptor = store.resolve(args.name)
    names = [args.name] if not args.name.startswith("sha256:") and "@" not in args.name else []
    match args.format:
        case "docker":
            export_docker_archive(store, descriptor, args.output, names=names)
        case "oci":
            export_oci_archive(store, descriptor, args.output, names=names)
        case _:
            export_oci_layout(store, descriptor, Path(args.output), names=names)
    return 0
