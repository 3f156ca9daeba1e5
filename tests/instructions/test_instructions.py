"""Each instruction typed from hand-built syntax nodes: fields, forms, and BuildKit's error words."""

from __future__ import annotations

import pytest

from pybuildkit.errors import InstructionError
from pybuildkit.instructions import (
    AddInstruction,
    ArgDefinition,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvInstruction,
    ExposeInstruction,
    FromInstruction,
    HealthcheckInstruction,
    Instruction,
    KeyValue,
    LabelInstruction,
    MaintainerInstruction,
    NetworkMode,
    OnbuildInstruction,
    PortSpec,
    RunInstruction,
    SecurityMode,
    ShellInstruction,
    StopsignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
    parse_instruction,
    parse_port,
)
from pybuildkit.syntax.nodes import InstructionNode
from tests.instructions.build import heredoc, node


def parse(n: InstructionNode) -> Instruction:
    return parse_instruction(n)


def test_every_class_docstring_opens_with_its_syntax() -> None:
    for cls, word in [
        (FromInstruction, "FROM"), (RunInstruction, "RUN"), (CmdInstruction, "CMD"),
        (EntrypointInstruction, "ENTRYPOINT"), (CopyInstruction, "COPY"), (AddInstruction, "ADD"),
        (EnvInstruction, "ENV"), (ArgInstruction, "ARG"), (LabelInstruction, "LABEL"),
        (ExposeInstruction, "EXPOSE"), (VolumeInstruction, "VOLUME"), (UserInstruction, "USER"),
        (WorkdirInstruction, "WORKDIR"), (HealthcheckInstruction, "HEALTHCHECK"),
        (StopsignalInstruction, "STOPSIGNAL"), (ShellInstruction, "SHELL"), (OnbuildInstruction, "ONBUILD"),
        (MaintainerInstruction, "MAINTAINER"),
    ]:  # fmt: skip
        assert (cls.__doc__ or "").startswith(word + " "), cls


def test_from_with_name_and_platform() -> None:
    got = parse(node("FROM", "busybox:1.36", "As", "Build-Env", flags=("--platform=$BUILDPLATFORM",)))
    assert isinstance(got, FromInstruction)
    assert (got.base_name, got.name, got.name_as_written, got.as_keyword, got.platform) == (
        "busybox:1.36", "build-env", "Build-Env", "As", "$BUILDPLATFORM",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("a", "b"), "FROM requires either one or three arguments"),
        ((), "FROM requires either one or three arguments"),
        (("a", "AS"), "FROM requires either one or three arguments"),
        (("a", "to", "b"), "FROM requires either one or three arguments"),
        (
            ("a", "AS", "1st"),
            'invalid name for build stage: "1st", name can\'t start with a number or contain symbols',
        ),
        (
            ("a", "AS", "a$b"),
            'invalid name for build stage: "a$b", name can\'t start with a number or contain symbols',
        ),
    ],
    ids=["two", "none", "as-no-name", "not-as", "digit", "symbol"],
)
def test_from_errors(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(InstructionError) as caught:
        parse(node("FROM", *args))
    assert caught.value.message == message


def test_run_shell_and_exec_forms() -> None:
    shell = parse(node("RUN", "echo hello  world"))
    exec_ = parse(node("RUN", "ls", "-l", json=True))
    assert isinstance(shell, RunInstruction) and isinstance(exec_, RunInstruction)
    assert (shell.command, shell.prepend_shell) == (("echo hello  world",), True)
    assert (exec_.command, exec_.prepend_shell) == (("ls", "-l"), False)


def test_run_flags() -> None:
    got = parse(
        node(
            "RUN", "make",
            flags=("--network=none", "--security=insecure", "--mount=type=tmpfs,target=/t,size=1m",
                   "--device=vendor.com/gpu=all,required", "--mount=type=cache,target=/c"),
        )
    )  # fmt: skip
    assert isinstance(got, RunInstruction)
    assert got.network is NetworkMode.NONE and got.security is SecurityMode.INSECURE
    assert [m.target for m in got.mounts] == ["/t", "/c"]
    assert got.mounts[0].size_limit == 1024 * 1024
    assert got.devices[0].name == "vendor.com/gpu=all" and got.devices[0].required
    assert got.flags_used == ("network", "security", "mount", "device")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--network=bridge",), 'invalid network mode "bridge"'),
        (("--security=privileged",), 'security "privileged" is not valid'),
        (
            ("--mount=from=$x,target=/a",),
            "'from' doesn't support variable expansion, define alias stage instead",
        ),
        (("--mnt=type=bind",), "unknown flag: --mnt"),
        (("--network",), "missing a value on flag: --network"),
        (("--network=host", "--network=none"), "duplicate flag specified: --network"),
    ],
    ids=["network", "security", "mount-from-var", "unknown", "no-value", "duplicate"],
)
def test_run_flag_errors(flags: tuple[str, ...], message: str) -> None:
    with pytest.raises(InstructionError) as caught:
        parse(node("RUN", "true", flags=flags))
    assert caught.value.message == message


