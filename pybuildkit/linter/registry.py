"""The rule table. Rule modules register with `@rule(...)`; `all_rules()` imports them once, in the
fixed order of `pybuildkit.linter.rules.MODULES`, so rules run (and docs list them) deterministically."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from pybuildkit.linter.model import CheckFunction, Rule, Severity

_TABLE: dict[str, Rule] = {}
_BY_NAME: dict[str, Rule] = {}
_LOADED: list[bool] = []


def rule(
    *,
    id: str,
    severity: Severity,
    summary: str,
    bad: str,
    good: str,
    aliases: tuple[str, ...] = (),
    origin: str = "hadolint",
    enabled: bool = True,
    fixable: bool = False,
    needs: str = "",
) -> Callable[[CheckFunction], CheckFunction]:
    def register(check: CheckFunction) -> CheckFunction:
        if id in _TABLE:
            raise RuntimeError(f"lint rule {id} registered twice")
        entry = Rule(
            id=id,
            aliases=aliases,
            severity=severity,
            summary=summary,
            origin=origin,
            check=check,
            bad=bad,
            good=good,
            enabled=enabled,
            fixable=fixable,
            needs=needs,
        )
        _TABLE[id] = entry
        for name in entry.names:
            _BY_NAME[name.lower()] = entry
        return check

    return register


def all_rules() -> tuple[Rule, ...]:
    if not _LOADED:
        from pybuildkit.linter.rules import MODULES

        for module in MODULES:
            importlib.import_module(f"pybuildkit.linter.rules.{module}")
        _LOADED.append(True)
    return tuple(_TABLE.values())


def find_rule(name: str) -> Rule | None:
    """A rule by either of its IDs (case-insensitive)."""
    all_rules()
    return _BY_NAME.get(name.lower())
