"""BuildKit's checks on single instructions: JSON form for CMD/ENTRYPOINT, MAINTAINER, relative
WORKDIR, repeated CMD/ENTRYPOINT/HEALTHCHECK, legacy `ENV k v`, secrets in ARG/ENV names
(BuildKit `dockerfile2llb/convert.go` dispatch functions and `validations.go`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pybuildkit.linter.analysis import Analysis, Stage, arg_pairs, env_pairs
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._util import hit
from pybuildkit.syntax.nodes import InstructionNode, Keyword


def _stage_chain(analysis: Analysis, stage: Stage) -> list[Stage]:
    """The stage and the in-file stages it is built FROM, nearest first."""
    chain = [stage]
    seen = {stage.index}
    while chain[-1].parent is not None and chain[-1].parent not in seen:
        seen.add(chain[-1].parent)
        chain.append(analysis.stages[chain[-1].parent])
    return chain


def _shell_set_before(analysis: Analysis, stage: Stage | None, node: InstructionNode) -> bool:
    if stage is None:
        return False
    for index, current in enumerate(_stage_chain(analysis, stage)):
        for other in current.instructions:
            if index == 0 and other is node:
                break
            if other.kind is Keyword.SHELL:
                return True
    return False


@rule(
    id="JSONArgsRecommended",
    aliases=("DL3025",),
    origin="buildkit+hadolint",
    severity=Severity.WARNING,
    summary="JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
    bad='FROM alpine:3\nCMD echo "hello"\n',
    good='FROM alpine:3\nCMD ["echo", "hello"]\n',
)
def json_args_recommended(analysis: Analysis) -> Iterator[Hit]:
    for stage in (None, *analysis.stages):
        for node in analysis.meta if stage is None else stage.instructions:
            if node.kind in (Keyword.CMD, Keyword.ENTRYPOINT) and not node.json and node.args:
                # BuildKit stays quiet once SHELL was set: the shell form is then a choice.
                if not _shell_set_before(analysis, stage, node):
                    name = node.keyword
                    yield hit(
                        node,
                        f"JSON arguments recommended for {name} to prevent unintended behavior related to OS signals",
                    )
            elif (
                node.kind is Keyword.HEALTHCHECK
                and not node.json
                and len(node.args) > 1
                and node.args[0].upper() == "CMD"
                and not _shell_set_before(analysis, stage, node)
            ):
                # hadolint's DL3025 also covers `HEALTHCHECK CMD` in shell form.
                yield hit(
                    node,
                    f"JSON arguments recommended for {node.keyword} CMD to prevent unintended behavior related to OS signals",
                )


@rule(
    id="MaintainerDeprecated",
    aliases=("DL4000",),
    origin="buildkit+hadolint",
    severity=Severity.ERROR,
    summary="The MAINTAINER instruction is deprecated, use a label instead to define an image author",
    bad="FROM alpine:3\nMAINTAINER Jane Doe <jane@example.com>\n",
    good='FROM alpine:3\nLABEL org.opencontainers.image.authors="jane@example.com"\n',
)
def maintainer_deprecated(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.instructions:
        if node.kind is Keyword.MAINTAINER:
            yield hit(node, "Maintainer instruction is deprecated in favor of using label")


def _is_abs(path: str) -> bool:
    return path.startswith("/") or bool(re.match(r"^[A-Za-z]:[\\/]", path)) or path.startswith("\\")


@rule(
    id="WorkdirRelativePath",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes",
    bad="FROM alpine:3\nWORKDIR app\n",
    good="FROM alpine:3\nWORKDIR /app\n",
)
def workdir_relative_path(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        # Only the first WORKDIR of a stage (or of the in-file stages it builds on) is checked.
        if any(n.kind is Keyword.WORKDIR for s in _stage_chain(analysis, stage)[1:] for n in s.instructions):
            continue
        for node in stage.instructions:
            if node.kind is Keyword.WORKDIR:
                path = analysis.expand(node, node.args[0] if node.args else "").value
                if not _is_abs(path):
                    yield hit(
                        node,
                        f'Relative workdir "{path}" can have unexpected results if the base image changes',
                    )
                break


@rule(
    id="MultipleInstructionsDisallowed",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Multiple instructions of the same type should not be used in the same stage",
    bad='FROM alpine:3\nCMD ["echo", "a"]\nCMD ["echo", "b"]\n',
    good='FROM alpine:3\nCMD ["echo", "b"]\n',
)
def multiple_instructions_disallowed(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        last: dict[Keyword, InstructionNode] = {}
        for node in stage.instructions:
            if node.kind in (Keyword.CMD, Keyword.ENTRYPOINT, Keyword.HEALTHCHECK):
                previous = last.get(node.kind)
                if previous is not None:
                    # Reported on the earlier one: that is the one that will be ignored.
                    yield hit(
                        previous,
                        f"Multiple {node.keyword} instructions should not be used in the same stage because only the last one will be used",
                    )
                last[node.kind] = node


@rule(
    id="LegacyKeyValueFormat",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Legacy key/value format with whitespace separator should not be used",
    bad="FROM alpine:3\nENV APP_HOME /srv/app\n",
    good="FROM alpine:3\nENV APP_HOME=/srv/app\n",
    fixable=True,
)
def legacy_key_value_format(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.instructions:
        targets = [node] + ([node.trigger] if node.trigger is not None else [])
        for target in targets:
            if target.kind in (Keyword.ENV, Keyword.LABEL) and any(
                sep == "" for _, _, sep in env_pairs(target)
            ):
                name = target.keyword
                yield hit(
                    node, f'"{name} key=value" should be used instead of legacy "{name} key value" format'
                )


_SECRET = re.compile(
    r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)"
)
_ALLOWED = re.compile(r"(?i)(?:_|^)(?:public|file|version)(?:_|$)")


def is_secret_name(name: str) -> bool:
    return bool(_SECRET.search(name)) and not _ALLOWED.search(name)


@rule(
    id="SecretsUsedInArgOrEnv",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Sensitive data should not be used in the ARG or ENV commands",
    bad="FROM alpine:3\nARG GITHUB_TOKEN\n",
    good="FROM alpine:3\nRUN --mount=type=secret,id=github_token,env=GITHUB_TOKEN ./fetch.sh\n",
)
def secrets_used_in_arg_or_env(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        for node in stage.instructions:
            if node.kind is Keyword.ARG:
                keys = [name for name, _ in arg_pairs(node)]
                label = "ARG"
            elif node.kind is Keyword.ENV:
                keys = [key for key, _, _ in env_pairs(node)]
                label = "ENV"
            else:
                continue
            for key in keys:
                if is_secret_name(key):
                    yield hit(
                        node, f'Do not use ARG or ENV instructions for sensitive data ({label} "{key}")'
                    )