def test_run_heredoc_files() -> None:
    got = parse(node("RUN", "<<-EOF", heredocs=(heredoc("EOF", "\techo hi\n", chomp=True),)))
    assert isinstance(got, RunInstruction)
    assert got.command == ("<<-EOF",)
    assert [(f.name, f.data, f.chomp) for f in got.files] == [("EOF", "\techo hi\n", True)]


def test_cmd_entrypoint_shell() -> None:
    cmd = parse(node("CMD", "echo", "hi", json=True))
    entry = parse(node("ENTRYPOINT", "my entrypoint"))
    empty = parse(node("ENTRYPOINT", json=True))
    shell = parse(node("SHELL", "/bin/bash", "-c", json=True))
    assert isinstance(cmd, CmdInstruction) and cmd.command == ("echo", "hi") and not cmd.prepend_shell
    assert (
        isinstance(entry, EntrypointInstruction)
        and entry.command == ("my entrypoint",)
        and entry.prepend_shell
    )
    assert isinstance(empty, EntrypointInstruction) and empty.command == ()
    assert isinstance(shell, ShellInstruction) and shell.shell == ("/bin/bash", "-c")


@pytest.mark.parametrize(
    ("n", "message"),
    [
        (node("SHELL", "/bin/bash -c"), "SHELL requires the arguments to be in JSON form"),
        (node("SHELL", json=True), "SHELL requires at least one argument"),
        (node("CMD", "x", flags=("--y",)), "unknown flag: --y"),
    ],
    ids=["shell-not-json", "shell-empty", "cmd-flag"],
)
def test_process_errors(n: InstructionNode, message: str) -> None:
    with pytest.raises(InstructionError) as caught:
        parse(n)
    assert caught.value.message == message


def test_copy_flags_and_sources() -> None:
    got = parse(
        node("COPY", "a", "b", "/dst/", flags=("--from=build", "--chown=1:2", "--chmod=755", "--link",
                                                "--parents", "--exclude=*.md", "--exclude=*.txt"))
    )  # fmt: skip
    assert isinstance(got, CopyInstruction)
    assert (got.sources, got.dest, got.from_, got.chown, got.chmod, got.link, got.parents, got.excludes) == (
        ("a", "b"), "/dst/", "build", "1:2", "755", True, True, ("*.md", "*.txt"),
    )  # fmt: skip


def test_add_flags() -> None:
    got = parse(
        node(
            "ADD", "https://x/a.tgz", "/", flags=("--checksum=sha256:ab", "--unpack=false", "--keep-git-dir")
        )
    )
    plain = parse(node("ADD", "a", "/"))
    assert isinstance(got, AddInstruction) and isinstance(plain, AddInstruction)
    assert (got.checksum, got.unpack, got.keep_git_dir) == ("sha256:ab", False, True)
    assert (plain.unpack, plain.keep_git_dir) == (None, None)


