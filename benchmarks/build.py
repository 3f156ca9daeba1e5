"""pybuildkit build against `buildah bud --layers` on generated contexts (not a test).

    python3 benchmarks/build.py [--sizes 2000:40,10000:200] [--repeat 3] [--no-buildah]

For each context size (files:megabytes; text-like content), in one run and on the same machine:

* cold build: a Dockerfile that COPYs the whole tree plus metadata steps (ENV, LABEL, WORKDIR, CMD), the
  image written to an OCI layout (pybuildkit: `-o type=oci-layout`; buildah: `bud` then `push oci:`);
* unchanged rebuild: the same command again (pybuildkit stats the context and reads its cache; buildah
  re-hashes the context for its layer cache); the bare interpreter's start-up (`python3 -c pass`) is shown
  beside it, since it is part of every pybuildkit figure, and the rebuild's time measured inside the
  process (imports and build, without the interpreter's start-up);

each in a fresh process, timed wall-clock, with its peak RSS (`/usr/bin/time -f %M`). buildah runs with
`--isolation chroot`, `--layers`, and its storage in a temp directory (`--root/--runroot`, overlay driver).
Prints a table and the ratios; `--json` prints the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

DOCKERFILE = """\
FROM scratch
COPY . /app
ENV APP_HOME=/app MODE=production
LABEL org.opencontainers.image.title=bench
WORKDIR /app
CMD ["/app/run"]
"""

WORDS = [
    "def",
    "return",
    "import",
    "class",
    "self",
    "value",
    "result",
    "layer",
    "store",
    "digest",
    "if",
    "else",
    "for",
    "in",
    "range",
    "None",
    "True",
]

# Runs `pybuildkit build` through the CLI's `main` when `build` is registered there, else its module.
SHIM = """
import sys
from pybuildkit import cli
if "build" in cli.COMMANDS:
    sys.exit(cli.main(sys.argv[1:]))
import argparse
from pybuildkit.cli import build
from pybuildkit.errors import PyBuildKitError
parser = argparse.ArgumentParser(prog="pybuildkit")
build.register(parser.add_subparsers(dest="command"))
args = parser.parse_args(sys.argv[1:])
try:
    sys.exit(args.func(args))
except PyBuildKitError as error:
    print(error.render(), file=sys.stderr)
    sys.exit(1)
"""


# The same, timing itself from the first line (imports included, interpreter start-up excluded).
TIMED_SHIM = (
    "import atexit, os, time\n"
    "_started = time.perf_counter()\n"
    "atexit.register(lambda: open(os.environ['PBK_TIMING'], 'w').write(str(time.perf_counter() - _started)))\n"
) + SHIM


def generate(root: Path, files: int, megabytes: int) -> None:
    rng = random.Random(files)
    total = megabytes * 1_000_000
    per_file = total // files
    for index in range(files):
        directory = root / f"pkg{index % 50:02}" / f"mod{index % 9}"
        directory.mkdir(parents=True, exist_ok=True)
        words = " ".join(rng.choice(WORDS) for _ in range(64)).encode() + b"\n"
        blob = rng.randbytes(per_file // 2)
        data = (words * (per_file // 2 // len(words) + 1))[: per_file - len(blob)] + blob
        (directory / f"file{index}.py").write_bytes(data)
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / "run").write_text("#!/bin/sh\necho run\n")


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall-clock seconds and peak RSS (KiB) of a command in a fresh process."""
    handle, name = tempfile.mkstemp()
    os.close(handle)
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-o", name, "-f", "%M", *argv], capture_output=True, text=True, env=env
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    rss = int(Path(name).read_text().split()[-1])
    os.unlink(name)
    return elapsed, rss


def pybuildkit_build(context: Path, root: Path, layout: Path, shim: str = SHIM) -> list[str]:
    return [
        sys.executable, "-c", shim, "build", "--root", str(root), "--progress", "quiet", "-t", "bench:1",
        "-o", f"type=oci-layout,dest={layout}", str(context),
    ]  # fmt: skip


def buildah(storage: Path, *args: str) -> list[str]:
    return [
        "buildah", "--root", str(storage / "root"), "--runroot", str(storage / "run"), "--storage-driver", "overlay",
        *args,
    ]  # fmt: skip


