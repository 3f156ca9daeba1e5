"""`COPY/ADD --chmod`: octal or symbolic modes, checked with BuildKit's rules and messages.

One parser serves the build (which applies the mode) and the linter (which only checks it), so both accept
and reject the same values.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable

from pybuildkit.errors import InstructionError

ChmodFunction = Callable[[int, bool], int]

_OCTAL = re.compile(r"[0-7]+")
_SYMBOLIC = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*|[ugo])$")
_HINT = "use octal (0755) or symbolic modes as chmod(1) takes them (u+x,go-w or a=rX)"


def parse_chmod(text: str) -> ChmodFunction:
    """`--chmod` → a function (mode, is_dir) → mode.

    As BuildKit's convert_copy.go: an octal number (Go's ParseUint base 8, so `00755` too) up to 07777,
    else a symbolic mode; a value that starts with a digit but is not valid octal is reported as octal.
    """
    if _OCTAL.fullmatch(text):
        value = int(text, 8)
        if value > 0o7777:
            raise _non_octal(text)
        return lambda _mode, _is_dir: value
    if text[:1].isdigit():
        raise _non_octal(text)
    clauses = []
    for clause in text.split(","):
        match = _SYMBOLIC.match(clause)
        if match is None:
            raise InstructionError("invalid syntax", hint=_HINT)
        clauses.append(match.groups())

    def apply(mode: int, is_dir: bool) -> int:
        for who, op, perms in clauses:
            who = who or "a"
            if "a" in who:
                who = "ugo"
            bits = 0
            if perms in ("u", "g", "o"):
                shift = {"u": 6, "g": 3, "o": 0}[perms]
                granted = (mode >> shift) & 7
                for w in who:
                    bits |= granted << {"u": 6, "g": 3, "o": 0}[w]
            else:
                for w in who:
                    shift = {"u": 6, "g": 3, "o": 0}[w]
                    for p in perms:
                        if p == "r":
                            bits |= 4 << shift
                        elif p == "w":
                            bits |= 2 << shift
                        elif p == "x" or (p == "X" and (is_dir or mode & 0o111)):
                            bits |= 1 << shift
                        elif p == "s" and w in "ug":
                            bits |= stat.S_ISUID if w == "u" else stat.S_ISGID
                        elif p == "t" and w == "o":
                            bits |= stat.S_ISVTX
            if op == "+":
                mode |= bits
            elif op == "-":
                mode &= ~bits
            else:
                mask = 0
                for w in who:
                    mask |= 7 << {"u": 6, "g": 3, "o": 0}[w]
                mode = (mode & ~mask) | bits
        return mode & 0o7777

    return apply


def _non_octal(text: str) -> InstructionError:
    return InstructionError(
        f"invalid chmod parameter: '{text}'. it should be octal string and between 0 and 07777", hint=_HINT
    )
