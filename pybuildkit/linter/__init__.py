"""`pybuildkit lint`: BuildKit's build checks and hadolint's rules in one static, ARG-aware linter.

    syntax -> analysis (stages, ARG/ENV scope, RUN commands) -> rules -> suppression -> formatters

Public: `lint()` (exported as `pybuildkit.lint`), `lint_report()`, `lint_files()`, `Finding`, `Rule`,
`Severity`, `LintConfig`, `all_rules()`, `find_rule()`.
"""

from __future__ import annotations

from pybuildkit.linter.config import LintConfig, LintConfigError, find_config, load_config_file
from pybuildkit.linter.engine import Source, lint, lint_files, lint_report, make_source
from pybuildkit.linter.model import Finding, LintReport, Notice, Rule, Severity
from pybuildkit.linter.registry import all_rules, find_rule

__all__ = [
    "Finding",
    "LintConfig",
    "LintConfigError",
    "LintReport",
    "Notice",
    "Rule",
    "Severity",
    "Source",
    "all_rules",
    "find_config",
    "find_rule",
    "lint",
    "lint_files",
    "lint_report",
    "load_config_file",
    "make_source",
]
