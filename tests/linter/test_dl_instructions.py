"""hadolint's rules on single instructions and their order in a stage."""

from __future__ import annotations

import pytest

from tests.linter._support import enabled, lines

CASES = [
    ("DL3000", "FROM a:1\nWORKDIR app\n", [2]),
    ("DL3000", 'FROM a:1\nWORKDIR /app\nWORKDIR $HOME\nWORKDIR C:\\\\x\nWORKDIR "/q"\n', []),
    ("DL3002", "FROM a:1\nUSER root\n", [2]),
    ("DL3002", "FROM a:1\nUSER root\nUSER app\n", []),
    ("DL3002", "FROM a:1 AS x\nUSER 0:0\nFROM a:1\nUSER app\n", [2]),
    ("DL3002", "FROM a:1\nARG U=root\nUSER $U\n", [3]),  # resolved
    ("DL3011", "FROM a:1\nEXPOSE 70000\nEXPOSE 60000-70000\n", [2, 3]),
    ("DL3011", "FROM a:1\nEXPOSE 80 65535/udp 8000-8010\n", []),
    ("DL3012", 'FROM a:1\nHEALTHCHECK CMD ["a"]\nHEALTHCHECK NONE\n', [3]),
    ("DL3012", 'FROM a:1\nHEALTHCHECK CMD ["a"]\nFROM b:1\nHEALTHCHECK CMD ["b"]\n', []),
    ("DL3020", "FROM a:1\nADD x.txt /x\n", [2]),
    ("DL3020", "FROM a:1\nADD x.tar.gz /x\nADD https://e.com/f /f\n", []),
    ("DL3021", "FROM a:1\nCOPY a b /dir\n", [2]),
    ("DL3021", "FROM a:1\nCOPY a b /dir/\nCOPY a /dir\n", []),
    ("DL3043", "FROM a:1\nONBUILD FROM b\nONBUILD MAINTAINER me\n", [2, 3]),
    ("DL3043", "FROM a:1\nONBUILD RUN x\n", []),
    ("DL3044", "FROM a:1\nENV A=1 B=$A\n", [2]),
    ("DL3044", "FROM a:1\nENV A=1\nENV A=2 B=$A\n", []),
    ("DL3044", "FROM a:1\nENV A=1 B=$AB\n", []),
    ("DL3045", "FROM a:1\nCOPY x y/\n", [2]),
    ("DL3045", "FROM a:1\nWORKDIR /w\nCOPY x y/\nCOPY x /abs\n", []),
    ("DL3045", "FROM a:1 AS b\nWORKDIR /w\nFROM b\nCOPY x y\n", []),
    ("DL3064", "FROM a:1\nARG NPM_TOKEN\nENV db_password=x\nARG my_api_key\n", [2, 3, 4]),
    ("DL3064", "FROM a:1\nARG VERSION\nENV PATH=/x\n", []),
    ("DL3066", "FROM a:1\nUSER app\n", [2]),
    ("DL3066", "FROM a:1\nUSER 1000:1000\nARG U=1\nUSER ${U}\n", []),
    ("DL4000", "FROM a:1\nMAINTAINER me\n", [2]),
    ("DL4003", 'FROM a:1\nCMD ["a"]\nCMD ["b"]\nCMD ["c"]\n', [3, 4]),
    ("DL4004", 'FROM a:1\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]\n', [3]),
    ("DL3025", "FROM a:1\nCMD run me\n", [2]),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_where_it_fires(rule: str, text: str, expected: list[int]) -> None:
    assert lines(text, rule) == expected


def test_dl1001_reports_pragmas_when_enabled() -> None:
    text = "FROM a:1\n# hadolint ignore=DL3003\nRUN cd /x\n"
    assert lines(text, "DL1001") == []
    assert lines(text, "DL1001", config=enabled("DL1001")) == [2]
