"""The build-level rules of ../shared/conformance/semantics.md that the plan decides, one table each.

Each test names the BuildKit test that shows the rule. Dockerfiles are hand-built syntax nodes (what the
parser hands over), so these run without the syntax layer.
"""

from __future__ import annotations

import pytest

from pybuildkit.errors import DockerfileError, ExpansionError, InstructionError
from pybuildkit.instructions import (
    ArgInstruction,
    CopyInstruction,
    ExposeInstruction,
    RunInstruction,
)
from pybuildkit.plan import BaseImageConfig, Plan, PlannedInstruction, Platform, load_program
from pybuildkit.plan.expand import DEFAULT_PATH
from pybuildkit.plan.resolve import add_config_env, proxy_env, with_default_path
from pybuildkit.syntax.nodes import InstructionNode
from tests.instructions.build import heredoc, node, tree

AMD64 = Platform(os="linux", architecture="amd64")


def plan(*nodes: InstructionNode, **options: object) -> Plan:
    options.setdefault("platform", AMD64)
    return load_program(tree(*nodes), **options)  # type: ignore[arg-type]


def last(p: Plan) -> PlannedInstruction:
    return p.target_stage.instructions[-1]


def env_of(planned: PlannedInstruction) -> dict[str, str]:
    return dict(planned.env)


# --- 1. ARG scope and expansion --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build_args", "base"), [({}, "busybox:nosuchtag"), ({"tag": "latest"}, "busybox:latest")]
)
def test_global_arg_in_from(build_args: dict[str, str], base: str) -> None:
    """testGlobalArg."""
    p = plan(node("ARG", "tag=nosuchtag"), node("FROM", "busybox:${tag}"), build_args=build_args)
    assert p.target_stage.base_name == base
    assert p.target_stage.used_args == {"tag"}


def test_global_arg_errors_are_fatal() -> None:
    """testGlobalArgErrors."""
    nodes = (node("ARG", 'FOO=${FOO:?"custom error"}'), node("FROM", "busybox"))
    with pytest.raises(ExpansionError) as caught:
        plan(*nodes)
    assert "FOO: custom error" in caught.value.message
    assert caught.value.span is not None and caught.value.span.start.line == 1
    assert plan(*nodes, build_args={"FOO": "bar"}).global_args[-1] == ("FOO", "bar")


def test_meta_args_use_earlier_meta_args_and_lose_quotes() -> None:
    """testMultiArgs, testQuotedMetaArgs."""
    p = plan(node("ARG", 'a1="foo bar"', "a2=box"), node("ARG", 'a3="$a2-foo"'), node("FROM", "busybox"))
    assert dict(p.global_args)["a1"] == "foo bar"
    assert dict(p.global_args)["a3"] == "box-foo"


def test_global_arg_reaches_a_stage_only_when_redeclared() -> None:
    """testMultiArgs: `ARG a3 a4="123 456" a1` in the stage."""
    p = plan(
        node("ARG", 'a1="foo bar"', "a2=box"),
        node("ARG", 'a3="$a2-foo"'),
        node("FROM", "busybox"),
        node("RUN", "env"),
        node("ARG", "a3", 'a4="123 456"', "a1"),
        node("RUN", "env"),
    )
    before, _, after = p.target_stage.instructions
    assert not {"a1", "a2", "a3"} & set(env_of(before))
    assert {k: env_of(after)[k] for k in ("a1", "a3", "a4")} == {
        "a1": "foo bar",
        "a3": "box-foo",
        "a4": "123 456",
    }
    assert "a2" not in env_of(after)


def test_redeclared_global_takes_the_build_arg() -> None:
    """testMultiArgs (build-arg override of a global)."""
    p = plan(
        node("ARG", "a1=x"),
        node("FROM", "busybox"),
        node("ARG", "a1"),
        node("RUN", "env"),
        build_args={"a1": "y"},
    )
    assert env_of(last(p))["a1"] == "y"


def test_stage_arg_default_uses_declared_args() -> None:
    """testQuotedMetaArgs: `ARG a2` then `ARG a3="bar-$a2"`."""
    p = plan(
        node("ARG", "a2=box-foo"),
        node("FROM", "busybox"),
        node("ARG", "a2"),
        node("ARG", 'a3="bar-$a2"'),
        node("RUN", "x"),
    )
    assert env_of(last(p))["a3"] == "bar-box-foo"


