"""COPY and ADD: put files from the context, another stage, an image, a URL or a here-document."""

from __future__ import annotations

from dataclasses import dataclass

from pybuildkit.errors import InstructionError
from pybuildkit.instructions.base import (
    InstructionBase,
    err_no_destination,
    heredoc_marker,
    is_heredoc_word,
)
from pybuildkit.instructions.flags import ADD_FLAGS, COPY_FLAGS, FlagValues, parse_flags
from pybuildkit.syntax.heredoc import chomp_heredoc_content
from pybuildkit.syntax.nodes import InstructionNode


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceContent:
    """An inline source file from a here-document (data already chomped for `<<-`)."""

    path: str  # the delimiter word: the file's name
    data: str
    expand: bool  # False when the delimiter was quoted: the builder copies the body as is


@dataclass(frozen=True, slots=True, kw_only=True)
class FilesInstruction(InstructionBase):
    """What COPY and ADD share."""

    sources: tuple[str, ...]  # context paths, URLs, ... as written
    contents: tuple[SourceContent, ...]  # here-document sources, in order
    dest: str
    chown: str = ""
    chmod: str = ""
    link: bool = False
    excludes: tuple[str, ...] = ()
    flags_used: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyInstruction(FilesInstruction):
    """COPY [--from=<stage|image>] [--chown=<user>:<group>] [--chmod=<perms>] [--link] [--parents] [--exclude=<path>] <src>... <dest>"""

    from_: str = ""  # "" = the build context
    parents: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AddInstruction(FilesInstruction):
    """ADD [--chown=<user>:<group>] [--chmod=<perms>] [--link] [--checksum=<digest>] [--keep-git-dir] [--unpack] [--exclude=<path>] <src>... <dest>"""

    checksum: str = ""
    keep_git_dir: bool | None = None  # None: not written
    unpack: bool | None = None  # None: not written (BuildKit decides by source)


def _sources_and_dest(
    node: InstructionNode, command: str
) -> tuple[tuple[str, ...], tuple[SourceContent, ...], str]:
    *sources, dest = node.args
    if is_heredoc_word(dest):
        raise InstructionError(
            f"{command} cannot accept a heredoc as a destination",
            hint=f"a heredoc is a source; write {command} <<EOF <dest>",
        )
    by_name = {h.name: h for h in node.heredocs}
    paths: list[str] = []
    contents: list[SourceContent] = []
    for word in sources:
        marker = heredoc_marker(word)
        if marker is None:
            paths.append(word)
            continue
        found = by_name.get(marker.name)
        body = "" if found is None else found.content
        data = chomp_heredoc_content(body) if marker.chomp else body
        contents.append(SourceContent(path=marker.name, data=data, expand=marker.expand))
    return tuple(paths), tuple(contents), dest


def _common(node: InstructionNode, flags: FlagValues, command: str) -> dict[str, object]:
    sources, contents, dest = _sources_and_dest(node, command)
    return {
        "span": node.span,
        "node": node,
        "sources": sources,
        "contents": contents,
        "dest": dest,
        "chown": flags.string("chown"),
        "chmod": flags.string("chmod"),
        "link": flags.boolean("link"),
        "excludes": flags.strings("exclude"),
        "flags_used": flags.used,
    }


def parse_copy(node: InstructionNode) -> CopyInstruction:
    if len(node.args) < 2:
        raise err_no_destination("COPY")
    flags = parse_flags(node.flags, COPY_FLAGS)
    return CopyInstruction(
        **_common(node, flags, "COPY"),  # type: ignore[arg-type]
        from_=flags.string("from"),
        parents=flags.boolean("parents"),
    )


def parse_add(node: InstructionNode) -> AddInstruction:
    if len(node.args) < 2:
        raise err_no_destination("ADD")
    flags = parse_flags(node.flags, ADD_FLAGS)
    return AddInstruction(
        **_common(node, flags, "ADD"),  # type: ignore[arg-type]
        checksum=flags.string("checksum"),
        keep_git_dir=flags.optional_boolean("keep-git-dir"),
        unpack=flags.optional_boolean("unpack"),
    )
