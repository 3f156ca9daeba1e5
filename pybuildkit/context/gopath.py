"""Go's `path/filepath` and `strings` helpers that .dockerignore handling depends on, ported exactly.

BuildKit reads .dockerignore with Go's standard library, so its corner cases are Go's: `filepath.Clean`
turns `//foo` into `/foo` (Python's `posixpath.normpath` keeps a leading `//`), `filepath.Dir` cleans its
result, and `strings.TrimSpace` trims Unicode `White_Space` only (Python's `str.strip()` also trims the
ASCII separators U+001C..U+001F). Unix separators only: BuildKit on Windows is out of scope.
"""

from __future__ import annotations

from pybuildkit._go import GO_SPACES


def go_trim_space(text: str) -> str:
    """`strings.TrimSpace`: strip leading and trailing Unicode white space, as Go defines it."""
    return text.strip(GO_SPACES)


def go_clean(path: str) -> str:
    """`filepath.Clean` on a slash-separated path: the shortest equivalent path, lexically.

    Runs of `/` become one, `.` elements go, `..` removes the element before it (or is dropped at the root of
    a rooted path, or kept at the start of a relative one), a trailing `/` goes; the empty path is `.`.
    """
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for element in path.split("/"):
        if element in ("", "."):
            continue
        if element == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(element)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def go_dir(path: str) -> str:
    """`filepath.Dir`: everything before the last `/`, cleaned (`.` when there is no `/`)."""
    return go_clean(path[: path.rfind("/") + 1])
