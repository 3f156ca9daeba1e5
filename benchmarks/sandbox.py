"""Per-RUN overhead of the sandbox: set-up + teardown around a trivial command (not a test).

    python3 benchmarks/sandbox.py [--runs 50] [--layers 1]

Builds a busybox root filesystem, then times `run()` of `/bin/true` with a fresh upperdir and scratch
each time (everything `run()` does counts: preparing, namespaces, mounts, exec, teardown, emptying the
scratch), for `--network=host` and `--network=none`, next to a plain `subprocess.run(["/bin/true"])` as
the floor. Target: under 30 ms median. Disk and CPU contention from other work shows up directly.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pybuildkit.execute.sandbox import NetworkMode, RunSpec, detect_mapping, remove_tree, run  # noqa: E402


def build_rootfs(dest: Path) -> None:
    busybox = shutil.which("busybox") or "/bin/busybox"
    (dest / "bin").mkdir(parents=True)
    (dest / "etc").mkdir()
    shutil.copy2(busybox, dest / "bin" / "busybox")
    for applet in subprocess.run(
        [busybox, "--list"], capture_output=True, text=True, check=True
    ).stdout.split():
        if not (dest / "bin" / applet).exists():
            (dest / "bin" / applet).symlink_to("busybox")
    (dest / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")


def measure(label: str, runs: int, once: object) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        once()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p90 = times[int(len(times) * 0.9) - 1]
    print(
        f"{label:<28} median {statistics.median(times):6.1f} ms   p90 {p90:6.1f} ms   min {times[0]:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--layers", type=int, default=1, help="number of lowerdirs (empty ones above the rootfs)"
    )
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="pbkit-bench-"))
    try:
        build_rootfs(base / "rootfs")
        lowers = [base / f"layer{i}" for i in range(args.layers - 1)]
        for layer in lowers:
            layer.mkdir()
        lowerdirs = (*reversed(lowers), base / "rootfs")
        print(
            f"ID mapping: {detect_mapping().method.value}; {len(lowerdirs)} lowerdir(s); {args.runs} runs each"
        )
        counter = [0]

        def once(network: NetworkMode) -> None:
            counter[0] += 1
            upper, scratch = base / f"u{counter[0]}", base / f"s{counter[0]}"
            result = run(
                RunSpec(
                    lowerdirs=lowerdirs, upperdir=upper, scratch=scratch, argv=("/bin/true",), network=network
                )
            )
            if result.exit_code != 0:
                raise SystemExit(f"/bin/true failed: {result}")

        measure("subprocess /bin/true", args.runs, lambda: subprocess.run(["/bin/true"], check=True))
        for network in (NetworkMode.HOST, NetworkMode.NONE):
            measure(f"sandbox --network={network.value}", args.runs, lambda n=network: once(n))
    finally:
        remove_tree(base)


if __name__ == "__main__":
    main()
