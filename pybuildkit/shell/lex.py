"""BuildKit's shell-word lexer: quote removal, escapes and `$VAR` / `${VAR...}` expansion.

This follows BuildKit's `frontend/dockerfile/shell` (Lex.ProcessWord, ProcessWords, ProcessWordWithMatches)
rule for rule, quirks included, because a Dockerfile must mean here what it means to BuildKit:

* `'...'` is literal; `"..."` expands `$` and lets the escape character escape only `"`, `$` and itself;
  outside quotes the escape character escapes any character, and a lone one at the end is dropped.
* `${V}` and the modifiers `-` `:-` `+` `:+` `?` `:?` `#` `##` `%` `%%` `/` `//`; `=`/`:=` and anything else
  is "unsupported modifier (...) in substitution". A modifier's word is expanded before the variable is
  looked at, so `${SET:-${UNSET:?x}}` fails, as in BuildKit.
* Positional and special parameters (`$1`, `$@`, `$#`...) are looked up like any name, so they are unset
  unless the environment has them.
* Word splitting (ProcessWords) splits unquoted literal whitespace and whitespace inside unquoted
  expansions. BuildKit shares one word buffer between nested `${V:-...}` scans and resets it on entry; the
  part of a word before such an expansion is therefore dropped from the split words (`a${X:-b}c` gives
  `bc`). This is kept on purpose: the parser's heredoc detection and EXPOSE see exactly BuildKit's words.

Errors read as BuildKit's (`failed to process "${X:?}": X: is not allowed to be unset`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pybuildkit._go import GO_SPACE_SET as _GO_SPACE  # Go's unicode.IsSpace: what splits words
from pybuildkit._go import quote as go_quote  # BuildKit's `%q`; re-exported by pybuildkit.shell
from pybuildkit.errors import PyBuildKitError
from pybuildkit.shell import pattern as _pattern

# Go's text/scanner yields this rune (shown as U+FFFD) at the end of input.
_EOF_SHOWN = "\ufffd"
_SPECIAL_PARAMS = frozenset("@*#?-$!0")
_MISSING_BRACE = "syntax error: missing '}'"
_HEREDOC_SPACE = (" ", "\t", "\r")


class ShellExpansionError(PyBuildKitError):
    """A word could not be expanded.

    `message` is BuildKit's whole text (`failed to process "<word>": <reason>`), `reason` the part after it,
    `offset` the 0-based index in `word` of the construct that failed (the `$` or the opening quote).
    """

    def __init__(self, reason: str, *, word: str, offset: int | None) -> None:
        super().__init__(f"failed to process {go_quote(word)}: {reason}", hint=_hint(reason))
        self.reason = reason
        self.word = word
        self.offset = offset


_FORMS = (
    "${V} ${V:-x} ${V-x} ${V:+x} ${V+x} ${V:?msg} ${V?msg} ${V#p} ${V##p} ${V%p} ${V%%p} ${V/p/r} ${V//p/r}"
)


def _hint(reason: str) -> str | None:
    """A line that helps fix the word; BuildKit's message itself is kept as it is."""
    if reason.startswith(("unsupported modifier (=)", "unsupported modifier (:=)")):
        return "BuildKit does not assign defaults; use ${V:-default} (or ${V-default})"
    if reason == f"unsupported modifier ({_EOF_SHOWN}) in substitution":
        return "close the ${ with }"
    if reason.startswith(("unsupported modifier (:#", "unsupported modifier (:%")):
        return "# and % take no colon: write ${V#pattern} or ${V%pattern}"
    if reason.startswith("unsupported modifier"):
        return f"the forms BuildKit supports are {_FORMS}"
    if reason == "syntax error: bad substitution":
        return "${ must be followed by a variable name"
    if reason.startswith("syntax error: missing"):
        return "close the ${ with }" if reason.endswith("'}'") else "write ${V/pattern/replacement}"
    if reason.endswith("single-quote"):
        return "close the quote; a single quote cannot be escaped inside single quotes"
    if reason.endswith("double-quote"):
        return 'close the quote, or escape the " with the escape character'
    if reason.startswith("invalid pattern"):
        return "in a pattern a backslash may only escape *, ? or \\ (or } and / to keep them in the pattern)"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Expansion:
    """The result of expanding one word, with the variable names it looked up."""

    value: str
    matched: frozenset[str]  # looked up and set (possibly empty)
    unmatched: frozenset[str]  # looked up and unset


