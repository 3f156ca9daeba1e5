"""Where the syntax tests find their Dockerfiles (conformance data and fixtures), computed at import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import REPO, conformance_dir

CONFORMANCE = conformance_dir()
FIXTURES = REPO / "fixtures"


def read_text(path: Path) -> str:
    """A Dockerfile's exact text (bytes that are not UTF-8 kept as surrogate escapes)."""
    return path.read_bytes().decode("utf-8", "surrogateescape")


def conformance_json(name: str) -> dict[str, Any]:
    assert CONFORMANCE is not None
    data: dict[str, Any] = json.loads((CONFORMANCE / "parser-unit" / name).read_text(encoding="utf-8"))
    return data


def parser_cases() -> list[Path]:
    if CONFORMANCE is None:
        return []
    return sorted(p for p in (CONFORMANCE / "parser").iterdir() if p.is_dir())


def all_dockerfiles() -> list[Path]:
    """Every Dockerfile the tests hold: conformance data and the repository's fixtures and examples."""
    found: set[Path] = set()
    roots = [FIXTURES, REPO / "examples"]
    if CONFORMANCE is not None:
        roots.append(CONFORMANCE)
    for root in roots:
        if root.is_dir():
            found.update(p for p in root.rglob("*Dockerfile*") if p.is_file())
    return sorted(found)


def case_id(path: Path) -> str:
    for root in (CONFORMANCE, FIXTURES, REPO):
        if root is not None and path.is_relative_to(root):
            return str(path.relative_to(root))
    return str(path)
