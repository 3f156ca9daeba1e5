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
