"""One .dockerignore pattern with moby/patternmatcher's semantics, as a pathspec `RegexPattern`.

What BuildKit does with a pattern string (patternmatcher v0.6.1 `New` and `Pattern.compile`):

1. trim white space (an empty pattern is skipped), clean it like Go's `filepath.Clean` *with* a leading `!`
   still on it, then split the `!` off (a lone `!` is an error);
2. check the syntax with Go's `filepath.Match` rules (unclosed or empty `[...]`, a range missing an end,
   `-` or `]` in the wrong place, a trailing `\\` are errors);
3. turn it into a matcher anchored at the context root: `*` and `?` never match `/`, `**` matches any number
   of directories (`**/` also none), `[...]` is a class where only `^` negates (`[!a]` is `!` or `a`),
   `\\` escapes the next character, in Go regexp syntax (hence quirks: `a\\b` is a word boundary).
   Patterns without wildcards are compared literally, a pattern ending in `**` after literal text is a prefix
   test and one starting with `**` and otherwise literal is a suffix test; those shortcuts are kept because
   they answer differently from the regexp in corner cases (`**file` matches `xfile`).

Every form is compiled into a Python regular expression searched by pathspec's `RegexPattern.match_file`.
Unlike patternmatcher, which compiles lazily on first use, a pattern Go's regexp would reject fails here
when the matcher is built, so a bad .dockerignore is reported before any file is looked at.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from pathspec.pattern import RegexPattern

from pybuildkit.context.gopath import go_clean, go_trim_space
from pybuildkit.context.goregex import GoRegexError, translate


class PatternError(ValueError):
    """A pattern BuildKit would refuse; the message is BuildKit's (Go's) wording."""


class MatchKind(enum.Enum):
    """How patternmatcher tests a compiled pattern (its `matchType`)."""

    EXACT = "exact"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    REGEXP = "regexp"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedPattern:
    """A pattern after patternmatcher's `New`: cleaned, `!` split off, syntax checked."""

    cleaned: str
    exclusion: bool
    kind: MatchKind
    regex: str
    """Python regular expression, searched (not fully matched) against a slash-separated path."""


def check_glob_syntax(pattern: str) -> None:
    """Raise PatternError where Go's `filepath.Match(pattern, ...)` reports `ErrBadPattern`."""
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise PatternError("syntax error in pattern")
            i += 2
        elif c == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            members = 0
            while True:
                if i < n and pattern[i] == "]" and members > 0:
                    i += 1
                    break
                i = _class_member_end(pattern, i)
                if pattern[i] == "-":
                    i = _class_member_end(pattern, i + 1)
                members += 1
        else:
            i += 1


def _class_member_end(pattern: str, i: int) -> int:
    # Go's getEsc: one (possibly escaped) character that must be followed by more pattern.
    n = len(pattern)
    if i >= n or pattern[i] in "-]":
        raise PatternError("syntax error in pattern")
    if pattern[i] == "\\":
        i += 1
        if i >= n:
            raise PatternError("syntax error in pattern")
    i += 1
    if i >= n:
        raise PatternError("syntax error in pattern")
    return i


def _go_regexp_text(cleaned: str) -> tuple[MatchKind, str]:
    """patternmatcher's `compile`: the match kind and, for REGEXP, the Go regexp text."""
    parts = ["^"]
    kind = MatchKind.EXACT
    i = 0
    n = len(cleaned)
    step = 0
    while i < n:
        ch = cleaned[i]
        i += 1
        if ch == "*":
            if i < n and cleaned[i] == "*":
                i += 1
                if i < n and cleaned[i] == "/":
                    i += 1  # `**/` is `**`
                if i >= n:
                    if kind is MatchKind.EXACT:
                        kind = MatchKind.PREFIX
                    else:
                        parts.append(".*")
                        kind = MatchKind.REGEXP
                else:
                    parts.append("(.*/)?")
                    kind = MatchKind.REGEXP
                if step == 0:
                    kind = MatchKind.SUFFIX
            else:
                parts.append("[^/]*")
                kind = MatchKind.REGEXP
        elif ch == "?":
            parts.append("[^/]")
            kind = MatchKind.REGEXP
        elif ch in ".+()|{}$":
            parts.append("\\" + ch)
        elif ch == "\\":
            if i < n:
                parts.append("\\" + cleaned[i])
                i += 1
                kind = MatchKind.REGEXP
            else:
                parts.append("\\")
        elif ch in "[]":
            parts.append(ch)
            kind = MatchKind.REGEXP
        else:
            parts.append(ch)
        step += 1
    return kind, "".join(parts) + "$"


