"""COPY and ADD semantics: which files go where, with which owner and mode — as layer entries.

`copy_entries(request)` is the whole of it: it reads the sources (the build context, a named context, another
stage's or an image's root filesystem, here-documents, downloaded URLs, local archives to extract) and the
destination stage's filesystem (to follow symlinks in the destination path and to know whether it names an
existing directory), and returns the `Entry` values of the new layer. It writes nothing: content stays where
it is (`Entry.source`) until the layer writer streams it.

Rules, as BuildKit's `dispatchCopy` and fileop copy apply them:
* a relative destination is relative to WORKDIR; it names a directory when it ends with `/` (or `.`), or
  when it is an existing directory; several source arguments need a directory destination ending in `/`;
* a source file goes to `dest/<name>` (directory) or to `dest`; a source directory's *contents* go into
  `dest`; wildcards (Go's `filepath.Match`, per path component) match in the source, each match copied as
  above; a source that is a symlink is followed (inside its tree), symlinks inside a directory are copied
  as symlinks;
* `--parents` keeps each source's path (from the source root, or from a `/./` pivot) under the destination;
* `--exclude` patterns (.dockerignore syntax) drop matching paths (relative to the source root, or to the
  copied directory);
* `--chown` gives every new entry (and every directory created for the destination) that owner; a name is
  looked up in the destination's /etc/passwd and /etc/group; a user without a group means gid = uid, as
  Docker documents; without `--chown`, context files are 0:0 and files from a stage keep their owners;
* `--chmod` (octal, or symbolic as chmod(1): `u+x,go-w`, `a=rX`) applies to files and directories;
* missing parent directories of the destination are created 0755;
* ADD extracts a local tar archive (plain, gzip, bzip2, xz or zstd, detected by content) into the
  destination, keeping the archive's owners unless `--chown`; a URL is downloaded to `dest/<name>` (or
  `dest`) with mode 0600; `--checksum=sha256:...` must match what was downloaded.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import stat
import tarfile
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from pybuildkit.context import BuildContext, ContextEntry, IgnoreMatcher
from pybuildkit.context import EntryKind as ContextKind
from pybuildkit.errors import BuildError, ContextError, InstructionError, PyBuildKitError
from pybuildkit.execute.rootfs import RootView
from pybuildkit.instructions import chmod
from pybuildkit.layers import Entry, EntryKind, LayerError, entry_from_path, open_decompressed
from pybuildkit.layers.compression import sniff
from pybuildkit.layers.entries import clean_path

_WILDCARD = re.compile(r"[*?\[]")


class CopyError(BuildError):
    """A COPY/ADD that cannot be done (missing source, bad --chown or --chmod, checksum mismatch...)."""


# --- source trees ----------------------------------------------------------------------------------


class SourceTree(Protocol):
    """Where COPY reads from: paths relative to the tree's root, `/`-separated."""

    label: str

    def resolve(self, path: str) -> tuple[str, Entry | None]:
        """Follow symlinks (inside the tree) to the entry a source path names; None when missing."""
        ...

    def children(self, directory: str) -> list[str]: ...

    def walk(self, directory: str) -> Iterator[Entry]:
        """Every entry below `directory`, paths relative to the tree root, symlinks not followed."""
        ...

    def entry(self, path: str) -> Entry | None:
        """The entry at exactly `path` (a final symlink not followed)."""
        ...

    def all_paths(self, limit: int) -> list[str]:
        """Some paths of the tree, for "did you mean" hints."""
        ...


def _context_entry(context: BuildContext, item: ContextEntry) -> Entry:
    return entry_from_path(
        os.path.join(context.root, item.path), item.path, st=item.stat, uid=0, gid=0, xattrs=False
    )


