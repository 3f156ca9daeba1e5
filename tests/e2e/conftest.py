"""Fixtures for end-to-end builds: a private store holding busybox, a context writer, the CLI in-process."""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.images import BusyboxImage, busybox_image  # noqa: F401  (a fixture)


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    root: Path  # the store
    context: Path
    tmp: Path

    def write(self, files: dict[str, str | bytes]) -> Path:
        for rel, content in files.items():
            path = self.context / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        return self.context


@pytest.fixture
def workspace(tmp_path: Path, busybox_image: BusyboxImage) -> Workspace:  # noqa: F811
    store = tmp_path / "store"
    busybox_image.copy_store(store)
    context = tmp_path / "context"
    context.mkdir()
    return Workspace(root=store, context=context, tmp=tmp_path)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """`pybuildkit build ...` in-process: through the CLI's `main` once `build` is registered there."""
    from pybuildkit import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        if "build" in cli.COMMANDS:
            code = cli.main(argv)
        else:
            from pybuildkit.cli import build as build_cli
            from pybuildkit.errors import PyBuildKitError

            parser = argparse.ArgumentParser(prog="pybuildkit")
            build_cli.register(parser.add_subparsers(dest="command"))
            args = parser.parse_args(argv)
            try:
                code = args.func(args)
            except PyBuildKitError as error:
                print(error.render(), file=sys.stderr)
                code = 1
    return code, out.getvalue(), err.getvalue()


def tool(*argv: str) -> str:
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed")
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(argv)} failed: {done.stderr}"
    return done.stdout


@pytest.fixture
def cli() -> Callable[[list[str]], tuple[int, str, str]]:
    return run_cli
