"""Whole Dockerfiles (text through the real parser) planned end to end: BuildKit integration-test shapes."""

from __future__ import annotations

import json

import pytest

from pybuildkit.instructions import CopyInstruction, EnvInstruction, RunInstruction
from pybuildkit.plan import BaseImageConfig, Plan, Platform, build_program, load_program, program_json
from tests.instructions.build import parse_text

AMD64 = Platform(os="linux", architecture="amd64")


def plan(text: str, **options: object) -> Plan:
    options.setdefault("platform", AMD64)
    return load_program(parse_text(text), **options)  # type: ignore[arg-type]


def test_multi_args() -> None:
    """testMultiArgs."""
    p = plan(
        'ARG a1="foo bar" a2=box\n'
        'ARG a3="$a2-foo"\n'
        "FROM busybox\n"
        'ARG a3 a4="123 456" a1\n'
        'RUN echo "$a1 $a3 $a4"\n'
    )
    env = dict(p.target_stage.instructions[-1].env)
    assert (env["a1"], env["a3"], env["a4"]) == ("foo bar", "box-foo", "123 456")
    assert p.target_stage.instructions[-1].history_args == ("|3", "a3=box-foo", "a4=123 456", "a1=foo bar")


def test_default_env_with_args() -> None:
    """testDefaultEnvWithArgs (legacy ENV form, quotes removed by expansion)."""
    p = plan(
        "FROM busybox AS build\n"
        "ARG my_arg\n"
        'ENV my_arg "my_arg=${my_arg:-def_val}"\n'
        'ENV my_trimmed_arg "${my_arg%%e*}"\n'
        "RUN ./myscript.sh $my_arg $my_trimmed_arg\n",
        build_args={"my_arg": ""},
    )
    env = dict(p.target_stage.instructions[-1].env)
    assert (env["my_arg"], env["my_trimmed_arg"]) == ("my_arg=def_val", "my_arg=d")


def test_heredoc_var_substitution() -> None:
    """testHeredocVarSubstitution."""
    p = plan(
        "FROM busybox as build\n"
        "ARG name=world\n"
        "COPY <<EOF /dest\nHello '${name}'!\nEOF\n"
        "COPY <<'EOF' /dest2\nHello ${name}!\nEOF\n"
        'RUN <<EOF\nname="new world"\necho "Hello $name!" > /dest3\nEOF\n'
    )
    copy1, copy2, run = (i.instruction for i in p.target_stage.instructions[1:])
    assert isinstance(copy1, CopyInstruction) and isinstance(copy2, CopyInstruction)
    assert copy1.contents[0].data == "Hello 'world'!\n"
    assert copy2.contents[0].data == "Hello ${name}!\n"
    assert isinstance(run, RunInstruction)
    assert p.target_stage.instructions[-1].argv == (
        "/bin/sh",
        "-c",
        'name="new world"\necho "Hello $name!" > /dest3\n',
    )


def test_heredoc_indent() -> None:
    """testHeredocIndent: `<<-` strips leading tabs, `<<` keeps them."""
    p = plan("FROM busybox\nCOPY <<EOF /a\n\tfoo\nEOF\nCOPY <<-EOF /b\n\tbar\nEOF\n")
    datas = [i.instruction.contents[0].data for i in p.target_stage.instructions]  # type: ignore[union-attr]
    assert datas == ["\tfoo\n", "bar\n"]


def test_escape_directive_applies_to_expansion() -> None:
    p = plan("# escape=`\nFROM busybox\nARG V=val\nENV A=x`$V B=$V\n")
    env = p.target_stage.instructions[-1].instruction
    assert isinstance(env, EnvInstruction)
    assert [(kv.key, kv.value) for kv in env.pairs] == [("A", "x$V"), ("B", "val")]


def test_onbuild_heredoc_trigger_runs_in_child() -> None:
    p = plan("FROM busybox AS base\nONBUILD RUN <<EOF\necho hi\nEOF\nFROM base\n")
    first = p.target_stage.instructions[0]
    assert first.onbuild_from is not None
    assert first.argv == ("/bin/sh", "-c", "echo hi\n")


