"""hadolint's rules on FROM and on stage references (DL3006, DL3007, DL3022, DL3023, DL3026, DL3029,
DL3057, DL3061, DL3067). Base images are read after global ARG resolution: `FROM ${IMAGE}` with
`ARG IMAGE=debian:12` is tagged (hadolint reads the text and cannot tell; hadolint#219, #979, #1078)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pybuildkit.linter.analysis import Analysis, Stage
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._cmd import runs
from pybuildkit.linter.rules._util import copy_sources, flag, hit, unquote
from pybuildkit.linter.shellwords import expand
from pybuildkit.syntax.nodes import InstructionNode, Keyword


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageRef:
    registry: str | None
    name: str
    tag: str | None
    digest: str | None


def parse_image(text: str) -> ImageRef:
    """Split `[registry/]name[:tag][@digest]` as hadolint's Dockerfile parser does."""
    rest, at, digest = text.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        name, tag = rest[:colon], rest[colon + 1 :]
    else:
        name, tag = rest, None
    first, sep, _ = name.partition("/")
    registry = first if sep and ("." in first or ":" in first or first == "localhost") else None
    return ImageRef(registry=registry, name=name, tag=tag, digest=digest if at else None)


def image_stage_runs(analysis: Analysis) -> Iterator[tuple[InstructionNode, InstructionNode]]:
    """`runs(analysis)` in the stages hadolint's clean-up rules (DL3009, DL3060) judge: the last stage, a
    stage with the same FROM line as the last, and a stage that some FROM names as its base."""
    if not analysis.stages:
        return
    bases = {parse_image(s.base).name for s in analysis.stages}
    last = analysis.stages[-1]
    for reported, run in runs(analysis):
        stage = analysis.stage_of(reported)
        if stage is None:
            continue
        same_as_last = stage.node.args == last.node.args and stage.platform == last.platform
        if stage is last or same_as_last or (stage.name is not None and stage.name in bases):
            yield reported, run


def base_image(stage: Stage) -> tuple[str, bool]:
    """The base image text to judge and whether it was resolved from ARGs. Unresolvable names
    (an ARG with no default and no build arg) are judged as written, as hadolint does."""
    resolved = stage.base_resolved
    if "$" in stage.base and not resolved.unmatched and resolved.value:
        return resolved.value, True
    return stage.base, False


@rule(
    id="DL3006",
    severity=Severity.WARNING,
    summary="Always tag the version of an image explicitly",
    bad="FROM debian\n",
    good="FROM debian:12.7\n",
)
def dl3006(analysis: Analysis) -> Iterator[Hit]:
    aliases: set[str] = set()
    for stage in analysis.stages:
        text, _ = base_image(stage)
        image = parse_image(text)
        ok = (
            image.name == "scratch"
            or image.digest is not None
            or image.tag is not None
            or image.name.startswith("$")
            or image.name in aliases
        )
        if not ok:
            yield hit(stage.node, "Always tag the version of an image explicitly")
        if stage.name:
            aliases.add(stage.name)


