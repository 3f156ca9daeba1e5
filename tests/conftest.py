"""Fixtures every suite shares."""

from __future__ import annotations

from tests.support import conformance  # noqa: F401  (a fixture, re-exported for every suite)
