"""The package layout is the data flow: a package never imports one that comes later."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pybuildkit

PACKAGE = Path(pybuildkit.__file__).parent

# Each package may import only itself and those listed (transitively earlier in the flow).
ALLOWED: dict[str, set[str]] = {
    "_go": set(),  # Go's string rules (spaces, %q): below everything, so every package may import it
    "source": set(),
    "errors": {"source"},
    "shell": {"errors", "source"},
    "syntax": {"errors", "source"},
    "instructions": {"errors", "source", "syntax", "shell"},
    "image": {"errors", "source"},
    "plan": {"errors", "source", "syntax", "shell", "instructions", "image"},
    "context": {"errors", "source"},
    "layers": {"errors", "source", "image"},
    "store": {"errors", "source", "image", "layers"},
    "output": {"errors", "source", "image", "layers", "store"},
    "registry": {"errors", "source", "image", "layers", "store"},
    "linter": {"errors", "source", "syntax", "shell", "instructions", "plan", "context", "image"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "pybuildkit" and len(parts) > 1:
                found.add(parts[1])
    return found


def _files(part: str) -> list[Path]:
    target = PACKAGE / part
    if target.is_dir():
        return sorted(target.rglob("*.py"))
    file = PACKAGE / f"{part}.py"
    return [file] if file.exists() else []


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_package_imports_only_earlier_layers(part: str) -> None:
    allowed = ALLOWED[part] | {part, "_go"}  # `_go` imports nothing, so it is earlier than every package
    for file in _files(part):
        bad = _imports(file) - allowed
        assert not bad, f"{file.relative_to(PACKAGE)} imports {sorted(bad)}, which come later than {part}"


def test_public_api_is_explicit() -> None:
    for name in pybuildkit.__all__:
        assert getattr(pybuildkit, name) is not None
    assert sorted(set(pybuildkit.__all__)) == sorted(pybuildkit.__all__)
    assert set(pybuildkit.__all__) - {"__version__"} == set(pybuildkit._EXPORTS)


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, pybuildkit, pybuildkit.cli; print(' '.join(sorted(m for m in sys.modules)))"
    modules = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    heavy = {"lark", "zstandard", "isal", "pathspec", "tarfile"} & set(modules)
    assert not heavy, f"import pybuildkit loads {sorted(heavy)}"


def test_lint_cli_offers_every_formatter() -> None:
    from pybuildkit.cli import lint as lint_cli
    from pybuildkit.linter.formatters import FORMATS

    assert lint_cli.FORMATS == FORMATS