class ContextTree:
    """The build context (or a named directory context), as the .dockerignore lets a build see it."""

    def __init__(self, context: BuildContext, label: str = "build context") -> None:
        self.context = context
        self.label = label

    def resolve(self, path: str) -> tuple[str, Entry | None]:
        try:
            host = self.context.resolve(path)
        except ContextError as error:
            raise CopyError(error.message, hint=error.hint) from None
        rel = host.relative_to(self.context.root).as_posix() if host != self.context.root else ""
        return rel, self.entry(rel)

    def entry(self, path: str) -> Entry | None:
        if path in ("", "."):
            st = os.lstat(self.context.root)
            return Entry(path="context-root", kind=EntryKind.DIRECTORY, mode=stat.S_IMODE(st.st_mode))
        found = self.context.entry(path)
        return None if found is None else _context_entry(self.context, found)

    def children(self, directory: str) -> list[str]:
        host = self.context.root / directory if directory else self.context.root
        try:
            names = sorted(os.listdir(host), key=os.fsencode)
        except OSError:
            return []
        out = []
        for name in names:
            rel = f"{directory}/{name}" if directory else name
            if self.context.entry(rel) is not None:
                out.append(name)
        return out

    def walk(self, directory: str) -> Iterator[Entry]:
        for item in self.context.walk(directory or "."):
            yield _context_entry(self.context, item)

    def listing(self, directory: str) -> Iterator[ContextEntry]:
        return self.context.walk(directory or ".")

    def all_paths(self, limit: int) -> list[str]:
        out = []
        for item in self.context.walk("."):
            out.append(item.path)
            if len(out) >= limit:
                break
        return out


class ViewTree:
    """Another stage's (or an image's) root filesystem."""

    def __init__(self, view: RootView, label: str) -> None:
        self.view = view
        self.label = label

    def resolve(self, path: str) -> tuple[str, Entry | None]:
        try:
            return self.view.resolve(path)
        except LayerError as error:
            raise CopyError(error.message) from None

    def entry(self, path: str) -> Entry | None:
        return self.view.raw(path)

    def children(self, directory: str) -> list[str]:
        return self.view.children(directory)

    def walk(self, directory: str) -> Iterator[Entry]:
        return self.view.walk(directory)

    def all_paths(self, limit: int) -> list[str]:
        out = []
        for item in self.view.walk(""):
            out.append(item.path)
            if len(out) >= limit:
                break
        return out


# --- chmod and chown -------------------------------------------------------------------------------


def parse_chmod(text: str) -> Callable[[int, bool], int]:
    """`--chmod`, parsed by the instructions layer (BuildKit's rules); a bad value is a CopyError here."""
    try:
        return chmod.parse_chmod(text)
    except InstructionError as error:
        raise CopyError(error.message, hint=error.hint) from None


def parse_chown(spec: str, view: RootView) -> tuple[int, int]:
    """`--chown=user[:group]` with names looked up in the destination's /etc/passwd and /etc/group."""
    user, _, group = spec.partition(":")
    if not user:
        raise CopyError(f"invalid --chown value {spec!r}", hint="write --chown=user[:group]")

    def table(path: str) -> dict[str, tuple[int, int]]:
        data = view.read(path)
        out: dict[str, tuple[int, int]] = {}
        for line in (data or b"").decode("utf-8", "replace").splitlines():
            parts = line.split(":")
            if len(parts) >= 4 and parts[2].isdigit():
                gid = int(parts[3]) if parts[3].isdigit() else 0
                out.setdefault(parts[0], (int(parts[2]), gid))
            elif len(parts) >= 3 and parts[2].isdigit():
                out.setdefault(parts[0], (int(parts[2]), int(parts[2])))
        return out

    if user.isdigit():
        uid = int(user)
    else:
        users = table("etc/passwd")
        if user not in users:
            raise CopyError(
                f"--chown: unknown user {user!r}: no such user in the image's /etc/passwd",
                hint=_names_hint(user, users) or "create the user in an earlier step or use a numeric uid",
            )
        uid = users[user][0]
    if not group:
        return uid, uid
    if group.isdigit():
        return uid, int(group)
    groups = table("etc/group")
    if group not in groups:
        raise CopyError(
            f"--chown: unknown group {group!r}: no such group in the image's /etc/group",
            hint=_names_hint(group, groups) or "create the group in an earlier step or use a numeric gid",
        )
    return uid, groups[group][0]


