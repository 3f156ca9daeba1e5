"""Basic auth (htpasswd) and the Bearer token flow against real registries; login and logout."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import sys
from pathlib import Path

import pytest

from pybuildkit.registry import Credentials, DockerConfig, RegistryOptions, UnauthorizedError, pull, push
from pybuildkit.registry.auth import parse_challenges
from pybuildkit.store import Store
from tests.registry.cli import run_cli
from tests.registry.conftest import PASSWORD, USER, make_image
from tests.registry.servers import RunningRegistry, TokenIssuer


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('Basic realm="Registry Realm"', [("basic", [("realm", "Registry Realm")])]),
        (
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
            [
                (
                    "bearer",
                    [
                        ("realm", "https://auth.docker.io/token"),
                        ("service", "registry.docker.io"),
                        ("scope", "repository:library/busybox:pull"),
                    ],
                )
            ],
        ),
        (
            'Bearer realm=http://x/t, error="insufficient_scope"',
            [("bearer", [("realm", "http://x/t"), ("error", "insufficient_scope")])],
        ),
        ('Basic realm="a", Bearer realm="b"', [("basic", [("realm", "a")]), ("bearer", [("realm", "b")])]),
        ('Bearer realm="quo\\"ted"', [("bearer", [("realm", 'quo"ted')])]),
    ],
    ids=["basic", "bearer", "unquoted", "two-challenges", "escaped-quote"],
)
def test_parse_challenges(header: str, expected: list[tuple[str, list[tuple[str, str]]]]) -> None:
    got = [(item.scheme, list(item.params)) for item in parse_challenges(header)]
    assert got == expected


def _with(options: RegistryOptions, domain: str) -> RegistryOptions:
    return dataclasses.replace(
        options, credentials=((domain, Credentials(username=USER, password=PASSWORD)),)
    )


@pytest.mark.parametrize("kind", ["basic", "token"])
def test_push_pull_with_credentials(
    kind: str,
    basic_registry: RunningRegistry,
    token_registry: RunningRegistry,
    options: RegistryOptions,
    tmp_path: Path,
) -> None:
    registry = basic_registry if kind == "basic" else token_registry
    store = Store(tmp_path / "s")
    local = make_image(store, tmp_path, name="auth:1", content=f"auth {kind}")
    ref = f"{registry.host}/private/app:1"
    authed = _with(options, registry.host)
    push(store, "auth:1", ref, options=authed)
    pulled = pull(Store(tmp_path / "t"), ref, options=authed)
    assert pulled.descriptor.digest == local.digest


@pytest.mark.parametrize("kind", ["basic", "token"])
def test_push_without_credentials_says_login(
    kind: str,
    basic_registry: RunningRegistry,
    token_registry: RunningRegistry,
    options: RegistryOptions,
    tmp_path: Path,
) -> None:
    registry = basic_registry if kind == "basic" else token_registry
    store = Store(tmp_path / "s")
    make_image(store, tmp_path, name="noauth:1", content="no")
    with pytest.raises(UnauthorizedError) as caught:
        push(store, "noauth:1", f"{registry.host}/private/noauth:1", options=options)
    assert caught.value.hint == f"run `pybuildkit login {registry.host}`"


def test_token_anonymous_pull_is_granted(
    token_registry: RunningRegistry, token_issuer: TokenIssuer, options: RegistryOptions, tmp_path: Path
) -> None:
    store = Store(tmp_path / "s")
    local = make_image(store, tmp_path, name="anon:1", content="anonymous pull")
    ref = f"{token_registry.host}/public/anon:1"
    push(store, "anon:1", ref, options=_with(options, token_registry.host))
    pulled = pull(Store(tmp_path / "t"), ref, options=options)  # the issuer grants anonymous pull
    assert pulled.descriptor.digest == local.digest
    assert ("", "repository:public/anon:pull") in token_issuer.requests


def test_identity_token(
    token_registry: RunningRegistry, token_issuer: TokenIssuer, docker_config: Path, tmp_path: Path
) -> None:
    """An identity token in config.json is exchanged by an OAuth2 POST (grant_type=refresh_token)."""
    (docker_config / "config.json").write_text(
        json.dumps({"auths": {token_registry.host: {"identitytoken": f"refresh-{USER}"}}})
    )
    options = RegistryOptions(docker_config=str(docker_config), trust_env=False, retries=1, backoff=0.01)
    store = Store(tmp_path / "s")
    local = make_image(store, tmp_path, name="idtoken:1", content="identity token")
    pushed = push(store, "idtoken:1", f"{token_registry.host}/private/idtoken:1", options=options)
    assert pushed.descriptor.digest == local.digest
    (docker_config / "config.json").write_text(
        json.dumps({"auths": {token_registry.host: {"identitytoken": "refresh-mallory"}}})
    )
    with pytest.raises(UnauthorizedError):
        push(store, "idtoken:1", f"{token_registry.host}/private/idtoken:2", options=options)


def test_wrong_password_is_refused(
    basic_registry: RunningRegistry, token_registry: RunningRegistry, options: RegistryOptions, tmp_path: Path
) -> None:
    bad = Credentials(username=USER, password="nope")
    for registry in (basic_registry, token_registry):
        wrong = dataclasses.replace(options, credentials=((registry.host, bad),))
        with pytest.raises(UnauthorizedError):
            pull(Store(tmp_path / "s"), f"{registry.host}/private/app:1", options=wrong)


@pytest.mark.parametrize("kind", ["basic", "token"])
def test_login_logout_cli(
    kind: str,
    basic_registry: RunningRegistry,
    token_registry: RunningRegistry,
    docker_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    registry = basic_registry if kind == "basic" else token_registry
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config))
    config = docker_config / "config.json"
    config.write_text(json.dumps({"auths": {"other.example": {"auth": "eDp5"}}, "psFormat": "table"}))

    monkeypatch.setattr(sys, "stdin", io.StringIO("nope\n"))
    assert run_cli(monkeypatch, "login", "-u", USER, "--password-stdin", registry.host) == 1
    assert "hint: check the user name and password" in capsys.readouterr().err
    assert registry.host not in json.loads(config.read_text())["auths"]

    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert run_cli(monkeypatch, "login", "-u", USER, "--password-stdin", registry.host) == 0
    assert "Login Succeeded" in capsys.readouterr().out
    saved = json.loads(config.read_text())
    assert saved["psFormat"] == "table" and "other.example" in saved["auths"]
    assert base64.b64decode(saved["auths"][registry.host]["auth"]).decode() == f"{USER}:{PASSWORD}"
    assert config.stat().st_mode & 0o777 == 0o600

    # The saved credentials are used: push and pull by the CLI need no flags.
    store_dir = tmp_path / "store"
    make_image(Store(store_dir), tmp_path, name=f"{registry.host}/cli/app:1", content=f"cli {kind}")
    assert run_cli(monkeypatch, "push", "--root", str(store_dir), "-q", f"{registry.host}/cli/app:1") == 0
    assert (
        run_cli(monkeypatch, "pull", "--root", str(tmp_path / "other"), "-q", f"{registry.host}/cli/app:1")
        == 0
    )

    assert run_cli(monkeypatch, "logout", registry.host) == 0
    assert registry.host not in json.loads(config.read_text())["auths"]
    # Anonymous push is refused by both (the token issuer grants anonymous callers pull only).
    assert run_cli(monkeypatch, "push", "--root", str(store_dir), f"{registry.host}/cli/app:1") == 1
    assert f"run `pybuildkit login {registry.host}`" in capsys.readouterr().err


def test_credential_helper(tmp_path: Path, docker_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helper_dir = tmp_path / "bin"
    helper_dir.mkdir()
    store_file = tmp_path / "helper-store.json"
    helper = helper_dir / "docker-credential-testhelper"
    helper.write_text(
        f"""#!{sys.executable}