def test_onbuild_image_triggers() -> None:
    """testOnBuildCleared / testOnBuildWithChildStage: an image's triggers run once, in the stage using it."""

    calls: list[str] = []

    def lookup(name: str, platform: Platform) -> BaseImageConfig | None:
        calls.append(name)
        if name != "img":
            return None
        return BaseImageConfig(on_build=("RUN echo -n 11 >> /out/foo", "COPY --from=src /a /b"))

    p = plan("FROM busybox AS src\nFROM img AS base\nFROM base\n", base_image=lookup)
    base, child = p.stages[1], p.stages[2]
    assert [i.instruction.code for i in base.instructions] == [
        "RUN echo -n 11 >> /out/foo",
        "COPY --from=src /a /b",
    ]
    assert base.dependencies == (0,)
    assert child.instructions == ()
    assert sorted(calls) == ["busybox", "img"]  # each image looked up once


def test_doc_comments_through_the_parser() -> None:
    program = build_program(parse_text("# build compiles things\nFROM busybox AS build\n"))
    assert program.stages[0].base.doc_comment == "compiles things"


def test_program_json_is_stable_and_serialisable() -> None:
    text = (
        "ARG BASE=busybox\n"
        "FROM ${BASE} AS build\n"
        "RUN --mount=type=cache,target=/root/.cache make\n"
        "FROM scratch\n"
        "COPY --from=build /out /\n"
        "EXPOSE 80/udp\n"
        'CMD ["/app"]\n'
    )
    first = json.dumps(program_json(parse_text(text), {"BASE": "alpine"}, None), sort_keys=True)
    second = json.dumps(program_json(parse_text(text), {"BASE": "alpine"}, None), sort_keys=True)
    assert first == second
    data = json.loads(first)
    assert [s["base"] for s in data["stages"]] == ["alpine", "scratch"]
    kinds = [i["kind"] for i in data["stages"][1]["instructions"]]
    assert kinds == ["copy", "expose", "cmd"]
    assert data["stages"][1]["instructions"][0]["source_stage"] == 0
    assert data["stages"][0]["instructions"][0]["mounts"][0]["type"] == "cache"


def test_program_json_target_prunes() -> None:
    data = program_json(parse_text("FROM busybox AS a\nFROM busybox AS b\n"), {}, "a")
    assert isinstance(data, dict)
    assert [s["name"] for s in data["stages"]] == ["a"]  # type: ignore[index]


@pytest.mark.parametrize(
    "text",
    [
        "FROM busybox\nRUN --mount=type=secret,id=x,env=TOKEN cat\n",
        "FROM busybox\nHEALTHCHECK --interval=30s CMD curl -f http://localhost/ || exit 1\n",
        'FROM busybox\nONBUILD COPY . /app\nLABEL a=b\nVOLUME /data\nUSER me\nSTOPSIGNAL SIGTERM\nSHELL ["/bin/bash", "-c"]\n',
        "FROM busybox\nADD --checksum=sha256:0 --unpack=true https://x/a.tgz /\nMAINTAINER me\n",
    ],
)
def test_every_instruction_renders(text: str) -> None:
    json.dumps(program_json(parse_text(text), {}, None))


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("FROM scratch\nENV FOO bar\nCOPY f1 f2 /sub/\nRUN ls -l\n", None),
        ("FROM scratch AS foo\nENV FOO bar\nFROM foo\nCOPY --from=foo f1 /\nCOPY --from=0 f2 /\n\t", None),
        ("FROM scratch AS foo\nENV FOO bar\nFROM foo\nCOPY --from=foo f1 /\nCOPY --from=0 f2 /\n\t", "Foo"),
        ("FROM scratch\n\tADD http://github.com/moby/buildkit/blob/master/README.md /\n\t\t", None),
    ],
)
def test_dockerfile_parsing_accepts(text: str, target: str | None) -> None:
    """dockerfile2llb/convert_test.go TestDockerfileParsing (the accepted inputs)."""
    plan(text, target=target)


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        ("FROM scratch AS foo\nFROM foo\n", "nosuch", 'target stage "nosuch" could not be found'),
        ("FROM scratch\n\tCOPY http://github.com/moby/buildkit/blob/master/README.md /\n\t\t", None,
         "source can't be a URL for COPY"),
        ('FROM "" AS foo', None, 'base name ("") should not be blank'),
        ("FROM ${BLANK} AS foo", None, "base name (${BLANK}) should not be blank"),
        ("FROM scratch\nADD --checksum=sha256:0 a b /\n", None, "checksum can't be specified for multiple sources"),
    ],
)  # fmt: skip
def test_dockerfile_parsing_rejects(text: str, target: str | None, message: str) -> None:
    """dockerfile2llb/convert_test.go TestDockerfileParsing (the rejected inputs)."""
    from pybuildkit.errors import DockerfileError

    with pytest.raises(DockerfileError) as caught:
        plan(text, target=target)
    assert caught.value.message == message