def _names_hint(name: str, names: dict[str, tuple[int, int]]) -> str | None:
    close = difflib.get_close_matches(name, list(names), n=3)
    return f"did you mean {' or '.join(close)}?" if close else None


# --- wildcards -------------------------------------------------------------------------------------


def _component_regex(piece: str) -> re.Pattern[str]:
    """Go's `filepath.Match` for one path component."""
    out = []
    i = 0
    while i < len(piece):
        ch = piece[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < len(piece):
            i += 1
            out.append(re.escape(piece[i]))
        elif ch == "[":
            end = piece.find("]", i + 2 if piece[i + 1 : i + 2] in ("^", "]") else i + 1)
            if end < 0:
                raise CopyError(f"syntax error in pattern {piece!r}")
            body = piece[i + 1 : end]
            negate = body.startswith("^")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\")
            out.append(f"[{'^' if negate else ''}{body}]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def glob(tree: SourceTree, pattern: str) -> list[str]:
    """Paths in `tree` matching `pattern` component by component, sorted."""
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    current = [""]
    for part in parts:
        following: list[str] = []
        for base in current:
            if _WILDCARD.search(part) is None:
                candidate = f"{base}/{part}" if base else part
                if tree.entry(candidate) is not None:
                    following.append(candidate)
                continue
            regex = _component_regex(part)
            for name in tree.children(base):
                if regex.match(name):
                    following.append(f"{base}/{name}" if base else name)
        current = following
    return sorted(current)


# --- the request -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Download:
    """An ADD URL source, fetched to a local file."""

    url: str
    path: Path
    name: str
    digest: str
    mtime: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Inline:
    """A here-document source."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyRequest:
    """Everything `copy_entries` needs (the builder fills it)."""

    command: str  # COPY or ADD
    sources: tuple[str, ...]  # paths or patterns in `tree`
    inline: tuple[Inline, ...] = ()
    downloads: tuple[Download, ...] = ()
    dest: str
    workdir: str
    tree: SourceTree | None
    dest_view: RootView
    chown: tuple[int, int] | None = None
    chmod: str = ""
    parents: bool = False
    excludes: tuple[str, ...] = ()
    unpack: bool = False  # ADD: extract local archives
    unpack_urls: bool = False  # ADD --unpack=true: extract downloaded archives too
    unpack_dir: Path | None = None  # where extracted archive members are written (a build temp dir)
    from_stage: bool = False  # sources come from a root filesystem (owners kept)


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def is_git(source: str) -> bool:
    """A git repository as ADD takes one (`git@host:repo`, `git://`, `https://.../repo.git[#ref]`)."""
    base = source.partition("#")[0]
    return source.startswith(("git@", "git://", "ssh://")) or (is_url(source) and base.endswith(".git"))


def _dest_path(dest: str, workdir: str) -> tuple[str, bool]:
    """The destination path (root-relative, cleaned) and whether it was written as a directory."""
    as_dir = dest.endswith("/") or dest.endswith("/.") or dest in (".", "")
    joined = dest if dest.startswith("/") else f"{workdir.rstrip('/')}/{dest}"
    parts: list[str] = []
    for part in joined.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts), as_dir


def copy_entries(request: CopyRequest) -> list[Entry]:
    """The layer entries of a COPY/ADD (see the module docstring)."""
    view = request.dest_view
    dest, as_dir = _dest_path(request.dest, request.workdir)
    count = len(request.sources) + len(request.inline) + len(request.downloads)
    if count > 1 and not as_dir:
        raise CopyError(
            f"When using {request.command} with more than one source file, the destination must be a directory and end with a /",
            hint=f"write the destination as {request.dest.rstrip('/')}/",
        )
    # Follow symlinks in the destination's parents (inside the root); an existing directory is a directory.
    try:
        resolved, existing = view.resolve(dest) if dest else ("", None)
    except LayerError as error:
        raise CopyError(error.message) from None
    if dest == "":
        as_dir = True
        resolved = ""
    elif existing is not None and existing.kind is EntryKind.DIRECTORY:
        as_dir = True
    dest = resolved
    chmod = parse_chmod(request.chmod) if request.chmod else None
    excludes = IgnoreMatcher.from_patterns(request.excludes, file="--exclude") if request.excludes else None
    out: list[Entry] = []

    def own(entry: Entry, *, keep: bool, path: str | None = None) -> Entry:
        uid, gid = (entry.uid, entry.gid) if keep else (0, 0)
        if request.chown is not None:
            uid, gid = request.chown
        mode = entry.mode
        if chmod is not None and entry.kind in (EntryKind.FILE, EntryKind.DIRECTORY, EntryKind.HARDLINK):
            mode = chmod(mode, entry.kind is EntryKind.DIRECTORY)
        if path is None:
            path = entry.path
        if (path, uid, gid, mode) == (entry.path, entry.uid, entry.gid, entry.mode):
            return entry
        return replace(entry, path=path, uid=uid, gid=gid, mode=mode)

    def place(entry: Entry, target: str) -> None:
        if (
            entry.kind is EntryKind.HARDLINK
            and request.tree is not None
            and isinstance(request.tree, ViewTree)
        ):
            entry = request.tree.view.content(entry)
        out.append(own(entry, keep=request.from_stage, path=clean_path(target)))

    def join(base: str, rel: str) -> str:
        return f"{base}/{rel}" if base and rel else base or rel

    def excluded(rel_to_root: str, rel_to_source: str) -> bool:
        if excludes is None:
            return False
        return excludes.excluded(rel_to_root) or bool(rel_to_source and excludes.excluded(rel_to_source))

    tree = request.tree
    for source in request.sources:
        if tree is None:
            raise CopyError(f"{request.command} has no source tree for {source}")
        pivot = ""
        pattern = source
        if request.parents and "/./" in f"/{source}":
            pivot, _, pattern = f"/{source}".partition("/./")
            pivot = pivot.strip("/")
            pattern = f"{pivot}/{pattern}" if pivot else pattern
        clean = "/".join(p for p in pattern.split("/") if p not in ("", "."))
        if _WILDCARD.search(clean):
            matches = glob(tree, clean)
            if not matches:
                raise _missing(source, tree)
        else:
            matches = [clean]
        for match in matches:
            path, entry = tree.resolve(match)
            if entry is None:
                raise _missing(source, tree)
            if excluded(match, ""):
                continue
            if request.parents:
                rel = match[len(pivot) :].lstrip("/") if pivot and match.startswith(pivot) else match
                base = join(dest, rel)
            elif entry.kind is EntryKind.DIRECTORY:
                base = dest
            else:
                name = match.rpartition("/")[2] or path.rpartition("/")[2]
                base = join(dest, name) if as_dir else dest
            if entry.kind is EntryKind.DIRECTORY:
                if base and view.raw(base) is None:
                    # fsutil's prepareTargetDir: a missing destination for directory contents is made
                    # with MkdirAll(0755) and the --chown owner, not with the source directory's mode.
                    uid, gid = request.chown or (0, 0)
                    out.append(Entry.directory(base, mode=0o755, uid=uid, gid=gid, mtime=entry.mtime))
                prefix = f"{path}/" if path else ""
                for item in tree.walk(path):
                    rel = item.path[len(prefix) :]
                    if excluded(item.path, rel):
                        continue
                    place(item, join(base, rel))
            elif request.unpack and _is_archive(entry):
                assert request.unpack_dir is not None
                out.extend(own(e, keep=True) for e in extract_archive(entry, dest, request.unpack_dir))
            else:
                place(entry, base)
    for inline in request.inline:
        target = join(dest, inline.name) if as_dir else dest
        out.append(own(Entry.regular(target, inline.data, mode=0o644), keep=False))
    for download in request.downloads:
        target = join(dest, download.name) if as_dir else dest
        st = os.stat(download.path)
        fetched = Entry(
            path=clean_path(target), kind=EntryKind.FILE, size=st.st_size, source=str(download.path)
        )
        if request.unpack_urls and _is_archive(fetched):
            assert request.unpack_dir is not None
            out.extend(own(e, keep=True) for e in extract_archive(fetched, dest, request.unpack_dir))
            continue
        entry = Entry(
            path=clean_path(target),
            kind=EntryKind.FILE,
            mode=0o600,
            size=st.st_size,
            source=str(download.path),
            mtime=download.mtime,
        )
        out.append(own(entry, keep=False))
    # Parent directories: existing ones as they are (so the layer applies anywhere), missing ones 0755.
    have = {entry.path for entry in out}
    parents: dict[str, Entry] = {}
    for entry in out:
        for ancestor in _ancestors(entry.path):
            if ancestor in have or ancestor in parents or not ancestor:
                continue
            found = view.raw(ancestor)
            if found is not None and found.kind is EntryKind.DIRECTORY and found.path == ancestor:
                parents[ancestor] = found
            else:
                uid, gid = request.chown or (0, 0)
                parents[ancestor] = Entry.directory(ancestor, mode=0o755, uid=uid, gid=gid)
    return [*parents.values(), *out]


def _ancestors(path: str) -> Iterator[str]:
    while "/" in path:
        path = path.rpartition("/")[0]
        yield path


def _missing(source: str, tree: SourceTree) -> CopyError:
    wanted = source.strip("/").removeprefix("./")
    if isinstance(tree, ContextTree) and os.path.lexists(tree.context.root / wanted):
        rule = tree.context.why(wanted)
        if rule is not None and not rule.exclusion:
            return CopyError(
                f"{source}: not found in the build context: it is excluded by {rule.location} ({rule.text})",
                hint="remove that pattern from the ignore file, or add an exception (!" + wanted + ")",
            )
    paths = tree.all_paths(5000)
    close = difflib.get_close_matches(wanted, paths, n=3, cutoff=0.6)
    if not close:
        base = wanted.rpartition("/")[2]
        names = {p.rpartition("/")[2]: p for p in paths}
        close = [names[n] for n in difflib.get_close_matches(base, list(names), n=3, cutoff=0.6)]
    hint = (
        f"did you mean {' or '.join(close)}?"
        if close
        else f"check the path and the .dockerignore of the {tree.label}"
    )
    return CopyError(f"{source}: not found in the {tree.label}", hint=hint)


# --- archives --------------------------------------------------------------------------------------


def _is_archive(entry: Entry) -> bool:
    if entry.kind is not EntryKind.FILE or entry.source is None or entry.size == 0:
        return False
    try:
        with open(entry.source, "rb") as handle:
            head = handle.read(8)
            handle.seek(0)
            kind = sniff(head)
            with open_decompressed(handle) as plain:
                block = plain.read(512)
    except (OSError, EOFError, ValueError, PyBuildKitError):
        return False
    if kind == "none" and len(block) < 512:
        return False
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.TarError:
        return False
    return True


def extract_archive(entry: Entry, dest: str, work: Path) -> list[Entry]:
    """The members of a tar archive (any compression) as entries under `dest`; file contents are written to
    files in `work` (a build temp directory)."""
    assert entry.source is not None
    work.mkdir(parents=True, exist_ok=True)
    out: list[Entry] = []
    with open(entry.source, "rb") as handle, open_decompressed(handle) as plain:
        try:
            archive = tarfile.open(fileobj=plain, mode="r|")  # noqa: SIM115 (closed by the `with` below)
        except tarfile.TarError as error:
            raise CopyError(f"cannot read archive {entry.path}: {error}") from None
        with archive:
            for member in archive:
                try:
                    rel = clean_path(member.name)
                except LayerError:
                    raise CopyError(
                        f"archive {entry.path} has an entry that leaves its root: {member.name}"
                    ) from None
                if not rel:
                    continue
                path = f"{dest}/{rel}" if dest else rel
                common = {
                    "path": path,
                    "mode": member.mode & 0o7777,
                    "uid": member.uid,
                    "gid": member.gid,
                    "mtime": int(member.mtime),
                }
                if member.isreg():
                    fd, name = tempfile.mkstemp(dir=work)
                    extracted = archive.extractfile(member)
                    assert extracted is not None
                    with os.fdopen(fd, "wb") as out_file:
                        while chunk := extracted.read(1 << 20):
                            out_file.write(chunk)
                    out.append(Entry(kind=EntryKind.FILE, size=member.size, source=name, **common))  # type: ignore[arg-type]
                elif member.isdir():
                    out.append(Entry(kind=EntryKind.DIRECTORY, **common))  # type: ignore[arg-type]
                elif member.issym():
                    out.append(Entry(kind=EntryKind.SYMLINK, linkname=member.linkname, **common))  # type: ignore[arg-type]
                elif member.islnk():
                    target = clean_path(member.linkname)
                    link = f"{dest}/{target}" if dest else target
                    out.append(Entry(kind=EntryKind.HARDLINK, linkname=link, **common))  # type: ignore[arg-type]
                elif member.isfifo():
                    out.append(Entry(kind=EntryKind.FIFO, **common))  # type: ignore[arg-type]
                elif member.ischr() or member.isblk():
                    kind = EntryKind.CHAR_DEVICE if member.ischr() else EntryKind.BLOCK_DEVICE
                    out.append(
                        Entry(kind=kind, devmajor=member.devmajor, devminor=member.devminor, **common)  # type: ignore[arg-type]
                    )
    return out


# --- URLs ------------------------------------------------------------------------------------------


def download(url: str, work: Path, *, checksum: str = "", timeout: float = 60.0) -> Download:
    """Fetch `url` into a file in `work`, hashing as it streams; check `checksum` when given."""
    work.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=work, prefix="download-")
    hasher = hashlib.sha256()
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "pybuildkit"})
        with urllib.request.urlopen(request, timeout=timeout) as response, os.fdopen(fd, "wb") as out:
            while chunk := response.read(1 << 20):
                hasher.update(chunk)
                out.write(chunk)
            modified = response.headers.get("Last-Modified")
            disposition = response.headers.get("Content-Disposition") or ""
    except OSError as error:
        os.unlink(name)
        reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or str(error)
        raise CopyError(f"failed to download {url}: {reason}") from None
    digest = "sha256:" + hasher.hexdigest()
    if checksum and checksum != digest:
        os.unlink(name)
        raise CopyError(
            f"digest mismatch for {url}: expected {checksum}, got {digest}",
            hint="the file at the URL changed, or the --checksum is wrong",
        )
    mtime = 0
    if modified:
        try:
            mtime = int(parsedate_to_datetime(modified).timestamp())
        except (TypeError, ValueError):
            mtime = 0
    filename = ""
    found = re.search(r'filename="?([^";]+)"?', disposition)
    if found:
        filename = found.group(1).rpartition("/")[2]
    if not filename:
        filename = urllib.parse.unquote(urllib.parse.urlparse(url).path.rpartition("/")[2]) or "__unnamed__"
    return Download(url=url, path=Path(name), name=filename, digest=digest, mtime=mtime)


def check_checksum(text: str) -> str:
    """`--checksum` as `sha256:<64 hex>`."""
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", text):
        raise CopyError(
            f"invalid --checksum {text!r}", hint="write --checksum=sha256:<64 hex digits> (the file's sha256)"
        )
    return text


def context_kind(item: ContextEntry) -> str:
    match item.kind:
        case ContextKind.FILE:
            return "file"
        case ContextKind.DIR:
            return "dir"
        case ContextKind.SYMLINK:
            return "symlink"
        case ContextKind.OTHER:
            return "other"