@pytest.mark.parametrize(
    ("keyword", "flag", "message"),
    [
        ("COPY", "--checksum=sha256:x", "unknown flag: --checksum"),
        ("COPY", "--unpack", "unknown flag: --unpack"),
        ("ADD", "--from=x", "unknown flag: --from"),
        ("ADD", "--parents", "unknown flag: --parents"),
        ("COPY", "--link=maybe", "expecting boolean value for flag --link, not: maybe"),
        ("COPY", "--link=", "missing a value on flag: --link"),
        ("COPY", "--from", "missing a value on flag: --from"),
    ],
)
def test_files_flag_errors(keyword: str, flag: str, message: str) -> None:
    with pytest.raises(InstructionError) as caught:
        parse(node(keyword, "a", "/b", flags=(flag,)))
    assert caught.value.message == message


def test_unknown_flag_hint() -> None:
    with pytest.raises(InstructionError) as caught:
        parse(node("COPY", "a", "/b", flags=("--chmown=1",)))
    assert caught.value.hint == "did you mean --chown?"


def test_env_and_label_pairs() -> None:
    env = parse(node("ENV", "a", "1", "=", "b", "two words", ""))
    label = parse(node("LABEL", "k", '"v"', "="))
    assert isinstance(env, EnvInstruction) and isinstance(label, LabelInstruction)
    assert env.pairs == (KeyValue(key="a", value="1"), KeyValue(key="b", value="two words", legacy=True))
    assert label.pairs == (KeyValue(key="k", value='"v"'),)


def test_arg_definitions() -> None:
    got = parse(node("ARG", "a", 'b="x y"', "c="))
    assert isinstance(got, ArgInstruction)
    assert got.args == (
        ArgDefinition(key="a"), ArgDefinition(key="b", value='"x y"'), ArgDefinition(key="c", value=""),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("n", "message"),
    [
        (node("ARG"), "ARG requires at least one argument"),
        (node("ARG", "=x"), "ARG names can not be blank"),
        (node("VOLUME", " "), "VOLUME specified can not be an empty string"),
        (node("USER", "a", "b"), "USER requires exactly one argument"),
        (node("HEALTHCHECK", "NONE", "x"), "HEALTHCHECK NONE takes no arguments"),
        (node("HEALTHCHECK", "RUN", "x"), 'Unknown type "RUN" in HEALTHCHECK (try CMD)'),
        (node("HEALTHCHECK", "CMD"), "Missing command after HEALTHCHECK CMD"),
        (node("HEALTHCHECK", "CMD", "x", flags=("--retries=-1",)), "--retries cannot be negative (-1)"),
        (
            node("HEALTHCHECK", "CMD", "x", flags=("--retries=a",)),
            'strconv.ParseInt: parsing "a": invalid syntax',
        ),
        (node("HEALTHCHECK", "CMD", "x", flags=("--timeout=5",)), 'time: missing unit in duration "5"'),
        (node("HEALTHCHECK", "CMD", "x", flags=("--timeout=5y",)), 'time: unknown unit "y" in duration "5y"'),
        (
            node("HEALTHCHECK", "CMD", "x", flags=("--start-period=1us",)),
            'Interval "start-period" cannot be less than 1ms',
        ),
        (node("HEALTHCHECK", "CMD", "x", flags=("--intervl=1s",)), "unknown flag: --intervl"),
        (node("ONBUILD", trigger=node("MAINTAINER", "me")), "MAINTAINER isn't allowed as an ONBUILD trigger"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_errors(n: InstructionNode, message: str) -> None:
    with pytest.raises(InstructionError) as caught:
        parse(n)
    assert caught.value.message == message


def test_healthcheck_options() -> None:
    got = parse(
        node("HEALTHCHECK", "CMD", "curl", "-f", "http://x/", json=True,
             flags=("--interval=1m30s", "--timeout=1.5s", "--start-period=0", "--start-interval=250ms", "--retries=3"))
    )  # fmt: skip
    assert isinstance(got, HealthcheckInstruction)
    assert got.test == ("CMD", "curl", "-f", "http://x/")
    assert (got.interval, got.timeout, got.start_period, got.start_interval, got.retries) == (
        90_000_000_000, 1_500_000_000, 0, 250_000_000, 3,
    )  # fmt: skip


def test_healthcheck_none_ignores_flags() -> None:
    # BuildKit does not parse the flags of HEALTHCHECK NONE.
    got = parse(node("HEALTHCHECK", "none", flags=("--whatever=1",)))
    assert isinstance(got, HealthcheckInstruction) and got.test == ("NONE",)


def test_stopsignal_ignores_flags_and_arg_ignores_flags() -> None:
    assert isinstance(parse(node("STOPSIGNAL", "SIGKILL", flags=("--x",))), StopsignalInstruction)
    assert isinstance(parse(node("ARG", "a", flags=("--x",))), ArgInstruction)


def test_expose_sorted_and_parsed() -> None:
    got = parse(node("EXPOSE", "80", "53/udp", "8000-8001/TCP"))
    variable = parse(node("EXPOSE", "$PORT"))
    assert isinstance(got, ExposeInstruction) and isinstance(variable, ExposeInstruction)
    assert got.ports == ("53/udp", "80", "8000-8001/TCP")
    assert got.specs is not None
    assert [p for s in got.specs for p in s.exposed] == ["53/udp", "80/tcp", "8000/tcp", "8001/tcp"]
    assert variable.specs is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80", PortSpec(start=80, end=80, protocol="tcp")),
        ("80/UDP", PortSpec(start=80, end=80, protocol="udp")),
        ("8080:80", PortSpec(start=80, end=80, protocol="tcp")),
        ("127.0.0.1:8080:80/sctp", PortSpec(start=80, end=80, protocol="sctp")),
        ("7000-7002", PortSpec(start=7000, end=7002, protocol="tcp")),
    ],
)
def test_parse_port(text: str, expected: PortSpec) -> None:
    assert parse_port(text) == (expected,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/tcp", 'invalid port: "/tcp": no port specified'),
        ("80/icmp", 'invalid port: "80/icmp": invalid proto: icmp'),
        ("http", "invalid containerPort: http"),
        ("70000", "invalid containerPort: 70000"),
        ("90-80", "invalid containerPort: 90-80"),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
    ],
)
def test_parse_port_errors(text: str, message: str) -> None:
    with pytest.raises(InstructionError) as caught:
        parse_port(text)
    assert caught.value.message == message


