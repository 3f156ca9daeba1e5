"""hadolint's rules on single instructions and on their order inside a stage: DL1001, DL3000, DL3002,
DL3011, DL3012, DL3020, DL3021, DL3043, DL3044, DL3045, DL3064, DL3066, DL4003, DL4004."""

from __future__ import annotations

from collections.abc import Iterator

from pybuildkit.linter.analysis import Analysis, arg_pairs, env_pairs
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._util import copy_sources, hit, unquote
from pybuildkit.linter.rules.dl_from import parse_image
from pybuildkit.linter.rules.dl_run_general import ARCHIVES
from pybuildkit.linter.suppress import hadolint_pragmas
from pybuildkit.source import Position, Span
from pybuildkit.syntax.nodes import InstructionNode, Keyword


@rule(
    id="DL1001",
    severity=Severity.INFO,
    summary="Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`",
    bad="FROM debian:12.7\n# hadolint ignore=DL3008\nRUN apt-get install -y --no-install-recommends curl\n",
    good="FROM debian:12.7\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10\n",
    enabled=False,  # hadolint's level "ignore"
)
def dl1001(analysis: Analysis) -> Iterator[Hit]:
    lines = analysis.text.splitlines()
    for number in hadolint_pragmas(analysis.text).lines:
        end = Position(line=number, column=len(lines[number - 1]) + 1)
        yield Hit(
            span=Span(start=Position(line=number, column=1), end=end),
            message="Please refrain from using inline ignore pragmas  `# hadolint ignore=DLxxxx`.",
        )


def _windows_absolute(path: str) -> bool:
    return len(path) >= 2 and path[0].isalpha() and path[1] == ":"


