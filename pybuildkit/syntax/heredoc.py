"""Finding here-documents on an instruction line, with BuildKit's rules.

BuildKit (parser.go `heredocsFromLine`, `ParseHeredoc`) splits the logical line into shell words with its
shell lexer in a raw mode (quotes and escapes kept, unset variables left as written, escape always `\\`),
then matches each word against `^(\\d*)<<(-?)\\s*([^<]*)$`. A quoted delimiter (`<<'EOF'`, `<<E"O"F`) means
the body is not expanded (TestParseHeredocHelpers, TestHeredocsFromLine, TestParseExtractsHeredoc). This module carries a small port of just that lexer mode, so `syntax/` does not
depend on the expansion code in `pybuildkit.shell` (which works on values, not on raw text).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pybuildkit.syntax._go import GO_SPACES, is_space

_HEREDOC_RE = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)\Z")
_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)
_SPECIAL = re.compile(r"[\"'\\$]")
_PLAIN_WORD = re.compile("(?:<<[\t\r ]*|[^" + re.escape(GO_SPACES) + "])+")
_EOF = ""  # the scanner's EOF: an empty string never equals a real character
_MAX_UINT = 2**64 - 1


class HeredocError(ValueError):
    """The lexer rejected a heredoc word (BuildKit makes this a parse error)."""


class HeredocMarker(NamedTuple):
    """A `<<WORD` found on an instruction line: what its body will be read with."""

    name: str
    expand: bool
    chomp: bool
    file_descriptor: int


def chomp_heredoc_content(content: str) -> str:
    """Strip leading tabs (tabs only) from every line, as `<<-` asks (BuildKit `ChompHeredocContent`)."""
    return _LEADING_TABS.sub("", content)


def parse_heredoc(word: str) -> HeredocMarker | None:
    """The heredoc a single word opens, or None (BuildKit `ParseHeredoc`)."""
    match = _HEREDOC_RE.match(word)
    if match is None:
        return None
    digits, dash, rest = match.groups()
    if not rest:
        return None
    try:
        words = _Lexer(rest, raw_quotes=False, raw_escapes=False).words()
    except _LexError as error:
        raise HeredocError(str(error)) from None
    except RecursionError:
        raise HeredocError("variable expansions are nested too deeply") from None
    if len(words) != 1:
        return None
    try:
        raw_words = _Lexer(rest, raw_quotes=True, raw_escapes=False).words()
    except _LexError as error:
        raise HeredocError(str(error)) from None
    if len(raw_words) != len(words):
        raise HeredocError(f"internal lexing of heredoc produced inconsistent results: {rest}")
    name = words[0]
    raw = raw_words[0]
    expand = name.count("'") + name.count('"') == raw.count("'") + raw.count('"')
    fd = min(int(digits), _MAX_UINT) if digits else 0
    return HeredocMarker(name=name, expand=expand, chomp=dash == "-", file_descriptor=fd)


def heredocs_from_line(line: str) -> list[HeredocMarker]:
    """Every heredoc opened on a logical instruction line, in order (BuildKit `heredocsFromLine`)."""
    if not _SPECIAL.search(line):
        # Nothing quoted, escaped or expanded: the lexer only splits on spaces and glues `<<` to the spaces
        # after it, and each delimiter is taken as written.
        plain: list[HeredocMarker] = []
        for word in _PLAIN_WORD.findall(line):
            if "<<" in word:
                match = _HEREDOC_RE.match(word)
                if match is not None and match.group(3):
                    digits, dash, name = match.groups()
                    fd = min(int(digits), _MAX_UINT) if digits else 0
                    plain.append(HeredocMarker(name=name, expand=True, chomp=dash == "-", file_descriptor=fd))
        return plain
    try:
        words = _Lexer(line, raw_quotes=True, raw_escapes=True).words()
    except _LexError:
        return []  # BuildKit ignores the lexer's error here: no words, no heredocs
    except RecursionError:
        # Go's stack grows; ours does not. Hundreds of nested `${` are refused rather than misread.
        raise HeredocError("variable expansions are nested too deeply") from None
    found: list[HeredocMarker] = []
    for word in words:
        marker = parse_heredoc(word)
        if marker is not None:
            found.append(marker)
    return found


class _LexError(Exception):
    pass


class _Words:
    """BuildKit's `wordsStruct`. The buffer is shared with nested scans, as upstream (a quirk we keep)."""

    __slots__ = ("buf", "in_word", "words")

    def __init__(self, buf: list[str]) -> None:
        self.buf = buf
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if is_space(ch):
            if self.in_word and any(self.buf):
                self.words.append("".join(self.buf))
                self.buf.clear()
                self.in_word = False
        else:
            self.add_raw_char(ch)

    def add_raw_char(self, ch: str) -> None:
        self.buf.append(ch)
        self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def add_raw_string(self, text: str) -> None:
        self.buf.append(text)
        self.in_word = True

    def get_words(self) -> list[str]:
        joined = "".join(self.buf)
        if joined:
            self.words.append(joined)
            self.buf.clear()
            self.in_word = False
        return self.words


