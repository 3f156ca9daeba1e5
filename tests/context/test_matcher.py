"""The reader's line numbers, the deciding rule (`why`), pattern errors, and Go regexp quirks."""

from __future__ import annotations

import pytest

from pybuildkit.context import IgnoreMatcher, read_ignore_lines
from pybuildkit.context.gopath import go_clean, go_dir, go_trim_space
from pybuildkit.context.goregex import GoRegexError, translate
from pybuildkit.errors import ContextError

IGNORE = "# build output\n*.log\n  /dist/\n\n!keep.log\r\n\ufeffbom\n!dist/README.md\n"


def test_lines_remember_their_line_numbers() -> None:
    lines = read_ignore_lines("\ufeff" + IGNORE)
    assert [(line.line, line.pattern, line.text) for line in lines] == [
        (2, "*.log", "*.log"),
        (3, "dist", "/dist/"),
        (5, "!keep.log", "!keep.log"),
        (6, "\ufeffbom", "\ufeffbom"),
        (7, "!dist/README.md", "!dist/README.md"),
    ]


def test_overlong_line_is_an_error() -> None:
    with pytest.raises(ContextError, match=r"\.dockerignore:2: line is longer"):
        read_ignore_lines("ok\n" + "a" * 70000 + "\n")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("app.log", (2, False), id="excluded-by-glob"),
        pytest.param("keep.log", (5, True), id="re-included"),
        pytest.param("dist/bundle.js", (3, False), id="excluded-by-parent-dir"),
        pytest.param("dist", (3, False), id="directory-itself"),
        pytest.param("dist/README.md", (7, True), id="re-included-under-excluded-dir"),
        pytest.param("src/app.log", None, id="anchored-at-root"),
        pytest.param("Dockerfile", None, id="no-match"),
    ],
)
def test_why_names_the_deciding_line(path: str, expected: tuple[int, bool] | None) -> None:
    matcher = IgnoreMatcher.from_text(IGNORE)
    rule = matcher.why(path)
    if expected is None:
        assert rule is None
        assert not matcher.excluded(path)
        return
    assert rule is not None
    assert (rule.line, rule.exclusion) == expected
    assert rule.file == ".dockerignore"
    assert matcher.excluded(path) is not rule.exclusion


def test_rule_renders_file_line_and_text() -> None:
    rule = IgnoreMatcher.from_text(IGNORE).why("dist/x")
    assert str(rule) == ".dockerignore:3: /dist/"


def test_last_match_wins_over_earlier_exception() -> None:
    matcher = IgnoreMatcher.from_patterns(["*", "!foo", "foo/bar"])
    assert matcher.excluded("foo/bar/x")
    assert not matcher.excluded("foo/baz")
    rule = matcher.why("foo/bar/x")
    assert rule is not None and rule.cleaned == "foo/bar" and rule.line == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "ok\n!\n", r'\.dockerignore:2: invalid pattern .*illegal exclusion pattern: "!"', id="lone-bang"
        ),
        pytest.param(
            "a[\n", r"\.dockerignore:1: invalid pattern 'a\[': syntax error in pattern", id="open-bracket"
        ),
        pytest.param("x\\\n", r"syntax error in pattern", id="trailing-backslash"),
        pytest.param("[z-a]\n", r"invalid character class range: `z-a`", id="reversed-range"),
        pytest.param(
            "[[:nope:]]\n", r"invalid character class range: `\[:nope:\]`", id="unknown-posix-class"
        ),
        pytest.param("a\\e\n", r"invalid escape sequence", id="unknown-escape"),
    ],
)
def test_invalid_patterns_are_context_errors(text: str, message: str) -> None:
    with pytest.raises(ContextError, match=message) as caught:
        IgnoreMatcher.from_text(text)
    assert caught.value.hint


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        pytest.param("[[:digit:]]*", "1abc", True, id="posix-class"),
        pytest.param("[[:digit:]]*", "abc", False, id="posix-class-miss"),
        pytest.param("\\d", "7", True, id="perl-digit"),
        pytest.param("\\s", "\v", False, id="go-space-has-no-vt"),
        pytest.param("a\\x41", "aA", True, id="hex-escape"),
        pytest.param("a\\101", "aA", True, id="octal-escape"),
        pytest.param("**file", "xfile", True, id="suffix-shortcut"),
        pytest.param("**/file", "xfile", False, id="suffix-with-slash"),
        pytest.param("foo**", "foobar/x", True, id="prefix-shortcut"),
        pytest.param("*.txt", "a\nb.txt", True, id="star-matches-newline"),
        pytest.param("a.txt", "a.txt\n", False, id="dollar-is-end-of-text"),
        pytest.param("a^b", "a^b", True, id="caret-literal-in-exact"),
        pytest.param("a^b*", "a^b", False, id="caret-anchor-in-regexp"),
    ],
)
def test_go_regexp_semantics(pattern: str, path: str, excluded: bool) -> None:
    assert IgnoreMatcher.from_patterns([pattern]).excluded(path) is excluded


