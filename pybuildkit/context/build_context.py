"""The build context: a directory, the ignore file that applies to it, and what a build would see of it.

Which ignore file applies (BuildKit `frontend/dockerui/config.go`, `testDockerignoreOverride`):
`<Dockerfile name>.dockerignore` beside the Dockerfile when it exists, otherwise `<context>/.dockerignore`.

What is sent (tonistiigi/fsutil's filtered walk): entries in walk order (depth first, names sorted by their
bytes, so `a`, `a/b`, `a.txt`); a file, symlink or special file when it is not excluded; a directory when it
is not excluded, or when something below it is sent (an excluded `docs` still appears if `!docs/README.md`
re-includes a file). Symlinks are entries, never followed. An excluded directory that no exception could
reach into is not read at all (as fsutil's `SkipDir`), and an excluded directory that cannot be read is
skipped without error (`TestWalkerPermissionDenied`).
"""

from __future__ import annotations

import enum
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pybuildkit.context.gopath import go_clean
from pybuildkit.context.matcher import IgnoreMatcher, IgnoreRule
from pybuildkit.errors import ContextError

DEFAULT_IGNORE_FILE = ".dockerignore"
_MAX_SYMLINK_HOPS = 40  # Linux's MAXSYMLINKS


class EntryKind(enum.Enum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    OTHER = "other"
    """A fifo, socket or device node (sent as such; the layer writer decides what to make of it)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextEntry:
    """One entry a build would see: its slash-separated path relative to the context root, and its lstat."""

    path: str
    kind: EntryKind
    stat: os.stat_result
    link_target: str | None = None
    """For a symlink: its target, as written (never resolved)."""

    @property
    def mode(self) -> int:
        return self.stat.st_mode

    @property
    def size(self) -> int:
        return self.stat.st_size


def entry_kind(mode: int) -> EntryKind:
    if stat.S_ISDIR(mode):
        return EntryKind.DIR
    if stat.S_ISREG(mode):
        return EntryKind.FILE
    if stat.S_ISLNK(mode):
        return EntryKind.SYMLINK
    return EntryKind.OTHER


def select_ignore_file(
    root: str | os.PathLike[str], dockerfile: str | os.PathLike[str] | None = None
) -> Path | None:
    """The ignore file that applies: `<Dockerfile>.dockerignore` beside the Dockerfile wins over
    `<root>/.dockerignore`; None when neither exists."""
    if dockerfile is not None:
        specific = Path(dockerfile)
        specific = specific.with_name(specific.name + ".dockerignore")
        if _is_file(specific):
            return specific
    default = Path(root) / DEFAULT_IGNORE_FILE
    return default if _is_file(default) else None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError as error:  # a directory on the way that cannot be searched
        raise ContextError(f"{path}: cannot read: {error.strerror}") from None


def normalize_context_path(path: str) -> str:
    """A path given relative to the context root (`./a`, `/a`, `a/` all mean `a`); `.` is the root.

    Raises ContextError for a path that leaves the context (`../x`).
    """
    if path.startswith("/"):
        return go_clean(path)[1:] or "."
    cleaned = go_clean(path)
    if cleaned == ".." or cleaned.startswith("../"):
        raise ContextError(
            f"{path}: is outside the build context",
            hint="paths are relative to the context directory and cannot go above it",
        )
    return cleaned


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildContext:
    """A context directory with its .dockerignore matcher. Build it with `BuildContext.open`."""

    root: Path
    """Absolute path of the context directory."""
    matcher: IgnoreMatcher = field(default_factory=IgnoreMatcher)
    ignore_file: Path | None = None
    """The ignore file in use (None: nothing is excluded)."""

    @classmethod
    def open(
        cls,
        root: str | os.PathLike[str],
        *,
        dockerfile: str | os.PathLike[str] | None = None,
    ) -> BuildContext:
        """Open a context directory; `dockerfile` (relative to the current directory) selects a
        `<Dockerfile>.dockerignore`. Raises ContextError for a missing directory or a bad ignore file."""
        root_path = Path(os.path.abspath(root))
        if not root_path.is_dir():
            raise ContextError(
                f"{root}: build context is not a directory",
                hint="pass the directory whose files the Dockerfile copies (often `.`)",
            )
        if not os.access(root_path, os.R_OK | os.X_OK):
            raise ContextError(
                f"{root}: cannot read the build context directory: Permission denied",
                hint="make it readable (chmod u+rx), or build from a copy you can read",
            )
        ignore_file = select_ignore_file(root_path, dockerfile)
        if ignore_file is None:
            return cls(root=root_path, matcher=IgnoreMatcher(), ignore_file=None)
        label = _display_name(ignore_file, root_path)
        try:
            text = ignore_file.read_bytes().decode("utf-8", "surrogateescape")
        except OSError as error:
            raise ContextError(f"{label}: cannot read ignore file: {error.strerror}") from None
        matcher = IgnoreMatcher.from_text(text, file=label)
        return cls(root=root_path, matcher=matcher, ignore_file=ignore_file)

    def excluded(self, path: str) -> bool:
        return self.matcher.excluded(path)

    def why(self, path: str) -> IgnoreRule | None:
        return self.matcher.why(path)

    def walk(self, under: str = ".") -> Iterator[ContextEntry]:
        """Every entry a build would see below `under` (default: the whole context), in walk order.

        `under` itself is not yielded. Raises ContextError when a directory that is sent cannot be read.
        """
        base = normalize_context_path(under)
        state = -1
        excluded = False
        if base != ".":
            if not self._real_directories(base.split("/")):
                return  # not a directory of the context (absent, a file, or reached through a symlink)
            # Fold the parents' match results down to `under`, as the walk from the root would have.
            prefix = ""
            for part in base.split("/"):
                prefix = f"{prefix}/{part}" if prefix else part
                state = self.matcher.step(prefix, state)
            excluded = self._excluded(state)
            if excluded and not self.matcher.could_reinclude_below(base):
                return
        yield from self._walk(base, state, excluded)

    def entries(self) -> tuple[ContextEntry, ...]:
        return tuple(self.walk())

    def entry(self, path: str) -> ContextEntry | None:
        """The entry at `path` if a build would see it (an excluded directory counts when something
        below it is sent); None when it is absent or left out."""
        rel = normalize_context_path(path)
        if rel == ".":
            return None
        parts = rel.split("/")
        if not self._real_directories(parts[:-1]):
            return None  # a symlink on the way: the build sees the link, not what is behind it
        try:
            st = os.lstat(self.root / rel)
        except OSError:
            return None
        kind = entry_kind(st.st_mode)
        made = ContextEntry(
            path=rel,
            kind=kind,
            stat=st,
            link_target=os.readlink(self.root / rel) if kind is EntryKind.SYMLINK else None,
        )
        if not self.matcher.excluded(rel):
            return made
        if kind is EntryKind.DIR and next(self.walk(rel), None) is not None:
            return made
        return None

    def _real_directories(self, parts: list[str]) -> bool:
        """Whether each of `parts`, `parts[:2]`... is a directory itself (not a symlink to one)."""
        current = self.root
        for part in parts:
            current = current / part
            try:
                if not stat.S_ISDIR(os.lstat(current).st_mode):
                    return False
            except OSError:
                return False
        return True

    def _excluded(self, state: int) -> bool:
        return state >= 0 and not self.matcher.rules[state].exclusion

    def _walk(self, rel_dir: str, state: int, dir_excluded: bool) -> Iterator[ContextEntry]:
        directory = str(self.root) if rel_dir == "." else os.path.join(self.root, rel_dir)
        try:
            with os.scandir(directory) as scan:
                children = sorted(scan, key=_name_key)
        except OSError as error:
            if dir_excluded:
                return  # fsutil skips an excluded directory it cannot read
            raise ContextError(
                f"{rel_dir}: cannot read directory in the build context: {error.strerror}"
            ) from None
        step = self.matcher.step
        for child in children:
            rel = child.name if rel_dir == "." else f"{rel_dir}/{child.name}"
            child_state = step(rel, state)
            excluded = child_state >= 0 and self._excluded(child_state)
            try:
                st = child.stat(follow_symlinks=False)
            except OSError as error:
                if excluded:
                    continue
                raise ContextError(f"{rel}: cannot stat: {error.strerror}") from None
            kind = entry_kind(st.st_mode)
            if kind is EntryKind.DIR:
                made = ContextEntry(path=rel, kind=kind, stat=st)
                if not excluded:
                    yield made
                    yield from self._walk(rel, child_state, False)
                elif self.matcher.could_reinclude_below(rel):
                    below = self._walk(rel, child_state, True)
                    first = next(below, None)
                    if first is not None:
                        yield made
                        yield first
                        yield from below
            elif not excluded:
                target = os.readlink(child.path) if kind is EntryKind.SYMLINK else None
                yield ContextEntry(path=rel, kind=kind, stat=st, link_target=target)

    def resolve(self, path: str, *, follow_final: bool = True) -> Path:
        """The location on disk of context path `path`, following symlinks inside the context.

        Symlinks are resolved as the build will: relative targets from the link's directory; the last
        component is followed unless `follow_final` is False. The result may not exist. Raises
        ContextError when `..` or a symlink (an absolute target, or one climbing out) leads outside the
        context, or on a symlink loop.
        """
        # Each pending component remembers the symlink it came from, to name it when it escapes.
        Origin = tuple[str, str] | None
        pending: list[tuple[str, Origin]] = [
            (part, None) for part in reversed(path.split("/")) if part not in ("", ".")
        ]
        resolved: list[str] = []
        hops = 0
        while pending:
            part, origin = pending.pop()
            if part == "..":
                if not resolved:
                    raise self._escape(path, origin)
                resolved.pop()
                continue
            if not pending and not follow_final:
                resolved.append(part)
                break
            candidate = self.root.joinpath(*resolved, part)
            try:
                is_link = stat.S_ISLNK(os.lstat(candidate).st_mode)
            except OSError:
                is_link = False  # missing: the rest is taken literally (the caller reports "not found")
            if not is_link:
                resolved.append(part)
                continue
            hops += 1
            if hops > _MAX_SYMLINK_HOPS:
                raise ContextError(
                    f"{path}: too many levels of symbolic links in the build context",
                    hint="a symlink in the path points back to itself, directly or through others",
                )
            target = os.readlink(candidate)
            via = ("/".join([*resolved, part]), target)
            if target.startswith("/"):
                raise self._escape(path, via)
            pending.extend((piece, via) for piece in reversed(target.split("/")) if piece not in ("", "."))
        return self.root.joinpath(*resolved)

    def _escape(self, path: str, via: tuple[str, str] | None) -> ContextError:
        if via is None:
            return ContextError(
                f"{path}: is outside the build context",
                hint="paths are relative to the context directory and cannot go above it",
            )
        link, target = via
        return ContextError(
            f"{path}: resolves outside the build context (symlink {link} -> {target})",
            hint=f"symlinks are copied as symlinks and never followed out of the context ({self.root})",
        )


def _name_key(item: os.DirEntry[str]) -> bytes:
    # Go sorts names by their bytes; names that are not UTF-8 are surrogate escapes here.
    return item.name.encode("utf-8", "surrogateescape")


def walk_order_key(path: str) -> list[bytes]:
    """Sort key putting slash-separated paths in walk order (`a`, `a/b`, `a.txt`)."""
    return path.encode("utf-8", "surrogateescape").split(b"/")


def _display_name(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