class _Lexer:
    """BuildKit's shell lexer with SkipUnsetEnv and an empty environment, escape token `\\`."""

    __slots__ = ("buf", "pos", "raw_escapes", "raw_quotes", "text")

    def __init__(self, text: str, *, raw_quotes: bool, raw_escapes: bool) -> None:
        self.text = text
        self.pos = 0
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.buf: list[str] = []

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else _EOF

    def next(self) -> str:
        if self.pos < len(self.text):
            self.pos += 1
            return self.text[self.pos - 1]
        return _EOF

    def words(self) -> list[str]:
        return self.process_stop_on(_EOF, self.raw_escapes)[1]

    def process_stop_on(self, stop: str, raw_escapes: bool) -> tuple[str, list[str]]:
        result: list[str] = []
        self.buf.clear()
        words = _Words(self.buf)
        saved = self.raw_escapes
        self.raw_escapes = raw_escapes
        try:
            while self.pos < len(self.text):
                ch = self.text[self.pos]
                if stop != _EOF and ch == stop:
                    self.pos += 1
                    return "".join(result), words.get_words()
                if ch == "$":
                    tmp = self.process_dollar()
                    result.append(tmp)
                    words.add_string(tmp)
                elif ch == "<" or ch == "'" or ch == '"':
                    if ch == "<":
                        tmp = self.process_possible_heredoc()
                    elif ch == "'":
                        tmp = self.process_single_quote()
                    else:
                        tmp = self.process_double_quote()
                    result.append(tmp)
                    words.add_raw_string(tmp)
                else:
                    ch = self.next()
                    if ch == "\\":
                        if self.raw_escapes:
                            words.add_raw_char(ch)
                            result.append(ch)
                        ch = self.next()
                        if ch == _EOF:
                            break
                        words.add_raw_char(ch)
                    else:
                        words.add_char(ch)
                    result.append(ch)
            if stop != _EOF:
                raise _LexError(f"unexpected end of statement while looking for matching {stop}")
            return "".join(result), words.get_words()
        finally:
            self.raw_escapes = saved

    def process_single_quote(self) -> str:
        out: list[str] = []
        ch = self.next()
        if self.raw_quotes:
            out.append(ch)
        while True:
            ch = self.next()
            if ch == _EOF:
                raise _LexError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def process_double_quote(self) -> str:
        out: list[str] = []
        ch = self.next()
        if self.raw_quotes:
            out.append(ch)
        while True:
            peek = self.peek()
            if peek == _EOF:
                raise _LexError("unexpected end of statement while looking for matching double-quote")
            if peek == '"':
                ch = self.next()
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if peek == "$":
                out.append(self.process_dollar())
                continue
            ch = self.next()
            if ch == "\\":
                if self.raw_escapes:
                    out.append(ch)
                following = self.peek()
                if following == _EOF:
                    continue
                if following in ('"', "$", "\\"):
                    ch = self.next()
            out.append(ch)

    def process_dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.process_name()
            return "$" + name if name else "$"
        self.next()
        peek = self.peek()
        if peek == _EOF:
            raise _LexError("syntax error: missing '}'")
        if peek in ("{", "}", ":"):
            raise _LexError("syntax error: bad substitution")
        name = self.process_name()
        ch = self.next()
        chs = ch if ch != _EOF else "\ufffd"
        if ch == "}":
            return "${" + name + "}"
        null_is_unset = False
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            chs += ch if ch != _EOF else "\ufffd"
        if null_is_unset or ch in ("+", "-", "?", "#", "%"):
            raw = ch in ("#", "%")
            if null_is_unset and raw:
                raise _LexError(f"unsupported modifier ({chs}) in substitution")
            try:
                word, _ = self.process_stop_on("}", raw)
            except _LexError:
                if self.peek() == _EOF:
                    raise _LexError("syntax error: missing '}'") from None
                raise
            return "${" + name + chs + word + "}"
        if ch == "/":
            if self.peek() == "/":
                self.next()
            try:
                pattern, _ = self.process_stop_on("/", True)
            except _LexError:
                if self.peek() == _EOF:
                    raise _LexError("syntax error: missing '/' in ${}") from None
                raise
            try:
                replacement, _ = self.process_stop_on("}", True)
            except _LexError:
                if self.peek() == _EOF:
                    raise _LexError("syntax error: missing '}'") from None
                raise
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        raise _LexError(f"unsupported modifier ({chs}) in substitution")

    def process_name(self) -> str:
        name: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if not name and ch.isdecimal():
                while self.pos < len(self.text) and self.text[self.pos].isdecimal():
                    name.append(self.text[self.pos])
                    self.pos += 1
                return "".join(name)
            if not name and ch in "@*#?-$!0":
                self.pos += 1
                return ch
            if not (ch.isalpha() or ch.isdecimal() or ch == "_"):
                break
            name.append(ch)
            self.pos += 1
        return "".join(name)

    def process_possible_heredoc(self) -> str:
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        space: list[str] = []
        while self.peek() in ("\t", "\r", " ") and self.peek() != _EOF:
            space.append(self.next())
        return "<<" + "".join(space)
