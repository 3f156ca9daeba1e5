"""Go's string rules BuildKit's output depends on: which runes are spaces, and how `%q` quotes a string.

BuildKit is written in Go, so its parser trims and splits with `unicode.IsSpace` and its messages quote with
`strconv.Quote`. Python's `str.isspace` and `repr` differ on a few runes; both `syntax` and `shell` need Go's
rule, and neither may import the other, so the one implementation lives here, below every package.
"""

from __future__ import annotations

# unicode.IsSpace: ASCII \t \n \v \f \r space, U+0085, U+00A0, and the White_Space runes above Latin-1.
GO_SPACES = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
GO_SPACE_SET = frozenset(GO_SPACES)

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