@pytest.mark.parametrize(
    ("build_args", "error"),
    [({}, "FOO: foo missing"), ({"FOO": "123"}, None), ({"BAR": "123"}, None)],
    ids=["nothing", "FOO", "BAR-alone"],
)
def test_build_arg_wins_and_default_is_not_expanded(build_args: dict[str, str], error: str | None) -> None:
    """testArgDefaultExpansion."""
    nodes = (
        node("FROM", "busybox"),
        node("ARG", "FOO"),
        node("ARG", 'BAR=${FOO:?"foo missing"}'),
        node("RUN", "x"),
    )
    if error is None:
        plan(*nodes, build_args=build_args)
        return
    with pytest.raises(ExpansionError) as caught:
        plan(*nodes, build_args=build_args)
    assert error in caught.value.message
    assert caught.value.span is not None and caught.value.span.start.line == 3


def test_unset_arg_stays_out_of_env() -> None:
    """testEmptyStringArgInEnv, testBuiltinArgs."""
    p = plan(node("FROM", "busybox"), node("ARG", "FOO"), node("ARG", "BAR="), node("RUN", "x"))
    env = env_of(last(p))
    assert "FOO" not in env and env["BAR"] == ""
    assert last(p).build_args == (("FOO", None), ("BAR", ""))


@pytest.mark.parametrize("build_args", [{}, {"my_arg": ""}], ids=["none", "empty"])
def test_env_uses_args_and_overrides_them(build_args: dict[str, str]) -> None:
    """testDefaultEnvWithArgs: an empty build-arg is empty, not unset; ENV beats ARG."""
    p = plan(
        node("FROM", "busybox"),
        node("ARG", "my_arg"),
        node("ENV", "my_arg", '"my_arg=${my_arg:-def_val}"', ""),
        node("ENV", "my_trimmed_arg", '"${my_arg%%e*}"', ""),
        node("RUN", "env"),
        build_args=build_args,
    )
    env = env_of(last(p))
    assert env["my_arg"] == "my_arg=def_val"
    assert env["my_trimmed_arg"] == "my_arg=d"


def test_pattern_removal_in_from() -> None:
    """testDefaultEnvWithArgs: `FROM busy${image#idle}`."""
    assert (
        plan(node("ARG", "image=idlebox"), node("FROM", "busy${image#idle}")).target_stage.base_name
        == "busybox"
    )


def test_env_keeps_percent() -> None:
    """testEnvEmptyFormatting."""
    p = plan(node("FROM", "busybox"), node("ENV", "myenv", "foo%sbar", ""), node("RUN", "x"))
    assert env_of(last(p))["myenv"] == "foo%sbar"


def test_child_stage_inherits_declared_args() -> None:
    """testUnmatchedVars: `FROM base` + `COPY $foo .` sees base's `ARG foo=Dockerfile`."""
    p = plan(
        node("FROM", "alpine", "AS", "base"),
        node("ARG", "foo=Dockerfile"),
        node("FROM", "base"),
        node("COPY", "$foo", "."),
    )
    copy = last(p)
    assert isinstance(copy.instruction, CopyInstruction)
    assert copy.instruction.sources == ("Dockerfile",)
    assert copy.undefined_vars == frozenset()
    assert copy.used_vars == {"foo"}


def test_variable_before_its_arg_is_undefined() -> None:
    """testUnmatchedVars: `COPY $foo .` before `ARG foo=bar`; `$PATH` from the image counts as defined."""
    p = plan(node("FROM", "busybox"), node("COPY", "$foo", "$PATH"), node("ARG", "foo=bar"))
    copy = p.target_stage.instructions[0]
    assert copy.undefined_vars == {"foo"}
    assert copy.used_vars == {"PATH"}


