"""Translate the Go (RE2) regular expressions that patternmatcher builds into Python `re` syntax.

patternmatcher turns a .dockerignore pattern into Go regexp text and lets Go's parser interpret it, so a
backslash in a pattern means whatever it means to Go's regexp: `a\\.b` escapes the dot, `a\\b` is a word
boundary, `[[:digit:]]` is a POSIX class, `\\Q...\\E` quotes. Python's `re` disagrees on several of these
(`[[:digit:]]`, `\\s` and `\\v`, `$` before a final newline), so the regexp text is parsed here with Go's
rules (Perl flags, as `regexp.Compile` uses) and re-emitted as explicit Python syntax: literals escaped,
classes as explicit code-point ranges. Errors carry Go's messages. Unicode classes (`\\pL`) are not
supported: Python's `re` has none.
"""

from __future__ import annotations

import re

_MAX_RUNE = 0x10FFFF

_ASCII_DIGIT = ((0x30, 0x39),)
_ASCII_SPACE_PERL = ((0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20))  # Go's \s has no \v
_ASCII_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))

_PERL_CLASSES: dict[str, tuple[tuple[int, int], ...]] = {
    "d": _ASCII_DIGIT,
    "s": _ASCII_SPACE_PERL,
    "w": _ASCII_WORD,
}

_POSIX_CLASSES: dict[str, tuple[tuple[int, int], ...]] = {
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "ascii": ((0x00, 0x7F),),
    "blank": ((0x09, 0x09), (0x20, 0x20)),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "digit": ((0x30, 0x39),),
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "space": ((0x09, 0x0D), (0x20, 0x20)),
    "upper": ((0x41, 0x5A),),
    "word": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)),
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}


class GoRegexError(ValueError):
    """Go's regexp parser would reject this expression (the message is Go's)."""