def test_onbuild_trigger_and_expression() -> None:
    trigger = node("COPY", "<<EOF", "/x", heredocs=(heredoc("EOF", "hi\n"),))
    got = parse(node("ONBUILD", trigger=trigger, original="ONBUILD COPY <<EOF /x", heredocs=trigger.heredocs))
    assert isinstance(got, OnbuildInstruction)
    assert isinstance(got.trigger, CopyInstruction)
    assert got.expression == "COPY <<EOF /x\nhi\nEOF"


def test_onbuild_bad_trigger_is_kept_for_later() -> None:
    # BuildKit checks only the trigger's keyword when the ONBUILD is parsed.
    got = parse(node("ONBUILD", trigger=node("COPY", "onlyone"), original="ONBUILD COPY onlyone"))
    assert isinstance(got, OnbuildInstruction)
    assert got.trigger is None
    assert got.trigger_error is not None and got.trigger_error.startswith(
        "COPY requires at least two arguments"
    )


def test_unknown_instruction_hint_keeps_case() -> None:
    with pytest.raises(InstructionError) as caught:
        parse(node("copyy", "a", "b"))
    assert caught.value.message == "unknown instruction: copyy"
    assert caught.value.hint == "did you mean copy?"


def test_error_is_located_at_the_instruction() -> None:
    n = node("WORKDIR", line=7)
    with pytest.raises(InstructionError) as caught:
        parse_instruction(n, filename="build/Dockerfile.dev", source="\n" * 6 + "WORKDIR\n")
    assert str(caught.value) == "build/Dockerfile.dev:7:1: WORKDIR requires exactly one argument"


def test_instructions_are_frozen() -> None:
    got = parse(node("USER", "me"))
    with pytest.raises(AttributeError):
        got.user = "root"  # type: ignore[misc, union-attr]
