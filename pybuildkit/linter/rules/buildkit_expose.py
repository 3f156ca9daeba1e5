"""ExposeProtoCasing and ExposeInvalidFormat: EXPOSE ports after expansion, split into words
(BuildKit `convert_expose.go parsePort`; test `testExposeExpansion`, semantics.md §1.19)."""

from __future__ import annotations

from collections.abc import Iterator

from pybuildkit.linter.analysis import Analysis
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._util import hit
from pybuildkit.syntax.nodes import InstructionNode, Keyword


def split_port(raw: str) -> tuple[str, str, str, str]:
    """`[ip:]host:container/proto` -> (ip, host, container, proto); proto defaults to tcp."""
    parts = raw.split(":")
    if raw.startswith("[") and "]:" in raw:
        ip, _, rest = raw[1:].partition("]:")
        host, _, container = rest.rpartition(":")
        ip = f"[{ip}]"
    elif len(parts) == 1:
        ip, host, container = "", "", raw
    elif len(parts) == 2:
        ip, host, container = "", parts[0], parts[1]
    else:
        ip, host, container = ":".join(parts[:-2]), parts[-2], parts[-1]
    container, _, proto = container.partition("/")
    return ip, host, container, proto or "tcp"


def expose_words(analysis: Analysis, node: InstructionNode) -> list[str]:
    words: list[str] = []
    for arg in node.args:
        words.extend(analysis.expand(node, arg).value.split())
    return words


@rule(
    id="ExposeProtoCasing",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Protocol in EXPOSE instruction should be lowercase",
    bad="FROM alpine:3\nEXPOSE 80/TCP\n",
    good="FROM alpine:3\nEXPOSE 80/tcp\n",
    fixable=True,
)
def expose_proto_casing(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.nodes(Keyword.EXPOSE):
        for raw in expose_words(analysis, node):
            proto = split_port(raw)[3]
            if proto != proto.lower():
                yield hit(node, f"Defined protocol '{raw}' in EXPOSE instruction should be lowercase")


@rule(
    id="ExposeInvalidFormat",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release",
    bad="FROM alpine:3\nEXPOSE 127.0.0.1:8080:80\n",
    good="FROM alpine:3\nEXPOSE 80\n",
)
def expose_invalid_format(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.nodes(Keyword.EXPOSE):
        for raw in expose_words(analysis, node):
            ip, host, _, _ = split_port(raw)
            if ip or host:
                yield hit(
                    node,
                    f"EXPOSE instruction should not define an IP address or host-port mapping, found '{raw}'",
                )
