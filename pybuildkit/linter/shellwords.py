"""The linter's view of shell text, built on `pybuildkit.shell` (BuildKit's word rules): variable
expansion that reports the names it used, and RUN scripts cut into simple commands of words."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from pybuildkit.shell import Expansion, ShellExpansionError, split_command
from pybuildkit.shell import expand as _expand


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One simple command: its words with quotes removed, leading `X=1` assignments dropped."""

    words: tuple[str, ...]
    piped: bool = False  # its output goes into a pipe (`a | b`: a is piped)

    @property
    def name(self) -> str:
        if not self.words:
            return ""
        return self.words[0].rsplit("/", 1)[-1]

    @property
    def args(self) -> tuple[str, ...]:
        return self.words[1:]

    def has_any(self, *flags: str) -> bool:
        return any(f in self.words for f in flags)

    def flag_values(self, *names: str) -> Iterator[str]:
        """Values given to options: `--opt=v`, `--opt v`."""
        words = self.words
        for i, word in enumerate(words):
            for name in names:
                if word == name and i + 1 < len(words):
                    yield words[i + 1]
                elif word.startswith(name + "="):
                    yield word[len(name) + 1 :]


@dataclass(frozen=True, slots=True, kw_only=True)
class Script:
    commands: tuple[Command, ...]
    has_pipe: bool


def expand(
    word: str, env: Mapping[str, str], escape: str = "\\", *, skip_processing_quotes: bool = False
) -> Expansion:
    """Expand `word` against `env`, reporting which names were set and which were not.

    A word BuildKit would reject (bad substitution) is the build's error to report; here it reads as
    written, with no names."""
    try:
        return _expand(word, env, escape, skip_processing_quotes=skip_processing_quotes)
    except ShellExpansionError:
        return Expansion(value=word, matched=frozenset(), unmatched=frozenset())


@lru_cache(maxsize=4096)
def split_script(text: str) -> Script:
    """Cut shell text into simple commands (`pybuildkit.shell.split_command`; it never fails)."""
    commands: list[Command] = []
    has_pipe = False
    for command in split_command(text):
        piped = command.separator in ("|", "|&")
        has_pipe = has_pipe or piped
        words = tuple(w.text for w in command.argv)
        if words:
            commands.append(Command(words=words, piped=piped))
        # Commands inside `$(...)` and backquotes run too (ShellCheck, hence hadolint, sees them); the
        # splitter found them, not inside single quotes.
        for word in command.words:
            for _, _, inner in word.substitutions:
                nested = split_script(inner)
                commands.extend(nested.commands)
                has_pipe = has_pipe or nested.has_pipe
    return Script(commands=tuple(commands), has_pipe=has_pipe)
