"""`image.fields.parse_fields`: the `key=value,...` splitter behind `--output` and `--cache-to/--cache-from`."""

from __future__ import annotations

import pytest

from pybuildkit.errors import PyBuildKitError
from pybuildkit.image.fields import parse_fields


class _FlagError(PyBuildKitError):
    pass


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("type=local,dest=out", {"type": "local", "dest": "out"}, id="two-fields"),
        pytest.param(" type = oci , dest= a b ", {"type": "oci", "dest": "a b"}, id="blanks-trimmed"),
        pytest.param("a=1,a=2", {"a": "2"}, id="last-wins"),
        pytest.param("ref=r:1=x", {"ref": "r:1=x"}, id="value-keeps-equals"),
        pytest.param("empty=", {"empty": ""}, id="empty-value"),
    ],
)
def test_fields(text: str, expected: dict[str, str]) -> None:
    assert parse_fields(text, flag="--x", error=_FlagError) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("type=local,dest", "bad --x field 'dest'", id="missing-equals"),
        pytest.param("type=local,", "bad --x field ''", id="trailing-comma"),
    ],
)
def test_bad_field_raises_the_callers_error(text: str, message: str) -> None:
    with pytest.raises(_FlagError) as info:
        parse_fields(text, flag="--x", error=_FlagError)
    assert info.value.message == message
    assert info.value.hint == "write key=value pairs separated by commas"
