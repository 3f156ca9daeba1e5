"""`pybuildkit pull [--platform P] REF`: download an image from a registry into the store."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from pybuildkit.cli._common import add_root_argument, open_store, user_errors

if TYPE_CHECKING:
    from pybuildkit.registry import BlobEvent, RegistryOptions


def add_registry_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every registry command takes."""
    parser.add_argument(
        "--insecure-registry",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="talk plain HTTP to this registry (localhost and 127.0.0.1 always are); may be repeated",
    )


def registry_options(args: argparse.Namespace) -> RegistryOptions:
    from pybuildkit.registry import RegistryOptions

    return RegistryOptions(insecure_registries=tuple(getattr(args, "insecure_registry", ()) or ()))


def print_event(event: BlobEvent) -> None:
    """Docker's per-blob lines: `0123456789ab: Pull complete`."""
    words = {
        "downloaded": "Pull complete",
        "present": "Already exists",
        "uploaded": "Pushed",
        "mounted": "Mounted",
        "exists": "Layer already exists",
    }
    print(
        f"{event.digest.removeprefix('sha256:')[:12]}: {words.get(event.action, event.action)}",
        file=sys.stderr,
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "pull",
        help="pull an image from a registry",
        description="Pull an image (for this machine's platform, or --platform) into the store.",
    )
    add_root_argument(parser)
    add_registry_arguments(parser)
    parser.add_argument("--platform", metavar="OS/ARCH[/VARIANT]", help="the platform to pull from an index")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the pulled reference")
    parser.add_argument(
        "reference", metavar="REF", help="the image, e.g. busybox, ghcr.io/o/app:1, app@sha256:..."
    )
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.image import Platform, Reference
    from pybuildkit.registry import pull

    store = open_store(args)
    reference = Reference.parse(args.reference)
    platform = Platform.parse(args.platform) if args.platform else None
    if not args.quiet:
        print(f"{reference.tag or reference.digest}: Pulling from {reference.path}", file=sys.stderr)
    pulled = pull(
        store,
        reference,
        platform=platform,
        options=registry_options(args),
        progress=None if args.quiet else print_event,
    )
    if not args.quiet:
        print(f"Digest: {pulled.reference.digest}", file=sys.stderr)
        state = "Downloaded newer image" if pulled.blobs_downloaded else "Image is up to date"
        print(f"Status: {state} for {reference.familiar()}", file=sys.stderr)
    print(str(reference))
    return 0
