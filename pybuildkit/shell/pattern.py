"""The shell patterns of `${V#p}`, `${V%p}` and `${V/p/r}`, with BuildKit's semantics.

BuildKit turns the pattern into a Go regular expression (`*` → `.*` or `.*?`, `?` → `.`, no bracket
expressions) and searches with RE2's leftmost-first rule. Here the pattern becomes a short token list that a
set-of-states simulation runs: linear in the value per search, no backtracking. The results equal RE2's:

* anchored, lazy stars (`#`, `%`): the leftmost-first match is the shortest prefix that matches;
* anchored, greedy stars (`##`, `%%`): the longest prefix that matches;
* unanchored, greedy (`/`, `//`): the leftmost start, then the longest match from it.

Go's `.` does not match a newline, so neither `?` nor `*` does here. `%`/`%%` work as BuildKit does, by
reversing the pattern (escapes kept in order) and the value, then trimming a prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# A token is a literal character, or one of these two markers (never a one-character string).
_ANY = "?any"
_STAR = "*star"


class PatternError(Exception):
    """The pattern cannot be converted; the text is BuildKit's (`invalid escape '\\x'`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Pattern:
    """A compiled shell pattern."""

    tokens: tuple[str, ...]
    literal: str | None  # the whole pattern when it has no wildcard (fast paths use str methods)


def compile_pattern(pattern: str) -> Pattern:
    """Convert as BuildKit's convertShellPatternToRegex does, raising its errors."""
    tokens: list[str] = []
    n = len(pattern)
    # Go's text/scanner skips a byte order mark at the very start of its input.
    i = 1 if pattern.startswith("\ufeff") else 0
    while i < n:
        tok = pattern[i]
        i += 1
        if tok == "*":
            tokens.append(_STAR)
            continue
        if tok == "?":
            tokens.append(_ANY)
            continue
        if tok == "\\":
            nxt = pattern[i] if i < n else ""
            # `}` and `/` must be escaped inside ${}, but the escape is not part of the pattern.
            if nxt in ("}", "/"):
                continue
            if nxt not in ("*", "?", "\\"):
                shown = nxt if nxt else "\ufffd"  # Go prints the EOF rune as U+FFFD
                raise PatternError(f"invalid escape '\\{shown}'")
            i += 1
            tokens.append(nxt)
            continue
        tokens.append(tok)
    literal = None if (_ANY in tokens or _STAR in tokens) else "".join(tokens)
    return Pattern(tokens=tuple(tokens), literal=literal)


def reverse_pattern(pattern: str) -> str:
    """Reverse a pattern, keeping each `\\x` escape pair in order (`a\\*c` → `c\\*a`)."""
    chars = list(pattern)
    last = len(chars) - 1
    out = [""] * len(chars)
    i = 0
    while i <= last:
        tok = chars[i]
        at = last - i
        if tok == "\\" and i != last:
            out[at - 1] = tok
            out[at] = chars[i + 1]
            i += 2
        else:
            out[at] = tok
            i += 1
    return "".join(out)


def _closure(tokens: tuple[str, ...], states: Iterable[int]) -> set[int]:
    """Add the states reachable without input: a star may match nothing."""
    out: set[int] = set()
    m = len(tokens)
    for j in states:
        while j not in out:
            out.add(j)
            if j < m and tokens[j] is _STAR:
                j += 1
            else:
                break
    return out


def _step(tokens: tuple[str, ...], states: set[int], ch: str) -> set[int]:
    m = len(tokens)
    nxt: list[int] = []
    for j in states:
        if j == m:
            continue
        tok = tokens[j]
        if tok is _STAR:
            if ch != "\n":
                nxt.append(j)
        elif tok is _ANY:
            if ch != "\n":
                nxt.append(j + 1)
        elif tok == ch:
            nxt.append(j + 1)
    return _closure(tokens, nxt)


def match_end(pat: Pattern, value: str, start: int, *, longest: bool) -> int | None:
    """End of the shortest (or longest) match of `pat` anchored at `start`, or None."""
    if pat.literal is not None:
        return start + len(pat.literal) if value.startswith(pat.literal, start) else None
    tokens = pat.tokens
    m = len(tokens)
    states = _closure(tokens, (0,))
    best = start if m in states else None
    if best is not None and not longest:
        return best
    i = start
    n = len(value)
    while states and i < n:
        states = _step(tokens, states, value[i])
        i += 1
        if m in states:
            best = i
            if not longest:
                return best
    return best