class _Fail(Exception):
    """Internal: a failure with BuildKit's reason and where it happened."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


class _Words:
    """BuildKit's wordsStruct. `buf` is the lexer's shared buffer (see the module docstring)."""

    __slots__ = ("buf", "in_word", "words")

    def __init__(self, buf: list[str]) -> None:
        self.buf = buf
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in _GO_SPACE:
            if self.in_word and self.buf:
                self.words.append("".join(self.buf))
                self.buf.clear()
                self.in_word = False
        else:
            self.buf.append(ch)
            self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def add_raw(self, text: str) -> None:
        if text:
            self.buf.append(text)
        self.in_word = True

    def get_words(self) -> list[str]:
        if self.buf:
            self.words.append("".join(self.buf))
            self.buf.clear()
            self.in_word = False
        return self.words


class _Lexer:
    __slots__ = (
        "env",
        "escape",
        "matched",
        "n",
        "pos",
        "raw_escapes",
        "raw_quotes",
        "skip_quotes",
        "skip_unset",
        "text",
        "unmatched",
        "words_buf",
    )

    def __init__(
        self,
        text: str,
        env: Mapping[str, str],
        escape: str,
        *,
        raw_quotes: bool,
        raw_escapes: bool,
        skip_unset: bool,
        skip_quotes: bool,
    ) -> None:
        self.text = text
        self.n = len(text)
        # Go's text/scanner skips a byte order mark at the very start.
        self.pos = 1 if text.startswith("\ufeff") else 0
        self.env = env
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_unset = skip_unset
        self.skip_quotes = skip_quotes
        self.words_buf: list[str] = []
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()

    def peek(self) -> str:
        """The next character, or "" at the end."""
        return self.text[self.pos] if self.pos < self.n else ""

    def next(self) -> str:
        if self.pos < self.n:
            ch = self.text[self.pos]
            self.pos += 1
            return ch
        return ""

    def get_env(self, name: str) -> str | None:
        value = self.env.get(name)
        if value is None:
            self.unmatched.add(name)
        else:
            self.matched.add(name)
        return value

    def stop_on(self, stop: str, raw_escapes: bool) -> tuple[str, list[str]]:
        """Scan to `stop` (consumed) or, with stop == "", to the end. Returns the text and its words."""
        result: list[str] = []
        self.words_buf.clear()  # BuildKit's shared-buffer reset, kept on purpose
        words = _Words(self.words_buf)
        saved = self.raw_escapes
        self.raw_escapes = raw_escapes
        text = self.text
        n = self.n
        escape = self.escape
        quotes = not self.skip_quotes
        try:
            while self.pos < n:
                ch = text[self.pos]
                if stop and ch == stop:
                    self.pos += 1
                    return "".join(result), words.get_words()
                if ch == "$":
                    tmp = self.dollar()
                    result.append(tmp)
                    words.add_string(tmp)
                    continue
                if ch == "<":
                    tmp = self.possible_heredoc()
                elif quotes and ch == "'":
                    tmp = self.single_quote()
                elif quotes and ch == '"':
                    tmp = self.double_quote()
                else:
                    self.pos += 1
                    if ch == escape:
                        if raw_escapes:
                            words.add_raw(ch)
                            result.append(ch)
                        if self.pos >= n:
                            break  # a lone escape at the end is dropped
                        ch = text[self.pos]
                        self.pos += 1
                        words.add_raw(ch)
                    else:
                        words.add_char(ch)
                    result.append(ch)
                    continue
                result.append(tmp)
                words.add_raw(tmp)
            if stop:
                raise _Fail(f"unexpected end of statement while looking for matching {stop}", self.pos)
            return "".join(result), words.get_words()
        finally:
            self.raw_escapes = saved

    def single_quote(self) -> str:
        start = self.pos
        end = self.text.find("'", start + 1)
        if end < 0:
            self.pos = self.n  # BuildKit has read to the end (which turns it into "missing '}'" in ${})
            raise _Fail("unexpected end of statement while looking for matching single-quote", start)
        self.pos = end + 1
        return self.text[start : end + 1] if self.raw_quotes else self.text[start + 1 : end]

    def double_quote(self) -> str:
        start = self.pos
        self.pos += 1
        out: list[str] = ['"'] if self.raw_quotes else []
        text = self.text
        escape = self.escape
        while True:
            if self.pos >= self.n:
                raise _Fail("unexpected end of statement while looking for matching double-quote", start)
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            self.pos += 1
            if ch == escape:
                if self.raw_escapes:
                    out.append(ch)
                if self.pos >= self.n:
                    continue  # the unterminated-quote error follows
                nxt = text[self.pos]
                if nxt in ('"', "$", escape):
                    ch = nxt
                    self.pos += 1
                # (with raw escapes and any other character, BuildKit writes the escape twice)
            out.append(ch)

    def possible_heredoc(self) -> str:
        self.pos += 1
        if self.peek() != "<":
            return "<"
        self.pos += 1
        start = self.pos
        while self.peek() in _HEREDOC_SPACE:
            self.pos += 1
        # `<< EOF` stays one word: the spaces are added raw
        return "<<" + self.text[start : self.pos]

    def name(self) -> str:
        """A name: letters, digits and `_`; or a run of digits; or one special parameter."""
        text = self.text
        start = self.pos
        if start >= self.n:
            return ""
        ch = text[start]
        if ch.isdecimal():
            while self.pos < self.n and text[self.pos].isdecimal():
                self.pos += 1
            return text[start : self.pos]
        if ch in _SPECIAL_PARAMS:
            self.pos += 1
            return ch
        while self.pos < self.n:
            ch = text[self.pos]
            if not (ch.isalpha() or ch.isdecimal() or ch == "_"):
                break
            self.pos += 1
        return text[start : self.pos]

    def dollar(self) -> str:
        start = self.pos
        self.pos += 1
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            value = self.get_env(name)
            if value is None:
                return "$" + name if self.skip_unset else ""
            return value

        self.pos += 1
        nxt = self.peek()
        if not nxt:
            raise _Fail(_MISSING_BRACE, start)
        if nxt in ("{", "}", ":"):
            raise _Fail("syntax error: bad substitution", start)
        name = self.name()
        ch = self.next()
        chs = ch or _EOF_SHOWN

        if ch == "}":
            value = self.get_env(name)
            if value is None:
                return "${" + name + "}" if self.skip_unset else ""
            return value
        if ch == "/":
            return self._substitute(name, start)
        if ch not in (":", "+", "-", "?", "#", "%"):
            raise _Fail(f"unsupported modifier ({chs}) in substitution", start)

        null_is_unset = False
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            chs += ch or _EOF_SHOWN
        raw = ch in ("#", "%")
        if null_is_unset and raw:
            raise _Fail(f"unsupported modifier ({chs}) in substitution", start)
        word = self._brace_part("}", raw, start, _MISSING_BRACE)

        value = self.get_env(name)
        if value is None and self.skip_unset:
            return "${" + name + chs + word + "}"
        unset = value is None or (null_is_unset and value == "")
        match ch:
            case "-":
                return word if unset or value is None else value
            case "+":
                return "" if unset else word
            case "?":
                if value is None:
                    raise _Fail(f"{name}: {word or 'is not allowed to be unset'}", start)
                if null_is_unset and value == "":
                    raise _Fail(f"{name}: {word or 'is not allowed to be empty'}", start)
                return value
            case "#" | "%":
                # one `#`/`%` is the shortest match, two the longest; BuildKit checks the expanded word
                greedy = word.startswith(ch)
                if greedy:
                    word = word[1:]
                subject = value or ""
                if ch == "%":
                    word = _pattern.reverse_pattern(word)
                    subject = subject[::-1]
                compiled = _compile_pattern(word, start)
                trimmed = _pattern.trim_prefix(compiled, subject, greedy=greedy)
                return trimmed[::-1] if ch == "%" else trimmed
            case _:
                raise _Fail(f"unsupported modifier ({chs}) in substitution", start)

    def _brace_part(self, stop: str, raw_escapes: bool, start: int, missing: str) -> str:
        """`stop_on` for a part of `${...}`: running out of text there is BuildKit's `missing` error, at `start`."""
        try:
            return self.stop_on(stop, raw_escapes)[0]
        except _Fail as fail:
            if self.pos >= self.n:
                raise _Fail(missing, start) from None
            raise fail from None

    def _substitute(self, name: str, start: int) -> str:
        """`${V/pattern/replacement}` and `${V//pattern/replacement}` (the first `/` is consumed)."""
        replace_all = self.peek() == "/"
        if replace_all:
            self.pos += 1
        pat = self._brace_part("/", True, start, "syntax error: missing '/' in ${}")
        replacement = self._brace_part("}", True, start, _MISSING_BRACE)
        value = self.get_env(name)
        if value is None and self.skip_unset:
            return "${" + name + "/" + pat + "/" + replacement + "}"
        compiled = _compile_pattern(pat, start)
        subject = value or ""
        if replace_all:
            return _pattern.replace_all(compiled, subject, replacement)
        return _pattern.replace_first(compiled, subject, replacement)


