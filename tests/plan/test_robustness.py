"""Random Dockerfiles through parse → instructions → plan: a result or a DockerfileError, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybuildkit.errors import DockerfileError
from pybuildkit.plan import Platform, load_program
from tests.instructions.build import parse_text

KEYWORDS = ["FROM", "RUN", "CMD", "COPY", "ADD", "ENV", "ARG", "LABEL", "EXPOSE", "VOLUME", "USER", "WORKDIR",
            "HEALTHCHECK", "STOPSIGNAL", "SHELL", "ONBUILD", "MAINTAINER", "ENTRYPOINT", "FOO"]  # fmt: skip
WORDS = ["a", "AS", "b", "$X", "${X:-y}", "${X:?no}", "${", "--from=a", "--from=0", "--from=9", "--mount=type=cache,target=/c",
         "--mount=from=b,target=/x", "--mount=type=secret", "--platform=$TARGETPLATFORM", "--platform=", "--network=none",
         "--interval=1s", "--retries=x", "CMD", "NONE", "<<EOF", "/dst", "X=1", "=", '"q"', "'s'", "[\"a\"]", "80/udp",
         "8000-7000", "\\", "`", "SIGKILL", "--chmod=755", "--link", "--exclude=*", "FROM", "ONBUILD", "scratch"]  # fmt: skip

line = st.builds(
    lambda k, ws: " ".join([k, *ws]), st.sampled_from(KEYWORDS), st.lists(st.sampled_from(WORDS), max_size=5)
)
dockerfile = st.lists(line, min_size=1, max_size=8).map(lambda lines: "\n".join(lines) + "\nEOF\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=dockerfile, target=st.sampled_from([None, "a", "b"]))
def test_plan_outcome_is_a_result_or_a_dockerfile_error(text: str, target: str | None) -> None:
    try:
        tree = parse_text(text)
        load_program(
            tree, target=target, platform=Platform(os="linux", architecture="amd64"), build_args={"X": "v"}
        )
    except DockerfileError:
        pass


def _parser_cases() -> list[str]:
    from tests.support import conformance_dir

    root = conformance_dir()
    if root is None:
        return []
    return sorted(p.name for p in (root / "parser").iterdir() if (p / "Dockerfile").is_file())


@pytest.mark.parametrize("case", _parser_cases())
def test_parser_conformance_files_plan_or_fail_cleanly(case: str) -> None:
    from tests.support import conformance_dir

    root = conformance_dir()
    assert root is not None
    tree = parse_text((root / "parser" / case / "Dockerfile").read_text())
    try:
        plan = load_program(tree, platform=Platform(os="linux", architecture="amd64"))
    except DockerfileError as error:
        assert error.span is not None or "target" in error.message or "no stages" in error.message
        return
    assert plan.target_stage.index == len(plan.program.stages) - 1
