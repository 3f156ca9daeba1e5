"""hadolint's label rules; DL3049-DL3058 read the configured label schema."""

from __future__ import annotations

import pytest

from pybuildkit.linter import LintConfig
from tests.linter._support import lines

SCHEMA = LintConfig(
    shellcheck=False,
    label_schema=(
        ("author", "text"),
        ("docs", "url"),
        ("created", "rfc3339"),
        ("license", "spdx"),
        ("rev", "hash"),
        ("version", "semver"),
        ("email", "email"),
    ),
)
STRICT = LintConfig(shellcheck=False, label_schema=(("author", "text"),), strict_labels=True)

CASES = [
    ("DL3048", 'FROM a:1\nLABEL Maintainer="x"\n', [2], None),
    ("DL3048", "FROM a:1\nLABEL com.docker.x=1\nLABEL a..b=1\nLABEL e-=1\n", [2, 3, 4], None),
    ("DL3048", "FROM a:1\nLABEL org.opencontainers.image.title=x a_b=1 c-d/e=2\n", [], None),
    ("DL3049", "FROM a:1\nLABEL author=me\n", [1] * 6, SCHEMA),  # one finding per missing label
    ("DL3049", "FROM a:1\n", [], None),
    ("DL3050", "FROM a:1\nLABEL author=me other=x\n", [2], STRICT),
    ("DL3050", "FROM a:1\nLABEL author=me\n", [], STRICT),
    ("DL3051", 'FROM a:1\nLABEL author=""\n', [2], SCHEMA),
    ("DL3051", "FROM a:1\nLABEL author=me\n", [], SCHEMA),
    ("DL3052", 'FROM a:1\nLABEL docs="not a url"\n', [2], SCHEMA),
    ("DL3052", "FROM a:1\nLABEL docs=https://example.com/x\n", [], SCHEMA),
    ("DL3053", "FROM a:1\nLABEL created=yesterday\n", [2], SCHEMA),
    ("DL3053", "FROM a:1\nLABEL created=2024-11-28T09:30:00Z\n", [], SCHEMA),
    ("DL3054", 'FROM a:1\nLABEL license="MIT License"\n', [2], SCHEMA),
    ("DL3054", "FROM a:1\nLABEL license=Apache-2.0\n", [], SCHEMA),
    ("DL3055", "FROM a:1\nLABEL rev=main\n", [2], SCHEMA),
    ("DL3055", "FROM a:1\nLABEL rev=01b3577\n", [], SCHEMA),
    ("DL3056", "FROM a:1\nLABEL version=v1\n", [2], SCHEMA),
    ("DL3056", "FROM a:1\nLABEL version=1.2.3-rc.1+b5\n", [], SCHEMA),
    ("DL3058", "FROM a:1\nLABEL email=nobody\n", [2], SCHEMA),
    ("DL3058", "FROM a:1\nLABEL email=jane@example.com\n", [], SCHEMA),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected", "config"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_where_it_fires(rule: str, text: str, expected: list[int], config: LintConfig | None) -> None:
    assert lines(text, rule, config=config) == expected