def _compile_pattern(pattern: str, start: int) -> _pattern.Pattern:
    """A `${V#...}`/`${V/...}` pattern, its conversion error reported at the `${` that holds it."""
    try:
        return _pattern.compile_pattern(pattern)
    except _pattern.PatternError as err:
        raise _Fail(f"invalid pattern ({pattern}) in substitution: {err}", start) from None


def _check_escape(escape: str) -> None:
    if len(escape) != 1:
        raise ValueError(f"the escape character must be one character, not {escape!r}")


def _run(
    word: str,
    env: Mapping[str, str],
    escape: str,
    *,
    raw_quotes: bool,
    raw_escapes: bool,
    skip_unset: bool,
    skip_processing_quotes: bool,
) -> tuple[str, list[str], _Lexer]:
    _check_escape(escape)
    lexer = _Lexer(
        word,
        env,
        escape,
        raw_quotes=raw_quotes,
        raw_escapes=raw_escapes,
        skip_unset=skip_unset,
        skip_quotes=skip_processing_quotes,
    )
    try:
        value, words = lexer.stop_on("", raw_escapes)
    except _Fail as fail:
        raise ShellExpansionError(fail.reason, word=word, offset=fail.offset) from None
    except RecursionError:
        # nesting deeper than Python's stack (BuildKit's Go stack grows instead)
        raise ShellExpansionError("expansion nested too deeply", word=word, offset=None) from None
    return value, words, lexer


