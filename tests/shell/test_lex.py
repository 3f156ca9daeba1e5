"""Our own tables for the lexer: BuildKit's exact error texts and offsets, the lexer options, and the quirks
we keep on purpose. Expected values follow BuildKit's frontend/dockerfile/shell/lex.go."""

from __future__ import annotations

import pytest

from pybuildkit.errors import PyBuildKitError
from pybuildkit.shell import ShellExpansionError, expand, expand_word, expand_words

_U = "\ufffd"  # how Go prints the end-of-input rune


@pytest.mark.parametrize(
    ("word", "env", "reason", "offset"),
    [
        pytest.param("${X:?custom error}", {}, "X: custom error", 0, id="unset-custom"),
        pytest.param("ab${X:?}", {}, "X: is not allowed to be unset", 2, id="unset-default"),
        pytest.param("${X:?}", {"X": ""}, "X: is not allowed to be empty", 0, id="empty-default"),
        pytest.param("${X?}", {}, "X: is not allowed to be unset", 0, id="unset-no-colon"),
        pytest.param("${X:?a $Y}", {"Y": "b"}, "X: a b", 0, id="message-expanded"),
        pytest.param("${}", {}, "syntax error: bad substitution", 0, id="empty-braces"),
        pytest.param("x${:-a}", {}, "syntax error: bad substitution", 1, id="no-name"),
        pytest.param("${{a}", {}, "syntax error: bad substitution", 0, id="double-brace"),
        pytest.param("${", {}, "syntax error: missing '}'", 0, id="open-at-end"),
        pytest.param("${X:-abc", {}, "syntax error: missing '}'", 0, id="modifier-unclosed"),
        pytest.param("${X:-'abc}", {}, "syntax error: missing '}'", 0, id="quote-in-modifier-unclosed"),
        pytest.param("${X", {}, f"unsupported modifier ({_U}) in substitution", 0, id="name-at-end"),
        pytest.param("${X=1}", {}, "unsupported modifier (=) in substitution", 0, id="assign"),
        pytest.param("${X:=1}", {}, "unsupported modifier (:=) in substitution", 0, id="colon-assign"),
        pytest.param("${X:#a}", {}, "unsupported modifier (:#) in substitution", 0, id="colon-hash"),
        pytest.param("${X:%a}", {}, "unsupported modifier (:%) in substitution", 0, id="colon-percent"),
        pytest.param("${X:/a/b}", {}, "unsupported modifier (:/) in substitution", 0, id="colon-slash"),
        pytest.param("${X.}", {}, "unsupported modifier (.) in substitution", 0, id="dot"),
        pytest.param("${X/a", {}, "syntax error: missing '/' in ${}", 0, id="subst-no-slash"),
        pytest.param("${X/a/b", {}, "syntax error: missing '}'", 0, id="subst-no-brace"),
        pytest.param(
            "'abc", {}, "unexpected end of statement while looking for matching single-quote", 0, id="single"
        ),
        pytest.param(
            'x"abc', {}, "unexpected end of statement while looking for matching double-quote", 1, id="double"
        ),
        pytest.param(
            '"a\\"',
            {},
            "unexpected end of statement while looking for matching double-quote",
            0,
            id="escaped-close",
        ),
        pytest.param("${A:-${B:?no}}", {}, "B: no", 5, id="nested-error-keeps-inner"),
        pytest.param("${A:-${B:?no}", {}, "syntax error: missing '}'", 0, id="nested-error-at-end"),
        pytest.param("${A:-${B:?no}}", {"A": "set"}, "B: no", 5, id="default-word-always-expanded"),
        pytest.param(
            "${X#$P}",
            {"X": "abc", "P": "a\\"},
            f"invalid pattern (a\\) in substitution: invalid escape '\\{_U}'",
            0,
            id="pattern-trailing-escape",
        ),
        pytest.param(
            "${X%$P}",
            {"X": "abc", "P": "a\\"},
            "invalid pattern (\\a) in substitution: invalid escape '\\a'",
            0,
            id="suffix-pattern-reversed-in-message",
        ),
        pytest.param(
            "${X/$P/y}",
            {"X": "abc", "P": "\\x"},
            "invalid pattern (\\x) in substitution: invalid escape '\\x'",
            0,
            id="subst-pattern",
        ),
    ],
)
def test_errors(word: str, env: dict[str, str], reason: str, offset: int) -> None:
    with pytest.raises(ShellExpansionError) as info:
        expand_word(word, env)
    err = info.value
    assert isinstance(err, PyBuildKitError)
    assert err.reason == reason
    assert err.offset == offset
    assert err.word == word
    assert err.message == f"failed to process {_go(word)}: {reason}"


