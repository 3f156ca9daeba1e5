"""Suggestions ("did you mean ...?"), picked the way BuildKit's `util/suggest` picks them.

BuildKit offers the option with the smallest edit distance below 3 (and none when the value is itself an
option, since then the error is about something else). `difflib` ranks by a similarity ratio that can
prefer another word, so the distance is computed here to suggest what BuildKit suggests.
"""

from __future__ import annotations

from collections.abc import Iterable


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _match_case(option: str, original: str) -> str:
    if original == original.lower():
        return option.lower()
    if original == original.upper():
        return option.upper()
    return option


def suggest(value: str, options: Iterable[str], *, case_sensitive: bool = True) -> str | None:
    """The closest option to `value` (distance < 3), or None; ties go to the first option (sorted)."""
    needle = value if case_sensitive else value.lower()
    best: str | None = None
    best_distance = 3
    for option in sorted(options):
        candidate = option if case_sensitive else option.lower()
        if candidate == needle:
            return None
        distance = edit_distance(needle, candidate)
        if distance < best_distance:
            best = candidate if case_sensitive else _match_case(candidate, value)
            best_distance = distance
    return best


def did_you_mean(
    value: str, options: Iterable[str], *, case_sensitive: bool = True, prefix: str = ""
) -> str | None:
    """A hint text `did you mean X?`, or None when nothing is close."""
    match = suggest(value, options, case_sensitive=case_sensitive)
    return None if match is None else f"did you mean {prefix}{match}?"