def test_automatic_args_in_from_without_declaration() -> None:
    """testUndeclaredArg: `FROM --platform=$BUILDPLATFORM`, and a misspelled name is an error."""
    ok = plan(node("FROM", "busybox", flags=("--platform=$BUILDPLATFORM",)))
    assert ok.target_stage.platform == ok.build_platform
    assert ok.target_stage.used_args == {"BUILDPLATFORM"}
    undeclared = plan(node("FROM", "busybox:${VERSION}"))
    assert (undeclared.target_stage.base_name, undeclared.target_stage.undefined_args) == (
        "busybox:",
        {"VERSION"},
    )
    with pytest.raises(InstructionError) as caught:
        plan(node("FROM", "busybox", flags=("--platform=$BULIDPLATFORM",)))
    assert caught.value.message == "empty platform value from expression $BULIDPLATFORM"
    assert caught.value.hint == "did you mean $BUILDPLATFORM?"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, {"TARGETPLATFORM": "linux/amd64", "TARGETOS": "linux", "TARGETARCH": "amd64"}),
        ({"build_args": {"TARGETOS": "freebsd"}}, {"TARGETOS": "freebsd"}),
        ({"platform": "darwin/ppc64le"}, {"TARGETPLATFORM": "darwin/ppc64le", "TARGETARCH": "ppc64le"}),
        ({"platform": "linux/arm/v7"}, {"TARGETPLATFORM": "linux/arm/v7", "TARGETVARIANT": "v7"}),
    ],
    ids=["default", "build-arg", "darwin", "variant"],
)
def test_automatic_platform_args(options: dict[str, object], expected: dict[str, str]) -> None:
    """testPlatformArgsExplicit: automatic ARGs act as globals a stage redeclares."""
    p = plan(
        node("FROM", "busybox"),
        node("RUN", "x"),
        node("ARG", "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM"),
        node("RUN", "x"),
        **options,
    )
    first, _, after = p.target_stage.instructions
    assert "TARGETPLATFORM" not in env_of(first)
    assert {k: env_of(after)[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [(None, "default"), ("build", "build"), ("BUILD", "BUILD")],
    ids=["last-unnamed", "target", "target-as-given"],
)
def test_targetstage(target: str | None, expected: str) -> None:
    """testTargetStageNameArg: empty before `ARG TARGETSTAGE`, then the target (or the last stage's name)."""
    p = plan(
        node("FROM", "busybox", "AS", "build"),
        node("RUN", "x"),
        node("ARG", "TARGETSTAGE"),
        node("RUN", "x"),
        node("FROM", "busybox"),
        node("RUN", "x"),
        node("ARG", "TARGETSTAGE"),
        node("RUN", "x"),
        target=target,
    )
    runs = p.target_stage.instructions
    assert "TARGETSTAGE" not in env_of(runs[0])
    assert env_of(runs[-1])["TARGETSTAGE"] == expected


def test_targetstage_is_the_last_stage_name() -> None:
    """testTargetStageNameArg."""
    p = plan(node("FROM", "busybox", "AS", "final"), node("ARG", "TARGETSTAGE"), node("RUN", "x"))
    assert env_of(last(p))["TARGETSTAGE"] == "final"


def test_proxy_args_are_predefined_and_not_in_env() -> None:
    """testBuiltinArgs: proxies reach RUN without ARG, but stay out of the (cache-keyed) environment."""
    args = {"http_proxy": "hpvalue", "NO_PROXY": "npvalue", "FOO": "foo"}
    p = plan(node("FROM", "busybox"), node("ARG", "FOO"), node("RUN", "env"), build_args=args)
    assert set(p.proxy_env) == {
        "HTTP_PROXY=hpvalue",
        "http_proxy=hpvalue",
        "NO_PROXY=npvalue",
        "no_proxy=npvalue",
    }
    env = env_of(last(p))
    assert env["FOO"] == "foo"
    assert not {"http_proxy", "HTTP_PROXY", "NO_PROXY", "no_proxy"} & set(env)


def test_proxy_lower_case_wins() -> None:
    """convert_test.go TestProxyEnvFromBuildArgsDeterministicOrder / ...NilWhenNoProxyArgs."""
    got = proxy_env({"ALL_PROXY": "A", "all_proxy": "a", "HTTP_PROXY": "H", "http_proxy": "h"})
    assert got == ("HTTP_PROXY=h", "http_proxy=h", "ALL_PROXY=a", "all_proxy=a")
    assert proxy_env({"FOO": "x"}) == ()


def test_expose_words_after_expansion() -> None:
    """testExposeExpansion."""
    p = plan(
        node("FROM", "busybox"),
        node("ARG", 'PORTS="3000 4000/udp"'),
        node("EXPOSE", "$PORTS"),
        node("EXPOSE", "5000"),
    )
    exposed = []
    for planned in p.target_stage.instructions:
        if isinstance(planned.instruction, ExposeInstruction):
            assert planned.instruction.specs is not None
            exposed += [port for spec in planned.instruction.specs for port in spec.exposed]
    assert exposed == ["3000/tcp", "4000/udp", "5000/tcp"]


def test_run_history_args() -> None:
    """testExportedHistoryFlattenArgs: `RUN |2 foo=bar2 bar=123 ...`."""
    p = plan(
        node("FROM", "busybox"),
        node("ARG", "foo=bar"),
        node("ARG", "bar=123"),
        node("ARG", "foo=bar2"),
        node("RUN", "x"),
    )
    assert last(p).history_args == ("|2", "foo=bar2", "bar=123")


def test_config_env_updates_in_place() -> None:
    """convert_test.go TestAddEnv."""
    assert add_config_env(("A=1", "B=2"), "A", "3") == ("A=3", "B=2")
    assert add_config_env(("A", "B=2"), "A", "3") == ("A=3", "B=2")
    assert add_config_env(("A=1",), "C", "3") == ("A=1", "C=3")


def test_env_sets_image_config_and_arg_does_not() -> None:
    p = plan(node("FROM", "scratch"), node("ARG", "A=1"), node("ENV", "foo", "bar", "="))
    assert p.target_stage.config_env == ("PATH=" + DEFAULT_PATH, "foo=bar")
    assert dict(p.target_stage.env)["A"] == "1"


def test_base_image_path_is_added_unless_set_or_windows() -> None:
    assert with_default_path(("A=1",)) == ("A=1", "PATH=" + DEFAULT_PATH)
    assert with_default_path(("PATH=/x", "A=1")) == ("PATH=/x", "A=1")
    assert with_default_path(("A=1",), "windows") == ("A=1",)


def test_workdir_user_shell_in_force_before_each_instruction() -> None:
    config = BaseImageConfig(working_dir="/srv", user="app", shell=("/bin/bash", "-c"))
    p = plan(
        node("FROM", "base"),
        node("WORKDIR", "sub"),
        node("USER", "root"),
        node("SHELL", "/bin/ash", "-c", json=True),
        node("RUN", "true"),
        base_image=lambda name, platform: config,
    )
    seen = [(i.workdir, i.user, i.shell) for i in p.target_stage.instructions]
    assert seen == [
        ("/srv", "app", ("/bin/bash", "-c")),
        ("/srv/sub", "app", ("/bin/bash", "-c")),
        ("/srv/sub", "root", ("/bin/bash", "-c")),
        ("/srv/sub", "root", ("/bin/ash", "-c")),
    ]


# --- 2. CMD / ENTRYPOINT / SHELL / RUN ---------------------------------------------------------------


def test_shell_form_uses_current_shell() -> None:
    """testCmdShell: after `SHELL ["ls"]`, `ENTRYPOINT my entrypoint` is `["ls","my entrypoint"]`."""
    p = plan(node("FROM", "busybox"), node("SHELL", "ls", json=True), node("ENTRYPOINT", "my entrypoint"))
    assert last(p).argv == ("ls", "my entrypoint")


def test_default_shell_and_path() -> None:
    """testDefaultShellAndPath."""
    p = plan(node("FROM", "scratch"), node("ENTRYPOINT", "foo bar"))
    assert last(p).argv == ("/bin/sh", "-c", "foo bar")
    assert env_of(last(p)) == {"PATH": DEFAULT_PATH}


def test_exec_form_is_not_wrapped() -> None:
    """testIgnoreEntrypoint: RUN in exec form runs as written."""
    p = plan(
        node("FROM", "busybox"), node("ENTRYPOINT", "/nosuchcmd", json=True), node("RUN", "ls", json=True)
    )
    assert last(p).argv == ("ls",)


def test_invalid_json_is_shell_form() -> None:
    """testInvalidJSONCommands: `ENTRYPOINT []random string`."""
    p = plan(node("FROM", "busybox"), node("ENTRYPOINT", "[]random string"))
    assert last(p).argv == ("/bin/sh", "-c", "[]random string")


def test_base_image_shell_and_env_through_the_seam() -> None:
    """The base image's config comes from the build (a callback), PATH only when it has none."""

    def lookup(name: str, platform: Platform) -> BaseImageConfig | None:
        assert (name, platform) == ("img", AMD64)
        return BaseImageConfig(env=("PATH=/bin", "LANG=C"), shell=("/bin/bash", "-c"), working_dir="/app")

    p = plan(node("FROM", "img"), node("WORKDIR", "sub"), node("CMD", "$LANG"), base_image=lookup)
    assert last(p).argv == ("/bin/bash", "-c", "$LANG")
    assert env_of(last(p)) == {"PATH": "/bin", "LANG": "C"}
    assert p.target_stage.workdir == "/app/sub"


# --- 3. ONBUILD --------------------------------------------------------------------------------------


def onbuild(trigger: InstructionNode) -> InstructionNode:
    return node("ONBUILD", trigger=trigger, original="ONBUILD " + trigger.original)


def test_onbuild_in_a_stage_runs_in_the_child_stage_first() -> None:
    """testOnBuildInheritedStageRun, testOnBuildCleared (not handed on to a grandchild)."""
    p = plan(
        node("FROM", "busybox", "AS", "base"),
        onbuild(node("RUN", "echo -n 11 >> /out/foo")),
        node("FROM", "base", "AS", "child"),
        node("RUN", "true"),
        node("FROM", "child"),
        node("RUN", "cat /out/foo"),
    )
    _base, child, grandchild = p.stages
    assert [i.onbuild_from is not None for i in child.instructions] == [True, False]
    assert child.instructions[0].argv == ("/bin/sh", "-c", "echo -n 11 >> /out/foo")
    assert child.instructions[0].onbuild_from == child.stage.base.span
    assert [i.onbuild_from for i in grandchild.instructions] == [None]


def test_onbuild_trigger_adds_dependencies() -> None:
    """testOnBuildNewDeps, testOnBuildInheritedStageWithFrom."""
    p = plan(
        node("FROM", "busybox", "AS", "src"),
        node("FROM", "busybox", "AS", "base"),
        onbuild(node("COPY", "/etc/passwd", "/x", flags=("--from=src",))),
        node("FROM", "base"),
        target=None,
    )
    assert [s.index for s in p.stages] == [0, 1, 2]
    assert p.target_stage.dependencies == (0,)


def test_onbuild_image_triggers_through_the_seam() -> None:
    """testOnBuildCleared: an image's triggers run in the stage that uses it."""
    pytest.importorskip("pybuildkit.syntax")
    from tests.instructions.build import real_parser_available

    if not real_parser_available():
        pytest.skip("needs the syntax layer to parse trigger text")

    def lookup(name: str, platform: Platform) -> BaseImageConfig:
        return BaseImageConfig(on_build=("RUN echo hi",))

    p = plan(node("FROM", "img", "AS", "a"), node("FROM", "a"), base_image=lookup)
    first, second = p.stages
    assert [i.instruction.code for i in first.instructions] == ["RUN echo hi"]
    assert second.instructions == ()


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        (node("FROM", "x"), "FROM isn't allowed as an ONBUILD trigger"),
        (node("ONBUILD", trigger=node("RUN", "x")), "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
    ],
    ids=["from", "onbuild"],
)
def test_forbidden_triggers(trigger: InstructionNode, message: str) -> None:
    """instructions/parse_test.go TestErrorCases."""
    with pytest.raises(InstructionError) as caught:
        plan(node("FROM", "busybox"), onbuild(trigger))
    assert caught.value.message == message


