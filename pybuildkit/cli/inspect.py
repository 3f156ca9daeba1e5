"""`pybuildkit inspect NAME`: the manifest and config of a stored image, as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pybuildkit.cli._common import add_root_argument, open_store, user_errors


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "inspect", help="show an image's manifest and config", description="Show a stored image as JSON."
    )
    add_root_argument(parser)
    parser.add_argument("name", metavar="NAME", help="an image name, name@digest, digest or ID prefix")
    parser.add_argument("--platform", help="the platform to show when NAME is a multi-platform index")
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.image import Platform

    store = open_store(args)
    platform = Platform.parse(args.platform) if args.platform else None
    image = store.load(args.name, platform=platform)
    names = [
        tagged.name
        for tagged in store.images()
        if tagged.descriptor.digest == (image.index or image.descriptor).digest
    ]
    document = {
        "Name": args.name,
        "RepoTags": names,
        "Id": image.id,
        "Digest": image.descriptor.digest,
        "Index": image.index.to_json() if image.index else None,
        "Descriptor": image.descriptor.to_json(),
        "Manifest": image.manifest.to_json(),
        "Config": image.config.to_json(),
    }
    json.dump(document, sys.stdout, indent=2, sort_keys=False, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
