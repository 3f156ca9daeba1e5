"""Lint configuration: ours (`[tool.pybuildkit.lint]` in pyproject.toml, or `.pybuildkit.toml`) and
hadolint's `.hadolint.yaml`, read as it is so an existing repository lints the same on day one.

Keys (ours, TOML) — hadolint's YAML spelling in brackets where it differs:
  ignored = ["DL3008", "UndefinedVar"]      rules never reported (either ID scheme)
  enabled = ["InvalidDefinitionDescription"] rules that are off by default, switched on
  [override] error/warning/info/style = [...]  severity overrides
  trusted-registries = ["docker.io"]         [trustedRegistries] DL3026
  label-schema = {author = "text"}           DL3049..DL3058
  strict-labels = false                      DL3050
  failure-threshold = "info"                 exit 1 when a finding reaches it ("none": never)
  no-fail = false
  disable-ignore-pragma = false              `# hadolint ignore=` comments are not honoured
  shellcheck = true                          run shellcheck on RUN bodies when installed
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pybuildkit.errors import PyBuildKitError
from pybuildkit.linter.model import Severity

LABEL_TYPES = frozenset({"text", "url", "spdx", "rfc3339", "semver", "hash", "email"})


class LintConfigError(PyBuildKitError):
    """A lint configuration file is unreadable or holds a value of the wrong type."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LintConfig:
    ignored: frozenset[str] = frozenset()
    enabled: frozenset[str] = frozenset()
    overrides: tuple[tuple[str, Severity], ...] = ()
    trusted_registries: tuple[str, ...] = ()
    label_schema: tuple[tuple[str, str], ...] = ()
    strict_labels: bool = False
    failure_threshold: Severity | None = Severity.INFO  # None: "none", never fail
    no_fail: bool = False
    disable_ignore_pragma: bool = False
    shellcheck: bool = True
    source: str | None = None  # the file it came from, for messages

    def severity_for(self, names: Sequence[str], default: Severity) -> Severity:
        for rule, severity in self.overrides:
            if rule in names:
                return severity
        return default


def parse_severity(value: object, *, where: str, allow_none: bool = False) -> Severity | None:
    text = str(value).strip().lower()
    if allow_none and text in ("none", "ignore"):
        return None
    try:
        return Severity(text)
    except ValueError:
        choices = "error, warning, info, style" + (", none" if allow_none else "")
        raise LintConfigError(f"{where}: unknown severity {value!r}", hint=f"use one of {choices}") from None


def _strings(value: object, *, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value)
    raise LintConfigError(f"{where}: expected a list of strings, got {value!r}")


def _bool(value: object, *, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
        return value.lower() in ("1", "true", "yes")
    raise LintConfigError(f"{where}: expected true or false, got {value!r}")


def config_from_mapping(data: Mapping[str, Any], *, source: str) -> LintConfig:
    """Build a config from a mapping in either spelling (ours or hadolint's)."""
    known = {
        "ignored",
        "enabled",
        "override",
        "trusted-registries",
        "trustedRegistries",
        "label-schema",
        "strict-labels",
        "failure-threshold",
        "no-fail",
        "disable-ignore-pragma",
        "shellcheck",
        "format",
        "no-color",
        "verbose",
    }
    unknown = sorted(k for k in data if k not in known)
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(sorted(known))}"
        raise LintConfigError(f"{source}: unknown lint option {unknown[0]!r}", hint=hint)
    overrides: list[tuple[str, Severity]] = []
    override = data.get("override") or {}
    if not isinstance(override, Mapping):
        raise LintConfigError(f"{source}: override must be a table of severity -> rules")
    for level, rules in override.items():
        severity = parse_severity(level, where=f"{source}: override")
        assert severity is not None
        overrides.extend((rule, severity) for rule in _strings(rules, where=f"{source}: override.{level}"))
    schema = data.get("label-schema") or {}
    if not isinstance(schema, Mapping):
        raise LintConfigError(f"{source}: label-schema must map label names to types")
    for name, kind in schema.items():
        if str(kind) not in LABEL_TYPES:
            raise LintConfigError(
                f"{source}: label-schema.{name}: unknown type {kind!r}",
                hint=f"use one of {', '.join(sorted(LABEL_TYPES))}",
            )
    registries = data.get("trusted-registries", data.get("trustedRegistries"))
    threshold: Severity | None = Severity.INFO
    if "failure-threshold" in data:
        threshold = parse_severity(
            data["failure-threshold"], where=f"{source}: failure-threshold", allow_none=True
        )
    return LintConfig(
        ignored=frozenset(_strings(data.get("ignored"), where=f"{source}: ignored")),
        enabled=frozenset(_strings(data.get("enabled"), where=f"{source}: enabled")),
        overrides=tuple(overrides),
        trusted_registries=_strings(registries, where=f"{source}: trustedRegistries"),
        label_schema=tuple((str(k), str(v)) for k, v in schema.items()),
        strict_labels=_bool(data.get("strict-labels", False), where=f"{source}: strict-labels"),
        failure_threshold=threshold,
        no_fail=_bool(data.get("no-fail", False), where=f"{source}: no-fail"),
        disable_ignore_pragma=_bool(
            data.get("disable-ignore-pragma", False), where=f"{source}: disable-ignore-pragma"
        ),
        shellcheck=_bool(data.get("shellcheck", True), where=f"{source}: shellcheck"),
        source=source,
    )


def load_config_file(path: Path) -> LintConfig:
    """Read one config file: `.hadolint.yaml`/`.yml`, `pyproject.toml` or `.pybuildkit.toml`."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LintConfigError(f"cannot read lint config {path}: {error.strerror}") from None
    name = str(path)
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(raw.decode("utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise LintConfigError(f"{name}: not valid YAML: {error}") from None
    else:
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise LintConfigError(f"{name}: not valid TOML: {error}") from None
        if path.name == "pyproject.toml":
            data = data.get("tool", {}).get("pybuildkit", {}).get("lint", {})
        else:
            data = data.get("lint", data)
    if not isinstance(data, Mapping):
        raise LintConfigError(f"{name}: expected a mapping of lint options")
    return config_from_mapping(data, source=name)


def find_config(start: Path) -> LintConfig:
    """The first config found walking up from `start`: `.pybuildkit.toml`, `pyproject.toml` with a
    `[tool.pybuildkit.lint]` table, then `.hadolint.yaml`/`.hadolint.yml` (hadolint reads it from $PWD)."""
    directory = start.resolve()
    for folder in (directory, *directory.parents):
        candidate = folder / ".pybuildkit.toml"
        if candidate.is_file():
            return load_config_file(candidate)
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                data = {}
            if "lint" in data.get("tool", {}).get("pybuildkit", {}):
                return load_config_file(candidate)
        for name in (".hadolint.yaml", ".hadolint.yml"):
            candidate = folder / name
            if candidate.is_file():
                return load_config_file(candidate)
        if (folder / ".git").exists():
            break
    return LintConfig()
