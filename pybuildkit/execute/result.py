"""What a build returns: the image and a report per step (light: imported by the unchanged-rebuild path)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from pybuildkit.image.spec import Descriptor, Image, Manifest


@dataclass(frozen=True, slots=True, kw_only=True)
class StepReport:
    """What happened to one step: its key, whether the cache had it, how long it took, and (with
    explain) why it missed."""

    stage: int
    index: int
    label: str
    key: str
    cached: bool
    duration: float = 0.0
    layer: str = ""  # the layer digest, "" when the step made none
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildWarning:
    """One build check that fired (BuildKit's rules only, as `docker build` reports them). Defined here,
    not in `checks.py`, so the unchanged-rebuild short cut can return cached warnings without the linter."""

    rule: str
    message: str
    file: str
    line: int = 0  # 0: the check names no line
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    url: str = ""
    description: str = ""  # the rule's description (what `docker --debug build` prints under it)
    frame: str = ""  # BuildKit's source excerpt of the lines (`errdefs.Source.Print`)

    @property
    def short(self) -> str:
        """BuildKit's one-line form (`linter.LintFormatShort`): `Rule: message (line N)`."""
        text = f"{self.rule}: {self.message}"
        return f"{text} (line {self.line})" if self.line > 0 else text

    def to_record(self) -> list[object]:
        return [
            self.rule,
            self.message,
            self.file,
            self.line,
            self.column,
            self.end_line,
            self.end_column,
            self.url,
            self.description,
            self.frame,
        ]

    @classmethod
    def from_record(cls, item: list[object]) -> BuildWarning:
        rule, message, file, line, column, end_line, end_column, url, description, frame = item
        return cls(
            rule=str(rule),
            message=str(message),
            file=str(file),
            line=int(str(line)),
            column=int(str(column)),
            end_line=int(str(end_line)),
            end_column=int(str(end_column)),
            url=str(url),
            description=str(description),
            frame=str(frame),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    """A finished build: the image (manifest descriptor, manifest, config), its tags, and every step."""

    digest: str
    descriptor: Descriptor
    manifest: Manifest | None
    config: Image
    tags: tuple[str, ...] = ()
    steps: tuple[StepReport, ...] = ()
    short_circuited: bool = False
    # The step-cache keys this build used or wrote, each with its layer digest ("" for none): what
    # --cache-to exports. `bases`: each remote base as written, and the name@digest it resolved to.
    cache_keys: tuple[tuple[str, str], ...] = ()
    bases: tuple[tuple[str, str], ...] = ()
    pushed: tuple[str, ...] = ()  # name@digest of each push (--push, type=image,push=true, type=registry)
    warnings: tuple[BuildWarning, ...] = ()  # the build checks that fired, in line order

    @property
    def cache_hits(self) -> int:
        return sum(1 for step in self.steps if step.cached)

    @property
    def cache_misses(self) -> int:
        return sum(1 for step in self.steps if not step.cached)


def rfc3339(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    if seconds == int(seconds):
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
