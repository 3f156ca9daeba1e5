"""Build-level options for RUN: `--secret`, `--ssh`, `--network`, `--add-host`, as `docker build` has them.

Parsed once by the session into a frozen `RunOptions` the executor reads. A secret's value is read only when
a RUN mounts it, and never enters a cache key (BuildKit keys a secret mount on its id, not on its content).
"""

from __future__ import annotations

import enum
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pybuildkit.errors import BuildError

__all__ = [
    "BuildNetwork",
    "RunOptions",
    "SecretSource",
    "SshSource",
    "parse_add_host",
    "parse_secret",
    "parse_ssh",
    "run_options",
]


class BuildNetwork(enum.Enum):
    """`docker build --network`: the mode of RUN steps that do not set their own `--network`."""

    DEFAULT = "default"  # the host's network (no isolated namespace with outbound access is possible here)
    NONE = "none"
    HOST = "host"


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretSource:
    """`--secret id=ID,src=FILE` or `--secret id=ID,env=NAME` (the value of the caller's variable)."""

    id: str
    file: Path | None = None
    env: str = ""

    def read(self) -> bytes:
        if self.file is not None:
            try:
                return self.file.read_bytes()
            except OSError as error:
                raise BuildError(
                    f"secret {self.id}: cannot read {self.file}: {error.strerror}",
                    hint="pass a readable file with --secret id=ID,src=FILE",
                ) from None
        value = os.environ.get(self.env)
        if value is None:
            raise BuildError(
                f"secret {self.id}: environment variable {self.env} is not set",
                hint=f"export {self.env}, or pass the secret from a file with --secret id={self.id},src=FILE",
            )
        return value.encode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True, kw_only=True)
class SshSource:
    """`--ssh ID=SOCKET` (`--ssh default` takes $SSH_AUTH_SOCK): an SSH agent socket a RUN may forward."""

    id: str
    socket: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    secrets: tuple[SecretSource, ...] = ()
    ssh: tuple[SshSource, ...] = ()
    network: BuildNetwork = BuildNetwork.DEFAULT
    extra_hosts: tuple[tuple[str, str], ...] = ()

    def secret(self, ident: str) -> SecretSource | None:
        return next((s for s in self.secrets if s.id == ident), None)

    def agent(self, ident: str) -> SshSource | None:
        return next((s for s in self.ssh if s.id == ident), None)


def _fields(text: str, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not key:
            continue
        if not sep:
            raise BuildError(f"{option} {text!r}: {item!r} is not KEY=VALUE")
        out[key] = value
    return out


def parse_secret(text: str) -> SecretSource:
    """`id=ID[,src|source=FILE][,env=NAME][,type=file|env]`, as buildx parses it.

    Without `src` and `env`, the value comes from the variable named by the id when it is set, else from a
    file named by the id (buildx's rule).
    """
    fields = _fields(text, "--secret")
    ident = fields.pop("id", "")
    kind = fields.pop("type", "")
    src = fields.pop("src", "") or fields.pop("source", "")
    env = fields.pop("env", "")
    if fields:
        raise BuildError(
            f"--secret {text!r}: unknown field {next(iter(fields))!r}",
            hint="use --secret id=ID,src=FILE or --secret id=ID,env=NAME",
        )
    if not ident:
        ident = Path(src).name if src else env
    if not ident:
        raise BuildError(f"--secret {text!r}: missing id", hint="use --secret id=ID,src=FILE")
    if kind not in ("", "file", "env"):
        raise BuildError(f"--secret {text!r}: unsupported type {kind!r}", hint="type=file or type=env")
    if kind == "env" and not env:
        env = src or ident
        src = ""
    if src:
        return SecretSource(id=ident, file=Path(src).expanduser())
    if env:
        return SecretSource(id=ident, env=env)
    if ident in os.environ:
        return SecretSource(id=ident, env=ident)
    return SecretSource(id=ident, file=Path(ident))


def parse_ssh(text: str) -> SshSource:
    """`default`, `default=SOCKET` or `ID=SOCKET` (one socket; key files are not supported)."""
    ident, sep, value = text.partition("=")
    ident = ident.strip() or "default"
    paths = [p for p in value.split(",") if p] if sep else []
    if len(paths) > 1:
        raise BuildError(f"--ssh {text!r}: only one agent socket per id is supported")
    socket = paths[0] if paths else os.environ.get("SSH_AUTH_SOCK", "")
    if not socket:
        raise BuildError(
            f"--ssh {text!r}: no agent socket",
            hint="start ssh-agent (SSH_AUTH_SOCK must be set), or pass --ssh ID=/path/to/agent.sock",
        )
    return SshSource(id=ident, socket=Path(socket))


def parse_add_host(text: str) -> tuple[str, str]:
    """`host:ip` (or `host=ip`); an IPv6 address may contain colons: the host is before the first one."""
    for sep in ("=", ":"):
        name, found, ip = text.partition(sep)
        if found:
            break
    else:
        raise BuildError(f"--add-host {text!r}: expected HOST:IP")
    ip = ip.strip("[]")
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise BuildError(f"--add-host {text!r}: {ip!r} is not an IP address") from None
    if not name:
        raise BuildError(f"--add-host {text!r}: empty host name")
    return name, ip


def run_options(
    *,
    secrets: Sequence[str] = (),
    ssh: Sequence[str] = (),
    network: str = "default",
    add_hosts: Sequence[str] = (),
) -> RunOptions:
    try:
        mode = BuildNetwork(network or "default")
    except ValueError:
        raise BuildError(f"--network {network!r}: expected default, none or host") from None
    return RunOptions(
        secrets=tuple(parse_secret(s) for s in secrets),
        ssh=tuple(parse_ssh(s) for s in ssh),
        network=mode,
        extra_hosts=tuple(parse_add_host(h) for h in add_hosts),
    )
