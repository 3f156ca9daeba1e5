"""Digests (`sha256:<hex>`) and canonical JSON, the two things every content address is made of."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Final

from pybuildkit.errors import StoreError

_DIGEST: Final = re.compile(r"^(?P<algorithm>[a-z0-9]+(?:[.+_-][a-z0-9]+)*):(?P<encoded>[a-zA-Z0-9=_-]+)$")
_SHA256_HEX: Final = re.compile(r"^[a-f0-9]{64}$")


class InvalidDigestError(StoreError):
    """A string that should be a digest is not one (`sha256:` and 64 lowercase hex digits)."""


def sha256_digest(data: bytes | bytearray | memoryview) -> str:
    """The `sha256:<hex>` digest of some bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def is_digest(text: str) -> bool:
    """True when `text` is a well-formed sha256 digest (the only algorithm this store writes)."""
    match = _DIGEST.match(text)
    return bool(match and match["algorithm"] == "sha256" and _SHA256_HEX.match(match["encoded"]))


def check_digest(text: str) -> str:
    """Return `text` when it is a well-formed sha256 digest, else raise (it becomes a file name: be strict)."""
    if not is_digest(text):
        raise InvalidDigestError(
            f"invalid digest {text!r}", hint="a digest is 'sha256:' followed by 64 lowercase hex digits"
        )
    return text


def digest_hex(digest: str) -> str:
    """The hex part of a sha256 digest (checked first)."""
    return check_digest(digest).split(":", 1)[1]


def canonical_json(value: Any) -> bytes:
    """JSON bytes that are the same for the same value: sorted keys, no spaces, UTF-8.

    Like Go's encoding/json (which BuildKit uses), `<`, `>`, `&`, U+2028 and U+2029 are escaped, so a
    config carrying a shell command with `&&` serialises as Docker's tools would write it.
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    # These characters can only occur inside JSON strings, so a plain replace is exact.
    for char, escaped in _GO_ESCAPES:
        text = text.replace(char, escaped)
    return text.encode("utf-8")


_GO_ESCAPES: Final = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
