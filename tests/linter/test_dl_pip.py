"""hadolint's pip rules."""

from __future__ import annotations

import pytest

from tests.linter._support import lines

CASES = [
    ("DL3013", "FROM a:1\nRUN pip install requests\n", [2]),
    ("DL3013", "FROM a:1\nRUN pip install 'requests==2' 'b>=1' c.whl d.tar.gz ./local\n", []),
    ("DL3013", "FROM a:1\nRUN pip install -r requirements.txt\nRUN pip install .\n", []),
    ("DL3013", "FROM a:1\nRUN pip install -c constraints.txt x\n", []),
    ("DL3013", "FROM a:1\nRUN python3 -m pip install x\n", [2]),
    (
        "DL3013",
        "FROM a:1\nRUN pip install git+https://x/y@v1\nRUN pip install --index-url https://i x==1\n",
        [],
    ),
    ("DL3013", "FROM a:1\nRUN pip install git+https://x/y\n", [2]),
    ("DL3013", "FROM a:1\nRUN pipenv install x\n", []),
    ("DL3042", "FROM a:1\nRUN pip install x==1\n", [2]),
    ("DL3042", "FROM a:1\nRUN pip install --no-cache-dir x==1\n", []),
    ("DL3042", "FROM a:1\nENV PIP_NO_CACHE_DIR=1\nRUN pip install x==1\n", []),
    ("DL3042", "FROM a:1 AS b\nENV PIP_NO_CACHE_DIR=true\nFROM b\nRUN pip install x==1\n", []),
    ("DL3042", "FROM a:1\nRUN PIP_NO_CACHE_DIR=1 pip install x==1\n", []),
    ("DL3042", "FROM a:1\nRUN --mount=type=cache,target=/root/.cache/pip pip install x==1\n", []),
    ("DL3042", "FROM a:1\nRUN pipx install x\n", []),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_where_it_fires(rule: str, text: str, expected: list[int]) -> None:
    assert lines(text, rule) == expected