def _plain(word: str, escape: str) -> bool:
    """True when ProcessWord would return the word unchanged (nothing to expand, unquote or unescape)."""
    return not ("$" in word or "'" in word or '"' in word or escape in word or word.startswith("\ufeff"))


def expand(
    word: str,
    env: Mapping[str, str],
    escape: str = "\\",
    *,
    raw_quotes: bool = False,
    raw_escapes: bool = False,
    skip_unset: bool = False,
    skip_processing_quotes: bool = False,
) -> Expansion:
    """Expand one word (BuildKit's ProcessWordWithMatches): no word splitting.

    raw_quotes keeps quote characters in the result (Lex.RawQuotes); raw_escapes keeps escape characters
    (RawEscapes); skip_unset leaves references to unset variables as written (SkipUnsetEnv);
    skip_processing_quotes treats quotes as ordinary characters (SkipProcessQuotes).
    """
    _check_escape(escape)
    if _plain(word, escape):
        return Expansion(value=word, matched=frozenset(), unmatched=frozenset())
    value, _, lexer = _run(
        word,
        env,
        escape,
        raw_quotes=raw_quotes,
        raw_escapes=raw_escapes,
        skip_unset=skip_unset,
        skip_processing_quotes=skip_processing_quotes,
    )
    return Expansion(value=value, matched=frozenset(lexer.matched), unmatched=frozenset(lexer.unmatched))


def expand_word(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand one word (BuildKit's ProcessWord): quotes removed, variables substituted, no splitting."""
    return expand(word, env, escape).value


def expand_words(
    word: str,
    env: Mapping[str, str],
    escape: str = "\\",
    *,
    raw_quotes: bool = False,
    raw_escapes: bool = False,
    skip_unset: bool = False,
    skip_processing_quotes: bool = False,
) -> list[str]:
    """Expand and split into words (BuildKit's ProcessWords); the flags are those of `expand`."""
    _, words, _ = _run(
        word,
        env,
        escape,
        raw_quotes=raw_quotes,
        raw_escapes=raw_escapes,
        skip_unset=skip_unset,
        skip_processing_quotes=skip_processing_quotes,
    )
    return words


def env_from_list(entries: list[str] | tuple[str, ...]) -> dict[str, str]:
    """BuildKit's EnvsFromSlice: `KEY=VALUE` entries (a bare `KEY` is empty); the last one for a key wins."""
    env: dict[str, str] = {}
    for entry in entries:
        key, _, value = entry.partition("=")
        env[key] = value
    return env