def test_bad_trigger_fails_when_it_runs() -> None:
    nodes = (node("FROM", "busybox", "AS", "base"), onbuild(node("COPY", "x")))
    plan(*nodes)  # nothing uses the trigger yet
    with pytest.raises(InstructionError) as caught:
        plan(*nodes, node("FROM", "base"))
    assert caught.value.message.startswith("COPY requires at least two arguments")


# --- 4. Stages, targets, COPY --from ------------------------------------------------------------------


def test_names_and_targets_ignore_case() -> None:
    """testMultiStageCaseInsensitive."""
    p = plan(
        node("FROM", "busybox", "AS", "STAge0"),
        node("FROM", "busybox", "AS", "staGE1"),
        node("COPY", "/a", "/b", flags=("--from=staGE0",)),
        node("FROM", "busybox"),
        target="Stage1",
    )
    assert p.target == 1
    assert [s.name for s in p.stages] == ["stage0", "stage1"]
    assert p.target_stage.instructions[0].source_stage == 0


def test_unknown_target() -> None:
    with pytest.raises(DockerfileError) as caught:
        plan(node("FROM", "busybox", "AS", "build"), target="biuld")
    assert caught.value.message == 'target stage "biuld" could not be found'
    assert caught.value.hint == "did you mean build?"


