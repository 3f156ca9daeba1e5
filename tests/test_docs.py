"""The docs stay current: every command and long option is in docs/cli.md, and every relative link resolves.

The command list and the options are read from the real argparse parser (`pybuildkit.cli.build_parser()`),
walking nested subparsers (`context ls`), so a new command or option fails here until docs/cli.md has it.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from pathlib import Path

import pytest

import pybuildkit.cli
from pybuildkit.cli import COMMANDS, build_parser
from tests.support import REPO

DOCS = REPO / "docs"
CLI_DOC = DOCS / "cli.md"

# A command's section opens with a heading that names it: "### `pybuildkit context ls`".
_COMMAND_HEADING = re.compile(r"^(#{1,6})\s+`pybuildkit ([a-z][a-z0-9 _-]*)`\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# [text](target) and ![alt](target); the target stops at whitespace or ")" (an optional "title" follows).
_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_INLINE_CODE = re.compile(r"(`+).*?\1")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subparsers of `parser`, by name (argparse keeps them in the `_SubParsersAction`'s choices)."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command path (`build`, `context`, `context ls`, ...) with its parser."""
    out: dict[str, argparse.ArgumentParser] = {}

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        for name, sub in _subcommands(parser).items():
            path = f"{prefix} {name}".strip()
            out[path] = sub
            walk(path, sub)

    walk("", build_parser())
    return out


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    )


def _strip_code_blocks(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks (blank where a block was, to keep numbers)."""
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            lines.append("")
            continue
        lines.append("" if fenced else line)
    return lines


def _sections(text: str) -> dict[str, str]:
    """Command path → the prose of its section (from its heading to the next heading at its level or above).

    Code blocks are left out: an option named only in the synopsis or an example is not documented."""
    lines = _strip_code_blocks(text)
    sections: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = _COMMAND_HEADING.match(line)
        if match is None:
            continue
        level = len(match.group(1))
        end = len(lines)
        for later in range(index + 1, len(lines)):
            heading = _HEADING.match(lines[later])
            if heading is not None and len(heading.group(1)) <= level:
                end = later
                break
        sections[match.group(2).strip()] = "\n".join(lines[index:end])
    return sections


COMMAND_PARSERS = _commands()
CLI_SECTIONS = _sections(CLI_DOC.read_text(encoding="utf-8"))


def test_every_registered_module_is_a_command() -> None:
    top_level = [path for path in COMMAND_PARSERS if " " not in path]
    assert len(top_level) == len(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMAND_PARSERS), ids=str)
def test_command_has_a_section(command: str) -> None:
    assert command in CLI_SECTIONS, f'docs/cli.md has no heading "### `pybuildkit {command}`"'


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (command, option)
        for command, parser in sorted(COMMAND_PARSERS.items())
        for option in _long_options(parser)
    ],
    ids=lambda value: str(value),
)
def test_long_option_is_documented(command: str, option: str) -> None:
    section = CLI_SECTIONS.get(command, "")
    assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", section), (
        f"the section of `pybuildkit {command}` in docs/cli.md does not mention {option}"
    )


def test_global_options_are_documented() -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    for option in _long_options(build_parser()):
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text), option


def _command_modules() -> set[str]:
    """Command names by module (`import_.py` is `import`), registered in COMMANDS or still being wired in."""
    package = Path(pybuildkit.cli.__file__).parent
    return {path.stem.rstrip("_") for path in package.glob("*.py") if not path.stem.startswith("_")}


def test_no_section_for_a_command_that_is_gone() -> None:
    # A section may run ahead of registration (the module exists, COMMANDS does not list it yet), never
    # outlive the command: once the module is gone, so must its section be.
    stale = set(CLI_SECTIONS) - set(COMMAND_PARSERS) - _command_modules()
    assert sorted(stale) == []


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    kept = "".join(char for char in text if char in " -_" or unicodedata.category(char)[0] in "LN")
    return kept.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in _strip_code_blocks(path.read_text(encoding="utf-8")):
        heading = _HEADING.match(line)
        if heading is None:
            continue
        slug = _slug(heading.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _relative_links() -> list[tuple[Path, int, str]]:
    links: list[tuple[Path, int, str]] = []
    for path in sorted(DOCS.rglob("*.md")):
        for number, line in enumerate(_strip_code_blocks(path.read_text(encoding="utf-8")), start=1):
            for match in _LINK.finditer(_INLINE_CODE.sub("", line)):
                target = match.group(1)
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto:
                    continue
                links.append((path, number, target))
    return links


LINKS = _relative_links()


def test_the_docs_have_relative_links() -> None:
    # Guards the link test below against a regex that silently matches nothing.
    assert any(path == CLI_DOC for path, _, _ in LINKS)


@pytest.mark.parametrize(
    ("path", "line", "target"),
    LINKS,
    ids=[f"{path.relative_to(REPO)}:{line}:{target}" for path, line, target in LINKS],
)
def test_relative_link_resolves(path: Path, line: int, target: str) -> None:
    file_part, _, fragment = target.partition("#")
    destination = (path.parent / file_part).resolve() if file_part else path
    where = f"{path.relative_to(REPO)}:{line}"
    assert destination.exists(), f"{where}: {target} does not exist"
    if fragment and destination.suffix == ".md":
        assert fragment in _anchors(destination), f"{where}: {destination.name} has no heading #{fragment}"
