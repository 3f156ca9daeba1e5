"""hadolint's label rules: DL3048 (label keys) always; DL3049-DL3058 check the `label-schema` of the
configuration (`{name: text|url|spdx|rfc3339|semver|hash|email}`) and say nothing without one.
Values are read after quote removal, as hadolint reads them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pybuildkit.linter.analysis import Analysis, env_pairs
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._util import flag, hit
from pybuildkit.linter.shellwords import expand
from pybuildkit.syntax.nodes import InstructionNode, Keyword

_KEY_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz.-_/")
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
# An SPDX license identifier's shape (the list itself is not shipped): letters, digits, `.`, `-`, `+`.
_SPDX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")
_HASH = re.compile(r"^(?:[0-9a-f]{7}|[0-9a-f]{40})$")


def labels(analysis: Analysis, node: InstructionNode) -> list[tuple[str, str]]:
    """(key, value) pairs of a LABEL, quotes removed."""
    env = analysis.scope(node).values
    return [
        (expand(key, env, analysis.escape).value, expand(value, env, analysis.escape).value)
        for key, value, _ in env_pairs(node)
    ]


def _bad_key(key: str) -> bool:
    return (
        key[:1] not in "abcdefghijklmnopqrstuvwxyz"
        or key[-1:] not in "abcdefghijklmnopqrstuvwxyz0123456789"
        or key[:1] == ""
        or any(c not in _KEY_CHARS for c in key)
        or key.startswith(("com.docker.", "io.docker.", "org.dockerproject."))
        or ".." in key
        or "--" in key
    )


@rule(
    id="DL3048",
    severity=Severity.STYLE,
    summary="Invalid label key",
    bad='FROM debian:12.7\nLABEL Maintainer="jane"\n',
    good='FROM debian:12.7\nLABEL org.opencontainers.image.authors="jane"\n',
)
def dl3048(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.nodes(Keyword.LABEL):
        if any(_bad_key(key) for key, _ in labels(analysis, node)):
            yield hit(node, "Invalid label key.")


def _schema(analysis: Analysis) -> dict[str, str]:
    return dict(analysis.config.label_schema)


@rule(
    id="DL3049",
    severity=Severity.INFO,
    summary="Label `<label>` is missing",
    bad="# config: label-schema: {maintainer: text}\nFROM debian:12.7\n",
    good='# config: label-schema: {maintainer: text}\nFROM debian:12.7\nLABEL maintainer="jane"\n',
    needs="label-schema",
)
def dl3049(analysis: Analysis) -> Iterator[Hit]:
    schema = _schema(analysis)
    if not schema:
        return
    copied_from = {flag(n, "from") for n in analysis.nodes(Keyword.COPY)} - {None}
    # Each stage's label keys, expanded once (not once per schema label).
    own_keys = {
        stage.index: {
            key for n in stage.instructions if n.kind is Keyword.LABEL for key, _ in labels(analysis, n)
        }
        for stage in analysis.stages
    }
    for label in schema:
        has: dict[int, bool] = {}
        for stage in analysis.stages:
            inherited = stage.parent is not None and has.get(stage.parent, False)
            has[stage.index] = inherited or label in own_keys[stage.index]
            # A stage only copied from is not an image anyone runs: hadolint stays quiet about it.
            if not has[stage.index] and not (stage.name is not None and stage.name in copied_from):
                yield hit(stage.node, f"Label `{label}` is missing.")


@rule(
    id="DL3050",
    severity=Severity.INFO,
    summary="Superfluous label(s) present",
    bad='# config: label-schema: {maintainer: text}, strict-labels: true\nFROM debian:12.7\nLABEL other="x"\n',
    good='# config: label-schema: {maintainer: text}, strict-labels: true\nFROM debian:12.7\nLABEL maintainer="jane"\n',
    needs="label-schema",
)
def dl3050(analysis: Analysis) -> Iterator[Hit]:
    schema = _schema(analysis)
    if not analysis.config.strict_labels:
        return
    for node in analysis.nodes(Keyword.LABEL):
        if any(key not in schema for key, _ in labels(analysis, node)):
            yield hit(node, "Superfluous label(s) present.")


def _typed(analysis: Analysis, kind: str | None, bad: Callable[[str], bool], message: str) -> Iterator[Hit]:
    schema = _schema(analysis)
    wanted = [name for name, t in schema.items() if kind is None or t == kind]
    for node in analysis.nodes(Keyword.LABEL):
        pairs = labels(analysis, node)
        for name in wanted:
            if any(key == name and bad(value) for key, value in pairs):
                yield hit(node, message.format(label=name))


@rule(
    id="DL3051",
    severity=Severity.WARNING,
    summary="Label `<label>` is empty",
    bad='# config: label-schema: {maintainer: text}\nFROM debian:12.7\nLABEL maintainer=""\n',
    good='# config: label-schema: {maintainer: text}\nFROM debian:12.7\nLABEL maintainer="jane"\n',
    needs="label-schema",
)
def dl3051(analysis: Analysis) -> Iterator[Hit]:
    yield from _typed(analysis, None, lambda v: v == "", "label `{label}` is empty.")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Format:
    """A label-schema type whose values must match a pattern, and its rule."""

    id: str
    kind: str
    pattern: re.Pattern[str]
    summary: str  # `<label>` stands for the label; the message is the summary with it filled in, and a stop
    bad_value: str
    good_value: str


_FORMATS = (
    _Format(
        id="DL3052",
        kind="url",
        pattern=_URI,
        summary="Label `<label>` is not a valid URL",
        bad_value='documentation="see the wiki"',
        good_value='documentation="https://example.com/docs"',
    ),
    _Format(
        id="DL3053",
        kind="rfc3339",
        pattern=_RFC3339,
        summary="Label `<label>` is not a valid time format - must conform to RFC3339",
        bad_value='created="yesterday"',
        good_value='created="2024-11-28T09:30:00Z"',
    ),
    _Format(
        id="DL3054",
        kind="spdx",
        pattern=_SPDX,
        summary="Label `<label>` is not a valid SPDX identifier",
        bad_value='license="Apache License 2"',
        good_value='license="Apache-2.0"',
    ),
    _Format(
        id="DL3055",
        kind="hash",
        pattern=_HASH,
        summary="Label `<label>` is not a valid git hash",
        bad_value='git-revision="main"',
        good_value='git-revision="01b3577"',
    ),
    _Format(
        id="DL3056",
        kind="semver",
        pattern=_SEMVER,
        summary="Label `<label>` does not conform to semantic versioning",
        bad_value='version="v1"',
        good_value='version="1.4.2"',
    ),
    _Format(
        id="DL3058",
        kind="email",
        pattern=_EMAIL,
        summary="Label `<label>` is not a valid email format - must conform to RFC5322",
        bad_value='maintainer="jane at example"',
        good_value='maintainer="jane@example.com"',
    ),
)


def _format_check(spec: _Format) -> Callable[[Analysis], Iterator[Hit]]:
    message = spec.summary.replace("<label>", "{label}") + "."

    def check(analysis: Analysis) -> Iterator[Hit]:
        yield from _typed(analysis, spec.kind, lambda v: not spec.pattern.match(v), message)

    return check


for _spec in _FORMATS:
    _example = (
        f"# config: label-schema: {{{_spec.bad_value.partition('=')[0]}: {_spec.kind}}}\nFROM debian:12.7\n"
    )
    rule(
        id=_spec.id,
        severity=Severity.WARNING,
        summary=_spec.summary,
        bad=f"{_example}LABEL {_spec.bad_value}\n",
        good=f"{_example}LABEL {_spec.good_value}\n",
        needs="label-schema",
    )(_format_check(_spec))
