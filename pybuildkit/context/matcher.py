"""The .dockerignore matcher: which paths of the context a build leaves out, and which line decided.

Semantics are patternmatcher's `MatchesOrParentMatches`, which BuildKit's context walk is equivalent to:
patterns are tried in order and the last one that matches the path *or any of its parent directories*
decides; a normal pattern excludes, a `!` exception re-includes. (patternmatcher only tries an exception
while the path is excluded and a normal pattern while it is not; the outcome is the same as "last match
wins", which is also how `why` finds the deciding line.) The path is taken as given, slash-separated and
relative to the context root; it is not cleaned.

The engine is pathspec: a `PathSpec` of `DockerPattern`s, asked once for the path and once per parent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pathspec
from pathspec.util import check_match_file

from pybuildkit.context.gopath import go_clean, go_dir
from pybuildkit.context.ignorefile import IgnoreLine, read_ignore_lines
from pybuildkit.context.patterns import DockerPattern, PatternError, could_match_below
from pybuildkit.errors import ContextError

_HINTS = {
    'illegal exclusion pattern: "!"': "a `!` needs a pattern after it; delete the line or complete it",
}
_DEFAULT_HINT = "escape a literal `[`, `]`, `*`, `?` or `\\` with a backslash (Go filepath.Match syntax)"


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoreRule:
    """One pattern of the matcher, and where it came from."""

    pattern: str
    """The pattern as the matcher received it (for a file: the reader's output, `!` included)."""
    cleaned: str
    """After the matcher's own cleaning, without the `!`."""
    exclusion: bool
    """True for a `!` exception (re-includes what it matches)."""
    text: str
    """What to show a person: the line as written, trimmed (or the pattern when there is no file)."""
    line: int | None = None
    file: str | None = None

    @property
    def location(self) -> str:
        if self.file is None:
            return "pattern" if self.line is None else f"pattern {self.line}"
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def __str__(self) -> str:
        return f"{self.location}: {self.text}"


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoreMatcher:
    """A compiled pattern list. Build it with `from_patterns`, `from_text` or `from_lines`."""

    rules: tuple[IgnoreRule, ...] = ()
    spec: pathspec.PathSpec[DockerPattern] = field(
        default_factory=lambda: pathspec.PathSpec([], backend="simple")
    )
    file: str | None = None
    """The ignore file these patterns were read from, as shown in messages."""

    @classmethod
    def from_patterns(cls, patterns: Iterable[str], *, file: str | None = None) -> IgnoreMatcher:
        """From an already-read pattern list (what `read_ignore_file` returns, or a `--exclude` list)."""
        return cls._build([(pattern, None, pattern) for pattern in patterns], file=file)

    @classmethod
    def from_lines(cls, lines: Sequence[IgnoreLine], *, file: str | None = ".dockerignore") -> IgnoreMatcher:
        return cls._build([(line.pattern, line.line, line.text) for line in lines], file=file)

    @classmethod
    def from_text(cls, text: str | None, *, file: str = ".dockerignore") -> IgnoreMatcher:
        """Read an ignore file's text (None: no file) and compile it."""
        return cls.from_lines(read_ignore_lines(text, filename=file), file=file)

    @classmethod
    def _build(cls, items: Sequence[tuple[str, int | None, str]], *, file: str | None) -> IgnoreMatcher:
        rules: list[IgnoreRule] = []
        compiled: list[DockerPattern] = []
        for number, (pattern, line, text) in enumerate(items, start=1):
            try:
                docker_pattern = DockerPattern(pattern)
            except PatternError as error:
                where = f"{file}:{line}" if file is not None and line is not None else f"pattern {number}"
                raise ContextError(
                    f"{where}: invalid pattern {text!r}: {error}",
                    hint=_HINTS.get(str(error), _DEFAULT_HINT),
                ) from None
            parsed = docker_pattern.parsed
            if parsed is None:
                continue  # blank: patternmatcher drops it
            compiled.append(docker_pattern)
            rules.append(
                IgnoreRule(
                    pattern=pattern,
                    cleaned=parsed.cleaned,
                    exclusion=parsed.exclusion,
                    text=text,
                    line=line if line is not None else (None if file is not None else number),
                    file=file,
                )
            )
        return cls(rules=tuple(rules), spec=pathspec.PathSpec(compiled, backend="simple"), file=file)

    @property
    def patterns(self) -> tuple[DockerPattern, ...]:
        return tuple(self.spec.patterns)

    @property
    def has_exceptions(self) -> bool:
        return any(rule.exclusion for rule in self.rules)

    def excluded(self, path: str) -> bool:
        """Whether a build leaves `path` out (the path or a parent directory is excluded, not re-included)."""
        rule = self.why(path)
        return rule is not None and not rule.exclusion

    def why(self, path: str) -> IgnoreRule | None:
        """The rule that decides `path`: an exclusion (left out), an exception (re-included), or None."""
        if not self.rules:
            return None
        best: int | None = None
        for candidate in _candidates(path):
            if candidate.startswith(("/", "./")):
                # PathSpec.check_file would normalize these away; ask the same patterns directly.
                _, index = check_match_file(enumerate(self.spec.patterns), candidate)
            else:
                index = self.spec.check_file(candidate, separators=()).index
            if index is not None and (best is None or index > best):
                best = index
        return None if best is None else self.rules[best]

    def copy_source_ignored(self, source: str) -> IgnoreRule | None:
        """For lint rule CopyIgnoredFile: the rule excluding a COPY/ADD source, as BuildKit decides it.

        BuildKit (`validateCopySourcePath` in dockerfile2llb/validations.go) skips the check entirely when
        the file has `!` exceptions (too hard to decide statically), cleans the source with
        `filepath.Clean` and asks `MatchesOrParentMatches`. The context root (`.` or `/`) only counts
        when a pattern `*`, `**` or `**/*` excludes everything in it (`testCopyIgnoredFileContextRoot`:
        `.*` does not warn for `COPY . .`, `*` does).
        """
        if not self.rules or self.has_exceptions:
            return None
        source = go_clean(source)
        if source in (".", "/") and not any(rule.cleaned in ("*", "**", "**/*") for rule in self.rules):
            return None
        rule = self.why(source)
        return rule if rule is not None and not rule.exclusion else None

    # The walk's incremental form. The deciding pattern of a path is the last one matching the path or a
    # parent, so a child's is the later of its parent's (`parent`, -1 for none) and the last pattern that
    # matches the child itself: only patterns after the parent's need trying, from the end.

    def step(self, path: str, parent: int = -1) -> int:
        """Index of the deciding pattern for `path`, given the deciding index of its parent directory."""
        patterns = self.spec.patterns
        for index in range(len(patterns) - 1, parent, -1):
            regex = patterns[index].regex
            if regex is not None and regex.search(path) is not None:
                return index
        return parent

    def decide(self, index: int) -> IgnoreRule | None:
        """The rule for a `step` result (None for -1: nothing matched)."""
        return None if index < 0 else self.rules[index]

    def could_reinclude_below(self, directory: str) -> bool:
        """Whether some exception might re-include a path under the excluded `directory` (conservative)."""
        for pattern in self.spec.patterns:
            parsed = pattern.parsed
            if parsed is not None and parsed.exclusion and could_match_below(parsed, directory):
                return True
        return False


def _candidates(path: str) -> list[str]:
    """The path and its parent directories, as patternmatcher derives them (`filepath.Dir`, then prefixes)."""
    out = [path]
    parent = go_dir(path)
    if parent != ".":
        dirs = parent.split("/")
        out.extend("/".join(dirs[: i + 1]) for i in range(len(dirs)))
    return out
