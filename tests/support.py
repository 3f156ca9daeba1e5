"""Helpers every suite uses: where the repository and the conformance data live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def conformance_dir() -> Path | None:
    """`../shared/conformance` beside the checkout (or $PYBUILDKIT_CONFORMANCE); None when absent."""
    env = os.environ.get("PYBUILDKIT_CONFORMANCE")
    path = Path(env) if env else REPO.parent / "shared" / "conformance"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def conformance() -> Path:
    path = conformance_dir()
    if path is None:
        pytest.skip("conformance data (../shared/conformance) is not present")
    return path
