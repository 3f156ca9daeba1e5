"""hadolint's apt and apk rules."""

from __future__ import annotations

import pytest

from tests.linter._support import lines

CASES = [
    ("DL3008", "FROM a:1\nRUN apt-get install -y curl\n", [2]),
    ("DL3008", "FROM a:1\nRUN apt-get install -y curl=7 ./x.deb foo/bookworm\n", []),
    (
        "DL3008",
        "FROM a:1\nRUN apt-get install -t bookworm-backports -y curl=7\n",
        [],
    ),  # -t's value is no package
    ("DL3008", "FROM a:1\nRUN apt-get update\nRUN echo apt-get install curl\n", []),
    ("DL3008", "FROM a:1\nRUN <<EOF\napt-get install -y curl\nEOF\n", [2]),
    ("DL3009", "FROM a:1\nRUN apt-get update && apt-get install -y x=1\n", [2]),
    ("DL3009", "FROM a:1\nRUN apt-get update && apt-get install -y x=1 && rm -rf /var/lib/apt/lists/*\n", []),
    ("DL3009", "FROM a:1\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update\n", []),
    ("DL3009", "FROM a:1 AS b\nRUN apt-get update\nFROM c:1\nCOPY --from=b /x /x\n", []),  # b is not shipped
    ("DL3009", "FROM a:1 AS b\nRUN apt-get update\nFROM b\n", [2]),
    ("DL3014", "FROM a:1\nRUN apt-get install curl=1\n", [2]),
    (
        "DL3014",
        "FROM a:1\nRUN apt-get -y install x=1\nRUN apt-get --yes install x=1\nRUN apt-get -qq install x=1\n",
        [],
    ),
    ("DL3014", "FROM a:1\nRUN apt-get -q -q install x=1\nRUN apt-get --assume-yes install x=1\n", []),
    ("DL3015", "FROM a:1\nRUN apt-get install -y x=1\n", [2]),
    ("DL3015", "FROM a:1\nRUN apt-get install -y --no-install-recommends x=1\n", []),
    ("DL3015", "FROM a:1\nRUN apt-get install -y -o APT::Install-Recommends=false x=1\n", []),
    ("DL3027", "FROM a:1\nRUN apt install x\n", [2]),
    ("DL3027", "FROM a:1\nRUN apt-get install -y x=1\n", []),
    ("DL3018", "FROM a:1\nRUN apk add curl\n", [2]),
    ("DL3018", "FROM a:1\nRUN apk add --no-cache curl=8 'b>1' c~2 ./p.apk\n", []),
    ("DL3018", "FROM a:1\nRUN apk add --virtual .deps --no-cache gcc=1\n", []),
    ("DL3019", "FROM a:1\nRUN apk add curl=8\n", [2]),
    ("DL3019", "FROM a:1\nRUN apk add --no-cache curl=8\n", []),
    ("DL3019", "FROM a:1\nRUN --mount=type=cache,target=/var/cache/apk apk add curl=8\n", []),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_where_it_fires(rule: str, text: str, expected: list[int]) -> None:
    assert lines(text, rule) == expected
