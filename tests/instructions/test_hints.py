"""Every error the instructions layer raises carries a hint where one helps; the message stays BuildKit's.

Golden: the whole rendered error (location, message, code frame, hint) for real parsed files.
"""

from __future__ import annotations

import pytest

from pybuildkit.errors import InstructionError
from pybuildkit.instructions import parse_instruction
from pybuildkit.syntax import parse

GOLDEN = {
    "env-no-arguments": (
        "FROM scratch\nENV\n",
        "Dockerfile:2:1: ENV requires at least one argument\n 1 |     FROM scratch\n 2 | >>> ENV\n"
        "hint: write ENV NAME=value",
    ),
    "label-no-arguments": (
        "FROM scratch\nLABEL\n",
        "Dockerfile:2:1: LABEL requires at least one argument\n 1 |     FROM scratch\n 2 | >>> LABEL\n"
        "hint: write LABEL key=value",
    ),
    "from-platform-without-value": (
        "FROM --platform scratch\n",
        "Dockerfile:1:6: missing a value on flag: --platform\n 1 | >>> FROM --platform scratch\n"
        "hint: write --platform=<value>",
    ),
    "healthcheck-bad-duration": (
        "FROM scratch\nHEALTHCHECK --interval=xyz CMD true\n",
        'Dockerfile:2:1: time: invalid duration "xyz"\n 1 |     FROM scratch\n'
        " 2 | >>> HEALTHCHECK --interval=xyz CMD true\n"
        "hint: write a duration as a number and a unit (ns, us, ms, s, m, h), e.g. 30s, 1m30s or 500ms",
    ),
    "onbuild-from": (
        "FROM scratch\nONBUILD FROM x\n",
        "Dockerfile:2:1: FROM isn't allowed as an ONBUILD trigger\n 1 |     FROM scratch\n 2 | >>> ONBUILD FROM x\n"
        "hint: a trigger runs inside the child image's stage and cannot start a stage; "
        "use FROM in the child's Dockerfile",
    ),
    "copy-one-argument": (
        "FROM scratch\nCOPY a\n",
        "Dockerfile:2:1: COPY requires at least two arguments, but only one was provided. "
        "Destination could not be determined\n 1 |     FROM scratch\n 2 | >>> COPY a\n"
        "hint: write COPY <src>... <dest>: the last argument is the destination",
    ),
    "lone-continuation-at-eof": (
        "FROM scratch\n  \\\n",
        "Dockerfile:2:3: unknown instruction: \n 1 |     FROM scratch\n 2 | >>>   \\\n"
        "hint: this line continues an instruction that never comes; remove the line continuation at its end",
    ),
}


def _error(text: str) -> InstructionError:
    tree = parse(text)
    for node in tree.instructions:
        try:
            parse_instruction(node, source=text)
        except InstructionError as error:
            return error
    raise AssertionError(f"no instruction of {text!r} was rejected")


@pytest.mark.parametrize(("text", "rendered"), list(GOLDEN.values()), ids=list(GOLDEN))
def test_rendered_error(text: str, rendered: str) -> None:
    assert _error(text).render() == rendered


# Messages are BuildKit's, word for word; the hint is ours and must be there.
HINTED = {
    "expose-bad-port": ("EXPOSE abc", "invalid containerPort: abc"),
    "expose-bad-proto": ("EXPOSE 80/xtp", 'invalid port: "80/xtp": invalid proto: xtp'),
    "healthcheck-none-args": ("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"),
    "healthcheck-no-cmd": ("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"),
    "healthcheck-retries": ("HEALTHCHECK --retries=x CMD true", 'strconv.ParseInt: parsing "x": invalid syntax'),
    "healthcheck-missing-unit": ("HEALTHCHECK --interval=5 CMD true", 'time: missing unit in duration "5"'),
    "onbuild-onbuild": ("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
    "onbuild-maintainer": ("ONBUILD MAINTAINER me", "MAINTAINER isn't allowed as an ONBUILD trigger"),
    "user-no-arguments": ("USER", "USER requires exactly one argument"),
    "stopsignal-no-arguments": ("STOPSIGNAL", "STOPSIGNAL requires exactly one argument"),
    "volume-no-arguments": ("VOLUME", "VOLUME requires at least one argument"),
    "arg-no-arguments": ("ARG", "ARG requires at least one argument"),
    "arg-blank-name": ("ARG =x", "ARG names can not be blank"),
    "add-one-argument": ("ADD a", "ADD requires at least two arguments, but only one was provided. "
                         "Destination could not be determined"),
    "duplicate-flag": ("COPY --chown=a --chown=b x y", "duplicate flag specified: --chown"),
    "bool-flag": ("COPY --link=maybe x y", "expecting boolean value for flag --link, not: maybe"),
    "security": ("RUN --security=insecur x", 'security "insecur" is not valid'),
}  # fmt: skip


@pytest.mark.parametrize(("line", "message"), list(HINTED.values()), ids=list(HINTED))
def test_message_is_buildkits_and_has_a_hint(line: str, message: str) -> None:
    text = f"FROM scratch\n{line}\n"
    tree = parse(text)
    error: InstructionError | None = None
    try:
        instruction = parse_instruction(tree.instructions[1], source=text)
    except InstructionError as raised:
        error = raised
    if error is None:  # EXPOSE ports are read when the stage is dispatched, as BuildKit does
        from pybuildkit.instructions import ExposeInstruction, parse_port

        assert isinstance(instruction, ExposeInstruction)
        with pytest.raises(InstructionError) as caught:
            parse_port(instruction.ports[0])
        error = caught.value
    assert error.message == message
    assert error.hint
