"""Layer writing against the compressor alone, on the same bytes (not a test).

    python3 benchmarks/layers.py [--files 2000] [--megabytes 40] [--repeat 3]

Generates a tree (text-like, compressible content), then, each in a fresh process so peak memory is its own:
writes it as a layer into a store (gzip, zstd, uncompressed); and, on the uncompressed tar of the same tree,
runs the compressor alone (ISA-L gzip, zstd) in 1 MiB blocks from memory. Reports MB/s of uncompressed input,
layer speed as a share of the compressor's, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORDS = [
    "def", "return", "import", "class", "self", "value", "result", "layer", "store", "digest", "if", "else",
    "for", "in", "range", "None", "True", "False", "config", "image", "build", "path", "file", "data", "=", "(",
    ")", ":", "+", "0", "1", "42", "name", "tag", "manifest", "while", "yield", "async", "await", "print",
]  # fmt: skip


def generate(root: Path, files: int, total: int) -> None:
    rng = random.Random(1234)
    per_file = total // files
    for index in range(files):
        directory = root / f"pkg{index % 40:02}" / f"mod{index % 7}"
        directory.mkdir(parents=True, exist_ok=True)
        size = max(1, int(rng.expovariate(1 / per_file)))
        if index % 10 == 0:
            data = rng.randbytes(size)  # some incompressible content, as real trees have (images, archives)
        else:
            words: list[str] = []
            length = 0
            while length < size:
                word = rng.choice(WORDS)
                words.append(word)
                length += len(word) + 1
                if rng.random() < 0.1:
                    words.append("\n" + " " * rng.choice((0, 4, 8)))
            data = " ".join(words).encode()[:size]
        (directory / f"file{index}.py").write_bytes(data)


def tree_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def child_layer(root: str, store_root: str, compression: str) -> dict[str, float]:
    from pybuildkit.layers import Compression, tree_entries, write_layer
    from pybuildkit.store import Store

    store = Store(store_root)
    cpu = _cpu()
    start = time.perf_counter()
    with store.new_blob() as blob:
        layer = write_layer(
            tree_entries(root), blob, compression=Compression.parse(compression), source_date_epoch=0
        )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu": _cpu() - cpu,
        "tar_bytes": layer.uncompressed_size,
        "blob_bytes": layer.size,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_compressor(tar_path: str, kind: str) -> dict[str, float]:
    data = Path(tar_path).read_bytes()
    chunk = 1 << 20
    cpu = _cpu()
    start = time.perf_counter()
    if kind == "gzip":
        from isal import isal_zlib

        obj = isal_zlib.compressobj(2, isal_zlib.DEFLATED, 31)
    else:
        import zstandard

        obj = zstandard.ZstdCompressor(level=3).compressobj()
    view = memoryview(data)
    out = 0
    for offset in range(0, len(data), chunk):
        out += len(obj.compress(view[offset : offset + chunk]))
    out += len(obj.flush())
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu": _cpu() - cpu, "tar_bytes": len(data), "blob_bytes": out}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_spin(seconds: str) -> dict[str, float]:
    """Busy-hash for a while; two at once tell how much parallel CPU this machine really gives."""
    import hashlib

    data = bytes(1 << 20)
    end = time.perf_counter() + float(seconds)
    rounds = 0
    while time.perf_counter() < end:
        hashlib.sha256(data).digest()
        rounds += 1
    return {"rounds": rounds}


def parallel_capacity() -> float:
    """Effective cores for two CPU-bound processes (2.0 on an idle two-core machine)."""
    alone = in_child("spin", "0.5")["rounds"]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", "spin", "0.5"], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    together = sum(json.loads(proc.communicate()[0])["rounds"] for proc in procs)
    return together / alone


def in_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return min(runs, key=lambda run: run["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--megabytes", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        match kind:
            case "layer":
                result = child_layer(*rest)
            case "spin":
                result = child_spin(*rest)
            case _:
                result = child_compressor(*rest)
        print(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory(prefix="pybuildkit-bench-") as scratch:
        base = Path(scratch)
        tree = base / "tree"
        generate(tree, args.files, args.megabytes * 1_000_000)
        size = tree_bytes(tree)
        print(
            f"tree: {args.files} files, {size / 1e6:.1f} MB; best of {args.repeat}; cpus: {os.cpu_count()}, "
            f"effective for two busy processes: {parallel_capacity():.2f}"
        )
        # The uncompressed tar of the tree, for the compressor-alone runs (same bytes as the layer's tar).
        tar_layer = best(
            [in_child("layer", str(tree), str(base / "s-none"), "uncompressed") for _ in range(args.repeat)]
        )
        tar_file = next((base / "s-none" / "blobs" / "sha256").iterdir())
        rows = [("tar only (no compression)", tar_layer, None)]
        for kind, spec in (("gzip", "gzip"), ("zstd", "zstd")):
            layer = best(
                [in_child("layer", str(tree), str(base / f"s-{kind}"), spec) for _ in range(args.repeat)]
            )
            alone = best([in_child("compressor", str(tar_file), kind) for _ in range(args.repeat)])
            rows.append((f"layer {kind}", layer, alone))
            rows.append((f"compressor alone {kind}", alone, None))
        print(f"{'':26} {'MB/s':>7} {'MB/cpu-s':>9} {'ratio':>6} {'vs comp.':>9} {'peak RSS':>9}")
        for label, run, reference in rows:
            speed = run["tar_bytes"] / run["seconds"] / 1e6
            per_cpu = run["tar_bytes"] / max(run["cpu"], 1e-9) / 1e6
            ratio = run["tar_bytes"] / max(run["blob_bytes"], 1)
            share = ""
            if reference:
                share = f"{speed / (reference['tar_bytes'] / reference['seconds'] / 1e6):8.0%}"
            rss = f"{run['maxrss_mb']:7.1f}MB" if "maxrss_mb" in run else ""
            print(f"{label:26} {speed:7.1f} {per_cpu:9.1f} {ratio:6.2f} {share:>9} {rss:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
