"""pybuildkit: parse, lint and build Dockerfiles into OCI images, without a daemon and without root.

The public API is re-exported here lazily, so `import pybuildkit` stays light (no Lark, no zstandard)
until a function is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    "build": "pybuildkit.execute.session",
    "BuildResult": "pybuildkit.execute.result",
    "BuildWarning": "pybuildkit.execute.result",
    "parse": "pybuildkit.api",
    "parse_file": "pybuildkit.api",
    "lint": "pybuildkit.linter",
    "Finding": "pybuildkit.linter",
    "LintConfig": "pybuildkit.linter",
    "PyBuildKitError": "pybuildkit.errors",
    "DockerfileError": "pybuildkit.errors",
}

__all__ = [
    "BuildResult",
    "BuildWarning",
    "DockerfileError",
    "Finding",
    "LintConfig",
    "PyBuildKitError",
    "__version__",
    "build",
    "lint",
    "parse",
    "parse_file",
]

if TYPE_CHECKING:
    from pybuildkit.api import parse, parse_file
    from pybuildkit.errors import DockerfileError, PyBuildKitError
    from pybuildkit.execute.result import BuildResult, BuildWarning
    from pybuildkit.execute.session import build
    from pybuildkit.linter import Finding, LintConfig, lint


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pybuildkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
