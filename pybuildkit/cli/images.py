"""`pybuildkit images`: list the images in the store."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pybuildkit.cli._common import add_root_argument, human_size, open_store, user_errors


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "images", help="list images in the store", description="List images in the store."
    )
    add_root_argument(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="print image IDs only")
    parser.add_argument("--json", action="store_true", help="print one JSON object per image")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="check the store instead: every tag's blobs present, every blob matching its digest, no temp "
        "file left behind; exit 1 when something is wrong",
    )
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.errors import PyBuildKitError

    store = open_store(args)
    if args.verify:
        problems = store.verify()
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        if problems:
            print(
                "hint: `pybuildkit rmi` the damaged images, then `pybuildkit prune` (it also removes leftover "
                "temp files), and rebuild, pull or import them again",
                file=sys.stderr,
            )
            return 1
        print(f"the store at {store.root} is consistent")
        return 0
    rows: list[dict[str, Any]] = []
    for tagged in store.images():
        repository, _, tag = tagged.name.rpartition(":")
        try:
            image = store.load(tagged.descriptor)
        except PyBuildKitError as error:
            rows.append({"name": tagged.name, "repository": repository, "tag": tag, "error": error.message})
            continue
        size = sum(layer.size for layer in image.layers) + image.manifest.config.size + image.descriptor.size
        rows.append(
            {
                "name": tagged.name,
                "repository": repository,
                "tag": tag,
                "id": image.id,
                "digest": tagged.descriptor.digest,
                "created": image.config.created,
                "size": size,
                "platform": str(image.config.platform),
            }
        )
    for row in rows:
        if "error" in row:
            # Listed (so `rmi` can remove it), but say what is wrong rather than a silent `<damaged>`.
            print(f"warning: {row['name']}: {row['error']}", file=sys.stderr)
    out = sys.stdout
    if args.json:
        for row in rows:
            out.write(json.dumps(row, sort_keys=True) + "\n")
        return 0
    if args.quiet:
        seen: set[str] = set()
        for row in rows:
            short = str(row.get("id", "")).removeprefix("sha256:")[:12]
            if short and short not in seen:
                seen.add(short)
                out.write(short + "\n")
        return 0
    table = [("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "PLATFORM", "SIZE")]
    for row in rows:
        table.append(
            (
                row["repository"],
                row["tag"],
                str(row.get("id", "<damaged>")).removeprefix("sha256:")[:12],
                str(row.get("created", "")) or "-",
                str(row.get("platform", "")),
                human_size(int(row.get("size", 0))),
            )
        )
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        out.write(
            "   ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() + "\n"
        )
    return 0
