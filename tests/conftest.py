"""Fixtures every suite shares."""

from __future__ import annotations

import os

from tests.support import conformance  # noqa: F401  (a fixture, re-exported for every suite)

# The tests reach no registry but those they start on 127.0.0.1: a base image missing from the store must
# fail at once instead of being looked up on docker.io (subprocesses inherit this).
os.environ["PYBUILDKIT_OFFLINE"] = "1"
