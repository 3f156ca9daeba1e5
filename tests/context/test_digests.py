"""ContextDigests: the stat cache spares unchanged files, and path-set digests are deterministic."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from pybuildkit.context import BuildContext, ContextDigests, IgnoreMatcher
from pybuildkit.context.digests import COARSE_RACY_MARGIN_NS, FINE_RACY_MARGIN_NS, racy_margin
from pybuildkit.errors import ContextError


class CountingDigests(ContextDigests):
    """Records every file whose contents are read."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.opened: list[str] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def hash_file(self, path: Path) -> str:
        self.opened.append(path.name)
        return super().hash_file(path)


def _files(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _age(root: Path, seconds: int = 3600) -> None:
    """Set mtimes in the past (ctime stays now: tests that need trusted entries use racy_margin_ns=0)."""
    for path in root.rglob("*"):
        stat = path.lstat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 10**9), follow_symlinks=False)


def test_digest_is_sha256_of_contents(tmp_path: Path) -> None:
    _files(tmp_path, {"a.txt": "hello"})
    digests = ContextDigests(BuildContext.open(tmp_path))
    assert digests.file_digest("a.txt") == "sha256:" + hashlib.sha256(b"hello").hexdigest()


def test_unchanged_files_are_not_read_again(tmp_path: Path) -> None:
    root, cache = tmp_path / "ctx", tmp_path / "cache"
    _files(root, {"a": "1", "b/c": "2", "b/d": "3"})
    with CountingDigests(BuildContext.open(root), cache, racy_margin_ns=0) as first:
        digest = first.digest_paths(["."])
    assert sorted(first.opened) == ["a", "c", "d"]

    again = CountingDigests(BuildContext.open(root), cache, racy_margin_ns=0)
    assert again.digest_paths(["."]) == digest
    assert again.opened == []  # answered from the persisted stat cache

    (root / "b/c").write_text("changed")
    third = CountingDigests(BuildContext.open(root), cache, racy_margin_ns=0)
    assert third.digest_paths(["."]) != digest
    assert third.opened == ["c"]


def test_same_size_and_mtime_edit_is_still_noticed(tmp_path: Path) -> None:
    # Restoring size and mtime after an edit does not fool the cache: ctime (and the content) moved.
    root, cache = tmp_path / "ctx", tmp_path / "cache"
    _files(root, {"f": "aaaa"})
    before = (root / "f").stat()
    with ContextDigests(BuildContext.open(root), cache, racy_margin_ns=0) as first:
        old = first.file_digest("f")
    (root / "f").write_text("bbbb")
    os.utime(root / "f", ns=(before.st_atime_ns, before.st_mtime_ns))
    second = CountingDigests(BuildContext.open(root), cache, racy_margin_ns=0)
    assert second.file_digest("f") == "sha256:" + hashlib.sha256(b"bbbb").hexdigest() != old
    assert second.opened == ["f"]


def test_racy_entries_are_hashed_again(tmp_path: Path) -> None:
    # A file written moments before it was hashed could change again within the same timestamp tick.
    root, cache = tmp_path / "ctx", tmp_path / "cache"
    _files(root, {"fresh": "x"})
    hour = 3600 * 10**9
    with CountingDigests(BuildContext.open(root), cache, racy_margin_ns=hour) as first:
        first.file_digest("fresh")
    second = CountingDigests(BuildContext.open(root), cache, racy_margin_ns=hour)
    second.file_digest("fresh")
    assert second.opened == ["fresh"]
    third = CountingDigests(BuildContext.open(root), cache, racy_margin_ns=0)
    third.file_digest("fresh")
    assert third.opened == []


@pytest.mark.parametrize(
    ("ctime_ns", "margin"),
    [
        pytest.param(1_700_000_000_123_456_789, FINE_RACY_MARGIN_NS, id="nanosecond-filesystem"),
        pytest.param(1_700_000_000_000_000_000, COARSE_RACY_MARGIN_NS, id="whole-second-filesystem"),
    ],
)
def test_racy_margin_follows_timestamp_granularity(ctime_ns: int, margin: int) -> None:
    fields = [0o100644, 1, 1, 1, 0, 0, 5, 0, 0, 0]
    st = os.stat_result(
        (*fields, ctime_ns / 1e9, ctime_ns / 1e9, ctime_ns / 1e9, ctime_ns, ctime_ns, ctime_ns)
    )
    assert racy_margin(st) == margin


def test_within_one_object_a_file_is_hashed_once(tmp_path: Path) -> None:
    _files(tmp_path, {"a": "1"})
    digests = CountingDigests(BuildContext.open(tmp_path), racy_margin_ns=0)
    digests.digest_paths(["a"])
    digests.digest_paths(["."])
    assert digests.opened == ["a"]
    assert digests.cache_file is None
    digests.save()  # no cache directory: nothing to write, no error


