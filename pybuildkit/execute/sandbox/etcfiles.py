"""The /etc/hosts, /etc/resolv.conf and /etc/hostname a RUN sees, generated as BuildKit generates them.

They are bind-mounted read-only over the container's files, so they never land in a layer.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pybuildkit.execute.sandbox.spec import DEFAULT_HOSTNAME, NetworkMode

# libnetwork's defaults when no usable nameserver is left (resolvconf.defaultIPv4Dns / defaultIPv6Dns)
DEFAULT_NAMESERVERS = ("8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844")
_SYSTEMD_RESOLVED = Path("/run/systemd/resolve/resolv.conf")


def hosts_file(hostname: str, extra_hosts: tuple[tuple[str, str], ...] = ()) -> str:
    """BuildKit's executor/oci/hosts.go: localhost lines naming the sandbox, then `--add-host` entries."""
    text = f"127.0.0.1\tlocalhost {hostname or DEFAULT_HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    for name, ip in extra_hosts:
        text += f"{ip}\t{name}\n"
    return text


def hostname_file(hostname: str) -> str:
    return f"{hostname or DEFAULT_HOSTNAME}\n"


def resolv_conf(network: NetworkMode, host_text: str | None = None) -> str:
    """The host's resolv.conf; with an own network namespace, loopback nameservers are dropped (they
    cannot be reached from it) and Docker's defaults used when none is left, as libnetwork does."""
    if host_text is None:
        host_text = _read_host_resolv_conf(network)
    match network:
        case NetworkMode.HOST:
            if _nameservers(host_text):
                return host_text if host_text.endswith("\n") or not host_text else host_text + "\n"
            return _filter_loopback(host_text)
        case NetworkMode.NONE:
            return _filter_loopback(host_text)


def _read_host_resolv_conf(network: NetworkMode) -> str:
    path = Path("/etc/resolv.conf")
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    # systemd-resolved's stub (127.0.0.53) is unreachable from another netns: use its upstream list.
    if network is not NetworkMode.HOST and "127.0.0.53" in text and _SYSTEMD_RESOLVED.is_file():
        try:
            return _SYSTEMD_RESOLVED.read_text(errors="replace")
        except OSError:
            return text
    return text


def _nameservers(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            found.append(fields[1])
    return found


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def _filter_loopback(text: str) -> str:
    lines = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver" and _is_loopback(fields[1]):
            continue
        lines.append(line)
    kept = "\n".join(lines).strip("\n")
    if not _nameservers(kept):
        defaults = "\n".join(f"nameserver {ns}" for ns in DEFAULT_NAMESERVERS)
        kept = f"{kept}\n{defaults}" if kept else defaults
    return kept + "\n"
