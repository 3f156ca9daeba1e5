"""Benchmark (not a test): push and pull of a 200 MB image to a local registry, pybuildkit against skopeo.

Run: `python3 benchmarks/registry.py [--mb 200] [--layers 4]`. It starts Debian's docker-registry twice on
127.0.0.1 (one per tool, so neither finds the other's blobs), builds an image of `--layers` layers of
incompressible data in a fresh store, exports it as an OCI layout for skopeo, and times, in the same run:

  push: pybuildkit `push` (store → registry)      vs `skopeo copy oci:LAYOUT docker://...`
  pull: pybuildkit `pull` (registry → empty store) vs `skopeo copy docker://... oci:DIR`

Both verify digests; both keep the compressed blobs as they are. Ratios are pybuildkit time / skopeo time
(below 1.0: pybuildkit is faster).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pybuildkit.image import History, Image, host_platform
from pybuildkit.layers import GZIP
from pybuildkit.output import export_oci_layout, import_rootfs
from pybuildkit.registry import RegistryOptions, pull, push
from pybuildkit.store import Store
from tests.registry.servers import start_registry


def make_image(store: Store, base: Path, *, total_mb: int, layers: int) -> None:
    descriptors = []
    diff_ids = []
    per_layer = total_mb * 1_000_000 // layers
    for number in range(layers):
        rootfs = base / f"rootfs{number}"
        rootfs.mkdir()
        with open(rootfs / f"data{number}.bin", "wb") as out:
            left = per_layer
            while left:
                chunk = os.urandom(min(left, 4 << 20))
                out.write(chunk)
                left -= len(chunk)
        part = store.load(import_rootfs(store, rootfs, compression=GZIP, source_date_epoch=0))
        descriptors.append(part.layers[0])
        diff_ids.append(part.config.diff_ids[0])
    platform = host_platform()
    image = Image(
        architecture=platform.architecture,
        os=platform.os,
        diff_ids=tuple(diff_ids),
        history=tuple(History(created_by=f"layer {n}") for n in range(layers)),
    )
    store.tag("bench:1", store.put_image(image, descriptors))


def timed(label: str, action: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"  {label:<34} {elapsed:7.2f} s", flush=True)
    return elapsed


def skopeo(*args: str) -> None:
    subprocess.run(["skopeo", "copy", "--quiet", *args], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="image size in MB (default 200)")
    parser.add_argument("--layers", type=int, default=4, help="number of layers (default 4)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; the best of each is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pybuildkit-bench-") as temp:
        base = Path(temp)
        source = Store(base / "source")
        print(f"building a {args.mb} MB image of {args.layers} layers ...", flush=True)
        make_image(source, base, total_mb=args.mb, layers=args.layers)
        size = sum(item.size for item in source.load("bench:1").layers)
        export_oci_layout(source, source.resolve("bench:1"), base / "layout", names=["bench:1"])
        options = RegistryOptions(docker_config=str(base / "docker"), trust_env=False, concurrency=4)
        results: dict[str, list[float]] = {"py push": [], "skopeo push": [], "py pull": [], "skopeo pull": []}
        for round_number in range(args.rounds):
            print(f"round {round_number + 1}:")
            ours = start_registry(base / f"reg-py-{round_number}")
            theirs = start_registry(base / f"reg-skopeo-{round_number}")
            try:
                py_ref = f"{ours.host}/bench/app:1"
                sk_ref = f"{theirs.host}/bench/app:1"
                layout = f"oci:{base / 'layout'}:1"
                results["py push"].append(
                    timed("pybuildkit push", push, source, "bench:1", py_ref, options=options)
                )
                results["skopeo push"].append(
                    timed(
                        "skopeo copy oci: → docker://",
                        skopeo,
                        "--dest-tls-verify=false",
                        layout,
                        f"docker://{sk_ref}",
                    )
                )
                target = Store(base / f"pulled-{round_number}")
                results["py pull"].append(timed("pybuildkit pull", pull, target, py_ref, options=options))
                copy_dest = f"oci:{base / f'sk-{round_number}'}:bench"
                results["skopeo pull"].append(
                    timed(
                        "skopeo copy docker:// → oci:",
                        skopeo,
                        "--src-tls-verify=false",
                        f"docker://{sk_ref}",
                        copy_dest,
                    )
                )
            finally:
                ours.stop()
                theirs.stop()
        best = {key: min(values) for key, values in results.items()}
        mb = size / 1e6
        print(f"\nimage: {mb:.0f} MB compressed, {args.layers} layers; best of {args.rounds} rounds")
        print(f"{'':8}{'pybuildkit':>22}{'skopeo':>22}{'ratio':>8}")
        for op in ("push", "pull"):
            ours_time, theirs_time = best[f"py {op}"], best[f"skopeo {op}"]
            print(
                f"{op:<8}{ours_time:>8.2f} s {mb / ours_time:>5.0f} MB/s"
                f"{theirs_time:>8.2f} s {mb / theirs_time:>5.0f} MB/s{ours_time / theirs_time:>8.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
