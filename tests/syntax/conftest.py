"""Build the Lark parser once before any timed (hypothesis deadline) test runs."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _warm_grammar() -> None:
    from pybuildkit.syntax.grammar import parser

    parser()
