"""The glob engine behind `#`, `%` and `/`: checked against Python's `re` (leftmost-first, like Go's RE2)
on the regular expression BuildKit builds from the same pattern."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybuildkit.shell import pattern as p


def _regex(pattern: str, *, greedy: bool) -> str:
    """BuildKit's convertShellPatternToRegex, with Python's `.` (which, like Go's, skips newlines)."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append(".*" if greedy else ".*?")
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            if i < len(pattern) and pattern[i] in "}/":
                continue
            out.append(re.escape(pattern[i]))
            i += 1
        else:
            out.append(re.escape(ch))
    return "".join(out)


_patterns = st.lists(st.sampled_from(["*", "?", "a", "b", "\\*", "\\?", "\\\\", "\\}", "."]), max_size=6).map(
    "".join
)
_values = st.text(alphabet="ab*?\\.\n}", max_size=12)


@settings(max_examples=400, deadline=None)
@given(_patterns, _values, st.booleans())
def test_anchored_matches_re(pattern: str, value: str, greedy: bool) -> None:
    expected = re.match(_regex(pattern, greedy=greedy), value)
    got = p.match_end(p.compile_pattern(pattern), value, 0, longest=greedy)
    assert got == (expected.end() if expected else None)


@settings(max_examples=400, deadline=None)
@given(_patterns, _values, st.integers(min_value=0, max_value=12))
def test_search_matches_re(pattern: str, value: str, pos: int) -> None:
    pos = min(pos, len(value))
    expected = re.compile(_regex(pattern, greedy=True)).search(value, pos)
    got = p.search(p.compile_pattern(pattern), value, pos)
    assert got == (expected.span() if expected else None)


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        pytest.param("\\", "invalid escape '\\\ufffd'", id="trailing"),
        pytest.param("\\x", "invalid escape '\\x'", id="letter"),
        pytest.param("\\\\\\", "invalid escape '\\\ufffd'", id="odd-run"),
    ],
)
def test_invalid_escapes(pattern: str, error: str) -> None:
    with pytest.raises(p.PatternError, match=re.escape(error)):
        p.compile_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "reversed_"),
    [
        pytest.param("a\\*c", "c\\*a", id="escape-kept"),
        pytest.param("\\\\\\ab", "b\\a\\\\", id="run-of-escapes"),
        pytest.param("ab\\", "\\ba", id="trailing-escape"),
        pytest.param("é\\ñü", "ü\\ñé", id="non-ascii"),
        pytest.param("", "", id="empty"),
    ],
)
def test_reverse_pattern(pattern: str, reversed_: str) -> None:
    assert p.reverse_pattern(pattern) == reversed_


def test_long_value_is_linear() -> None:
    # A pattern that makes a backtracking engine explode stays quick here.
    value = "a" * 3000
    compiled = p.compile_pattern("*a*a*a*a*a*a*b")
    assert p.search(compiled, value) is None
    assert p.match_end(compiled, value, 0, longest=True) is None
