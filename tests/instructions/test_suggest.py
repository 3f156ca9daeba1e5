"""Suggestions pick what BuildKit's `util/suggest` picks (edit distance below 3)."""

from __future__ import annotations

import pytest

from pybuildkit.instructions.suggest import edit_distance, suggest


@pytest.mark.parametrize(
    ("a", "b", "d"), [("", "", 0), ("copy", "copy", 0), ("copy", "coppy", 1), ("kitten", "sitting", 3)]
)
def test_edit_distance(a: str, b: str, d: int) -> None:
    assert edit_distance(a, b) == d


@pytest.mark.parametrize(
    ("value", "options", "case_sensitive", "expected"),
    [
        ("COPPY", ["COPY", "CMD"], False, "COPY"),
        ("coppy", ["COPY"], False, "copy"),
        ("Coppy", ["COPY"], False, "copy"),
        ("form", ["from", "chown"], True, "from"),
        ("xyzzy", ["from"], True, None),
        ("from", ["from", "frm"], True, None),  # an exact match means the error is about something else
    ],
)
def test_suggest(value: str, options: list[str], case_sensitive: bool, expected: str | None) -> None:
    assert suggest(value, options, case_sensitive=case_sensitive) == expected