def _leftmost_start(pat: Pattern, value: str, pos: int) -> int | None:
    """The smallest start >= pos where some match begins (one pass, each state keeps its earliest start)."""
    tokens = pat.tokens
    m = len(tokens)
    n = len(value)
    states: dict[int, int] = {}
    best: int | None = None
    i = pos
    while True:
        if best is None:
            for j in _closure(tokens, (0,)):
                states.setdefault(j, i)  # a state already live started earlier, and that wins
        if m in states:
            found = states[m]
            best = found if best is None else min(best, found)
        if best is not None:
            # Threads that started at or after the best start cannot give an earlier one.
            states = {j: s for j, s in states.items() if s < best}
        if not states or i >= n:
            return best
        ch = value[i]
        nxt: dict[int, int] = {}
        for j, s in states.items():
            for k in _step(tokens, {j}, ch):
                old = nxt.get(k)
                if old is None or s < old:
                    nxt[k] = s
        states = nxt
        i += 1


def search(pat: Pattern, value: str, pos: int = 0) -> tuple[int, int] | None:
    """RE2's leftmost-first match of a greedy, unanchored pattern at or after `pos`: (start, end)."""
    if pat.literal is not None:
        at = value.find(pat.literal, pos)
        return None if at < 0 else (at, at + len(pat.literal))
    start = _leftmost_start(pat, value, pos)
    if start is None:
        return None
    end = match_end(pat, value, start, longest=True)
    assert end is not None  # a match starts there, so the longest one exists
    return start, end


def trim_prefix(pat: Pattern, value: str, *, greedy: bool) -> str:
    end = match_end(pat, value, 0, longest=greedy)
    return value if end is None else value[end:]


def replace_first(pat: Pattern, value: str, replacement: str) -> str:
    found = search(pat, value)
    if found is None:
        return value
    return value[: found[0]] + replacement + value[found[1] :]


def replace_all(pat: Pattern, value: str, template: str) -> str:
    """Go's Regexp.ReplaceAllString: empty matches, the advance rule, and `$` templates in the replacement."""
    out: list[str] = []
    last_end = 0
    pos = 0
    n = len(value)
    while pos <= n:
        found = search(pat, value, pos)
        if found is None:
            break
        a0, a1 = found
        out.append(value[last_end:a0])
        # No replacement for an empty match right after another match (Go's rule).
        if a1 > last_end or a0 == 0:
            out.append(_expand_template(template, value[a0:a1]))
        last_end = a1
        width = 1 if pos < n else 0
        if pos + width > a1:
            pos += width
        elif pos + 1 > a1:
            pos += 1
        else:
            pos = a1
    out.append(value[last_end:])
    return "".join(out)


def _expand_template(template: str, whole: str) -> str:
    """Go's Regexp.Expand for a regexp with no groups: `$0`/`${0}` is the match, `$$` is `$`."""
    if "$" not in template:
        return template
    out: list[str] = []
    rest = template
    while True:
        before, sep, after = rest.partition("$")
        if not sep:
            break
        out.append(before)
        rest = after
        if rest.startswith("$"):
            out.append("$")
            rest = rest[1:]
            continue
        parsed = _extract_name(rest)
        if parsed is None:
            out.append("$")  # malformed: the `$` is kept as text
            continue
        name, rest = parsed
        if name == "0":
            out.append(whole)
        # any other number or name refers to a group that does not exist: nothing
    out.append(rest)
    return "".join(out)


def _extract_name(text: str) -> tuple[str, str] | None:
    brace = text.startswith("{")
    if brace:
        text = text[1:]
    i = 0
    while i < len(text) and (text[i].isalpha() or text[i].isdecimal() or text[i] == "_"):
        i += 1
    if i == 0:
        return None
    name = text[:i]
    if brace:
        if i >= len(text) or text[i] != "}":
            return None
        i += 1
    return name, text[i:]