def bench_size(files: int, megabytes: int, repeat: int, with_buildah: bool) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="pbk-bench-"))
    try:
        context = work / "context"
        context.mkdir()
        generate(context, files, megabytes)
        time.sleep(0.1)  # files written just before a build make its unchanged-rebuild record untrusted
        # Byte-code is cached as in any installed package (this machine sets PYTHONDONTWRITEBYTECODE, which
        # would make every run compile the whole package again); the cache goes to a temp directory.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(PYTHONPATH=str(REPO), PYTHONPYCACHEPREFIX=str(work / "pycache"))
        out: dict[str, object] = {"files": files, "megabytes": megabytes}
        cold, rebuild, cold_rss, rebuild_rss, inside = [], [], [], [], []
        for i in range(repeat):
            root, layout = work / f"store{i}", work / f"layout{i}"
            seconds, rss = timed(pybuildkit_build(context, root, layout), env)
            cold.append(seconds)
            cold_rss.append(rss)
            seconds, rss = timed(pybuildkit_build(context, root, layout), env)
            rebuild.append(seconds)
            rebuild_rss.append(rss)
            timing = work / "timing"
            timed(
                pybuildkit_build(context, root, layout, shim=TIMED_SHIM), {**env, "PBK_TIMING": str(timing)}
            )
            inside.append(float(timing.read_text()))
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(layout, ignore_errors=True)
        startup = statistics.median(timed([sys.executable, "-c", "pass"])[0] for _ in range(repeat))
        out["python_startup"] = startup
        out["pybuildkit"] = {
            "cold": statistics.median(cold),
            "rebuild": statistics.median(rebuild),
            "rebuild_in_process": statistics.median(inside),
            "cold_rss_mb": max(cold_rss) / 1024,
            "rebuild_rss_mb": max(rebuild_rss) / 1024,
        }
        if with_buildah and shutil.which("buildah"):
            bcold, brebuild, brss = [], [], []
            for i in range(repeat):
                storage, layout = work / f"buildah{i}", work / f"blayout{i}"
                bud = buildah(
                    storage, "bud", "--layers", "--isolation", "chroot", "-q", "-t", "bench:1", str(context)
                )
                push = buildah(storage, "push", "-q", "bench:1", f"oci:{layout}:1")
                first, rss1 = timed(bud)
                pushed, rss2 = timed(push)
                bcold.append(first + pushed)
                second, rss3 = timed(bud)
                pushed2, _ = timed(push)
                brebuild.append(second + pushed2)
                brss.append(max(rss1, rss2, rss3))
                subprocess.run(buildah(storage, "rm", "--all"), capture_output=True)
                subprocess.run(buildah(storage, "rmi", "--all", "--force"), capture_output=True)
                subprocess.run(["umount", "-R", str(storage / "root" / "overlay")], capture_output=True)
                shutil.rmtree(storage, ignore_errors=True)
                shutil.rmtree(layout, ignore_errors=True)
            out["buildah"] = {
                "cold": statistics.median(bcold),
                "rebuild": statistics.median(brebuild),
                "rss_mb": max(brss) / 1024,
            }
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000:40,10000:200", help="files:megabytes,...")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-buildah", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for item in args.sizes.split(","):
        files, megabytes = (int(x) for x in item.split(":"))
        results.append(bench_size(files, megabytes, args.repeat, not args.no_buildah))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'context':>16} {'':>10} {'cold s':>8} {'rebuild s':>10} {'peak MB':>8}")
    for result in results:
        name = f"{result['files']} f / {result['megabytes']} MB"
        ours = result["pybuildkit"]
        assert isinstance(ours, dict)
        print(
            f"{name:>16} {'pybuildkit':>10} {ours['cold']:8.2f} {ours['rebuild']:10.3f} "
            f"{max(ours['cold_rss_mb'], ours['rebuild_rss_mb']):8.0f}"
        )
        print(f"{'':>16} {'(in-process: imports + build)':>10} {ours['rebuild_in_process']:10.3f}")
        print(f"{'':>16} {'(python3 -c pass)':>10} {'':>8} {result['python_startup']:10.3f}")
        theirs = result.get("buildah")
        if isinstance(theirs, dict):
            print(
                f"{'':>16} {'buildah':>10} {theirs['cold']:8.2f} {theirs['rebuild']:10.3f} {theirs['rss_mb']:8.0f}"
            )
            print(
                f"{'':>16} {'ratio':>10} {theirs['cold'] / ours['cold']:7.2f}x {theirs['rebuild'] / ours['rebuild']:9.1f}x"
                "  (buildah time / pybuildkit time)"
            )


if __name__ == "__main__":
    main()
