"""Instructions the build would reject are lint errors (QA: `COPPY`, `ENV`, `COPY a`, `COPY --chmod=abc`
linted clean), and a bad `# check=` directive fails the check as BuildKit's does.

`docker build --check` runs BuildKit's conversion, which fails on such an instruction; the linter reports
each one as a `SyntaxError` (DL1000) finding at the instruction, with the build's message and hint, and the
other rules do not read instructions that did not type.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pybuildkit.cli as cli
from pybuildkit.linter import LintConfig, lint
from pybuildkit.linter.model import Finding, Severity

QUIET = LintConfig(shellcheck=False)


def _errors(text: str) -> list[Finding]:
    return [f for f in lint(text, config=QUIET) if f.rule == "SyntaxError"]


REJECTED = {
    "unknown-instruction": (
        "FROM scratch\nCOPPY a /a\n",
        (2, 1, "unknown instruction: COPPY", "did you mean COPY?"),
    ),
    "env-no-arguments": (
        "FROM scratch\nENV\n",
        (2, 1, "ENV requires at least one argument", "write ENV NAME=value"),
    ),
    "label-no-arguments": (
        "FROM scratch\nLABEL\n",
        (2, 1, "LABEL requires at least one argument", "write LABEL key=value"),
    ),
    "copy-one-argument": (
        "FROM scratch\nCOPY a\n",
        (
            2,
            1,
            "COPY requires at least two arguments, but only one was provided. Destination could not be determined",
            "write COPY <src>... <dest>: the last argument is the destination",
        ),
    ),
    "copy-bad-chmod": (
        "FROM scratch\nCOPY --chmod=abc a /a\n",
        (
            2,
            1,
            "invalid syntax",
            "use octal (0755) or symbolic modes as chmod(1) takes them (u+x,go-w or a=rX)",
        ),
    ),
    "expose-bad-port": (
        "FROM scratch\nEXPOSE abc\n",
        (
            2,
            1,
            "invalid containerPort: abc",
            "a port is a number from 0 to 65535 or a range (8000-8010), then /tcp, /udp or /sctp",
        ),
    ),
    "bad-mount-type": (
        "FROM scratch\nRUN --mount=type=foo true\n",
        (2, 1, 'unsupported mount type "foo"', "the mount types are bind, cache, tmpfs, secret and ssh"),
    ),
    "from-flag-without-value": (
        "FROM --platform scratch\n",
        (1, 6, "missing a value on flag: --platform", "write --platform=<value>"),
    ),
    "lone-continuation-at-eof": (
        "FROM scratch\n  \\\n",
        (
            2,
            3,
            "unknown instruction: ",
            "this line continues an instruction that never comes; remove the line continuation at its end",
        ),
    ),
    "bad-check-directive": (
        "# check=skip=Foo;error=maybe\nFROM scratch\n",
        (
            1,
            1,
            'failed to parse check options: failed to parse check option "error=maybe": '
            'strconv.ParseBool: parsing "maybe": invalid syntax',
            "error= takes true or false",
        ),
    ),
    "check-directive-bool-case": (
        "# check=error=tRuE\nFROM scratch\n",
        (
            1,
            1,
            'failed to parse check options: failed to parse check option "error=tRuE": '
            'strconv.ParseBool: parsing "tRuE": invalid syntax',
            "error= takes true or false",
        ),
    ),
    "unknown-check-option": (
        "# check=skpi=all\nFROM scratch\n",
        (
            1,
            1,
            'failed to parse check options: invalid check option "skpi"',
            "write # check=skip=<rules>;error=<true|false>;experimental=<rules> (rules comma-separated, or all)",
        ),
    ),
}


@pytest.mark.parametrize(("text", "expected"), list(REJECTED.values()), ids=list(REJECTED))
def test_rejected_instruction_is_one_error(text: str, expected: tuple[int, int, str, str | None]) -> None:
    findings = lint(text, config=QUIET)
    errors = [f for f in findings if f.rule == "SyntaxError"]
    assert [(f.line, f.column, f.message, f.hint) for f in errors] == [expected]
    assert errors[0].severity is Severity.ERROR
    # DL1000 is hadolint's parse error: not for an instruction that parses and fails only when dispatched.
    dispatch = "--chmod" in text or "EXPOSE" in text or "--mount" in text
    assert errors[0].aliases == (() if dispatch else ("DL1000",))


@pytest.mark.parametrize(
    "text",
    ["FROM scratch\nCOPY --chmod=755 a /a\nCOPY --chmod=u+x,go-w a /b\nCOPY --chmod=$MODE a /c\n",
     "FROM scratch\nEXPOSE 80/tcp 8000-8010/udp $PORT\nRUN --mount=type=cache,target=/c true\n",
     "# check=error=True\nFROM scratch\n", "FROM scratch\n  \\\nRUN true\n"],
    ids=["chmod", "ports-and-mounts", "check-true", "continuation-joins"],
)  # fmt: skip
def test_accepted_instructions_give_no_error(text: str) -> None:
    assert _errors(text) == []


def test_each_rejected_instruction_is_reported() -> None:
    text = "FROM scratch\nCOPPY a /a\nENV\nCOPY a\n"
    assert [(f.line, f.message) for f in _errors(text)] == [
        (2, "unknown instruction: COPPY"),
        (3, "ENV requires at least one argument"),
        (
            4,
            "COPY requires at least two arguments, but only one was provided. Destination could not be determined",
        ),
    ]


def test_other_rules_skip_what_did_not_type() -> None:
    # `COPY a` to a relative path used to give only DL3045; now the build's error alone.
    assert [f.rule for f in lint("FROM scratch\nCOPY a\n", config=QUIET)] == ["SyntaxError"]
    # A stage whose FROM did not type is hidden whole (DL3045 would fire on line 2 otherwise).
    found = lint("FROM --platform scratch\nCOPY a b\nFROM alpine:3.20\nCOPY c d\n", config=QUIET)
    assert [(f.rule, f.line) for f in found] == [("SyntaxError", 1), ("DL3045", 4)]


def test_typed_but_undispatchable_stays_visible_to_rules() -> None:
    # hadolint's DL3011 names the same bad port; both are reported.
    found = lint("FROM scratch\nEXPOSE 70000\n", config=QUIET)
    assert {(f.rule, f.line) for f in found} == {("SyntaxError", 2), ("DL3011", 2)}


def test_cli_fails_with_the_error_and_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    path = tmp_path / "Dockerfile"
    path.write_text("FROM scratch\nCOPPY a /a\n")
    missing = tuple(c for c in ("lint",) if c not in cli.COMMANDS)
    cli.COMMANDS = (*cli.COMMANDS, *missing)
    assert cli.main(["lint", "--no-shellcheck", str(path)]) == 1
    out = capsys.readouterr().out
    assert out == (
        f"{path}:2:1 SyntaxError error: unknown instruction: COPPY\n"
        " 2 | >>> COPPY a /a\n"
        "  hint: did you mean COPY?\n"
        "  see https://github.com/pybuildkit/pybuildkit/blob/main/docs/rules/SyntaxError.md\n"
    )
    assert cli.main(["lint", "--no-shellcheck", "-f", "json", str(path)]) == 1
    (finding,) = json.loads(capsys.readouterr().out)
    assert (finding["rule"], finding["hint"]) == ("SyntaxError", "did you mean COPY?")
