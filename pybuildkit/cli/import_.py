"""`pybuildkit import SRC -t NAME`: a root filesystem (tar or directory) as a one-layer image, like
`docker import`; or an image from `oci-layout://DIR[:tag]`, `oci-archive://FILE` or `docker-archive://FILE`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pybuildkit.cli._common import add_root_argument, open_store, user_errors


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import a root filesystem or an image archive",
        description="Import ROOTFS.tar or a directory as a one-layer image, or an image from an OCI layout or archive.",
    )
    add_root_argument(parser)
    parser.add_argument(
        "source",
        metavar="SRC",
        help="ROOTFS.tar[.gz|.zst] ('-' for stdin), a directory, or oci-layout://DIR[:tag]",
    )
    parser.add_argument(
        "-t", "--tag", action="append", default=[], metavar="NAME", help="name the image (repeatable)"
    )
    parser.add_argument("--platform", help="the image's platform (default: this machine's)")
    parser.add_argument("--compression", default="gzip", help="gzip, zstd or uncompressed, with ,level=N")
    parser.add_argument("-m", "--message", help="the history comment")
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.image import Platform
    from pybuildkit.layers import Compression
    from pybuildkit.output import import_rootfs, import_source
    from pybuildkit.store import tag_name

    for name in args.tag:
        tag_name(name)  # refuse a bad -t before importing anything
    store = open_store(args)
    if "://" in args.source:
        imported = import_source(store, args.source)
        descriptor = imported.descriptor
        for name in args.tag:
            store.tag(name, descriptor)
    else:
        descriptor = import_rootfs(
            store,
            sys.stdin.buffer if args.source == "-" else args.source,
            names=args.tag,
            platform=Platform.parse(args.platform) if args.platform else None,
            compression=Compression.parse(args.compression),
            comment=args.message,
        )
    sys.stdout.write(descriptor.digest + "\n")
    return 0
