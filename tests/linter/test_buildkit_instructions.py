"""BuildKit checks on single instructions (casing, JSON form, MAINTAINER, WORKDIR, repeated
CMD/ENTRYPOINT/HEALTHCHECK, legacy key/value, secrets, EXPOSE), with BuildKit's messages."""

from __future__ import annotations

import pytest

from tests.linter._support import lines, messages

CASES = [
    ("ConsistentInstructionCasing", "FROM a\nrun x\nRUN y\n", [2]),
    ("ConsistentInstructionCasing", "from a\nrun x\nRUN y\n", [3]),
    ("ConsistentInstructionCasing", "FROM a\nRun x\n", [2]),
    ("ConsistentInstructionCasing", "arg X\nFROM a\nRUN x\n", []),  # global ARGs are not counted nor checked
    ("ConsistentInstructionCasing", "from a\nrun x\n", []),
    ("JSONArgsRecommended", "FROM a\nCMD echo hi\nENTRYPOINT run me\n", [2, 3]),
    ("JSONArgsRecommended", 'FROM a\nCMD ["echo", "hi"]\n', []),
    ("JSONArgsRecommended", 'FROM a\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\n', []),
    ("JSONArgsRecommended", 'FROM a AS b\nSHELL ["/bin/bash", "-c"]\nFROM b\nCMD echo hi\n', []),
    ("JSONArgsRecommended", "FROM a\nHEALTHCHECK CMD curl -f localhost\n", [2]),  # hadolint's DL3025 side
    ("MaintainerDeprecated", "FROM a\nMAINTAINER me\n", [2]),
    ("WorkdirRelativePath", "FROM a\nWORKDIR app\nWORKDIR more\n", [2]),
    ("WorkdirRelativePath", "FROM a\nWORKDIR /app\nWORKDIR more\n", []),
    ("WorkdirRelativePath", "FROM a AS b\nWORKDIR /app\nFROM b\nWORKDIR rel\n", []),
    ("WorkdirRelativePath", "FROM a\nARG D=/abs\nWORKDIR $D\n", []),
    ("MultipleInstructionsDisallowed", 'FROM a\nCMD ["a"]\nRUN x\nCMD ["b"]\n', [2]),
    (
        "MultipleInstructionsDisallowed",
        'FROM a\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]\nENTRYPOINT ["c"]\n',
        [2, 3],
    ),
    ("MultipleInstructionsDisallowed", 'FROM a AS b\nCMD ["a"]\nFROM b\nCMD ["b"]\n', []),
    ("LegacyKeyValueFormat", "FROM a\nENV A b\nLABEL c d\n", [2, 3]),
    ("LegacyKeyValueFormat", "FROM a\nENV A=b\nLABEL c=d\n", []),
    ("SecretsUsedInArgOrEnv", "FROM a\nARG GITHUB_TOKEN\nENV DB_PASSWORD=x\nENV AUTH=1\n", [2, 3, 4]),
    (
        "SecretsUsedInArgOrEnv",
        "FROM a\nARG PUBLIC_KEY\nENV KEY_FILE=x\nENV TOKENIZER=1\nARG VERSION_KEY\n",
        [],
    ),
    ("ExposeProtoCasing", "FROM a\nEXPOSE 80/TCP 81/tcp\n", [2]),
    ("ExposeProtoCasing", "FROM a\nARG P=80/UDP\nEXPOSE $P\n", [3]),
    ("ExposeProtoCasing", "FROM a\nEXPOSE 80/udp\n", []),
    ("ExposeInvalidFormat", "FROM a\nEXPOSE 127.0.0.1:80:80\nEXPOSE 8080:80\n", [2, 3]),
    ("ExposeInvalidFormat", "FROM a\nEXPOSE 80 443/tcp 8000-8010\n", []),
    (
        "NoEmptyContinuation",
        "FROM a\nRUN echo \\\n\n  hi\n",
        [4],
    ),  # BuildKit: the last line of the instruction
    ("NoEmptyContinuation", "FROM a\nRUN echo \\\n  hi\n", []),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_where_it_fires(rule: str, text: str, expected: list[int]) -> None:
    assert lines(text, rule) == expected


MESSAGES = [
    (
        "ConsistentInstructionCasing",
        "FROM a\nrun x\n",
        "Command 'run' should match the case of the command majority (uppercase)",
    ),
    (
        "JSONArgsRecommended",
        "FROM a\ncmd echo\n",
        "JSON arguments recommended for cmd to prevent unintended behavior related to OS signals",
    ),
    (
        "MaintainerDeprecated",
        "FROM a\nMAINTAINER me\n",
        "Maintainer instruction is deprecated in favor of using label",
    ),
    (
        "WorkdirRelativePath",
        "FROM a\nWORKDIR app\n",
        'Relative workdir "app" can have unexpected results if the base image changes',
    ),
    (
        "MultipleInstructionsDisallowed",
        'FROM a\nCMD ["a"]\nCMD ["b"]\n',
        "Multiple CMD instructions should not be used in the same stage because only the last one will be used",
    ),
    (
        "LegacyKeyValueFormat",
        "FROM a\nENV A b\n",
        '"ENV key=value" should be used instead of legacy "ENV key value" format',
    ),
    (
        "SecretsUsedInArgOrEnv",
        "FROM a\nARG GITHUB_TOKEN\n",
        'Do not use ARG or ENV instructions for sensitive data (ARG "GITHUB_TOKEN")',
    ),
    (
        "ExposeProtoCasing",
        "FROM a\nEXPOSE 80/TCP\n",
        "Defined protocol '80/TCP' in EXPOSE instruction should be lowercase",
    ),
    (
        "ExposeInvalidFormat",
        "FROM a\nEXPOSE 8080:80\n",
        "EXPOSE instruction should not define an IP address or host-port mapping, found '8080:80'",
    ),
    ("NoEmptyContinuation", "FROM a\nRUN echo \\\n\n  hi\n", "Empty continuation line"),
]


@pytest.mark.parametrize(
    ("rule", "text", "message"), MESSAGES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MESSAGES)]
)
def test_messages_match_buildkit(rule: str, text: str, message: str) -> None:
    assert messages(text, rule) == [message]
