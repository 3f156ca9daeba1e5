"""Go duration strings for HEALTHCHECK options."""

from __future__ import annotations

import pytest

from pybuildkit.errors import InstructionError
from pybuildkit.instructions.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("0", 0), ("0s", 0), ("1ns", 1), ("1us", 1000), ("1µs", 1000), ("1μs", 1000), ("1ms", 1_000_000),
        ("1.5s", 1_500_000_000), ("1m30s", 90_000_000_000), ("2h", 7_200_000_000_000), ("-1s", -1_000_000_000),
        ("+5m", 300_000_000_000), (".5s", 500_000_000), ("1.s", 1_000_000_000), ("1h1m1s1ms", 3_661_001_000_000),
    ],
)  # fmt: skip
def test_parse_duration(text: str, nanos: int) -> None:
    assert parse_duration(text) == nanos


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("s", 'time: invalid duration "s"'),
        (".s", 'time: invalid duration ".s"'),
        ("1", 'time: missing unit in duration "1"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("3000000h", 'time: invalid duration "3000000h"'),
    ],
)
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(InstructionError) as caught:
        parse_duration(text)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("nanos", "text"),
    [
        (0, "0s"),
        (1_500_000_000, "1.5s"),
        (90_000_000_000, "1m30s"),
        (250_000_000, "250ms"),
        (3_600_000_000_000, "1h0m0s"),
    ],
)
def test_format_duration(nanos: int, text: str) -> None:
    assert format_duration(nanos) == text