def _go(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_error_message_quotes_like_go() -> None:
    with pytest.raises(ShellExpansionError) as info:
        expand_word('a\t"${X:?}', {})
    assert info.value.message.startswith('failed to process "a\\t\\"${X:?}": ')


@pytest.mark.parametrize(
    ("word", "env", "expected"),
    [
        pytest.param("${X%.*}", {"X": "a.b.c"}, "a.b", id="shortest-suffix"),
        pytest.param("${X%%.*}", {"X": "a.b.c"}, "a", id="longest-suffix"),
        pytest.param("${X#*.}", {"X": "a.b.c"}, "b.c", id="shortest-prefix"),
        pytest.param("${X##*.}", {"X": "a.b.c"}, "c", id="longest-prefix"),
        pytest.param("${X##*}", {"X": "a\nb"}, "\nb", id="star-stops-at-newline"),
        pytest.param("${X//?/-}", {"X": "ab\ncd"}, "--\n--", id="any-skips-newline"),
        pytest.param("${X#$P}", {"X": "%%x", "P": "#%"}, "%x", id="greedy-read-from-expanded-word"),
        pytest.param("${X//$E/-}", {"X": "ab", "E": ""}, "-a-b-", id="empty-pattern-everywhere"),
        pytest.param("${X//*/-}", {"X": "ab"}, "-", id="no-empty-match-after-match"),
        pytest.param("${X//b/\\$0\\$0}", {"X": "abc"}, "a\\b\\bc", id="replace-all-expands-$0"),
        pytest.param("${X/b/\\$0}", {"X": "abc"}, "a\\$0c", id="replace-first-is-literal"),
        pytest.param("${X//b/$R}", {"X": "abc", "R": "$1${0}$$"}, "ab$c", id="template-from-variable"),
        pytest.param("${X//b/\\${0}}", {"X": "abc"}, "a\\${0c}", id="brace-ends-replacement"),
        pytest.param("${X//a?/<>}", {"X": "abaca"}, "<><>a", id="non-overlapping"),
        pytest.param("${X/*c/-}", {"X": "abcabc"}, "-", id="greedy-star"),
        pytest.param("${X#'*'}", {"X": "abc"}, "abc", id="quotes-removed-before-pattern"),
        pytest.param("${X#\\*}", {"X": "*abc"}, "abc", id="escaped-star"),
        pytest.param("${NOPE#a}", {}, "", id="unset-trim"),
        pytest.param("${NOPE/a/b}", {}, "", id="unset-subst"),
        pytest.param("$1$@${#}", {"1": "one", "@": "at", "#": "hash"}, "oneathash", id="specials-looked-up"),
        pytest.param('${X:-"a b"}', {}, "a b", id="quoted-default"),
        pytest.param("a<<b", {}, "a<<b", id="heredoc-text-kept"),
        pytest.param("\ufeff$X", {"X": "1"}, "1", id="leading-bom-skipped"),
        pytest.param("${Xé}", {"Xé": "u"}, "u", id="unicode-letters-in-names"),
    ],
)
def test_values(word: str, env: dict[str, str], expected: str) -> None:
    assert expand_word(word, env) == expected


@pytest.mark.parametrize(
    ("word", "env", "escape", "expected"),
    [
        pytest.param("a`$b", {}, "`", "a$b", id="backtick-escapes-dollar"),
        pytest.param('"x`"y"', {}, "`", 'x"y', id="backtick-in-double-quotes"),
        pytest.param("a\\b", {}, "`", "a\\b", id="backslash-is-literal"),
        pytest.param('"a\\$X"', {"X": "1"}, "`", "a\\1", id="backslash-does-not-escape-in-quotes"),
        pytest.param("a``", {}, "`", "a`", id="escaped-escape"),
        pytest.param("${X#\\*}", {"X": "*a"}, "`", "a", id="pattern-escape-stays-backslash"),
    ],
)
def test_escape_character(word: str, env: dict[str, str], escape: str, expected: str) -> None:
    assert expand_word(word, env, escape) == expected


@pytest.mark.parametrize(
    ("word", "env", "options", "expected"),
    [
        pytest.param("'a b'\"c\"", {}, {"raw_quotes": True}, "'a b'\"c\"", id="raw-quotes"),
        pytest.param("a\\ b\\", {}, {"raw_escapes": True}, "a\\ b\\", id="raw-escapes"),
        pytest.param('"a\\"b"', {}, {"raw_escapes": True}, 'a\\"b', id="raw-escapes-in-quotes"),
        pytest.param('"a\\tb"', {}, {"raw_escapes": True}, "a\\\\tb", id="raw-escapes-doubled-quirk"),
        pytest.param(
            "$A ${B} ${C:-x} ${D?} ${E/a/b} ${F//a/b} $G",
            {"G": "g"},
            {"skip_unset": True},
            "$A ${B} ${C:-x} ${D?} ${E/a/b} ${F/a/b} g",
            id="skip-unset",
        ),
        pytest.param(
            "'$X' \"$X\"", {"X": "1"}, {"skip_processing_quotes": True}, "'1' \"1\"", id="skip-quotes"
        ),
    ],
)
def test_options(word: str, env: dict[str, str], options: dict[str, bool], expected: str) -> None:
    assert expand(word, env, **options).value == expected


@pytest.mark.parametrize(
    ("word", "env", "expected"),
    [
        pytest.param("a $V b", {"V": " 1  2 "}, ["a", "1", "2", "b"], id="split-value"),
        pytest.param('a "$V" b', {"V": " 1  2 "}, ["a", " 1  2 ", "b"], id="quoted-value"),
        pytest.param('a "" b', {}, ["a", "b"], id="empty-quotes-give-no-word"),
        pytest.param("a\u00a0b\u3000c", {}, ["a", "b", "c"], id="unicode-spaces"),
        pytest.param("cat << EOF", {}, ["cat", "<< EOF"], id="heredoc-space-glued"),
        pytest.param("cat <<EOF", {}, ["cat", "<<EOF"], id="heredoc"),
        pytest.param("a${X:-b}c", {}, ["bc"], id="buildkit-buffer-reset-quirk"),
        pytest.param("x y${X:-b}", {}, ["x", "b"], id="buffer-reset-keeps-finished-words"),
        pytest.param("a${X}c", {}, ["ac"], id="plain-braces-no-reset"),
    ],
)
def test_words(word: str, env: dict[str, str], expected: list[str]) -> None:
    assert expand_words(word, env) == expected


def test_matches_include_lookups_in_unused_branches() -> None:
    result = expand("${A:+$B}${C:-$D}", {"C": "c"})
    assert result.value == "c"
    assert result.matched == frozenset({"C"})
    assert result.unmatched == frozenset({"A", "B", "D"})


def test_plain_word_fast_path_reports_nothing() -> None:
    result = expand("plain word", {"X": "1"})
    assert (result.value, result.matched, result.unmatched) == ("plain word", frozenset(), frozenset())


def test_bad_escape_argument() -> None:
    with pytest.raises(ValueError, match="one character"):
        expand_word("x", {}, "")


@pytest.mark.parametrize(
    ("word", "hint"),
    [
        pytest.param(
            "${X:=1}", "BuildKit does not assign defaults; use ${V:-default} (or ${V-default})", id="assign"
        ),
        pytest.param("${X", "close the ${ with }", id="unclosed"),
        pytest.param("${X:?mine}", None, id="user-message-has-no-hint"),
    ],
)
def test_hints(word: str, hint: str | None) -> None:
    with pytest.raises(ShellExpansionError) as info:
        expand_word(word, {})
    assert info.value.hint == hint


def test_error_message_shows_invalid_bytes_like_go() -> None:
    # A Dockerfile that is not UTF-8 is read with surrogateescape; Go's %q prints such a byte as \xNN.
    with pytest.raises(ShellExpansionError) as info:
        expand_word("\udcff${X:?}", {})
    assert info.value.message.startswith('failed to process "\\xff${X:?}": ')
