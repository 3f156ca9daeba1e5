"""Instructions that only change the image config: ENV, LABEL, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL,
MAINTAINER; plus EXPOSE's port syntax."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pybuildkit.errors import InstructionError
from pybuildkit.instructions.base import (
    InstructionBase,
    KeyValue,
    err_at_least_one,
    err_exactly_one,
    go_quote,
)
from pybuildkit.instructions.flags import NO_FLAGS, parse_flags
from pybuildkit.syntax.nodes import InstructionNode


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvInstruction(InstructionBase):
    """ENV <key>=<value> [<key>=<value>...]   (legacy: ENV <key> <value>)"""

    pairs: tuple[KeyValue, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelInstruction(InstructionBase):
    """LABEL <key>=<value> [<key>=<value>...]"""

    pairs: tuple[KeyValue, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PortSpec:
    """A port or a range with its protocol (`8000-8010/udp`)."""

    start: int
    end: int
    protocol: str  # tcp, udp or sctp (lower-cased)

    @property
    def exposed(self) -> tuple[str, ...]:
        """The image config keys: one `N/proto` per port of the range."""
        return tuple(f"{port}/{self.protocol}" for port in range(self.start, self.end + 1))


@dataclass(frozen=True, slots=True, kw_only=True)
class ExposeInstruction(InstructionBase):
    """EXPOSE <port>[/<protocol>] [<port>[/<protocol>]...]

    `ports` are the words as written, sorted as BuildKit sorts them; they are expanded (and split into
    words) when the stage runs. `specs` is their parsed form when no word holds a variable, else None.
    """

    ports: tuple[str, ...]
    specs: tuple[PortSpec, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeInstruction(InstructionBase):
    """VOLUME ["/data"]   or   VOLUME /var/log /var/db"""

    volumes: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UserInstruction(InstructionBase):
    """USER <user>[:<group>]"""

    user: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkdirInstruction(InstructionBase):
    """WORKDIR /path/to/workdir"""

    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StopsignalInstruction(InstructionBase):
    """STOPSIGNAL signal"""

    signal: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintainerInstruction(InstructionBase):
    """MAINTAINER <name>   (deprecated: use a LABEL)"""

    maintainer: str


def _pairs(node: InstructionNode, command: str) -> tuple[KeyValue, ...]:
    args = node.args
    if not args:
        raise err_at_least_one(command)
    if len(args) % 3:
        raise InstructionError(
            f"Bad input to {command}, too many arguments",
            hint="write each pair as key=value, and quote a value that holds spaces",
        )
    pairs = []
    for i in range(0, len(args), 3):
        key, value, sep = args[i : i + 3]
        if not key:
            raise InstructionError(f"{command} names can not be blank", hint="put a name before each `=`")
        pairs.append(KeyValue(key=key, value=value, legacy=sep == ""))
    return tuple(pairs)


def parse_env(node: InstructionNode) -> EnvInstruction:
    parse_flags(node.flags, NO_FLAGS)
    return EnvInstruction(span=node.span, node=node, pairs=_pairs(node, "ENV"))


def parse_label(node: InstructionNode) -> LabelInstruction:
    parse_flags(node.flags, NO_FLAGS)
    return LabelInstruction(span=node.span, node=node, pairs=_pairs(node, "LABEL"))


def parse_expose(node: InstructionNode) -> ExposeInstruction:
    if not node.args:
        raise err_at_least_one("EXPOSE")
    parse_flags(node.flags, NO_FLAGS)
    ports = tuple(sorted(node.args))
    specs: tuple[PortSpec, ...] | None = None
    if not any("$" in p for p in ports):
        try:
            specs = tuple(spec for p in ports for spec in parse_port(p))
        except InstructionError:
            specs = None  # BuildKit reports bad ports only when the stage is built
    return ExposeInstruction(span=node.span, node=node, ports=ports, specs=specs)


def parse_volume(node: InstructionNode) -> VolumeInstruction:
    if not node.args:
        raise err_at_least_one("VOLUME")
    parse_flags(node.flags, NO_FLAGS)
    volumes = tuple(v.strip() for v in node.args)
    if any(v == "" for v in volumes):
        raise InstructionError("VOLUME specified can not be an empty string", hint="remove the empty path")
    return VolumeInstruction(span=node.span, node=node, volumes=volumes)


def _one(node: InstructionNode, command: str) -> str:
    if len(node.args) != 1:
        raise err_exactly_one(command)
    return node.args[0]


def parse_user(node: InstructionNode) -> UserInstruction:
    user = _one(node, "USER")
    parse_flags(node.flags, NO_FLAGS)
    return UserInstruction(span=node.span, node=node, user=user)


def parse_workdir(node: InstructionNode) -> WorkdirInstruction:
    path = _one(node, "WORKDIR")
    parse_flags(node.flags, NO_FLAGS)
    return WorkdirInstruction(span=node.span, node=node, path=path)


def parse_stopsignal(node: InstructionNode) -> StopsignalInstruction:
    # BuildKit never parses STOPSIGNAL's flags.
    return StopsignalInstruction(span=node.span, node=node, signal=_one(node, "STOPSIGNAL"))


def parse_maintainer(node: InstructionNode) -> MaintainerInstruction:
    maintainer = _one(node, "MAINTAINER")
    parse_flags(node.flags, NO_FLAGS)
    return MaintainerInstruction(span=node.span, node=node, maintainer=maintainer)


# --- EXPOSE ports (BuildKit dockerfile2llb/convert_expose.go) ---------------------------------------


def _port_number(text: str) -> int:
    if text == "":
        raise ValueError("value is empty")
    sign = text[0] in "+-"
    digits = text[1:] if sign else text
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("invalid syntax")
    port = int(text)
    if port < 0 or port > 65535:
        raise ValueError("value out of range (0–65535)")
    return port


def _port_range(text: str) -> tuple[int, int]:
    if text == "":
        raise ValueError("empty string specified for ports")
    start_text, sep, end_text = text.partition("-")
    try:
        start = _port_number(start_text)
    except ValueError as error:
        raise ValueError(f"invalid start port '{start_text}': {error}") from None
    if not sep or start_text == end_text:
        return start, start
    try:
        end = _port_number(end_text)
    except ValueError as error:
        raise ValueError(f"invalid end port '{end_text}': {error}") from None
    if end < start:
        raise ValueError(f"invalid port range: {text}")
    return start, end


_PORT_HINT = "a port is a number from 0 to 65535 or a range (8000-8010), then /tcp, /udp or /sctp"


def parse_port(raw: str) -> tuple[PortSpec, ...]:
    """`[ip:][hostPort:]containerPort[/proto]` as BuildKit reads it; only the container port is kept."""
    parts = raw.split(":")
    ip, host_port, container = "", "", parts[-1]
    if len(parts) == 2:
        host_port = parts[0]
    elif len(parts) >= 3:
        ip, host_port = ":".join(parts[:-2]), parts[-2]
    port, _, proto = container.partition("/")
    if port == "":
        raise InstructionError(f"invalid port: {go_quote(raw)}: no port specified", hint=_PORT_HINT)
    if proto.lower() not in ("", "tcp", "udp", "sctp"):
        raise InstructionError(
            f"invalid port: {go_quote(raw)}: invalid proto: {proto}", hint="the protocol is tcp, udp or sctp"
        )
    proto = proto or "tcp"
    if ip.startswith("["):
        ip = ip[1:].partition("]")[0]
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise InstructionError(f"invalid IP address: {ip}", hint=_PORT_HINT) from None
    try:
        start, end = _port_range(port)
    except ValueError:
        raise InstructionError(f"invalid containerPort: {port}", hint=_PORT_HINT) from None
    if host_port:
        try:
            host_start, host_end = _port_range(host_port)
        except ValueError:
            raise InstructionError(f"invalid hostPort: {host_port}", hint=_PORT_HINT) from None
        if end - start != host_end - host_start and end != start:
            raise InstructionError(
                f"invalid ranges specified for container and host Ports: {port} and {host_port}",
                hint="give both ranges the same length",
            )
    return (PortSpec(start=start, end=end, protocol=proto.lower()),)