def _normalize(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _negate(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi in _normalize(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= _MAX_RUNE:
        out.append((nxt, _MAX_RUNE))
    return out


def _emit_class(ranges: list[tuple[int, int]], *, negated: bool = False) -> str:
    final = _negate(ranges) if negated else _normalize(ranges)
    if not final:
        return "(?!)"  # an empty class matches nothing
    items = [f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in final]
    return "[" + "".join(items) + "]"


def _hex(ch: str) -> int:
    return int(ch, 16) if ch and ch in "0123456789abcdefABCDEF" else -1


def _parse_escape(src: str, i: int) -> tuple[int, int]:
    """Go's `parseEscape`: `src[i]` is a backslash; returns (code point, index after the escape)."""
    if i + 1 >= len(src):
        raise GoRegexError("trailing backslash at end of expression")
    c = src[i + 1]
    j = i + 2
    if c.isascii() and not c.isalnum():
        return ord(c), j  # escaped punctuation is always itself
    if c in "1234567" and not (j < len(src) and src[j] in "01234567"):
        raise GoRegexError(f"invalid escape sequence: `{src[i:j]}`")  # a backreference: unsupported
    if c in "01234567":
        value = ord(c) - 0x30
        for _ in range(2):
            if j < len(src) and src[j] in "01234567":
                value = value * 8 + ord(src[j]) - 0x30
                j += 1
            else:
                break
        return value, j
    if c == "x":
        if j >= len(src):
            raise GoRegexError(f"invalid escape sequence: `{src[i:j]}`")
        if src[j] == "{":
            end = src.find("}", j + 1)
            digits = src[j + 1 : end] if end >= 0 else ""
            if end < 0 or not digits or any(_hex(d) < 0 for d in digits) or int(digits, 16) > _MAX_RUNE:
                raise GoRegexError(f"invalid escape sequence: `{src[i : end + 1 if end >= 0 else len(src)]}`")
            return int(digits, 16), end + 1
        x = _hex(src[j])
        y = _hex(src[j + 1]) if j + 1 < len(src) else -1
        if x < 0 or y < 0:
            raise GoRegexError(f"invalid escape sequence: `{src[i : j + 2]}`")
        return x * 16 + y, j + 2
    simple = {"a": 0x07, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
    if c in simple:
        return simple[c], j
    raise GoRegexError(f"invalid escape sequence: `{src[i:j]}`")


def _perl_class(letter: str) -> list[tuple[int, int]]:
    ranges = list(_PERL_CLASSES[letter.lower()])
    return _negate(ranges) if letter.isupper() else ranges


def _parse_class(src: str, i: int) -> tuple[str, int]:
    """Go's `parseClass`: `src[i]` is `[`; returns (Python class, index after `]`)."""
    start = i
    j = i + 1
    negated = False
    if j < len(src) and src[j] == "^":
        negated = True
        j += 1
    ranges: list[tuple[int, int]] = []
    first = True  # `]` is a literal as the first member
    while j >= len(src) or src[j] != "]" or first:
        if j >= len(src):
            raise GoRegexError(f"missing closing ]: `{src[start:]}`")
        first = False
        if len(src) - j > 2 and src[j] == "[" and src[j + 1] == ":":
            end = src.find(":]", j + 2)
            if end >= 0:
                name = src[j : end + 2]
                inner = name[2:-2]
                negate_group = inner.startswith("^")
                group = _POSIX_CLASSES.get(inner[1:] if negate_group else inner)
                if group is None:
                    raise GoRegexError(f"invalid character class range: `{name}`")
                ranges.extend(_negate(list(group)) if negate_group else group)
                j = end + 2
                continue
        if src[j] == "\\" and j + 1 < len(src) and src[j + 1] in "pP":
            raise GoRegexError(f"unsupported Unicode class: `{src[j : j + 2]}`")
        if src[j] == "\\" and j + 1 < len(src) and src[j + 1] in "dDsSwW":
            ranges.extend(_perl_class(src[j + 1]))
            j += 2
            continue
        member_start = j
        lo, j = _class_char(src, j, start)
        hi = lo
        if len(src) - j >= 2 and src[j] == "-" and src[j + 1] != "]":
            hi, j = _class_char(src, j + 1, start)
            if hi < lo:
                raise GoRegexError(f"invalid character class range: `{src[member_start:j]}`")
        ranges.append((lo, hi))
    return _emit_class(ranges, negated=negated), j + 1


def _class_char(src: str, j: int, start: int) -> tuple[int, int]:
    if j >= len(src):
        raise GoRegexError(f"missing closing ]: `{src[start:]}`")
    if src[j] == "\\":
        return _parse_escape(src, j)
    return ord(src[j]), j + 1


def translate(src: str) -> str:
    """Python `re` source with the meaning Go's `regexp.Compile(src)` gives `src` (compile with `re.ASCII`).

    Covers what patternmatcher can produce: literals, escapes, classes, `^ $ . ( ) | * + ?`.
    """
    out: list[str] = []
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            d = src[i + 1] if i + 1 < n else ""
            if d == "A":
                out.append(r"\A")
                i += 2
            elif d == "z":
                out.append(r"\Z")
                i += 2
            elif d in ("b", "B"):
                out.append("\\" + d)  # ASCII word boundary, as Go's (re.ASCII)
                i += 2
            elif d == "C":
                raise GoRegexError(r"invalid escape sequence: `\C`")
            elif d == "Q":
                end = src.find(r"\E", i + 2)
                literal = src[i + 2 :] if end < 0 else src[i + 2 : end]
                out.append(re.escape(literal))
                i = n if end < 0 else end + 2
            elif d in ("p", "P"):
                raise GoRegexError(f"unsupported Unicode class: `\\{d}`")
            elif d and d in "dDsSwW":
                out.append(_emit_class(_perl_class(d)))
                i += 2
            else:
                value, i = _parse_escape(src, i)
                out.append(re.escape(chr(value)))
        elif c == "[":
            cls, i = _parse_class(src, i)
            out.append(cls)
        elif c == "^":
            out.append(r"\A")
            i += 1
        elif c == "$":
            # Go's `$` (one-line mode) is the end of text; Python's would also match before a final \n.
            out.append(r"\Z")
            i += 1
        elif c == ".":
            out.append(r"[^\n]")
            i += 1
        elif c == "(":
            out.append("(?:")
            i += 1
        elif c in ")|*+?":
            out.append(c)
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)
