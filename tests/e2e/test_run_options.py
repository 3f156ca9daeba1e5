"""The build-level RUN options as `docker build` takes them: `--secret`, `--ssh`, `--add-host`, `--network`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pybuildkit.errors import BuildError
from pybuildkit.execute.runopts import (
    BuildNetwork,
    SecretSource,
    SshSource,
    parse_add_host,
    parse_secret,
    parse_ssh,
    run_options,
)
from tests.images import BusyboxImage


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("id=tok,src=/run/t", SecretSource(id="tok", file=Path("/run/t")), id="src"),
        pytest.param("id=tok,source=/run/t", SecretSource(id="tok", file=Path("/run/t")), id="source"),
        pytest.param("id=tok,env=TOKEN", SecretSource(id="tok", env="TOKEN"), id="env"),
        pytest.param("src=/a/b.txt", SecretSource(id="b.txt", file=Path("/a/b.txt")), id="id-from-file-name"),
        pytest.param("id=tok,type=env", SecretSource(id="tok", env="tok"), id="type-env"),
        pytest.param(
            "id=PBK_TEST_SECRET", SecretSource(id="PBK_TEST_SECRET", env="PBK_TEST_SECRET"), id="bare-env"
        ),
        pytest.param(
            "id=no-such-var", SecretSource(id="no-such-var", file=Path("no-such-var")), id="bare-file"
        ),
    ],
)
def test_parse_secret(text: str, expected: SecretSource, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PBK_TEST_SECRET", "x")
    assert parse_secret(text) == expected


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        pytest.param("secret", "id=a,color=red", "unknown field 'color'", id="secret-unknown-field"),
        pytest.param("secret", "id=a,src", "'src' is not KEY=VALUE", id="secret-bare-word"),
        pytest.param("secret", "id=a,type=socket,src=x", "unsupported type 'socket'", id="secret-type"),
        pytest.param("host", "db", "expected HOST:IP", id="host-no-ip"),
        pytest.param("host", "db:not-an-ip", "is not an IP address", id="host-bad-ip"),
        pytest.param("ssh", "a=/x,/y", "only one agent socket", id="ssh-two-sockets"),
        pytest.param("network", "bridge", "expected default, none or host", id="network"),
    ],
)
def test_bad_options_are_clear_errors(option: str, text: str, message: str) -> None:
    with pytest.raises(BuildError) as caught:
        match option:
            case "secret":
                parse_secret(text)
            case "host":
                parse_add_host(text)
            case "ssh":
                parse_ssh(text)
            case _:
                run_options(network=text)
    assert message in caught.value.message


def test_add_host_ssh_and_network(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_add_host("db.local:10.0.0.5") == ("db.local", "10.0.0.5")
    assert parse_add_host("v6=::1") == ("v6", "::1")
    assert parse_add_host("v6:[fe80::1]") == ("v6", "fe80::1")
    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/agent.sock")
    assert parse_ssh("default") == SshSource(id="default", socket=Path("/tmp/agent.sock"))
    assert parse_ssh("work=/x.sock") == SshSource(id="work", socket=Path("/x.sock"))
    monkeypatch.delenv("SSH_AUTH_SOCK")
    with pytest.raises(BuildError, match="no agent socket"):
        parse_ssh("default")
    options = run_options(network="none", add_hosts=["a:1.2.3.4"], secrets=["id=s,env=HOME"])
    assert options.network is BuildNetwork.NONE and options.extra_hosts == (("a", "1.2.3.4"),)
    assert options.secret("s") == SecretSource(id="s", env="HOME") and options.secret("t") is None


def test_secret_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "f").write_bytes(b"\x00bytes")
    assert SecretSource(id="f", file=tmp_path / "f").read() == b"\x00bytes"
    monkeypatch.setenv("PBK_VALUE", "v")
    assert SecretSource(id="e", env="PBK_VALUE").read() == b"v"
    with pytest.raises(BuildError, match="cannot read"):
        SecretSource(id="f", file=tmp_path / "missing").read()
    with pytest.raises(BuildError, match="is not set"):
        SecretSource(id="e", env="PBK_NOT_SET_" + str(os.getpid())).read()


def _build_cli_has(option: str) -> bool:
    import argparse

    from pybuildkit.cli import build as build_cli

    parser = argparse.ArgumentParser()
    build_cli.register(parser.add_subparsers())
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return any(option in action.option_strings for action in sub.choices["build"]._actions)


@pytest.mark.skipif(os.geteuid() != 0, reason="RUN runs the sandbox as root here (CI does)")
def test_cli_build_takes_secret_ssh_network_and_add_host(tmp_path: Path, busybox_image: BusyboxImage) -> None:
    if not _build_cli_has("--secret"):
        pytest.skip("`pybuildkit build` does not have --secret/--ssh/--network/--add-host yet")
    from tests.e2e.conftest import run_cli

    store = tmp_path / "store"
    busybox_image.copy_store(store)
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(
        "FROM busybox\n"
        "RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /len && ls /sys/class/net > /net "
        "&& grep -c 10.9.8.7 /etc/hosts > /hosts\n"
    )
    (tmp_path / "tok").write_text("12345")
    out = tmp_path / "out"
    code, _, err = run_cli(
        [
            "build", "--root", str(store), "--secret", f"id=tok,src={tmp_path / 'tok'}", "--network", "none",
            "--add-host", "db:10.9.8.7", "-o", f"type=local,dest={out}", str(context),
        ]
    )  # fmt: skip
    assert code == 0, err
    assert (out / "len").read_text().strip() == "5"
    assert (out / "net").read_text().split() == ["lo"]
    assert (out / "hosts").read_text().strip() == "1"