@rule(
    id="DL3007",
    severity=Severity.WARNING,
    summary="Using latest is prone to errors if the image will ever update",
    bad="FROM debian:latest\n",
    good="FROM debian:12.7\n",
)
def dl3007(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        image = parse_image(base_image(stage)[0])
        if image.tag == "latest" and image.digest is None:
            yield hit(
                stage.node,
                "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag",
            )


@rule(
    id="DL3029",
    severity=Severity.WARNING,
    summary="Do not use --platform flag with FROM",
    bad="FROM --platform=linux/amd64 debian:12\n",
    good="FROM --platform=$BUILDPLATFORM debian:12\n",
)
def dl3029(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        platform = stage.platform
        if platform is not None and "BUILDPLATFORM" not in platform and "TARGETPLATFORM" not in platform:
            yield hit(stage.node, "Do not use --platform flag with FROM")


def _registry_allowed(allowed: tuple[str, ...], registry: str) -> bool:
    for pattern in allowed:
        if pattern == "*":
            return True
        if pattern.startswith("*") and registry.endswith(pattern[1:]):
            return True
        if pattern.endswith("*") and registry.startswith(pattern[:-1]):
            return True
        if registry == pattern:
            return True
    return False


def _image_allowed(allowed: tuple[str, ...], aliases: set[str], text: str) -> bool:
    image = parse_image(text)
    if not allowed or image.name in aliases:
        return True
    if image.registry is not None:
        return _registry_allowed(allowed, image.registry)
    return (
        image.name == "scratch"
        or _registry_allowed(allowed, "docker.io")
        or _registry_allowed(allowed, "hub.docker.com")
    )


@rule(
    id="DL3026",
    severity=Severity.ERROR,
    summary="Use only an allowed registry in the FROM image",
    bad="# config: trustedRegistries: [my-registry.example.com]\nFROM quay.io/prometheus/node-exporter:v1.8.2\n",
    good="# config: trustedRegistries: [my-registry.example.com]\nFROM my-registry.example.com/node-exporter:v1.8.2\n",
    needs="trustedRegistries",
)
def dl3026(analysis: Analysis) -> Iterator[Hit]:
    allowed = analysis.config.trusted_registries
    if not allowed:
        return
    aliases: set[str] = set()
    message = "Use only an allowed registry in the FROM image"
    for node in analysis.instructions:
        stage = analysis.stage_of(node)
        if node.kind is Keyword.FROM and stage is not None:
            if stage.name:
                aliases.add(stage.name)
            if not _image_allowed(allowed, aliases, base_image(stage)[0]):
                yield hit(node, message)
        elif node.kind is Keyword.COPY:
            source = flag(node, "from")
            if source is not None and not _image_allowed(allowed, aliases, source):
                yield hit(node, message)
        elif node.kind is Keyword.RUN:
            for f in node.flags:
                if f.name == "mount" and f.value:
                    fields = dict(part.partition("=")[::2] for part in f.value.split(","))
                    if fields.get("type", "bind") in ("bind", "cache") and not _image_allowed(
                        allowed, aliases, fields.get("from", "scratch")
                    ):
                        yield hit(node, message)
                        break


@rule(
    id="DL3057",
    severity=Severity.INFO,
    summary="`HEALTHCHECK` instruction missing",
    bad='FROM debian:12.7\nCMD ["server"]\n',
    good='FROM debian:12.7\nHEALTHCHECK CMD ["check"]\nCMD ["server"]\n',
    enabled=False,  # hadolint's level "ignore": off unless enabled
)
def dl3057(analysis: Analysis) -> Iterator[Hit]:
    good: set[str] = set()
    bad: list[tuple[Stage, str, str]] = []  # (stage, its image, its name)
    for stage in analysis.stages:
        image = parse_image(stage.base).name
        name = stage.name or image
        has = any(n.kind is Keyword.HEALTHCHECK for n in stage.instructions)
        if has or image in good:
            good.add(name)
            # stages built on this one are good too
            changed = True
            while changed:
                changed = False
                for entry in list(bad):
                    if entry[1] in good:
                        bad.remove(entry)
                        good.add(entry[2])
                        changed = True
        else:
            bad.append((stage, image, name))
    for stage, _, _ in bad:
        yield hit(stage.node, "`HEALTHCHECK` instruction missing.")


@rule(
    id="DL3061",
    severity=Severity.ERROR,
    summary="Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment",
    bad="LABEL org.opencontainers.image.title=app\nFROM debian:12.7\n",
    good="FROM debian:12.7\nLABEL org.opencontainers.image.title=app\n",
)
def dl3061(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.meta:
        if node.kind is not Keyword.ARG:
            yield hit(node, "Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment.")


def _copy_from(analysis: Analysis, value: str) -> str:
    """`COPY --from` after global ARG resolution (BuildKit expands it with the global ARGs)."""
    if "$" in value:
        return expand(value, analysis.from_values, analysis.escape).value
    return value


@rule(
    id="DL3022",
    severity=Severity.WARNING,
    summary="`COPY --from` should reference a previously defined `FROM` alias",
    bad="FROM debian:12.7\nCOPY --from=build /app /app\n",
    good="FROM golang:1.23 AS build\nFROM debian:12.7\nCOPY --from=build /app /app\n",
)
def dl3022(analysis: Analysis) -> Iterator[Hit]:
    names: set[str] = set()
    count = 0
    for node in analysis.instructions:
        if node.kind is Keyword.FROM:
            count += 1
            stage = analysis.stage_of(node)
            if stage is not None and stage.name:
                names.add(stage.name)
        elif node.kind is Keyword.COPY:
            source = flag(node, "from")
            if source is None:
                continue
            source = _copy_from(analysis, source)
            if ":" in unquote(source) or source in names:
                continue
            if source.isdigit() and int(source) < count:
                continue
            yield hit(node, "`COPY --from` should reference a previously defined `FROM` alias")


@rule(
    id="DL3023",
    severity=Severity.ERROR,
    summary="`COPY --from` cannot reference its own `FROM` alias",
    bad="FROM golang:1.23 AS build\nCOPY --from=build /src /src\n",
    good="FROM golang:1.23 AS build\nFROM debian:12.7\nCOPY --from=build /src /src\n",
)
def dl3023(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        for node in stage.instructions:
            if node.kind is Keyword.COPY:
                source = flag(node, "from")
                if source is not None and stage.name is not None and source == stage.name:
                    yield hit(node, "`COPY --from` cannot reference its own `FROM` alias")


@rule(
    id="DL3067",
    severity=Severity.WARNING,
    summary="Do not copy an entire filesystem from another stage",
    bad="FROM debian:12.7 AS base\nFROM scratch\nCOPY --from=base / /\n",
    good="FROM debian:12.7 AS base\nFROM scratch\nCOPY --from=base /usr/bin/tool /usr/bin/tool\n",
)
def dl3067(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.nodes(Keyword.COPY):
        if flag(node, "from") is None or len(node.args) < 2:
            continue
        if any(unquote(s) == "/" for s in copy_sources(node)) and unquote(node.args[-1]) == "/":
            yield hit(node, "Do not copy an entire filesystem from another stage")
