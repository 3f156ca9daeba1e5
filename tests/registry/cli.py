"""Run the CLI in-process with the registry commands registered (whatever COMMANDS says yet)."""

from __future__ import annotations

import pytest

from pybuildkit import cli

REGISTRY_COMMANDS = ("login", "logout", "pull", "push")


def run_cli(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    missing = tuple(name for name in REGISTRY_COMMANDS if name not in cli.COMMANDS)
    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, *missing))
    return cli.main(list(argv))
