"""RUN steps: pybuildkit build against `buildah bud --layers --isolation chroot` (not a test; run as root).

    python3 benchmarks/run.py [--repeat 3] [--files 2000] [--no-buildah] [--json]

The Dockerfile COPYs 2,000 small files onto a busybox base (Debian's busybox-static, imported into both
builders from the same OCI layout), then runs 10 small RUN steps that each write a file. In one run:

* cold build: an empty cache (pybuildkit: a fresh store holding only the base; buildah: fresh storage in a
  temp directory with the base pulled, overlay driver), the image tagged in the store;
* unchanged rebuild: the same command again;
* per-RUN overhead: the duration pybuildkit reports for each RUN step (sandbox set-up, the command, the
  upperdir diff, the layer written and stored), median over the 10 steps of the cold builds, and the same
  for `RUN true` (no layer); and the marginal cost from the command line: (cold build with 20 `RUN true`)
  minus (cold build with 10), divided by 10, so one-time costs (imports, unpacking the base) cancel out.

Each build runs in a fresh process, timed wall-clock.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHIM = "import sys; from pybuildkit import cli; cli.COMMANDS = (*cli.COMMANDS, 'run') if 'run' not in cli.COMMANDS else cli.COMMANDS; sys.exit(cli.main(sys.argv[1:]))"


def dockerfile(steps: int, command: str) -> str:
    lines = ["FROM busybox", "COPY files/ /files/"]
    lines += [f"RUN {command.format(n=n)}" for n in range(steps)]
    return "\n".join(lines) + "\n"


def generate(context: Path, files: int, steps: int, command: str) -> None:
    for index in range(files):
        directory = context / "files" / f"d{index % 40:02}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"f{index}.txt").write_text(f"file {index}\n" * 8)
    (context / "Dockerfile").write_text(dockerfile(steps, command))


def make_base(work: Path) -> tuple[Path, Path]:
    """A store and an OCI layout holding busybox:latest."""
    from pybuildkit.layers import GZIP
    from pybuildkit.output import export_oci_layout, import_rootfs
    from pybuildkit.store import Store
    from tests.images import make_busybox_rootfs

    rootfs = work / "busybox-rootfs"
    make_busybox_rootfs(rootfs)
    store = Store(work / "base-store")
    descriptor = import_rootfs(store, rootfs, names=["busybox:latest"], compression=GZIP, source_date_epoch=0)
    layout = work / "busybox-layout"
    export_oci_layout(store, descriptor, layout, names=["busybox:latest"])
    return store.root, layout


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def step_durations(context: Path, root: Path) -> list[float]:
    """The RUN step durations of a cold build, measured in this process."""
    from pybuildkit.execute.session import build

    result = build(context, root=root, no_cache=True)
    return [step.duration for step in result.steps if " RUN " in f" {step.label.split('] ', 1)[-1]}"]


def buildah(storage: Path, *args: str) -> list[str]:
    return [
        "buildah", "--root", str(storage / "root"), "--runroot", str(storage / "run"), "--storage-driver", "overlay",
        *args,
    ]  # fmt: skip


def bench(repeat: int, files: int, with_buildah: bool) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="pbk-run-bench-"))
    try:
        base_store, layout = make_base(work)
        context = work / "context"
        generate(context, files, 10, "echo {n} > /step{n}")
        trivial = work / "trivial"
        generate(trivial, 1, 10, "true")
        bare = work / "twenty"  # 20 `RUN true`; `trivial` has 10
        generate(bare, 1, 20, "true")
        out: dict[str, object] = {"files": files, "run_steps": 10}
        cold, rebuild, per_run, per_true, per_cli = [], [], [], [], []
        for i in range(repeat):
            root = work / f"store{i}"
            shutil.copytree(base_store, root)
            argv = [
                sys.executable,
                "-c",
                SHIM,
                "build",
                "--root",
                str(root),
                "--progress",
                "quiet",
                "-t",
                "bench:1",
            ]
            cold.append(timed([*argv, str(context)]))
            rebuild.append(timed([*argv, str(context)]))
            per_run.extend(step_durations(context, root))
            per_true.extend(step_durations(trivial, root))
            shutil.rmtree(root, ignore_errors=True)
            # argv[5] is the store: each of these builds gets a fresh copy of the base store.
            for name in ("twenty-store", "ten-store"):
                shutil.copytree(base_store, work / name)
            twenty = timed([*argv[:5], str(work / "twenty-store"), *argv[6:], str(bare)])
            ten = timed([*argv[:5], str(work / "ten-store"), *argv[6:], str(trivial)])
            per_cli.append((twenty - ten) / 10)
            for name in ("twenty-store", "ten-store"):
                shutil.rmtree(work / name, ignore_errors=True)
        out["pybuildkit"] = {
            "cold": statistics.median(cold),
            "rebuild": statistics.median(rebuild),
            "per_run_ms": statistics.median(per_run) * 1000,
            "per_run_true_ms": statistics.median(per_true) * 1000,
            "per_run_cli_ms": statistics.median(per_cli) * 1000,
        }
        if with_buildah and shutil.which("buildah"):
            b_cold, b_rebuild = [], []
            for i in range(repeat):
                storage = work / f"buildah{i}"
                subprocess.run(
                    buildah(storage, "pull", "-q", f"oci:{layout}:latest"), check=True, capture_output=True
                )
                image = subprocess.run(
                    buildah(storage, "images", "-q"), check=True, capture_output=True, text=True
                )
                subprocess.run(buildah(storage, "tag", image.stdout.split()[0], "busybox:latest"), check=True)
                bud = buildah(
                    storage, "bud", "-q", "--layers", "--isolation", "chroot", "--pull-never", "-t", "bench:1",
                    str(context),
                )  # fmt: skip
                b_cold.append(timed(bud))
                b_rebuild.append(timed(bud))
                subprocess.run(buildah(storage, "rm", "--all"), capture_output=True)
                subprocess.run(buildah(storage, "rmi", "--all", "--force"), capture_output=True)
                subprocess.run(["umount", "-R", str(storage / "root" / "overlay")], capture_output=True)
            out["buildah"] = {"cold": statistics.median(b_cold), "rebuild": statistics.median(b_rebuild)}
        return out
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--no-buildah", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (buildah's storage and the comparison need it)")
    result = bench(args.repeat, args.files, not args.no_buildah)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    ours = result["pybuildkit"]
    assert isinstance(ours, dict)
    print(f"{result['files']} files COPYed, {result['run_steps']} RUN steps (medians of {args.repeat})")
    print(f"{'':12} {'cold s':>8} {'rebuild s':>10}")
    print(f"{'pybuildkit':12} {ours['cold']:8.2f} {ours['rebuild']:10.3f}")
    theirs = result.get("buildah")
    if isinstance(theirs, dict):
        print(f"{'buildah':12} {theirs['cold']:8.2f} {theirs['rebuild']:10.3f}")
        print(
            f"ratio (buildah / pybuildkit): cold {theirs['cold'] / ours['cold']:.2f}x, "
            f"rebuild {theirs['rebuild'] / ours['rebuild']:.1f}x"
        )
    print(
        f"per-RUN step: {ours['per_run_ms']:.1f} ms (writes a file, makes a layer); "
        f"{ours['per_run_true_ms']:.1f} ms for `RUN true` (no layer); "
        f"{ours['per_run_cli_ms']:.1f} ms per extra `RUN true` from the command line"
    )


if __name__ == "__main__":
    main()