def test_copy_from_index_image_and_hiding() -> None:
    """TestDockerfileParsing, testMultiStageImplicitFrom."""
    p = plan(
        node("FROM", "busybox", "AS", "golang"),
        node("FROM", "scratch"),
        node("COPY", "/a", "/a", flags=("--from=0",)),
        node("COPY", "/etc/passwd", "test", flags=("--from=busybox",)),
        node("COPY", "/b", "/b", flags=("--from=golang",)),
    )
    copies = p.target_stage.instructions
    assert [c.source_stage for c in copies] == [0, None, 0]
    assert p.target_stage.images == ("busybox",)
    assert p.target_stage.dependencies == (0,)


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        (
            (
                node("FROM", "busybox", "AS", "a"),
                node("COPY", "x", "y", flags=("--from=b",)),
                node("FROM", "busybox", "AS", "b"),
            ),
            'cannot copy from stage "b", it needs to be defined before current stage "a"',
        ),
        (
            (node("FROM", "busybox", "AS", "stage0"), node("COPY", "x", "y", flags=("--from=stage0",))),
            "circular dependency detected on stage: stage0",
        ),
        (
            (
                node("FROM", "busybox", "AS", "stage0"),
                node("COPY", "x", "y", flags=("--from=stage1",)),
                node("FROM", "busybox", "AS", "stage1"),
                node("COPY", "x", "y", flags=("--from=stage0",)),
            ),
            "circular dependency detected on stage: stage0",
        ),
        ((node("FROM", "busybox"), node("COPY", "x", "y", flags=("--from=3",))), "invalid stage index 3"),
        (
            (node("FROM", "busybox"), node("COPY", "x", "y", flags=("--from=$X",))),
            "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
        ),
        ((node("ARG", "X=1"),), "dockerfile contains no stages to build"),
        ((node("FROM", '""'),), 'base name ("") should not be blank'),
        ((node("FROM", "${BLANK}"),), "base name (${BLANK}) should not be blank"),
        (
            (
                node("FROM", "busybox", "AS", "a"),
                node("RUN", "x", flags=("--mount=from=b,target=/b",)),
                node("FROM", "busybox", "AS", "b"),
            ),
            'cannot mount from stage "b" to "/b", stage needs to be defined before current command',
        ),
    ],
    ids=[
        "later-stage",
        "self",
        "cycle",
        "index",
        "variable",
        "no-stages",
        "empty-from",
        "blank-from",
        "mount-later",
    ],
)
def test_stage_errors(nodes: tuple[InstructionNode, ...], message: str) -> None:
    """testOutOfOrderStage, TestDockerfileCircularDependencies, testEmptyStages, TestDockerfileParsing."""
    target = "a" if message.startswith("cannot") else None
    with pytest.raises(DockerfileError) as caught:
        plan(*nodes, target=target)
    assert caught.value.message == message


