"""Go `time.ParseDuration`, for HEALTHCHECK's `--interval` and friends, in integer nanoseconds.

`1h30m`, `1.5s`, `300ms`, `0`; units ns, us (µs/μs), ms, s, m, h. Error texts are Go's, since BuildKit
passes them through unchanged.
"""

from __future__ import annotations

from fractions import Fraction

from pybuildkit.errors import InstructionError

NANOSECOND = 1
MICROSECOND = 1000
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

_UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "\u00b5s": MICROSECOND,  # micro sign
    "\u03bcs": MICROSECOND,  # Greek mu
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
_MAX = (1 << 63) - 1


_HINT = "write a duration as a number and a unit (ns, us, ms, s, m, h), e.g. 30s, 1m30s or 500ms"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_duration(text: str) -> int:
    """Nanoseconds for a Go duration string; raises InstructionError with Go's message."""
    original = text
    invalid = InstructionError(f"time: invalid duration {_quote(original)}", hint=_HINT)
    negative = False
    if text and text[0] in "+-":
        negative = text[0] == "-"
        text = text[1:]
    if text == "0":
        return 0
    if text == "":
        raise invalid
    total = Fraction(0)
    while text:
        if not (text[0].isascii() and (text[0].isdigit() or text[0] == ".")):
            raise invalid
        i = 0
        while i < len(text) and text[i].isascii() and text[i].isdigit():
            i += 1
        whole = text[:i]
        frac = ""
        if i < len(text) and text[i] == ".":
            j = i + 1
            while j < len(text) and text[j].isascii() and text[j].isdigit():
                j += 1
            frac = text[i + 1 : j]
            i = j
        if whole == "" and frac == "":
            raise invalid
        k = i
        while k < len(text) and not (text[k] == "." or (text[k].isascii() and text[k].isdigit())):
            k += 1
        unit = text[i:k]
        if unit == "":
            raise InstructionError(f"time: missing unit in duration {_quote(original)}", hint=_HINT)
        if unit not in _UNITS:
            raise InstructionError(
                f"time: unknown unit {_quote(unit)} in duration {_quote(original)}", hint=_HINT
            )
        value = Fraction(int(whole or "0"))
        if frac:
            value += Fraction(int(frac), 10 ** len(frac))
        total += value * _UNITS[unit]
        if total > _MAX + (1 if negative else 0):
            raise invalid
        text = text[k:]
    nanos = int(total)  # Go truncates the fractional nanoseconds
    return -nanos if negative else nanos


def format_duration(nanos: int) -> str:
    """Go's `Duration.String()` for the common cases (`1m30s`, `500ms`, `0s`)."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    n = abs(nanos)
    if n < SECOND:
        for unit, size in (("ms", MILLISECOND), ("µs", MICROSECOND), ("ns", NANOSECOND)):
            if n >= size:
                return sign + _trim(Fraction(n, size)) + unit
    hours, rest = divmod(n, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    out = sign
    if hours:
        out += f"{hours}h"
    if hours or minutes:
        out += f"{minutes}m"
    return out + _trim(Fraction(rest, SECOND)) + "s"


def _trim(value: Fraction) -> str:
    whole = int(value)
    frac = value - whole
    if frac == 0:
        return str(whole)
    digits = f"{float(frac):.9f}"[2:].rstrip("0")
    return f"{whole}.{digits}"
