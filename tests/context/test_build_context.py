"""BuildContext: ignore-file selection, the walk (order, symlinks, skipped dirs), symlink escapes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pybuildkit.context import (
    BuildContext,
    EntryKind,
    IgnoreMatcher,
    normalize_context_path,
    select_ignore_file,
)
from pybuildkit.errors import ContextError


def _tree(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.endswith("/"):
            target.mkdir(exist_ok=True)
        else:
            target.write_text(text)


@pytest.mark.parametrize(
    ("files", "dockerfile", "chosen"),
    [
        pytest.param({}, None, None, id="none"),
        pytest.param({".dockerignore": "a"}, None, ".dockerignore", id="context-default"),
        pytest.param({".dockerignore": "a"}, "Dockerfile", ".dockerignore", id="no-specific-file"),
        pytest.param(
            {".dockerignore": "a", "Dockerfile.dockerignore": "b"},
            "Dockerfile",
            "Dockerfile.dockerignore",
            id="specific-wins",
        ),
        pytest.param(
            {".dockerignore": "a", "Dockerfile2.dockerignore": "b"},
            "Dockerfile2",
            "Dockerfile2.dockerignore",
            id="named-after-file",
        ),
        pytest.param(
            {".dockerignore": "a", "Dockerfile.dockerignore": "b"},
            "Dockerfile2",
            ".dockerignore",
            id="other-dockerfile",
        ),
        pytest.param(
            {"build/app.Dockerfile.dockerignore": "b", ".dockerignore": "a"},
            "build/app.Dockerfile",
            "build/app.Dockerfile.dockerignore",
            id="beside-dockerfile-in-subdir",
        ),
        pytest.param(
            {"app.Dockerfile.dockerignore": "b"}, "build/app.Dockerfile", None, id="not-beside-dockerfile"
        ),
    ],
)
def test_ignore_file_selection(
    tmp_path: Path, files: dict[str, str], dockerfile: str | None, chosen: str | None
) -> None:
    _tree(tmp_path, files)
    selected = select_ignore_file(tmp_path, None if dockerfile is None else tmp_path / dockerfile)
    assert selected == (None if chosen is None else tmp_path / chosen)
    context = BuildContext.open(tmp_path, dockerfile=None if dockerfile is None else tmp_path / dockerfile)
    assert context.ignore_file == selected
    if chosen is not None:
        assert context.matcher.file == chosen
        assert [rule.pattern for rule in context.matcher.rules] == [files[chosen]]


def test_specific_ignore_file_changes_what_is_sent(tmp_path: Path) -> None:
    # testDockerignoreOverride: the Dockerfile-specific file replaces .dockerignore entirely.
    _tree(
        tmp_path,
        {
            "Dockerfile": "",
            "foo": "",
            "bar": "",
            ".dockerignore": "foo\n",
            "Dockerfile.dockerignore": "bar\n",
        },
    )
    plain = {entry.path for entry in BuildContext.open(tmp_path).walk()}
    specific = {
        entry.path for entry in BuildContext.open(tmp_path, dockerfile=tmp_path / "Dockerfile").walk()
    }
    assert "foo" not in plain and "bar" in plain
    assert "bar" not in specific and "foo" in specific


def test_walk_order_is_depth_first_by_name(tmp_path: Path) -> None:
    _tree(tmp_path, {"a/b": "", "a.txt": "", "a-b": "", "B": "", "a/c/d": ""})
    paths = [entry.path for entry in BuildContext.open(tmp_path).walk()]
    assert paths == ["B", "a", "a/b", "a/c", "a/c/d", "a-b", "a.txt"]


def test_symlinks_are_entries_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _tree(outside, {"secret": "x"})
    root = tmp_path / "ctx"
    _tree(root, {"real/file": "y"})
    (root / "up").symlink_to("../outside")
    (root / "abs").symlink_to(outside)
    (root / "loop").symlink_to("loop")
    (root / "dirlink").symlink_to("real")
    entries = {entry.path: entry for entry in BuildContext.open(root).walk()}
    assert sorted(entries) == ["abs", "dirlink", "loop", "real", "real/file", "up"]
    assert entries["up"].kind is EntryKind.SYMLINK and entries["up"].link_target == "../outside"
    assert entries["dirlink"].kind is EntryKind.SYMLINK


def test_special_files_are_other_entries(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (entry,) = BuildContext.open(tmp_path).walk()
    assert entry.kind is EntryKind.OTHER and entry.path == "pipe"


def test_excluded_directories_are_not_read_unless_an_exception_reaches_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(
        tmp_path,
        {"node_modules/x/y": "", "docs/a.md": "", "docs/keep.md": "", "src/main.c": "", "build/out": ""},
    )
    opened: list[str] = []
    real_scandir = os.scandir

    def counting_scandir(path: str | os.PathLike[str]) -> object:
        opened.append(os.path.relpath(path, tmp_path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", counting_scandir)
    matcher = IgnoreMatcher.from_patterns(["node_modules", "docs", "build", "!docs/keep.md", "!*.c"])
    context = BuildContext(root=tmp_path, matcher=matcher)
    assert [entry.path for entry in context.walk()] == ["docs", "docs/keep.md", "src", "src/main.c"]
    assert sorted(opened) == [".", "docs", "src"]


def test_excluded_unreadable_directory_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # TestWalkerPermissionDenied: as root nothing is unreadable, so make scandir refuse that one directory.
    _tree(tmp_path, {"foo/bar/": "", "foo/ok": ""})
    real_scandir = os.scandir

    def refusing_scandir(path: str | os.PathLike[str]) -> object:
        if str(path).endswith("bar"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing_scandir)
    excluded = BuildContext(root=tmp_path, matcher=IgnoreMatcher.from_patterns(["**/bar", "!foo/bar/baz"]))
    assert [entry.path for entry in excluded.walk()] == ["foo", "foo/ok"]
    with pytest.raises(ContextError, match="foo/bar: cannot read directory"):
        list(BuildContext(root=tmp_path).walk())


def test_walk_under_a_subdirectory_applies_parent_patterns(tmp_path: Path) -> None:
    _tree(tmp_path, {"docs/a.md": "", "docs/sub/b.md": "", "docs/sub/keep": ""})
    matcher = IgnoreMatcher.from_patterns(["docs", "!docs/sub/keep"])
    context = BuildContext(root=tmp_path, matcher=matcher)
    assert [entry.path for entry in context.walk("docs/sub")] == ["docs/sub/keep"]
    assert [entry.path for entry in context.walk("./docs/")] == ["docs/sub", "docs/sub/keep"]
    assert context.entry("docs") is not None  # excluded, but sent as the parent of keep
    assert context.entry("docs/a.md") is None
    assert context.entry("missing") is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("real/file", "real/file", id="plain"),
        pytest.param("dirlink/file", "real/file", id="through-dir-link"),
        pytest.param("filelink", "real/file", id="final-link"),
        pytest.param("chain", "real/file", id="link-to-link"),
        pytest.param("real/../real/./file", "real/file", id="dotdot-inside"),
        pytest.param("/real/file", "real/file", id="leading-slash"),
        pytest.param("inner/up/file", "real/file", id="dotdot-in-target-inside"),
        pytest.param("missing/x", "missing/x", id="missing"),
    ],
)
def test_resolve_inside(tmp_path: Path, path: str, expected: str) -> None:
    context = _links(tmp_path)
    assert context.resolve(path) == tmp_path / expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param("../etc/passwd", r"\.\./etc/passwd: is outside the build context", id="dotdot"),
        pytest.param("real/../../x", r"is outside the build context", id="dotdot-deep"),
        pytest.param(
            "abs", r"abs: resolves outside the build context \(symlink abs -> /etc\)", id="absolute-target"
        ),
        pytest.param("abs/passwd", r"symlink abs -> /etc", id="through-absolute"),
        pytest.param("escape/x", r"symlink escape -> \.\./\.\.", id="relative-climb"),
        pytest.param("inner/escape2", r"symlink inner/escape2 -> \.\./\.\./x", id="nested-climb"),
        pytest.param("loop", r"too many levels of symbolic links", id="loop"),
    ],
)
def test_resolve_escape_is_an_error(tmp_path: Path, path: str, message: str) -> None:
    context = _links(tmp_path)
    with pytest.raises(ContextError, match=message) as caught:
        context.resolve(path)
    assert caught.value.hint


def test_resolve_can_keep_the_final_link(tmp_path: Path) -> None:
    context = _links(tmp_path)
    assert context.resolve("abs", follow_final=False) == tmp_path / "abs"
    assert context.resolve("dirlink/file", follow_final=False) == tmp_path / "real/file"


def _links(root: Path) -> BuildContext:
    _tree(root, {"real/file": "x", "inner/": ""})
    (root / "dirlink").symlink_to("real")
    (root / "filelink").symlink_to("real/file")
    (root / "chain").symlink_to("filelink")
    (root / "abs").symlink_to("/etc")
    (root / "escape").symlink_to("../..")
    (root / "inner/escape2").symlink_to("../../x")
    (root / "inner/up").symlink_to("../real")
    (root / "loop").symlink_to("loop")
    return BuildContext.open(root)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("a", "a"), ("./a/", "a"), ("/a//b", "a/b"), (".", "."), ("", "."), ("/", "."), ("a/..", ".")],
)
def test_normalize_context_path(path: str, expected: str) -> None:
    assert normalize_context_path(path) == expected


def test_open_errors(tmp_path: Path) -> None:
    with pytest.raises(ContextError, match="not a directory"):
        BuildContext.open(tmp_path / "nope")
    (tmp_path / ".dockerignore").write_text("ok\n!\n")
    with pytest.raises(ContextError, match=r"^\.dockerignore:2: invalid pattern"):
        BuildContext.open(tmp_path)


@pytest.mark.parametrize(
    ("patterns", "sent"),
    [
        pytest.param(["a", "!**/keep"], ["a", "a/b", "a/b/keep", "a/keep"], id="double-star-exception"),
        pytest.param(["a", "!a/[bc]/keep"], ["a", "a/b", "a/b/keep"], id="class-exception"),
        pytest.param(["a", "!a/*/keep"], ["a", "a/b", "a/b/keep"], id="star-exception"),
        pytest.param(["a", "!b/*/keep"], [], id="exception-elsewhere"),
        pytest.param(["a", "!a"], ["a", "a/b", "a/b/keep", "a/b/x", "a/keep"], id="exception-on-dir"),
        pytest.param(["*", "!a", "a/b"], ["a", "a/keep"], id="exception-before-exclusion"),
        pytest.param(["a", "!a\\/b/keep"], ["a", "a/b", "a/b/keep"], id="escaped-exception"),
        pytest.param(["a", "!a**"], ["a", "a/b", "a/b/keep", "a/b/x", "a/keep"], id="prefix-exception"),
    ],
)
def test_exceptions_reach_into_excluded_directories(
    tmp_path: Path, patterns: list[str], sent: list[str]
) -> None:
    _tree(tmp_path, {"a/b/keep": "", "a/b/x": "", "a/keep": ""})
    context = BuildContext(root=tmp_path, matcher=IgnoreMatcher.from_patterns(patterns))
    assert [entry.path for entry in context.walk()] == sent


def test_paths_through_symlinks_are_not_entries(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _tree(outside, {"secret": "x"})
    root = tmp_path / "ctx"
    _tree(root, {"real/file": "y"})
    (root / "up").symlink_to("../outside")
    (root / "dirlink").symlink_to("real")
    context = BuildContext.open(root)
    assert context.entry("up/secret") is None
    assert context.entry("dirlink/file") is None
    assert list(context.walk("up")) == []
    assert list(context.walk("dirlink")) == []
    assert list(context.walk("real/file")) == []
    up = context.entry("up")
    assert up is not None and up.kind is EntryKind.SYMLINK and up.link_target == "../outside"
