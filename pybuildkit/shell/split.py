"""Split a POSIX sh command line into simple commands and words, without expanding anything.

The linter reads shell-form RUN commands with this (to find `apt-get install` without `-y`, `cd` instead of
WORKDIR, `sudo`...). It is a tokenizer, not a shell: it knows quoting (`'...'`, `"..."`, backslash), line
continuations, comments, control operators (`&&` `||` `;` `;;` `|` `|&` `&` `(` `)` newline), redirections
(with an optional fd number; heredoc bodies are skipped), and keeps `$VAR`, `${...}`, `$(...)`, `$((...))`
and backquoted text inside a word as written. It never fails: an unterminated quote or substitution runs
to the end of the text.

The escape character is always the backslash: the command runs under /bin/sh, whatever the Dockerfile's
`# escape=` directive says.
"""

from __future__ import annotations

from dataclasses import dataclass

_BLANK = (" ", "\t")
_OPERATOR_START = frozenset(";&|()<>\n")
# Longest first, so that `&&` wins over `&`.
_CONTROL = ("&&", "||", ";;", "|&", ";", "|", "&", "(", ")", "\n")
_REDIRECT = ("&>>", "<<-", "&>", "<<", "<>", "<&", ">>", ">&", ">|", "<", ">")
_RESERVED_SKIPPED = frozenset(
    {"!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "esac", "time"}
)
_COMPOUND_HEADS = frozenset({"for", "case", "select", "function"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Word:
    """One shell word: `text` after quote removal, with `$...` and command substitutions left as written."""

    text: str
    raw: str  # exactly as written
    start: int  # 0-based offsets into the input; end is exclusive
    end: int
    quoted: bool  # some part was quoted or escaped
    expands: bool  # holds `$name`, `${...}`, `$(...)` or backquotes: its value is unknown until run time
    # The command substitutions that run when the word is expanded: (start, end, inner text) for each `$(...)`
    # and backquoted part not inside single quotes (also those inside `${...}` and `$((...))`); start and end
    # are offsets into the input like the word's, the text is the command as written, without `$(` `)`/`` ` ``.
    # Substitutions nested in another are not listed: they are in its text.
    substitutions: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Redirect:
    """`[fd]op target`, e.g. `2>&1` is fd "2", op ">&", target "1"."""

    op: str
    fd: str | None
    target: Word | None  # None when the operator has no word after it
    start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A simple command and the control operator that ends it ("" at the end of the text)."""

    words: tuple[Word, ...]
    redirects: tuple[Redirect, ...]
    separator: str
    start: int
    end: int

    @property
    def assignments(self) -> tuple[Word, ...]:
        """Leading `NAME=value` words (after any reserved words)."""
        words = self._after_reserved()
        count = 0
        while count < len(words) and _is_assignment(words[count]):
            count += 1
        return words[:count]

    @property
    def argv(self) -> tuple[Word, ...]:
        """The program and its arguments: leading reserved words (`then`, `do`, `{`, `!`...) and
        assignments skipped; empty for a compound command's head (`for`, `case`)."""
        words = self._after_reserved()
        if words and not words[0].quoted and words[0].text in _COMPOUND_HEADS:
            return ()
        count = 0
        while count < len(words) and _is_assignment(words[count]):
            count += 1
        return words[count:]

    def _after_reserved(self) -> tuple[Word, ...]:
        count = 0
        while (
            count < len(self.words)
            and not self.words[count].quoted
            and self.words[count].text in _RESERVED_SKIPPED
        ):
            count += 1
        return self.words[count:]


def _is_assignment(word: Word) -> bool:
    name, sep, _ = word.raw.partition("=")
    return (
        bool(sep)
        and bool(name)
        and not name[0].isdigit()
        and all(c.isascii() and (c.isalnum() or c == "_") for c in name)
    )


class _Splitter:
    __slots__ = (
        "cmd_start",
        "commands",
        "heredocs",
        "n",
        "pending_redirect",
        "pos",
        "redirects",
        "subs",
        "text",
        "words",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.commands: list[Command] = []
        self.words: list[Word] = []
        self.redirects: list[Redirect] = []
        self.cmd_start: int | None = None
        # (op, fd, start) of a redirection still waiting for its target word
        self.pending_redirect: tuple[str, str | None, int] | None = None
        # heredoc delimiters whose bodies start after the next newline: (delimiter, strip_tabs)
        self.heredocs: list[tuple[str, bool]] = []
        # the command substitutions of the word being scanned (see Word.substitutions)
        self.subs: list[tuple[int, int, str]] = []

    def run(self) -> tuple[Command, ...]:
        text = self.text
        while self.pos < self.n:
            ch = text[self.pos]
            if ch in _BLANK:
                self.pos += 1
            elif ch == "\\" and text.startswith("\n", self.pos + 1):
                self.pos += 2  # line continuation between words
            elif ch == "#":
                end = text.find("\n", self.pos)
                self.pos = self.n if end < 0 else end
            elif ch in _OPERATOR_START:
                self.operator()
            else:
                self.word()
        self.finish_command("", self.n)
        return tuple(self.commands)

    def operator(self) -> None:
        text = self.text
        start = self.pos
        for op in _REDIRECT:
            if text.startswith(op, start):
                self.close_pending_redirect()
                self.pos += len(op)
                self.pending_redirect = (op, None, start)
                if self.cmd_start is None:
                    self.cmd_start = start
                return
        for op in _CONTROL:
            if text.startswith(op, start):
                self.pos += len(op)
                self.finish_command(op, start)
                if op == "\n":
                    self.skip_heredoc_bodies()
                return
        raise AssertionError(f"no operator at {start}")  # unreachable: every _OPERATOR_START char is one

    def close_pending_redirect(self, target: Word | None = None) -> None:
        if self.pending_redirect is None:
            return
        op, fd, start = self.pending_redirect
        self.pending_redirect = None
        end = target.end if target is not None else start + len(fd or "") + len(op)
        self.redirects.append(Redirect(op=op, fd=fd, target=target, start=start, end=end))
        if target is not None and op in ("<<", "<<-"):
            self.heredocs.append((target.text, op == "<<-"))

    def finish_command(self, separator: str, at: int) -> None:
        self.close_pending_redirect()
        if self.words or self.redirects:
            start = self.cmd_start if self.cmd_start is not None else at
            ends = [w.end for w in self.words] + [r.end for r in self.redirects]
            self.commands.append(
                Command(
                    words=tuple(self.words),
                    redirects=tuple(self.redirects),
                    separator=separator,
                    start=start,
                    end=max(ends),
                )
            )
        self.words = []
        self.redirects = []
        self.cmd_start = None

    def skip_heredoc_bodies(self) -> None:
        text = self.text
        for delimiter, strip_tabs in self.heredocs:
            while self.pos < self.n:
                end = text.find("\n", self.pos)
                line_end = self.n if end < 0 else end
                line = text[self.pos : line_end]
                self.pos = self.n if end < 0 else end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        self.heredocs = []

    def word(self) -> None:
        text = self.text
        n = self.n
        start = self.pos
        out: list[str] = []
        quoted = False
        expands = False
        self.subs = []
        while self.pos < n:
            ch = text[self.pos]
            if ch in _BLANK or ch in _OPERATOR_START:
                break
            if ch == "\\":
                if self.pos + 1 >= n:
                    self.pos += 1  # a lone backslash at the end
                    break
                nxt = text[self.pos + 1]
                self.pos += 2
                if nxt != "\n":  # a continuation joins the word
                    out.append(nxt)
                    quoted = True
            elif ch == "'":
                end = text.find("'", self.pos + 1)
                end = n if end < 0 else end
                out.append(text[self.pos + 1 : end])
                self.pos = min(end + 1, n)
                quoted = True
            elif ch == '"':
                expands |= self.double_quoted(out)
                quoted = True
            elif ch == "$" or ch == "`":
                expands |= self.substitution(out)
            else:
                out.append(ch)
                self.pos += 1
        raw = text[start : self.pos]
        # An all-digit word right before `<` or `>` is the fd of a redirection (`2>&1`).
        if raw.isdigit() and raw.isascii() and self.pos < n and text[self.pos] in "<>":
            for op in _REDIRECT:
                if text.startswith(op, self.pos) and not op.startswith("&"):
                    self.close_pending_redirect()
                    self.pos += len(op)
                    self.pending_redirect = (op, raw, start)
                    if self.cmd_start is None:
                        self.cmd_start = start
                    return
        word = Word(
            text="".join(out),
            raw=raw,
            start=start,
            end=self.pos,
            quoted=quoted,
            expands=expands,
            substitutions=tuple(self.subs),
        )
        if self.pending_redirect is not None:
            self.close_pending_redirect(word)
            return
        if self.cmd_start is None:
            self.cmd_start = start
        self.words.append(word)

    def double_quoted(self, out: list[str]) -> bool:
        """Scan `"..."` from its opening quote; returns whether it held an expansion."""
        text = self.text
        n = self.n
        self.pos += 1
        expands = False
        while self.pos < n:
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return expands
            if ch == "\\" and self.pos + 1 < n and text[self.pos + 1] in '$`"\\\n':
                if text[self.pos + 1] != "\n":
                    out.append(text[self.pos + 1])
                self.pos += 2
            elif ch == "$" or ch == "`":
                expands |= self.substitution(out)
            else:
                out.append(ch)
                self.pos += 1
        return expands

    def substitution(self, out: list[str]) -> bool:
        """Copy `$name`, `${...}`, `$(...)`, `$((...))` or `` `...` `` as written; a lone `$` is literal."""
        text = self.text
        start = self.pos
        if self._opens_command(start):
            end = self._command_substitution(start)
        else:
            nxt = text[start + 1] if start + 1 < self.n else ""
            if nxt == "{":
                end = self._skip_balanced(start + 2, "{", "}", collect=True)
            elif nxt == "(":  # `$((...))`: arithmetic, which may hold command substitutions
                end = self._skip_balanced(start + 2, "(", ")", collect=True)
            elif nxt and (nxt.isascii() and (nxt.isalnum() or nxt == "_")):
                end = start + 2
                if not nxt.isdigit():  # `$1x` is `$1` then `x`
                    while end < self.n and text[end].isascii() and (text[end].isalnum() or text[end] == "_"):
                        end += 1
            elif nxt and nxt in "@*#?-$!":
                end = start + 2
            else:
                out.append("$")
                self.pos += 1
                return False
        out.append(text[start:end])
        self.pos = end
        return True

    def _opens_command(self, pos: int) -> bool:
        """Whether a command substitution starts at `pos` (`$((` is arithmetic)."""
        text = self.text
        return text[pos] == "`" or (text.startswith("$(", pos) and not text.startswith("$((", pos))

    def _command_substitution(self, start: int) -> int:
        """Skip the `$(...)` or `` `...` `` at `start`, record it in `subs`, return its end (exclusive)."""
        if self.text[start] == "`":
            end, closed = self._scan_backquote(start + 1)
            inner = self.text[start + 1 : end - 1 if closed else end]
        else:
            end, closed = self._scan_balanced(start + 2, "(", ")", collect=False)
            inner = self.text[start + 2 : end - 1 if closed else end]
        self.subs.append((start, end, inner))
        return end

    def _skip_backquote(self, pos: int) -> int:
        return self._scan_backquote(pos)[0]

    def _scan_backquote(self, pos: int) -> tuple[int, bool]:
        """The end (exclusive) of a backquoted part opened before `pos`, and whether it is closed."""
        text = self.text
        while pos < self.n:
            ch = text[pos]
            if ch == "\\":
                pos += 2
            elif ch == "`":
                return pos + 1, True
            else:
                pos += 1
        return self.n, False

    def _skip_balanced(self, pos: int, opening: str, closing: str, *, collect: bool = False) -> int:
        return self._scan_balanced(pos, opening, closing, collect=collect)[0]

    def _scan_balanced(self, pos: int, opening: str, closing: str, *, collect: bool) -> tuple[int, bool]:
        """The end (exclusive) of a `${`/`$(` group opened before `pos`, skipping quoted text, and whether it
        is closed. With `collect`, the command substitutions met on the way are recorded in `subs`."""
        text = self.text
        depth = 1
        while pos < self.n:
            ch = text[pos]
            if ch == "\\":
                pos += 2
                continue
            if ch == "'":
                end = text.find("'", pos + 1)
                pos = self.n if end < 0 else end + 1
                continue
            if ch == '"':
                pos = self._skip_double(pos + 1, collect=collect)
                continue
            if collect and self._opens_command(pos):
                pos = self._command_substitution(pos)
                continue
            if ch == "`":
                pos = self._skip_backquote(pos + 1)
                continue
            if ch == opening:
                depth += 1
            elif ch == closing:
                depth -= 1
                if depth == 0:
                    return pos + 1, True
            pos += 1
        return self.n, False

    def _skip_double(self, pos: int, *, collect: bool = False) -> int:
        text = self.text
        while pos < self.n:
            ch = text[pos]
            if ch == "\\":
                pos += 2
            elif ch == '"':
                return pos + 1
            elif collect and self._opens_command(pos):
                pos = self._command_substitution(pos)
            elif ch == "$" and pos + 1 < self.n and text[pos + 1] in "({":
                pos = self._skip_balanced(
                    pos + 2, text[pos + 1], ")" if text[pos + 1] == "(" else "}", collect=collect
                )
            elif ch == "`":
                pos = self._skip_backquote(pos + 1)
            else:
                pos += 1
        return self.n


def split_command(text: str) -> tuple[Command, ...]:
    """Split a shell command line into simple commands (see the module docstring)."""
    return _Splitter(text).run()
