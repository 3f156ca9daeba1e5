"""Properties tying the matcher's three code paths together: `why` (pathspec per candidate), the walk's
incremental `step`, and the walk's skipping of excluded directories."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pybuildkit.context import BuildContext, EntryKind, IgnoreMatcher

_PIECES = ["a", "b", "ab", "*", "**", "a*", "?", "[ab]", "b?"]
_NAMES = ["a", "b", "ab", "ba"]

patterns = st.lists(
    st.tuples(st.booleans(), st.lists(st.sampled_from(_PIECES), min_size=1, max_size=3)).map(
        lambda item: ("!" if item[0] else "") + "/".join(item[1])
    ),
    max_size=5,
)
paths = st.lists(st.sampled_from(_NAMES), min_size=1, max_size=4).map("/".join)


@settings(max_examples=200, deadline=None)
@given(patterns, paths)
def test_step_agrees_with_why(pattern_list: list[str], path: str) -> None:
    matcher = IgnoreMatcher.from_patterns(pattern_list)
    state = -1
    prefix = ""
    for part in path.split("/"):
        prefix = f"{prefix}/{part}" if prefix else part
        state = matcher.step(prefix, state)
    assert matcher.decide(state) == matcher.why(path)


# Exclusions first, exceptions after: the lists that make the walk descend into excluded directories.
layered = st.tuples(patterns, patterns).map(
    lambda pair: [p.lstrip("!") for p in pair[0]] + ["!" + p.lstrip("!") for p in pair[1]]
)


@settings(max_examples=60, deadline=None)
@given(st.one_of(patterns, layered), st.lists(paths, min_size=1, max_size=8))
@example(["a", "![ab]/a"], ["a/a"])
@example(["a", "!**/b"], ["a/ba/b", "a/b"])
@example(["*", "!a", "a/b"], ["a/b/a", "a/ab"])
def test_walk_sends_exactly_the_included_paths(pattern_list: list[str], files: list[str]) -> None:
    matcher = IgnoreMatcher.from_patterns(pattern_list)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        made_files: set[str] = set()
        for file in files:
            parts = file.split("/")
            # a name cannot be both a file and a directory: skip clashing entries
            if any("/".join(parts[:i]) in made_files for i in range(1, len(parts) + 1)):
                continue
            if (root / file).is_dir():
                continue
            (root / file).parent.mkdir(parents=True, exist_ok=True)
            (root / file).write_text(file)
            made_files.add(file)
        sent = {entry.path: entry.kind for entry in BuildContext(root=root, matcher=matcher).walk()}
        expected_files = {f for f in made_files if not matcher.excluded(f)}
        assert {p for p, kind in sent.items() if kind is EntryKind.FILE} == expected_files
        all_dirs = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}
        # fsutil's rule: a directory is sent when it is not excluded or when something below it is sent
        sent_dirs = {d for d in all_dirs if not matcher.excluded(d)}
        below = expected_files | sent_dirs
        sent_dirs |= {a for entry in below for a in _ancestors(entry)}
        assert {p for p, kind in sent.items() if kind is EntryKind.DIR} == sent_dirs


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
