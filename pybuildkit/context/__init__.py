"""The build context: a directory, its .dockerignore (Docker's semantics, not gitignore's), digests.

`BuildContext.open(dir, dockerfile=...)` picks the ignore file, `walk()` lists what a build would see,
`why(path)` names the deciding .dockerignore line, `ContextDigests` hashes files once (stat cache).
"""

from __future__ import annotations

from pybuildkit.context.build_context import (
    BuildContext,
    ContextEntry,
    EntryKind,
    normalize_context_path,
    select_ignore_file,
)
from pybuildkit.context.digests import ContextDigests
from pybuildkit.context.ignorefile import IgnoreLine, read_ignore_file, read_ignore_lines
from pybuildkit.context.matcher import IgnoreMatcher, IgnoreRule
from pybuildkit.context.patterns import DockerPattern

__all__ = [
    "BuildContext",
    "ContextDigests",
    "ContextEntry",
    "DockerPattern",
    "EntryKind",
    "IgnoreLine",
    "IgnoreMatcher",
    "IgnoreRule",
    "normalize_context_path",
    "read_ignore_file",
    "read_ignore_lines",
    "select_ignore_file",
]
