"""Go's text rules, as BuildKit's parser sees them: which runes are spaces, trimming, lower-casing, quoting.

BuildKit is written in Go; its parser trims with `unicode.IsSpace`, splits with `[\\t\\v\\f\\r ]+`, lower-cases
with `strings.ToLower` and dumps with `strconv.Quote`. Python's own `str.strip`/`str.lower`/`repr` differ on
a few runes (Python calls U+001C..U+001F spaces; `"İ".lower()` is two runes), so these helpers say it once.
"""

from __future__ import annotations

import re

# unicode.IsSpace: ASCII \t \n \v \f \r space, U+0085, U+00A0, and the White_Space runes above Latin-1.
GO_SPACES = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_GO_SPACE_SET = frozenset(GO_SPACES)

# BuildKit's reWhitespace: ASCII only, and no newline.
RE_WHITESPACE = re.compile(r"[\t\v\f\r ]+")


def is_space(ch: str) -> bool:
    """Go's `unicode.IsSpace` for one character."""
    return ch in _GO_SPACE_SET


def trim_space(text: str) -> str:
    """Go's `strings.TrimSpace`."""
    return text.strip(GO_SPACES)


def trim_left_space(text: str) -> str:
    """Go's `bytes.TrimLeftFunc(s, unicode.IsSpace)`."""
    return text.lstrip(GO_SPACES)


def lower(text: str) -> str:
    """Go's `strings.ToLower`: simple per-rune case mapping (no final sigma, `İ` → `i`)."""
    if text.isascii():
        return text.lower()
    out = []
    for ch in text:
        low = ch.lower()
        out.append(low if len(low) == 1 else ("i" if ch == "\u0130" else ch))
    return "".join(out)


_SIMPLE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def quote(text: str) -> str:
    """Go's `strconv.Quote`. Lone surrogates from `surrogateescape` decoding stand for invalid bytes (`\\xNN`)."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")  # Go strings never hold surrogates: it would be U+FFFD
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)