@rule(
    id="DL3000",
    severity=Severity.ERROR,
    summary="Use absolute WORKDIR",
    bad="FROM debian:12.7\nWORKDIR app\n",
    good="FROM debian:12.7\nWORKDIR /app\n",
)
def dl3000(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.nodes(Keyword.WORKDIR):
        path = unquote(node.args[0]) if node.args else ""
        if not (path.startswith(("$", "/")) or _windows_absolute(path)):
            yield hit(node, "Use absolute WORKDIR")


def _resolved(analysis: Analysis, node: InstructionNode, word: str) -> str:
    return analysis.expand(node, word).value if "$" in word else word


def _is_root(user: str) -> bool:
    return user in ("root", "0") or user.startswith(("root:", "0:"))


@rule(
    id="DL3002",
    severity=Severity.WARNING,
    summary="Last USER should not be root",
    bad="FROM debian:12.7\nUSER root\n",
    good="FROM debian:12.7\nUSER 10001\n",
)
def dl3002(analysis: Analysis) -> Iterator[Hit]:
    for stage in analysis.stages:
        last_root: InstructionNode | None = None
        for node in stage.instructions:
            if node.kind is Keyword.USER and node.args:
                last_root = node if _is_root(_resolved(analysis, node, node.args[0])) else None
        if last_root is not None:
            yield hit(last_root, "Last USER should not be root")


@rule(
    id="DL3011",
    severity=Severity.ERROR,
    summary="Valid UNIX ports range from 0 to 65535",
    bad="FROM debian:12.7\nEXPOSE 80000\n",
    good="FROM debian:12.7\nEXPOSE 8000\n",
)
def dl3011(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.nodes(Keyword.EXPOSE):
        bad = False
        for arg in node.args:
            for word in _resolved(analysis, node, arg).split():
                port = word.partition("/")[0]
                for part in port.split("-", 1):
                    if part.isdigit() and int(part) > 65535:
                        bad = True
        if bad:
            yield hit(node, "Valid UNIX ports range from 0 to 65535")


def _repeated(analysis: Analysis, kind: Keyword, message: str) -> Iterator[Hit]:
    for group in analysis.groups():
        seen = False
        for node in group:
            if node.kind is kind:
                if seen:
                    yield hit(node, message)
                seen = True


@rule(
    id="DL3012",
    severity=Severity.ERROR,
    summary="Multiple `HEALTHCHECK` instructions",
    bad='FROM debian:12.7\nHEALTHCHECK CMD ["a"]\nHEALTHCHECK CMD ["b"]\n',
    good='FROM debian:12.7\nHEALTHCHECK CMD ["b"]\n',
)
def dl3012(analysis: Analysis) -> Iterator[Hit]:
    yield from _repeated(analysis, Keyword.HEALTHCHECK, "Multiple `HEALTHCHECK` instructions")


@rule(
    id="DL4003",
    severity=Severity.WARNING,
    summary="Multiple `CMD` instructions found",
    bad='FROM debian:12.7\nCMD ["a"]\nCMD ["b"]\n',
    good='FROM debian:12.7\nCMD ["b"]\n',
)
def dl4003(analysis: Analysis) -> Iterator[Hit]:
    yield from _repeated(
        analysis,
        Keyword.CMD,
        "Multiple `CMD` instructions found. If you list more than one `CMD` then only the last `CMD` will take effect",
    )


@rule(
    id="DL4004",
    severity=Severity.ERROR,
    summary="Multiple `ENTRYPOINT` instructions found",
    bad='FROM debian:12.7\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]\n',
    good='FROM debian:12.7\nENTRYPOINT ["b"]\n',
)
def dl4004(analysis: Analysis) -> Iterator[Hit]:
    yield from _repeated(
        analysis,
        Keyword.ENTRYPOINT,
        "Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last "
        "`ENTRYPOINT` will take effect",
    )


@rule(
    id="DL3020",
    severity=Severity.ERROR,
    summary="Use COPY instead of ADD for files and folders",
    bad="FROM debian:12.7\nADD app.py /srv/\n",
    good="FROM debian:12.7\nCOPY app.py /srv/\n",
)
def dl3020(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.nodes(Keyword.ADD):
        sources = [unquote(s) for s in copy_sources(node)]
        if any(not (s.endswith(ARCHIVES) or s.startswith(("https://", "http://"))) for s in sources):
            yield hit(node, "Use COPY instead of ADD for files and folders")


@rule(
    id="DL3021",
    severity=Severity.ERROR,
    summary="COPY with more than 2 arguments requires the last argument to end with /",
    bad="FROM debian:12.7\nCOPY a.txt b.txt /srv\n",
    good="FROM debian:12.7\nCOPY a.txt b.txt /srv/\n",
)
def dl3021(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.nodes(Keyword.COPY):
        if len(node.args) > 2 and not unquote(node.args[-1]).endswith("/"):
            yield hit(node, "COPY with more than 2 arguments requires the last argument to end with /")


@rule(
    id="DL3043",
    severity=Severity.ERROR,
    summary="`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction",
    bad="FROM debian:12.7\nONBUILD FROM alpine:3.20\n",
    good="FROM debian:12.7\nONBUILD RUN make\n",
)
def dl3043(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.nodes(Keyword.ONBUILD):
        trigger = node.trigger
        if trigger is not None and trigger.kind in (Keyword.ONBUILD, Keyword.FROM, Keyword.MAINTAINER):
            yield hit(node, "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.")


def _references(name: str, value: str) -> bool:
    if "${" + name + "}" in value:
        return True
    marker = "$" + name
    if marker not in value:
        return False
    return any(not rest or not (rest[0].isalnum() or rest[0] == "_") for rest in value.split(marker)[1:])


@rule(
    id="DL3044",
    severity=Severity.ERROR,
    summary="Do not refer to an environment variable within the same `ENV` statement where it is defined",
    bad="FROM debian:12.7\nENV A=/opt B=$A/bin\n",
    good="FROM debian:12.7\nENV A=/opt\nENV B=$A/bin\n",
)
def dl3044(analysis: Analysis) -> Iterator[Hit]:
    known: set[str] = set()
    for node in analysis.instructions:
        if node.kind is Keyword.ARG:
            known.update(n for n, _ in arg_pairs(node))
        elif node.kind is Keyword.ENV:
            pairs = env_pairs(node)
            refs = [
                key
                for index, (key, _, _) in enumerate(pairs)
                if any(_references(key, value) for other, (_, value, _) in enumerate(pairs) if other != index)
            ]
            before = set(known)
            known.update(k for k, _, _ in pairs)
            if any(r not in before for r in refs):
                yield hit(
                    node,
                    "Do not refer to an environment variable within the same `ENV` statement where it is defined.",
                )


@rule(
    id="DL3045",
    severity=Severity.WARNING,
    summary="`COPY` to a relative destination without `WORKDIR` set",
    bad="FROM debian:12.7\nCOPY app.py app/\n",
    good="FROM debian:12.7\nWORKDIR /srv\nCOPY app.py app/\n",
)
def dl3045(analysis: Analysis) -> Iterator[Hit]:
    workdir: dict[str, bool] = {"": False}
    for stage in (None, *analysis.stages):
        key = "" if stage is None else stage.name or parse_image(stage.base).name
        if stage is not None:
            workdir[key] = workdir.get(parse_image(stage.base).name, False)
        for node in analysis.meta if stage is None else stage.instructions:
            if node.kind is Keyword.WORKDIR:
                workdir[key] = True
            elif node.kind is Keyword.COPY and node.args and not workdir[key]:
                dest = node.args[-1].strip("\"'")
                if not (dest.startswith(("/", "$")) or _windows_absolute(dest)):
                    yield hit(node, "`COPY` to a relative destination without `WORKDIR` set.")


SENSITIVE = frozenset(
    [
        "ACCESS_TOKEN",
        "APPLICATION_KEY",
        "APP_SECRET",
        "AUTH_TOKEN",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "BITTREX_API_KEY",
        "BITTREX_API_SECRET",
        "CF_PASSWORD",
        "CF_USERNAME",
        "CIRCLE_TOKEN",
        "CI_DEPLOY_PASSWORD",
        "CI_DEPLOY_USER",
        "DOCKERHUB_PASSWORD",
        "DOCKER_EMAIL",
        "DOCKER_PASSWORD",
        "DOCKER_USERNAME",
        "FACEBOOK_ACCESS_TOKEN",
        "FACEBOOK_APP_ID",
        "FACEBOOK_APP_SECRET",
        "FIREBASE_API_TOKEN",
        "FIREBASE_TOKEN",
        "FOSSA_API_KEY",
        "GH_ENTERPRISE_TOKEN",
        "GH_TOKEN",
        "GITHUB_ENTERPRISE_TOKEN",
        "GITHUB_TOKEN",
        "HEROKU_API_KEY",
        "HEROKU_API_USER",
        "NPM_AUTH_TOKEN",
        "NPM_TOKEN",
        "OKTA_AUTHN_GROUPID",
        "OKTA_CLIENT_ORGURL",
        "OKTA_CLIENT_TOKEN",
        "OKTA_OAUTH2_CLIENTID",
        "OKTA_OAUTH2_CLIENTSECRET",
        "OPENAI_API_KEY",
        "OS_PASSWORD",
        "OS_USERNAME",
        "POSTGRES_PASSWORD",
        "SLACK_TOKEN",
        "STRIPE_API_KEY",
        "STRIPE_DEVICE_NAME",
        "TRAVIS_OS_NAME",
        "TRAVIS_SECURE_ENV_VARS",
        "TRAVIS_SUDO",
        "VAULT_CLIENT_KEY",
        "VAULT_TOKEN",
    ]
)
SUSPICIOUS = ("api_key", "client_key", "password", "private", "secret", "token", "username")


def _sensitive(name: str) -> bool:
    return name.upper() in SENSITIVE or any(s in name.lower() for s in SUSPICIOUS)


@rule(
    id="DL3064",
    severity=Severity.WARNING,
    summary="Potentially sensitive data should not be used in the `ARG` or `ENV` commands",
    bad="FROM debian:12.7\nARG NPM_TOKEN\n",
    good="FROM debian:12.7\nRUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci\n",
)
def dl3064(analysis: Analysis) -> Iterator[Hit]:
    for node in analysis.instructions:
        target = node.trigger if node.kind is Keyword.ONBUILD and node.trigger is not None else node
        if target.kind is Keyword.ARG:
            names = [n for n, _ in arg_pairs(target)]
        elif target.kind is Keyword.ENV:
            names = [k for k, _, _ in env_pairs(target)]
        else:
            continue
        if any(_sensitive(n) for n in names):
            yield hit(node, "Potentially sensitive data should not be used in the `ARG` or `ENV` commands")


@rule(
    id="DL3066",
    severity=Severity.INFO,
    summary="Non-numeric user-id may not be resolvable by host system",
    bad="FROM debian:12.7\nUSER app\n",
    good="FROM debian:12.7\nUSER 10001\n",
)
def dl3066(analysis: Analysis) -> Iterator[Hit]:
    args: set[str] = set()
    for node in analysis.instructions:
        if node.kind is Keyword.ARG:
            args.update(n for n, _ in arg_pairs(node))
        elif node.kind is Keyword.USER and node.args:
            user = node.args[0]
            uid = user.split(":", 1)[0]
            if uid.isdigit() or uid == "":
                continue
            if any("${" + a + "}" in user or "$" + a in user for a in args):
                continue
            yield hit(node, "Non-numeric user-id may not be resolvable by host system")
