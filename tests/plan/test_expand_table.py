"""The one table of what expands (plan/expand.py), field by field, against BuildKit's Expand methods."""

from __future__ import annotations

import pytest

from pybuildkit.errors import DockerfileError
from pybuildkit.instructions import Instruction
from pybuildkit.plan import Platform, load_program
from tests.instructions.build import parse_text

ENV = "FROM busybox\nARG V=val\nENV E=env\n"


def expanded(line: str) -> Instruction:
    plan = load_program(parse_text(ENV + line + "\n"), platform=Platform(os="linux", architecture="amd64"))
    return plan.target_stage.instructions[-1].instruction


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("ENV $V=$E", "pairs", (("val", "env"),)),
        ("LABEL $V=${E}", "pairs", (("val", "env"),)),
        ("WORKDIR /$V", "path", "/val"),
        ("USER $V:$E", "user", "val:env"),
        ("STOPSIGNAL SIG${V:+KILL}", "signal", "SIGKILL"),
        ("VOLUME /$V /$E", "volumes", ("/val", "/env")),
        ("COPY --chown=$V --chmod=$E --from=x --exclude=$V $V /$E", "sources", ("val",)),
        ("COPY --chown=$V --chmod=$E --exclude=$V $V /$E", "dest", "/env"),
        ("COPY --chown=$V --chmod=$E --exclude=$V $V /$E", "chown", "val"),
        ("COPY --chown=$V --chmod=$E --exclude=$V $V /$E", "chmod", "env"),
        ("COPY --exclude=$V a /", "excludes", ("$V",)),  # not expanded
        ("ADD --checksum=$V --chown=$E $V /", "checksum", "val"),
        ("ADD --checksum=$V --chown=$E $V /", "chown", "env"),
        ("CMD echo $V", "command", ("echo $V",)),  # left to the shell
        ('ENTRYPOINT ["$V"]', "command", ("$V",)),
        ('SHELL ["/bin/$V", "-c"]', "shell", ("/bin/$V", "-c")),
        ("HEALTHCHECK CMD echo $V", "test", ("CMD-SHELL", "echo $V")),
        ("MAINTAINER $V", "maintainer", "$V"),
        ("RUN echo $V", "command", ("echo $V",)),
        ("EXPOSE ${V:+80} ${V:+90/udp}", "ports", ("80", "90/udp")),
        ("ONBUILD RUN echo $V", "expression", "RUN echo $V"),
    ],
)
def test_expansion_table(line: str, field: str, value: object) -> None:
    got = getattr(expanded(line), field)
    if field == "pairs":
        got = tuple((p.key, p.value) for p in got)
    assert got == value


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("STOPSIGNAL SIGNOPE", "Invalid signal: SIGNOPE"),
        ("STOPSIGNAL 0", "Invalid signal: 0"),
        ("VOLUME $UNSET", "VOLUME specified can not be an empty string"),
        ("EXPOSE $V", "invalid containerPort: val"),
        ("WORKDIR ${UNSET:?gone}", "UNSET: gone"),
        ("RUN --mount=type=$V true", 'unsupported mount type "val"'),
    ],
)
def test_errors_at_dispatch(line: str, message: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        expanded(line)
    assert message in caught.value.message
    assert caught.value.span is not None and caught.value.span.start.line == 4


def test_expose_bad_port_only_fails_when_the_stage_is_built() -> None:
    text = "FROM busybox AS unused\nEXPOSE http\nFROM busybox\n"
    load_program(parse_text(text), platform=Platform(os="linux", architecture="amd64"))
