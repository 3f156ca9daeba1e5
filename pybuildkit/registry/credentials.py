"""Credentials as Docker keeps them: `~/.docker/config.json` (`auths`, `credsStore`, `credHelpers`).

Reading follows the docker CLI: a registry's credential helper (`credHelpers[host]`) wins, then the default
store (`credsStore`), then the base64 `auth` (or `username`/`password`) of `auths[host]`. Docker Hub is filed
under `https://index.docker.io/v1/`; other keys may carry a scheme and a path (`https://host/v1/`), which are
ignored when matching. A helper is the program `docker-credential-<name>` speaking JSON on stdin/stdout.
Writing (`login`/`logout`) changes only the entry it concerns and keeps every other field of the file.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pybuildkit.image.reference import DEFAULT_DOMAIN
from pybuildkit.registry.errors import CredentialsError

DOCKER_HUB_KEY: Final = "https://index.docker.io/v1/"
_HUB_ALIASES: Final = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_TOKEN_USER: Final = "<token>"  # a helper's way of saying "the secret is an identity (refresh) token"


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """A user name and password, or an identity token (OAuth refresh token) from `docker login`."""

    username: str = ""
    password: str = ""
    identity_token: str = ""

    def __repr__(self) -> str:  # never print a secret by accident
        return f"Credentials(username={self.username!r}, password=***, identity_token=***)"


def config_dir() -> Path:
    """`$DOCKER_CONFIG`, else `~/.docker`."""
    env = os.environ.get("DOCKER_CONFIG")
    return Path(env) if env else Path.home() / ".docker"


def server_key(domain: str) -> str:
    """The key Docker files a registry's credentials under (`https://index.docker.io/v1/` for Docker Hub)."""
    return DOCKER_HUB_KEY if _hostname(domain) in _HUB_ALIASES else _hostname(domain)


def _hostname(key: str) -> str:
    """`https://host:5000/v1/` → `host:5000` (docker's ConvertToHostname)."""
    text = key.removeprefix("http://").removeprefix("https://")
    return text.split("/", 1)[0]


class DockerConfig:
    """One `config.json`; `directory` defaults to `config_dir()`."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else config_dir()
        self.path = self.directory / "config.json"

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise CredentialsError(f"cannot read {self.path}: {error.strerror}") from None
        if not text.strip():
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise CredentialsError(
                f"{self.path} is not valid JSON: {error}", hint="fix or remove the file, then log in again"
            ) from None
        if not isinstance(value, dict):
            raise CredentialsError(f"{self.path} is not a JSON object")
        return value

    def _write(self, value: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        data = json.dumps(value, indent="\t").encode() + b"\n"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except OSError as error:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise CredentialsError(f"cannot write {self.path}: {error.strerror}") from None

    def helper_for(self, domain: str) -> str | None:
        """The credential helper (`pass`, `desktop`...) that holds `domain`'s credentials, if any."""
        value = self._read()
        host = _hostname(server_key(domain))
        helpers = value.get("credHelpers") or {}
        if isinstance(helpers, dict):
            for key, name in helpers.items():
                if _hostname(str(key)) == host and name:
                    return str(name)
        store = value.get("credsStore")
        return str(store) if store else None

    def get(self, domain: str) -> Credentials | None:
        """The credentials for `domain` (a registry host as in a reference: `docker.io`, `host:5000`)."""
        key = server_key(domain)
        helper = self.helper_for(domain)
        if helper:
            found = _helper_get(helper, key)
            if found is not None:
                return found
        auths = self._read().get("auths") or {}
        if not isinstance(auths, dict):
            return None
        entry = auths.get(key)
        if entry is None:
            wanted = _hostname(key)
            entry = next((item for name, item in auths.items() if _hostname(str(name)) == wanted), None)
        if not isinstance(entry, dict):
            return None
        return _decode_entry(entry, self.path)

    def store(self, domain: str, credentials: Credentials) -> None:
        """Save credentials as `docker login` does: into the helper when one is configured, else `auths`."""
        key = server_key(domain)
        value = self._read()
        auths = value.setdefault("auths", {})
        helper = self.helper_for(domain)
        if helper:
            username = credentials.username if not credentials.identity_token else _TOKEN_USER
            secret = credentials.identity_token or credentials.password
            _run_helper(
                helper, "store", json.dumps({"ServerURL": key, "Username": username, "Secret": secret})
            )
            auths[key] = {}
        else:
            pair = f"{credentials.username}:{credentials.password}".encode()
            entry: dict[str, str] = {"auth": base64.b64encode(pair).decode()}
            if credentials.identity_token:
                entry = {"identitytoken": credentials.identity_token}
            auths[key] = entry
        self._write(value)

    def erase(self, domain: str) -> bool:
        """Forget `domain`'s credentials (`docker logout`); False when there were none."""
        key = server_key(domain)
        value = self._read()
        found = False
        helper = self.helper_for(domain)
        if helper:
            with contextlib.suppress(CredentialsError):
                _run_helper(helper, "erase", key)
                found = True
        auths = value.get("auths")
        if isinstance(auths, dict):
            for name in [name for name in auths if _hostname(str(name)) == _hostname(key)]:
                del auths[name]
                found = True
            self._write(value)
        return found


def _decode_entry(entry: dict[str, Any], path: Path) -> Credentials | None:
    token = str(entry.get("identitytoken") or "")
    auth = entry.get("auth")
    if auth:
        try:
            username, sep, password = base64.b64decode(str(auth)).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            raise CredentialsError(f"{path}: an 'auth' value is not base64 of user:password") from None
        if not sep:
            raise CredentialsError(f"{path}: an 'auth' value is not base64 of user:password")
        return Credentials(username=username, password=password, identity_token=token)
    if entry.get("username") or token:
        return Credentials(
            username=str(entry.get("username") or ""),
            password=str(entry.get("password") or ""),
            identity_token=token,
        )
    return None


def _helper_get(helper: str, key: str) -> Credentials | None:
    try:
        output = _run_helper(helper, "get", key)
    except _NotFoundInHelper:
        return None
    try:
        value = json.loads(output)
        username, secret = str(value.get("Username") or ""), str(value.get("Secret") or "")
    except (json.JSONDecodeError, AttributeError):
        raise CredentialsError(f"docker-credential-{helper} get printed something that is not JSON") from None
    if username == _TOKEN_USER:
        return Credentials(identity_token=secret)
    return Credentials(username=username, password=secret)


class _NotFoundInHelper(CredentialsError):
    pass


def _run_helper(helper: str, action: str, stdin: str) -> str:
    program = f"docker-credential-{helper}"
    try:
        result = subprocess.run(
            [program, action], input=stdin, capture_output=True, text=True, timeout=60, check=False
        )
    except FileNotFoundError:
        raise CredentialsError(
            f"credential helper {program} is not installed",
            hint=f"install it, or remove credsStore/credHelpers from {config_dir() / 'config.json'}",
        ) from None
    except subprocess.TimeoutExpired:
        raise CredentialsError(f"credential helper {program} {action} did not answer in 60 s") from None
    if result.returncode != 0:
        message = (result.stdout.strip() or result.stderr.strip()) or f"exit status {result.returncode}"
        if "credentials not found" in message.lower():
            raise _NotFoundInHelper(message)
        raise CredentialsError(f"credential helper {program} {action} failed: {message}")
    return result.stdout


def default_domain(text: str | None) -> str:
    """The registry a `login`/`logout` argument names (none: Docker Hub), as a host."""
    if not text:
        return DEFAULT_DOMAIN
    host = _hostname(text)
    return DEFAULT_DOMAIN if host in _HUB_ALIASES else host
