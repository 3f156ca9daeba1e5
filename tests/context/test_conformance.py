"""Every dockerignore vector of ../shared/conformance/dockerignore, one test per row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pybuildkit.context import BuildContext, IgnoreMatcher, read_ignore_file
from pybuildkit.context.patterns import split_pattern
from pybuildkit.errors import ContextError
from tests.support import conformance_dir

_ROOT = conformance_dir()
_DIR = None if _ROOT is None else _ROOT / "dockerignore"


def _rows(name: str) -> list[Any]:
    if _DIR is None or not (_DIR / name).is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason="conformance data is not present"))]
    rows = json.loads((_DIR / name).read_text(encoding="utf-8"))
    return [pytest.param(row, id=f"{index:03d}-{_label(row)}") for index, row in enumerate(rows)]


def _label(row: dict[str, Any]) -> str:
    if "path" in row:
        return f"{'|'.join(row['patterns'])}@{row['path']}"
    if "file_text" in row:
        return (row.get("note") or "reader")[:40]
    if "tree" in row:
        return str(row["source"]).rsplit(" ", 1)[-1]
    return "|".join(str(pattern) for pattern in row["patterns"])


def _check_match(row: dict[str, Any]) -> None:
    if row.get("error"):
        with pytest.raises(ContextError):
            IgnoreMatcher.from_patterns(row["patterns"]).excluded(row["path"])
        return
    matcher = IgnoreMatcher.from_patterns(row["patterns"])
    assert matcher.excluded(row["path"]) is row["excluded"]


@pytest.mark.parametrize("row", _rows("cases.json"))
def test_cases(row: dict[str, Any]) -> None:
    _check_match(row)


@pytest.mark.parametrize("row", _rows("cases_oracle.json"))
def test_cases_oracle(row: dict[str, Any]) -> None:
    _check_match(row)


@pytest.mark.parametrize("row", _rows("ignorefile.json"))
def test_ignorefile(row: dict[str, Any]) -> None:
    assert list(read_ignore_file(row["file_text"])) == row["patterns"]


@pytest.mark.parametrize("row", _rows("matcher_new.json"))
def test_matcher_new(row: dict[str, Any]) -> None:
    if row["error"]:
        with pytest.raises(ValueError):
            [split_pattern(pattern) for pattern in row["patterns"]]
        with pytest.raises(ContextError):
            IgnoreMatcher.from_patterns(row["patterns"])
        return
    split = [item for item in (split_pattern(pattern) for pattern in row["patterns"]) if item is not None]
    assert [("!" if exclusion else "") + cleaned for cleaned, exclusion in split] == row["cleaned"]
    assert any(exclusion for _, exclusion in split) is row["exclusions"]
    if "only when matching" in row.get("asserted", ""):
        # patternmatcher compiles lazily and fails on first use; we fail when the matcher is built.
        with pytest.raises(ContextError):
            IgnoreMatcher.from_patterns(row["patterns"])
    else:
        matcher = IgnoreMatcher.from_patterns(row["patterns"])
        assert matcher.has_exceptions is row["exclusions"]
        assert [("!" if rule.exclusion else "") + rule.cleaned for rule in matcher.rules] == row["cleaned"]


def _make_tree(root: Path, tree: list[str]) -> None:
    for item in tree:
        kind, path = item.split(" ", 1)
        target = root / path
        if kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path)


@pytest.mark.parametrize("row", _rows("context_walk.json"))
def test_context_walk(row: dict[str, Any], tmp_path: Path) -> None:
    _make_tree(tmp_path, row["tree"])
    if "dockerignore_text" in row:
        (tmp_path / ".dockerignore").write_text(row["dockerignore_text"])
        context = BuildContext.open(tmp_path)
        assert [rule.pattern for rule in context.matcher.rules] == row["exclude_patterns"]
    else:
        context = BuildContext(root=tmp_path, matcher=IgnoreMatcher.from_patterns(row["exclude_patterns"]))
    seen = [f"{entry.kind.value} {entry.path}" for entry in context.walk()]
    if "expected" in row:
        assert seen == row["expected"]
    for path, present in row.get("expected_open", {}).items():
        assert (f"file {path}" in seen) is present
        assert (context.entry(path) is not None) is present