def test_target_prunes_unneeded_stages() -> None:
    """Only the target, its bases and what it copies or mounts from are planned."""
    p = plan(
        node("FROM", "busybox", "AS", "tools"),
        node("FROM", "busybox", "AS", "unused"),
        node("FROM", "busybox", "AS", "cache"),
        node("FROM", "tools", "AS", "build"),
        node("RUN", "make", flags=("--mount=type=bind,from=cache,target=/c",)),
        node("FROM", "scratch"),
        target="build",
    )
    assert [s.name for s in p.stages] == ["tools", "cache", "build"]
    assert p.target_stage.base_stage == 0
    assert p.target_stage.dependencies == (2,)


def test_stage_lookup_by_name_and_index() -> None:
    p = plan(node("FROM", "busybox", "AS", "one"), node("FROM", "busybox", "AS", "two"))
    assert p.program.stage("TWO") is p.program.stages[1]
    assert p.program.stage(0) is p.program.stages[0]
    assert p.program.stage("three") is None and p.program.stage(5) is None


def test_base_of_a_stage_chain() -> None:
    """TestBaseImageConfig: the base of `FROM otherstage` is that stage."""
    p = plan(node("FROM", "alpine", "AS", "a"), node("FROM", "a", "AS", "b"), node("FROM", "b"))
    assert [s.base_stage for s in p.stages] == [None, 0, 1]
    assert p.stages[0].base_name == "alpine"


