"""Steps, cache keys and the builder's orchestration, with the recording executor (no files, no store)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from pybuildkit.errors import DockerfileError
from pybuildkit.execute.builder import Builder
from pybuildkit.execute.executor import BaseImage, RecordingExecutor
from pybuildkit.execute.progress import ProgressEvent, Status
from pybuildkit.image.spec import ImageConfig
from pybuildkit.instructions import CopyInstruction
from pybuildkit.plan import load_program
from pybuildkit.plan.cachekey import KeyParts, base_key, explain
from pybuildkit.plan.resolve import BaseImageConfig
from pybuildkit.plan.steps import BuildSteps, StepKind, build_steps


def parse(text: str):  # type: ignore[no-untyped-def]
    from pybuildkit.api import parse as parse_text

    return parse_text(text)


def steps_of(
    text: str,
    *,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    images: Mapping[str, ImageConfig] | None = None,
) -> BuildSteps:
    configs = dict(images or {})

    def lookup(name: str, _platform: object) -> BaseImageConfig | None:
        config = configs.get(name)
        if config is None:
            return None
        return BaseImageConfig(
            env=config.env,
            on_build=config.on_build,
            shell=config.shell,
            working_dir=config.working_dir,
            user=config.user,
        )

    plan = load_program(
        parse(text), build_args=build_args, target=target, platform="linux/amd64", base_image=lookup
    )
    return build_steps(plan)


def run(steps: BuildSteps, executor: RecordingExecutor, **kwargs: object):  # type: ignore[no-untyped-def]
    return Builder(steps, executor, default_platform=("linux", "amd64", ""), **kwargs).run()  # type: ignore[arg-type]


LABELS = [
    pytest.param(
        "FROM scratch\nCOPY a /a\nENV x=1\nWORKDIR /w\n",
        ["[2/4] COPY a /a", "[3/4] ENV x=1", "[4/4] WORKDIR /w"],
        [StepKind.FILES, StepKind.CONFIG, StepKind.FILES],
        id="one-stage",
    ),
    pytest.param(
        "FROM scratch AS base\nCOPY a /a\nFROM base\nLABEL a=b\n",
        ["[base 2/2] COPY a /a", "[stage-1 2/2] LABEL a=b"],
        [StepKind.FILES, StepKind.CONFIG],
        id="multi-stage",
    ),
    pytest.param(
        "FROM scratch\nRUN echo hi\nCMD x\n",
        ["[2/3] RUN echo hi", "[3/3] CMD x"],
        [StepKind.RUN, StepKind.CONFIG],
        id="run",
    ),
]


@pytest.mark.parametrize(("text", "labels", "kinds"), LABELS)
def test_step_labels_and_kinds(text: str, labels: list[str], kinds: list[StepKind]) -> None:
    steps = steps_of(text)
    got = [step for stage in steps.stages for step in stage.steps]
    assert [s.label for s in got] == labels
    assert [s.kind for s in got] == kinds


def test_target_prunes_unneeded_stages() -> None:
    text = (
        "FROM scratch AS a\nCOPY a /a\nFROM scratch AS b\nCOPY b /b\nFROM scratch AS c\nCOPY --from=a /a /a\n"
    )
    steps = steps_of(text)
    assert [s.name for s in steps.stages] == ["a", "c"]
    executor = RecordingExecutor()
    run(steps, executor)
    assert sorted(executor.executed()) == ["COPY --from=a /a /a", "COPY a /a"]
    assert [s.name for s in steps_of(text, target="b").stages] == ["b"]


def test_unchanged_rebuild_is_all_cached() -> None:
    text = "FROM scratch\nARG V=1\nCOPY a /a\nENV x=$V\nCOPY b /b\n"
    executor = RecordingExecutor()
    _, _, first = run(steps_of(text), executor)
    assert not any(r.cached for r in first)
    executor.calls.clear()
    _, _, second = run(steps_of(text), executor)
    assert all(r.cached for r in second)
    assert executor.executed() == []
    assert [r.key for r in first] == [r.key for r in second]


CHANGES = [
    # (build args of the 2nd build, file digests changed, steps that must run again)
    pytest.param({"V": "2"}, {}, ["COPY b /b$x"], id="arg-used-through-env-invalidates-the-user"),
    pytest.param({"UNUSED": "2"}, {}, [], id="unused-arg-keeps-cache"),
    pytest.param({"http_proxy": "http://p"}, {}, [], id="proxy-arg-not-in-key"),
    pytest.param(
        {}, {"a": "sha256:" + "2" * 64}, ["COPY a /a", "COPY b /b$x"], id="file-change-invalidates-below"
    ),
    pytest.param({}, {"b": "sha256:" + "2" * 64}, ["COPY b /b$x"], id="later-file-change"),
]


@pytest.mark.parametrize(("args", "files", "rerun"), CHANGES)
def test_what_invalidates(args: dict[str, str], files: dict[str, str], rerun: list[str]) -> None:
    text = "FROM scratch\nARG V=1\nARG UNUSED\nCOPY a /a\nENV x=$V\nCOPY b /b$x\n"
    executor = RecordingExecutor()
    run(steps_of(text, build_args={"V": "1"}), executor)
    executor.calls.clear()
    executor.files.update(files)
    run(steps_of(text, build_args={"V": "1", **args}), executor)
    assert executor.executed() == rerun


def test_no_cache_runs_everything() -> None:
    text = "FROM scratch\nCOPY a /a\nCOPY b /b\n"
    executor = RecordingExecutor()
    run(steps_of(text), executor)
    executor.calls.clear()
    _, _, reports = run(steps_of(text), executor, no_cache=True)
    assert executor.executed() == ["COPY a /a", "COPY b /b"]
    assert not any(r.cached for r in reports)


def test_moving_a_line_keeps_the_cache() -> None:
    executor = RecordingExecutor()
    run(steps_of("FROM scratch\nCOPY a /a\n"), executor)
    executor.calls.clear()
    run(steps_of("# a comment\n\nFROM scratch\n\nCOPY a /a\n"), executor)
    assert executor.executed() == []


def test_explain_cache_names_the_changed_input() -> None:
    text = "FROM scratch\nARG V=1\nCOPY a /a$V\nCOPY b /b\n"
    executor = RecordingExecutor()
    run(steps_of(text), executor, explain_cache=True)
    executor.files["b"] = "sha256:" + "3" * 64
    _, _, reports = run(steps_of(text, build_args={"V": "2"}), executor, explain_cache=True)
    by_label = {r.label.split("] ", 1)[1]: r.reasons for r in reports if not r.cached}
    assert "ARG V changed" in " ".join(by_label["COPY a /a$V"])
    assert "the instruction changed" in by_label["COPY a /a$V"]
    assert "the step before it changed (parent)" in by_label["COPY b /b"]
    assert any(reason.startswith("file b changed") for reason in by_label["COPY b /b"])


def test_explain_pure() -> None:
    old = KeyParts(parent="p", instruction="i", args=(("A", "1"),), files=(("f", "sha256:" + "a" * 64),))
    new = KeyParts(parent="q", instruction="i", args=(("A", "2"), ("B", "x")), files=())
    assert explain(old, new) == (
        "the step before it changed (parent)",
        'ARG A changed ("1" -> "2")',
        "ARG B is new",
        "file f is gone",
    )
    assert explain(None, new) == ("no earlier build of this step",)
    assert explain(new, new) == ("the cached result is gone (pruned)",)


def test_base_image_key_chains_into_steps() -> None:
    text = "FROM base\nCOPY a /a\n"
    one = RecordingExecutor({"base": BaseImage(key=base_key("image", "base", digest="sha256:" + "1" * 64))})
    _, _, first = run(steps_of(text), one)
    two = RecordingExecutor({"base": BaseImage(key=base_key("image", "base", digest="sha256:" + "2" * 64))})
    _, _, second = run(steps_of(text), two)
    assert first[0].key != second[0].key


CONFIGS = [
    pytest.param(
        "FROM scratch\nENV foo=bar\n",
        {},
        {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "foo=bar"],
            "WorkingDir": "/",
        },
        id="scratch-env",
    ),
    pytest.param(
        'FROM base\nENTRYPOINT ["/bin/app"]\n',
        {"base": ImageConfig(cmd=("sh",), env=("PATH=/bin",))},
        {"Env": ["PATH=/bin"], "Entrypoint": ["/bin/app"]},
        id="entrypoint-resets-inherited-cmd",
    ),
    pytest.param(
        'FROM base\nCMD ["x"]\nENTRYPOINT ["/bin/app"]\n',
        {"base": ImageConfig(cmd=("sh",), env=("PATH=/bin",))},
        {"Env": ["PATH=/bin"], "Entrypoint": ["/bin/app"], "Cmd": ["x"]},
        id="entrypoint-keeps-own-cmd",
    ),
    pytest.param(
        'FROM scratch\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\nUSER nobody\nSTOPSIGNAL SIGTERM\n'
        "EXPOSE 80 53/udp\nVOLUME /data\nLABEL a=b c=d\nONBUILD COPY . /src\nHEALTHCHECK --retries=3 CMD true\n",
        {},
        {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "WorkingDir": "/",
            "Shell": ["/bin/bash", "-c"],
            "Cmd": ["/bin/bash", "-c", "echo hi"],
            "User": "nobody",
            "StopSignal": "SIGTERM",
            "ExposedPorts": {"53/udp": {}, "80/tcp": {}},
            "Volumes": {"/data": {}},
            "Labels": {"a": "b", "c": "d"},
            "OnBuild": ["COPY . /src"],
            "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Retries": 3},
        },
        id="every-config-field",
    ),
    pytest.param(
        "FROM base\nLABEL x=y\n",
        {"base": ImageConfig(env=("PATH=/bin",), on_build=("LABEL from=trigger",))},
        {"Env": ["PATH=/bin"], "Labels": {"from": "trigger", "x": "y"}},
        id="onbuild-runs-and-is-not-inherited",
    ),
    pytest.param(
        "FROM scratch AS base\nONBUILD LABEL t=1\nFROM base\nLABEL x=y\n",
        {},
        {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "WorkingDir": "/",
            "Labels": {"t": "1", "x": "y"},
        },
        id="onbuild-of-a-stage",
    ),
]


@pytest.mark.parametrize(("text", "images", "expected"), CONFIGS)
def test_image_config(text: str, images: dict[str, ImageConfig], expected: dict[str, object]) -> None:
    executor = RecordingExecutor(
        {name: BaseImage(key=base_key("image", name), config=config) for name, config in images.items()}
    )
    image, _, _ = run(steps_of(text, images=images), executor)
    assert image.config.to_json() == expected


def test_history_marks_empty_layers() -> None:
    image, layers, _ = run(
        steps_of("FROM scratch\nENV a=1\nCOPY a /a\nARG x=2\nEXPOSE 80/udp 80\n"), RecordingExecutor()
    )
    assert [(h.created_by, h.empty_layer) for h in image.history] == [
        ("ENV a=1", True),
        ("COPY a /a # buildkit", False),
        ("ARG x=2", True),
        ("EXPOSE [80/tcp 80/udp]", True),
    ]
    assert len(image.diff_ids) == len(layers) == 1


def test_progress_events_number_vertices_like_buildkit() -> None:
    events: list[ProgressEvent] = []
    executor = RecordingExecutor()
    run(steps_of("FROM scratch\nENV a=1\nCOPY a /a\n"), executor, progress=events.append)
    assert [(e.vertex, e.status) for e in events] == [
        (1, Status.START),
        (1, Status.DONE),
        (2, Status.START),
        (2, Status.DONE),
    ]
    events.clear()
    run(steps_of("FROM scratch\nENV a=1\nCOPY a /a\n"), executor, progress=events.append)
    assert events[-1].status is Status.CACHED


def test_independent_stages_both_run_and_errors_are_located() -> None:
    text = "FROM scratch AS a\nCOPY a /a\nFROM scratch AS b\nCOPY b /b\nFROM scratch\nCOPY --from=a /a /1\nCOPY --from=b /b /2\n"
    executor = RecordingExecutor()
    run(steps_of(text), executor)
    assert sorted(executor.executed()) == [
        "COPY --from=a /a /1",
        "COPY --from=b /b /2",
        "COPY a /a",
        "COPY b /b",
    ]

    class Failing(RecordingExecutor):
        def execute(self, step, state, inputs, states):  # type: ignore[no-untyped-def]
            from pybuildkit.errors import BuildError

            if step.text == "COPY b /b":
                raise BuildError("boom")
            return super().execute(step, state, inputs, states)

    with pytest.raises(DockerfileError) as caught:
        run(steps_of(text), Failing())
    assert caught.value.span is not None and caught.value.span.start.line == 4
    assert "boom" in caught.value.render()


def test_copy_link_cache_survives_a_new_base() -> None:
    executor = RecordingExecutor(
        {"base": BaseImage(key=base_key("image", "base", digest="sha256:" + "1" * 64))}
    )
    run(steps_of("FROM base\nCOPY --link a /a\nCOPY b /b\n"), executor)
    executor.calls.clear()
    executor.images["base"] = BaseImage(key=base_key("image", "base", digest="sha256:" + "2" * 64))
    run(steps_of("FROM base\nCOPY --link a /a\nCOPY b /b\n"), executor)
    assert executor.executed() == ["COPY b /b"]


def test_independent_stages_run_concurrently() -> None:
    import threading

    barrier = threading.Barrier(2, timeout=10)

    class Meeting(RecordingExecutor):
        def execute(self, step, state, inputs, states):  # type: ignore[no-untyped-def]
            if step.text in ("COPY a /a", "COPY b /b"):
                barrier.wait()  # both stages must be inside `execute` at once, or this times out
            return super().execute(step, state, inputs, states)

    text = "FROM scratch AS a\nCOPY a /a\nFROM scratch AS b\nCOPY b /b\nFROM scratch\nCOPY --from=a /a /1\nCOPY --from=b /b /2\n"
    executor = Meeting()
    run(steps_of(text), executor)
    assert executor.executed()[-2:] == ["COPY --from=a /a /1", "COPY --from=b /b /2"]


FROM_LABELS = [
    pytest.param(
        "ARG BASE=busybox\nFROM ${BASE} AS build\nCOPY a /a\nRUN x\n",
        ["[1/3] FROM docker.io/library/busybox:latest"],
        id="expanded-and-normalised-without-as",
    ),
    pytest.param(
        "FROM ghcr.io/o/app:1 AS a\nCOPY x /x\nFROM a\nCOPY y /y\n",
        ["[a 1/2] FROM ghcr.io/o/app:1", "[stage-1 1/2] FROM a"],
        id="registry-image-then-stage",
    ),
    pytest.param("FROM scratch\nCOPY a /a\n", ["[1/2] FROM scratch"], id="scratch"),
]


@pytest.mark.parametrize(("text", "labels"), FROM_LABELS)
def test_from_labels_are_buildkits(text: str, labels: list[str]) -> None:
    # BuildKit names the vertex `FROM ` + the resolved reference (dockerfile2llb resolveBaseImage).
    assert [stage.from_label for stage in steps_of(text).stages] == labels


BAD_BASES = [
    pytest.param(
        "FROM Bad:Image\nCOPY a /a\n",
        'Dockerfile:1:1: failed to parse stage name "Bad:Image": invalid reference format: repository name must be lowercase',
        id="uppercase",
    ),
    pytest.param(
        "ARG B=a/-b\nFROM scratch\nFROM $B AS x\n",
        'Dockerfile:3:1: failed to parse stage name "a/-b": invalid reference format',
        id="bad-path-from-arg",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_BASES)
def test_bad_base_reference_is_refused_at_the_from_line(text: str, message: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        steps_of(text)
    assert str(caught.value) == message


def test_sandbox_default_path_is_the_plans() -> None:
    # The sandbox keeps its own copy so that it does not import the plan package; they must agree.
    from pybuildkit.execute.sandbox.spec import DEFAULT_PATH as SANDBOX_PATH
    from pybuildkit.plan.expand import DEFAULT_PATH

    assert SANDBOX_PATH == DEFAULT_PATH


COPY_HEREDOCS = [
    # BuildKit's testCopyHeredocSpecialSymbols: an unquoted body goes through the shell lexer (quotes kept as
    # text, `\X` is X, so `\n` loses its backslash as in BuildKit); a quoted one is copied as is.
    pytest.param('COPY <<EOF q\n"quotes in file"\nEOF\n', '"quotes in file"\n', id="quotes"),
    pytest.param("COPY <<EOF s1\n\\\nEOF\n", "\n", id="lone-backslash"),
    pytest.param("COPY <<EOF s2\n\\\\\nEOF\n", "\\\n", id="double-backslash"),
    pytest.param("COPY <<EOF s3\n\\$\nEOF\n", "$\n", id="escaped-dollar"),
    pytest.param('COPY <<"EOF" r1\n\\\nEOF\n', "\\\n", id="raw-lone-backslash"),
    pytest.param('COPY <<"EOF" r2\n\\\\\nEOF\n', "\\\\\n", id="raw-double-backslash"),
    pytest.param('COPY <<"EOF" r3\n\\$\nEOF\n', "\\$\n", id="raw-escaped-dollar"),
    pytest.param("COPY <<EOF t\ntr '\\n' ' '\nEOF\n", "tr 'n' ' '\n", id="backslash-n"),
    pytest.param("COPY <<'EOF' t\ntr '\\n' ' '\nEOF\n", "tr '\\n' ' '\n", id="backslash-n-quoted"),
    pytest.param("ARG name=world\nCOPY <<EOF v\nHello '${name}'!\nEOF\n", "Hello 'world'!\n", id="variable"),
]


@pytest.mark.parametrize(("body", "data"), COPY_HEREDOCS)
def test_copy_heredoc_expansion_is_buildkits(body: str, data: str) -> None:
    steps = steps_of("FROM scratch\n" + body)
    copy = steps.target_stage.steps[-1].instruction
    assert isinstance(copy, CopyInstruction)
    assert [c.data for c in copy.contents] == [data]
