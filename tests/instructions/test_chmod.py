"""`--chmod` values: what BuildKit accepts, and its words for what it rejects (convert_copy.go).

BuildKit tests: dockerfile_copy_test.go / dockerfile_add_test.go `testCopyChmod`/`testAddChmod` ('64a', '10000').
"""

from __future__ import annotations

import pytest

from pybuildkit.errors import InstructionError
from pybuildkit.instructions.chmod import parse_chmod

NON_OCTAL = "invalid chmod parameter: '{}'. it should be octal string and between 0 and 07777"


@pytest.mark.parametrize(
    ("spec", "mode", "is_dir", "expected"),
    [
        pytest.param("755", 0o644, False, 0o755, id="octal"),
        pytest.param("00755", 0o644, False, 0o755, id="octal-leading-zeros"),
        pytest.param("7777", 0, False, 0o7777, id="octal-max"),
        pytest.param("u+x,go-w", 0o666, False, 0o744, id="symbolic"),
        pytest.param("a=rX", 0o700, True, 0o555, id="capital-x-dir"),
    ],
)
def test_accepted(spec: str, mode: int, is_dir: bool, expected: int) -> None:
    assert parse_chmod(spec)(mode, is_dir) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("64a", NON_OCTAL.format("64a"), id="looks-numeric"),
        pytest.param("10000", NON_OCTAL.format("10000"), id="above-07777"),
        pytest.param("8", NON_OCTAL.format("8"), id="not-octal-digit"),
        pytest.param("abc", "invalid syntax", id="not-a-mode"),
        pytest.param("u+q", "invalid syntax", id="unknown-permission"),
    ],
)
def test_rejected(spec: str, message: str) -> None:
    with pytest.raises(InstructionError) as caught:
        parse_chmod(spec)
    assert caught.value.message == message
    assert caught.value.hint
