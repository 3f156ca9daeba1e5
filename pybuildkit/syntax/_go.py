"""Go's text rules, as BuildKit's parser sees them: which runes are spaces, trimming, lower-casing, quoting.

BuildKit is written in Go; its parser trims with `unicode.IsSpace`, splits with `[\\t\\v\\f\\r ]+`, lower-cases
with `strings.ToLower` and dumps with `strconv.Quote`. Python's own `str.strip`/`str.lower`/`repr` differ on
a few runes (Python calls U+001C..U+001F spaces; `"İ".lower()` is two runes), so these helpers say it once.
"""

from __future__ import annotations

import re

from pybuildkit._go import GO_SPACE_SET as _GO_SPACE_SET
from pybuildkit._go import GO_SPACES as GO_SPACES
from pybuildkit._go import quote as quote  # re-exported: one implementation for syntax and shell

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