@pytest.mark.parametrize(
    ("go", "ok", "bad"),
    [
        pytest.param(r"^\Qa.b$", ["a.b$", "a.b$x"], ["axb$"], id="quote-to-end"),
        pytest.param(r"^a\Q*\Eb$", ["a*b"], ["aab"], id="quote-span"),
        pytest.param(r"^[^a]$", ["\n", "/"], ["a"], id="negated-class-matches-newline"),
        pytest.param(r"^[\]a]$", ["]", "a"], ["b"], id="escaped-bracket"),
        pytest.param(r"^[]a]$", ["]"], ["b"], id="leading-bracket-literal"),
        pytest.param(r"^[a-]$", ["-", "a"], ["b"], id="trailing-dash"),
        pytest.param(r"^[\D]$", ["a"], ["1"], id="negated-perl-in-class"),
        pytest.param(r"^[[:^alpha:]]$", ["1"], ["a"], id="negated-posix"),
        pytest.param(r"^\x{263a}$", ["\u263a"], ["x"], id="hex-braces"),
    ],
)
def test_translate(go: str, ok: list[str], bad: list[str]) -> None:
    import re

    compiled = re.compile(translate(go), re.ASCII)
    assert all(compiled.search(text) for text in ok)
    assert not any(compiled.search(text) for text in bad)


@pytest.mark.parametrize("go", [r"a\1", r"\C", r"[a", r"a\pL", r"\x4", r"[b-a]", r"a\q"])
def test_translate_rejects(go: str) -> None:
    with pytest.raises(GoRegexError):
        translate(go)


@pytest.mark.parametrize(
    ("path", "clean"),
    [
        ("", "."),
        ("//foo", "/foo"),
        ("a//b/./c/..", "a/b"),
        ("../../x", "../../x"),
        ("/../x", "/x"),
        ("a/", "a"),
    ],
)
def test_go_clean(path: str, clean: str) -> None:
    assert go_clean(path) == clean


def test_go_dir_and_trim_space() -> None:
    assert [go_dir(p) for p in ("file", "file/", "a/b", "/")] == [".", "file", "a", "/"]
    assert go_trim_space("\x1c a \u3000") == "\x1c a"


@pytest.mark.parametrize(
    ("patterns", "source", "line"),
    [
        pytest.param(["*"], ".", 1, id="lone-star-excludes-root"),
        pytest.param([".*"], ".", None, id="dotfiles-do-not-exclude-root"),
        pytest.param(["**/*"], "/", 1, id="all-below-root"),
        pytest.param(["foo", "*"], ".", 2, id="star-after-other"),
        pytest.param(["**", "!Dockerfile"], ".", None, id="exceptions-disable-the-check"),
        pytest.param(["Dockerfile", ".dockerignore"], "./Dockerfile", 1, id="cleaned-source"),
        pytest.param(["docs"], "docs/a/../b.md", 1, id="parent-dir"),
        pytest.param(["docs"], "src", None, id="not-excluded"),
    ],
)
def test_copy_source_ignored(patterns: list[str], source: str, line: int | None) -> None:
    # testCopyIgnoredFiles, testCopyIgnoredFileContextRoot (semantics.md section 7.4)
    rule = IgnoreMatcher.from_patterns(patterns).copy_source_ignored(source)
    assert (None if rule is None else rule.line) == line
