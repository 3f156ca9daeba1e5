"""`key=value,key=value` option strings, as `--output` and `--cache-to`/`--cache-from` take them.

Both flags describe where an image goes (output, registry), and both of those layers build on `image`, so
the one splitter lives here. Each flag keeps its own error class; the message names the flag.
"""

from __future__ import annotations

from pybuildkit.errors import PyBuildKitError


def parse_fields(text: str, *, flag: str, error: type[PyBuildKitError]) -> dict[str, str]:
    """Split `text` at commas into `key=value` fields (blanks around keys and values dropped; the last of a
    repeated key wins). A field without `=` raises `error`, naming `flag` (e.g. `--output`)."""
    fields: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise error(f"bad {flag} field {part!r}", hint="write key=value pairs separated by commas")
        fields[key.strip()] = value.strip()
    return fields
