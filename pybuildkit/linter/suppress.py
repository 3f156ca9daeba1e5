"""Which findings the Dockerfile itself switches off.

BuildKit: the `# check=skip=A,B;error=true;experimental=C` parser directive (whole file), and the same
`check=` text in a comment directly above an instruction (that instruction only; the first such comment
wins, and its value ends at the first space, so `# check=skip=Rule // reason` works) — BuildKit's
`Linter.WithMergedConfigFromComments`, exercised by `testLintSkipCommentRule`... in dockerfile_lint_test.go.
hadolint: `# hadolint ignore=DL3008,SC2086` (the next line only) and `# hadolint global ignore=...`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pybuildkit.errors import DockerfileSyntaxError
from pybuildkit.instructions.base import go_quote
from pybuildkit.syntax.nodes import Dockerfile, InstructionNode

_HADOLINT = re.compile(r"^\s*#\s*hadolint\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9_,\s]+?)\s*(?:#.*)?$")


# Go's strconv.ParseBool, which BuildKit uses for `error=`: exactly these spellings.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_CHECK_HINT = (
    "write # check=skip=<rules>;error=<true|false>;experimental=<rules> (rules comma-separated, or all)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOptions:
    """A parsed `check=` value."""

    skip: frozenset[str] = frozenset()
    skip_all: bool = False
    error: bool = False
    experimental: frozenset[str] = frozenset()
    experimental_all: bool = False


def parse_check(value: str) -> CheckOptions:
    """Parse `skip=A,B;error=true;experimental=all` as BuildKit's `ParseLintOptions` does."""
    value = value.strip()
    if not value:
        return CheckOptions()
    skip: frozenset[str] = frozenset()
    experimental: frozenset[str] = frozenset()
    skip_all = experimental_all = error = False
    for part in value.split(";", 2):
        key, sep, raw = part.partition("=")
        if not sep:
            raise DockerfileSyntaxError(f"invalid check option {go_quote(part)}", hint=_CHECK_HINT)
        key = key.strip()
        raw = raw.strip()
        match key:
            case "skip":
                if raw == "all":
                    skip_all = True
                else:
                    skip = frozenset(r.strip() for r in raw.split(","))
            case "experimental":
                if raw == "all":
                    experimental_all = True
                else:
                    experimental = frozenset(r.strip() for r in raw.split(","))
            case "error":
                if raw not in _TRUE | _FALSE:
                    raise DockerfileSyntaxError(
                        f"failed to parse check option {go_quote(part)}: "
                        f"strconv.ParseBool: parsing {go_quote(raw)}: invalid syntax",
                        hint="error= takes true or false",
                    )
                error = raw in _TRUE
            case _:
                raise DockerfileSyntaxError(f"invalid check option {go_quote(key)}", hint=_CHECK_HINT)
    return CheckOptions(
        skip=skip,
        skip_all=skip_all,
        error=error,
        experimental=experimental,
        experimental_all=experimental_all,
    )


def _comment_body(comment: str) -> str:
    text = comment.strip()
    if text.startswith("#"):
        text = text[1:]
    return text.strip()


def instruction_check(node: InstructionNode) -> CheckOptions | None:
    """The `check=` comment directly above an instruction, if any (the first one counts)."""
    for comment in node.comments:
        body = _comment_body(comment)
        name, sep, value = body.partition("=")
        if not sep or name.strip().lower() != "check":
            continue
        try:
            return parse_check(value.strip().split(" ", 1)[0])
        except DockerfileSyntaxError:
            return None  # BuildKit ignores a bad per-instruction check comment
    return None


@dataclass(slots=True, kw_only=True)
class Pragmas:
    """hadolint ignore pragmas: rules off everywhere, and rules off for the instruction on a given line."""

    global_ignored: set[str] = field(default_factory=set)
    by_line: dict[int, set[str]] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)  # where pragmas were written (DL1001)

    def ignores(self, names: Iterable[str], node: InstructionNode | None, line: int) -> bool:
        names = set(names)
        if names & self.global_ignored:
            return True
        start = node.span.start.line if node is not None else line
        return bool(names & self.by_line.get(start, set()))


def hadolint_pragmas(text: str) -> Pragmas:
    pragmas = Pragmas()
    for number, line in enumerate(text.splitlines(), 1):
        if "hadolint" not in line:
            continue
        match = _HADOLINT.match(line)
        if match is None:
            continue
        rules = {r.strip() for r in match.group(2).split(",") if r.strip()}
        pragmas.lines.append(number)
        if match.group(1):
            pragmas.global_ignored |= rules
        else:
            pragmas.by_line.setdefault(number + 1, set()).update(rules)
    return pragmas


def file_check(tree: Dockerfile) -> CheckOptions:
    """The `# check=` directive of the file (raises DockerfileSyntaxError when it cannot be read).

    BuildKit fails the whole check then (`newRuleLinter` in dockerfile2llb/convert.go): the message is
    its `failed to parse check options: ...`, placed at the directive.
    """
    for directive in tree.directives:
        if directive.name == "check":
            try:
                return parse_check(directive.value)
            except DockerfileSyntaxError as error:
                error.message = f"failed to parse check options: {error.message}"
                error.span = directive.span
                raise
    return CheckOptions()
