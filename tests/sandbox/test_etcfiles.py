"""The generated /etc/hosts, /etc/hostname and /etc/resolv.conf."""

from __future__ import annotations

import pytest

from pybuildkit.execute.sandbox.etcfiles import hostname_file, hosts_file, resolv_conf
from pybuildkit.execute.sandbox.spec import NetworkMode


def test_hosts_file_as_buildkit_writes_it() -> None:
    assert hosts_file("buildkitsandbox", (("db", "10.0.0.2"), ("v6", "fe80::1"))) == (
        "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "10.0.0.2\tdb\nfe80::1\tv6\n"
    )


def test_hostname_defaults_to_buildkitsandbox() -> None:
    assert hostname_file("") == "buildkitsandbox\n"


DEFAULTS = "nameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n"


@pytest.mark.parametrize(
    ("network", "host", "expected"),
    [
        (NetworkMode.HOST, "nameserver 10.1.1.1\n", "nameserver 10.1.1.1\n"),
        (NetworkMode.HOST, "nameserver 127.0.0.53\nsearch lan\n", "nameserver 127.0.0.53\nsearch lan\n"),
        (NetworkMode.NONE, "nameserver 10.1.1.1\n", "nameserver 10.1.1.1\n"),
        (NetworkMode.NONE, "nameserver 127.0.0.53\nsearch lan\n", "search lan\n" + DEFAULTS),
        (NetworkMode.NONE, "nameserver ::1\nnameserver 9.9.9.9\n", "nameserver 9.9.9.9\n"),
        (NetworkMode.HOST, "", DEFAULTS),
    ],
    ids=[
        "host-kept",
        "host-loopback-kept",
        "none-kept",
        "none-loopback-dropped",
        "none-ipv6-loopback",
        "empty",
    ],
)
def test_resolv_conf(network: NetworkMode, host: str, expected: str) -> None:
    assert resolv_conf(network, host) == expected