# --- 5. USER and WORKDIR -----------------------------------------------------------------------------


def test_workdir_and_user() -> None:
    p = plan(
        node("FROM", "busybox"),
        node("ARG", "D=sub"),
        node("WORKDIR", "/app"),
        node("WORKDIR", "$D/../other"),
        node("USER", "${D}:1"),
    )
    assert p.target_stage.workdir == "/app/other"
    assert p.target_stage.user == "sub:1"


# --- 6. Heredocs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expand", "data"),
    [(True, "Hello 'world'!\nHello \"world\"!\n"), (False, "Hello '${name}'!\nHello \"${name}\"!\n")],
)
def test_copy_heredoc_expansion(expand: bool, data: str) -> None:
    """testHeredocVarSubstitution: unquoted delimiters expand (quotes kept), quoted ones do not."""
    body = "Hello '${name}'!\nHello \"${name}\"!\n"
    p = plan(
        node("FROM", "busybox"),
        node("ARG", "name=world"),
        node(
            "COPY", "<<EOF" if expand else "<<'EOF'", "/dest", heredocs=(heredoc("EOF", body, expand=expand),)
        ),
    )
    copy = last(p).instruction
    assert isinstance(copy, CopyInstruction)
    assert copy.contents[0].data == data


def test_run_heredoc_is_given_to_the_shell_unexpanded() -> None:
    """testHeredocVarSubstitution, testHeredocIndent (`<<-` strips tabs for RUN too)."""
    p = plan(
        node("FROM", "busybox"),
        node("ARG", "name=world"),
        node(
            "RUN",
            "<<-EOF",
            heredocs=(heredoc("EOF", '\tname="new world"\n\techo "Hello ${name}!"\n', chomp=True),),
        ),
    )
    assert last(p).argv == ("/bin/sh", "-c", 'name="new world"\necho "Hello ${name}!"\n')


def test_run_heredoc_with_shebang_runs_as_a_file() -> None:
    p = plan(
        node("FROM", "busybox"),
        node("RUN", "<<EOF", heredocs=(heredoc("EOF", "#!/usr/bin/env python3\nprint(1)\n"),)),
    )
    assert last(p).argv == ("/bin/sh", "-c", "/dev/pipes/EOF")
    assert last(p).script == ("EOF", "#!/usr/bin/env python3\nprint(1)\n")


def test_run_complex_heredoc_is_reassembled() -> None:
    """testRunComplexHeredoc: several heredocs on one line go to the shell whole."""
    p = plan(
        node("FROM", "busybox"),
        node(
            "RUN",
            "cat <<EOF1 | tr a b; cat <<EOF2",
            heredocs=(heredoc("EOF1", "aaa\n"), heredoc("EOF2", "ccc\n")),
        ),
    )
    assert last(p).argv == ("/bin/sh", "-c", "cat <<EOF1 | tr a b; cat <<EOF2\naaa\nEOF1\nccc\nEOF2")


def test_run_mounts_are_expanded_at_dispatch() -> None:
    p = plan(
        node("FROM", "busybox"),
        node("ARG", "T=cache"),
        node("RUN", "x", flags=("--mount=type=$T,target=/root/.cache,id=${T}-id",)),
    )
    run = last(p).instruction
    assert isinstance(run, RunInstruction)
    mount = run.mounts[0]
    assert (mount.type, mount.cache_id, mount.resolved) == ("cache", "cache-id", True)


def test_arg_instruction_is_returned_with_values() -> None:
    p = plan(node("ARG", "G=g"), node("FROM", "busybox"), node("ARG", "G", "L=${G}l", "U"))
    arg = last(p).instruction
    assert isinstance(arg, ArgInstruction)
    assert [(a.key, a.value) for a in arg.args] == [("G", "g"), ("L", "gl"), ("U", None)]


def test_empty_shell_form_commands_still_get_the_shell() -> None:
    """BuildKit's withShell joins an empty command line into one empty argument."""
    p = plan(node("FROM", "busybox"), node("CMD"), node("ENTRYPOINT", json=True), node("RUN"))
    assert [i.argv for i in p.target_stage.instructions] == [("/bin/sh", "-c", ""), (), ("/bin/sh", "-c", "")]