def test_cache_file_is_written_atomically_and_is_valid(tmp_path: Path) -> None:
    root, cache = tmp_path / "ctx", tmp_path / "cache"
    _files(root, {"a": "1"})
    with ContextDigests(BuildContext.open(root), cache) as digests:
        digests.file_digest("a")
    assert digests.cache_file is not None
    assert [path.name for path in cache.iterdir()] == [digests.cache_file.name]  # no temp file left
    data = json.loads(digests.cache_file.read_text())
    assert data["version"] == 1 and data["root"] == str(root) and set(data["entries"]) == {"a"}


def test_damaged_cache_is_ignored(tmp_path: Path) -> None:
    root, cache = tmp_path / "ctx", tmp_path / "cache"
    _files(root, {"a": "1"})
    probe = ContextDigests(BuildContext.open(root), cache)
    assert probe.cache_file is not None
    cache.mkdir()
    probe.cache_file.write_text("{not json")
    digests = CountingDigests(BuildContext.open(root), cache, racy_margin_ns=0)
    assert digests.file_digest("a") == "sha256:" + hashlib.sha256(b"1").hexdigest()
    assert digests.opened == ["a"]


TREE = {"src/main.c": "int main;", "src/util/u.h": "#x", "README": "hi", "logs/x.log": "noise"}


def _context(root: Path, files: dict[str, str], patterns: list[str] | None = None) -> BuildContext:
    _files(root, files)
    return BuildContext(root=root, matcher=IgnoreMatcher.from_patterns(patterns or []))


def test_digest_paths_is_deterministic_across_copies(tmp_path: Path) -> None:
    one = _context(tmp_path / "one", TREE)
    two = _context(tmp_path / "two", dict(reversed(list(TREE.items()))))  # created in another order
    _age(tmp_path / "two")  # timestamps are not part of the digest
    assert ContextDigests(one).digest_paths(["."]) == ContextDigests(two).digest_paths(["."])
    assert ContextDigests(one).digest_paths(["src", "README"]) == ContextDigests(two).digest_paths(
        ["README", "src/"]
    )


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: (root / "src/main.c").write_text("int main();"), id="content"),
        pytest.param(lambda root: (root / "src/main.c").chmod(0o755), id="mode"),
        pytest.param(lambda root: (root / "src/main.c").rename(root / "src/main2.c"), id="rename"),
        pytest.param(lambda root: (root / "src/new").mkdir(), id="new-dir"),
        pytest.param(lambda root: (root / "src/link").symlink_to("main.c"), id="new-symlink"),
    ],
)
def test_digest_paths_sees_every_change(tmp_path: Path, change: object) -> None:
    context = _context(tmp_path, TREE)
    (tmp_path / "src/old").symlink_to("util")
    before = ContextDigests(context).digest_paths(["src"])
    change(tmp_path)  # type: ignore[operator]
    assert ContextDigests(context).digest_paths(["src"]) != before


def test_digest_paths_ignores_what_the_build_does_not_see(tmp_path: Path) -> None:
    context = _context(tmp_path, TREE, ["logs", "*.tmp"])
    before = ContextDigests(context).digest_paths(["."])
    (tmp_path / "logs/more.log").write_text("more noise")
    (tmp_path / "scratch.tmp").write_text("x")
    assert ContextDigests(context).digest_paths(["."]) == before
    with pytest.raises(ContextError, match="logs: not found in the build context"):
        ContextDigests(context).digest_paths(["logs"])


def test_symlink_target_change_and_follow_links(tmp_path: Path) -> None:
    context = _context(tmp_path, {"a": "A", "b": "B"})
    (tmp_path / "link").symlink_to("a")
    digests = ContextDigests(context)
    as_link = digests.digest_paths(["link"])
    followed = digests.digest_paths(["link"], follow_links=True)
    assert followed == digests.digest_paths(["a"]) != as_link
    (tmp_path / "link").unlink()
    (tmp_path / "link").symlink_to("b")
    assert ContextDigests(context).digest_paths(["link"]) != as_link


def test_entries_of_deleted_files_are_dropped(tmp_path: Path) -> None:
    root, cache = tmp_path / "ctx", tmp_path / "cache"
    _files(root, {"a": "1", "b": "2", "c": "3"})
    with ContextDigests(BuildContext.open(root), cache) as first:
        first.digest_paths(["."])
    (root / "a").unlink()
    (root / "c").write_text("33")
    with ContextDigests(BuildContext.open(root), cache) as second:
        second.file_digest("c")  # b is not looked at but still exists: kept; a is gone: dropped
    assert second.cache_file is not None
    assert set(json.loads(second.cache_file.read_text())["entries"]) == {"b", "c"}


def test_digest_paths_never_reads_through_a_symlink_out_of_the_context(tmp_path: Path) -> None:
    _files(tmp_path / "outside", {"secret": "s"})
    context = _context(tmp_path / "ctx", {"a": "A"})
    (tmp_path / "ctx/up").symlink_to("../outside")
    digests = CountingDigests(context)
    with pytest.raises(ContextError, match="up/secret: not found"):
        digests.digest_paths(["up/secret"])
    with pytest.raises(ContextError, match="resolves outside the build context"):
        digests.digest_paths(["up"], follow_links=True)
    digests.digest_paths(["up", "."])
    assert digests.opened == ["a"]
