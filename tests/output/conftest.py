"""The busybox base image fixture, for the output tests."""

from __future__ import annotations

from tests.images import busybox_image  # noqa: F401  (a fixture)
