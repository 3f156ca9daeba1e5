"""Every rule: its docs example `bad` triggers it, `good` does not, and its docs page is current."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from pybuildkit.linter import LintConfig, Rule, all_rules, find_rule, lint
from pybuildkit.linter.config import config_from_mapping
from pybuildkit.linter.docs import pages
from tests.support import REPO

RULES = all_rules()


def _run(rule: Rule, example: str, tmp_path: Path) -> set[str]:
    config = LintConfig()
    ignore = None
    body = []
    for line in example.splitlines(keepends=True):
        if line.startswith("# config:"):
            config = config_from_mapping(
                yaml.safe_load("{" + line[len("# config:") :] + "}"), source="example"
            )
        elif line.startswith("# .dockerignore:"):
            ignore = line[len("# .dockerignore:") :].strip() + "\n"
        else:
            body.append(line)
    config = replace(config, enabled=frozenset(rule.names), shellcheck=False)
    text = "".join(body)
    if ignore is not None:
        (tmp_path / ".dockerignore").write_text(ignore)
        (tmp_path / "Dockerfile").write_text(text)
        found = lint(tmp_path / "Dockerfile", config=config)
    else:
        found = lint(text, config=config)
    return {f.rule for f in found}


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_bad_example_triggers(rule: Rule, tmp_path: Path) -> None:
    assert rule.id in _run(rule, rule.bad, tmp_path)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_good_example_is_clean(rule: Rule, tmp_path: Path) -> None:
    assert rule.id not in _run(rule, rule.good, tmp_path)


def test_docs_pages_are_current() -> None:
    folder = REPO / "docs" / "rules"
    for name, text in pages().items():
        path = folder / name
        assert path.is_file(), (
            f"docs/rules/{name} is missing: run python -m pybuildkit.linter.docs docs/rules"
        )
        assert path.read_text(encoding="utf-8") == text, f"docs/rules/{name} is stale: regenerate it"


def test_every_hadolint_rule_is_covered() -> None:
    shipped = ["DL1001", *(f"DL{n}" for n in range(3000, 3068) if n not in (3005, 3017, 3031, 3039))]
    shipped += ["DL4000", "DL4001", "DL4003", "DL4004", "DL4005", "DL4006"]
    missing = [code for code in shipped if find_rule(code) is None]
    assert missing == []


def test_every_buildkit_check_is_covered() -> None:
    checks = [
        "StageNameCasing",
        "FromAsCasing",
        "NoEmptyContinuation",
        "ConsistentInstructionCasing",
        "DuplicateStageName",
        "ReservedStageName",
        "JSONArgsRecommended",
        "MaintainerDeprecated",
        "UndefinedArgInFrom",
        "WorkdirRelativePath",
        "UndefinedVar",
        "MultipleInstructionsDisallowed",
        "LegacyKeyValueFormat",
        "RedundantTargetPlatform",
        "SecretsUsedInArgOrEnv",
        "InvalidDefaultArgInFrom",
        "FromPlatformFlagConstDisallowed",
        "CopyIgnoredFile",
        "ExposeProtoCasing",
        "ExposeInvalidFormat",
        "InvalidDefinitionDescription",
    ]
    assert [c for c in checks if find_rule(c) is None] == []
    experimental = find_rule("InvalidDefinitionDescription")
    assert experimental is not None and not experimental.enabled


def test_aliases_name_the_same_rule() -> None:
    for alias, rule in (
        ("DL3025", "JSONArgsRecommended"),
        ("DL4000", "MaintainerDeprecated"),
        ("DL3024", "DuplicateStageName"),
    ):
        found = find_rule(alias)
        assert found is not None and found.id == rule