import json, sys
path = {str(store_file)!r}
try:
    data = json.load(open(path))
except FileNotFoundError:
    data = {{}}
action = sys.argv[1]
if action == "get":
    key = sys.stdin.read().strip()
    if key not in data:
        print("credentials not found in native keychain"); sys.exit(1)
    print(json.dumps({{"ServerURL": key, "Username": data[key][0], "Secret": data[key][1]}}))
elif action == "store":
    item = json.load(sys.stdin)
    data[item["ServerURL"]] = [item["Username"], item["Secret"]]
    json.dump(data, open(path, "w"))
elif action == "erase":
    data.pop(sys.stdin.read().strip(), None)
    json.dump(data, open(path, "w"))
"""
    )
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{helper_dir}:{__import__('os').environ['PATH']}")
    (docker_config / "config.json").write_text(
        json.dumps({"credHelpers": {"reg.example:5000": "testhelper"}})
    )
    config = DockerConfig(docker_config)
    assert config.get("reg.example:5000") is None
    config.store("reg.example:5000", Credentials(username="bob", password="secret"))
    assert json.loads(store_file.read_text()) == {"reg.example:5000": ["bob", "secret"]}
    assert json.loads((docker_config / "config.json").read_text())["auths"] == {"reg.example:5000": {}}
    assert config.get("reg.example:5000") == Credentials(username="bob", password="secret")
    assert config.get("elsewhere.example") is None
    assert config.erase("reg.example:5000")
    assert config.get("reg.example:5000") is None


@pytest.mark.parametrize(
    ("auths", "domain", "expected"),
    [
        ({"https://index.docker.io/v1/": {"auth": "dTpw"}}, "docker.io", ("u", "p")),
        ({"http://reg.example:5000/v2/": {"auth": "dTpw"}}, "reg.example:5000", ("u", "p")),
        ({"reg.example": {"username": "u", "password": "p"}}, "reg.example", ("u", "p")),
        ({"reg.example": {"auth": "dTpw"}}, "reg.example:5000", None),
    ],
    ids=["docker-hub-key", "scheme-and-path-ignored", "plain-fields", "port-matters"],
)
def test_config_lookup(
    docker_config: Path, auths: dict[str, object], domain: str, expected: tuple[str, str] | None
) -> None:
    (docker_config / "config.json").write_text(json.dumps({"auths": auths}))
    found = DockerConfig(docker_config).get(domain)
    assert (None if found is None else (found.username, found.password)) == expected
