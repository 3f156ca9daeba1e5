"""Property tests: expansion only ever returns or raises ShellExpansionError, quickly; the splitter never
fails and its offsets point at what it read."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybuildkit.shell import ShellExpansionError, expand, expand_word, expand_words, split_command

# Short words made mostly of the characters the lexer treats specially.
_words = st.text(alphabet="${}:-+?#%/*\\'\"` \t\nab1@<.=\u00a0é", max_size=40)
_env = st.dictionaries(
    st.sampled_from(["a", "b", "ab", "1", "@"]), st.text(alphabet="ab*?\\ /$#%{}", max_size=6)
)


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging) when the body runs too long."""

    def _alarm(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"took more than {seconds}s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=600, deadline=None)
@given(_words, _env, st.sampled_from(["\\", "`"]), st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_expand_returns_or_raises_shell_error(
    word: str,
    env: dict[str, str],
    escape: str,
    raw_quotes: bool,
    raw_escapes: bool,
    skip_unset: bool,
    skip_quotes: bool,
) -> None:
    with _time_limit(2.0):
        try:
            result = expand(
                word,
                env,
                escape,
                raw_quotes=raw_quotes,
                raw_escapes=raw_escapes,
                skip_unset=skip_unset,
                skip_processing_quotes=skip_quotes,
            )
        except ShellExpansionError as err:
            assert err.offset is None or 0 <= err.offset <= len(word)
            return
        assert isinstance(result.value, str)
        assert result.matched.isdisjoint(result.unmatched)
        assert result.matched <= set(env)
        assert not (result.unmatched & set(env))
        # ProcessWords fails exactly when ProcessWord does, and splits the same text.
        words = expand_words(
            word,
            env,
            escape,
            raw_quotes=raw_quotes,
            raw_escapes=raw_escapes,
            skip_unset=skip_unset,
            skip_processing_quotes=skip_quotes,
        )
        assert all(words)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text(word: str) -> None:
    with _time_limit(2.0), suppress(ShellExpansionError):
        expand_word(word, {"a": "x y"})


def test_deep_nesting_is_an_expansion_error() -> None:
    word = "${A:-" * 5000 + "}" * 5000
    with pytest.raises(ShellExpansionError, match="nested too deeply"):
        expand_word(word, {})
    assert expand_word("${A:-" * 50 + "x" + "}" * 50, {}) == "x"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab $(){}`'\"\\|&;<>#\n\t=2-", max_size=60))
def test_split_command_never_fails(text: str) -> None:
    with _time_limit(2.0):
        commands = split_command(text)
    last = 0
    for command in commands:
        assert command.words or command.redirects
        assert last <= command.start <= command.end <= len(text)
        last = command.start
        for word in command.words:
            assert text[word.start : word.end] == word.raw
            assert word.raw
        for redirect in command.redirects:
            if redirect.target is not None:
                assert text[redirect.target.start : redirect.target.end] == redirect.target.raw