def _python_regex(cleaned: str) -> tuple[MatchKind, str]:
    kind, go_text = _go_regexp_text(cleaned)
    match kind:
        case MatchKind.EXACT:
            body = r"\A" + re.escape(cleaned) + r"\Z"
        case MatchKind.PREFIX:
            body = r"\A" + re.escape(cleaned[:-2])
        case MatchKind.SUFFIX:
            suffix = cleaned[2:]
            body = re.escape(suffix) + r"\Z"
            if suffix.startswith("/"):
                # `**/foo` also matches `foo` itself
                body = f"(?:{body}|\\A{re.escape(suffix[1:])}\\Z)"
        case MatchKind.REGEXP:
            try:
                body = translate(go_text)
            except GoRegexError as error:
                raise PatternError(f"error parsing regexp: {error}") from None
    return kind, "(?a)" + body


def split_pattern(pattern: str) -> tuple[str, bool] | None:
    """patternmatcher's `New` for one pattern: (cleaned text, is an exception), None when blank.

    Raises PatternError for a lone `!` and for what `filepath.Match` calls a bad pattern; a pattern that
    passes can still fail to compile (`parse_pattern`), as `[Local-Only]` does (an `l-O` range).
    """
    text = go_trim_space(pattern)
    if not text:
        return None
    text = go_clean(text)
    exclusion = text.startswith("!")
    if exclusion:
        if len(text) == 1:
            raise PatternError('illegal exclusion pattern: "!"')
        text = text[1:]
    check_glob_syntax(text)
    return text, exclusion


def parse_pattern(pattern: str) -> ParsedPattern | None:
    """patternmatcher's handling of one pattern string, compiled; None for a blank one (skipped)."""
    split = split_pattern(pattern)
    if split is None:
        return None
    text, exclusion = split
    kind, regex = _python_regex(text)
    return ParsedPattern(cleaned=text, exclusion=exclusion, kind=kind, regex=regex)


def could_match_below(parsed: ParsedPattern, directory: str) -> bool:
    """Whether the pattern might match some path strictly below `directory` without matching `directory`
    or one of its parents (a cheap, conservative test: True when unsure).

    The walk uses it to skip an excluded directory when no exception could re-include anything in it:
    an exception that matches the directory itself (or a parent) cannot be the last match for a child,
    since the exclusion that comes after it also matches the child.
    """
    parts = directory.split("/")
    pieces = parsed.cleaned.split("/")
    for index, piece in enumerate(pieces):
        if index == len(parts):
            return True
        if "**" in piece or "[" in piece or "\\" in piece or "^" in piece:
            return True  # may span directories, or too subtle to decide here
        if "*" in piece or "?" in piece:
            if _component_regex(piece).fullmatch(parts[index]) is None:
                return False
        elif piece != parts[index]:
            return False
    return False


def _component_regex(piece: str) -> re.Pattern[str]:
    body = "".join(
        "[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch)  # no `[`, `\` or `**` by now
        for ch in piece
    )
    return re.compile(body, re.DOTALL)


class DockerPattern(RegexPattern):
    """A .dockerignore pattern for pathspec: `include` is True for an exclusion (the file is ignored) and
    False for a `!` exception; `match_file` answers for the path itself only (the matcher adds parents)."""

    __slots__ = ("parsed",)

    parsed: ParsedPattern | None

    def __init__(self, pattern: str) -> None:
        parsed = parse_pattern(pattern)
        if parsed is None:
            super().__init__(None)
        else:
            super().__init__(re.compile(parsed.regex), include=not parsed.exclusion)
        self.pattern = pattern
        self.parsed = parsed

    @classmethod
    def pattern_to_regex(cls, pattern: str) -> tuple[str | None, bool | None]:  # type: ignore[override]
        parsed = parse_pattern(pattern)
        if parsed is None:
            return None, None
        return parsed.regex, not parsed.exclusion
