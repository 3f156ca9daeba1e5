"""CopyIgnoredFile: a COPY/ADD source the build context's ignore file excludes.

As BuildKit's `validateCopySourcePath`: nothing is said when there is no ignore file or when it has
exceptions (`!pattern`: too hard to decide statically); `.` and `/` count only when a pattern excludes
every root entry (`*`, `**`, `**/*`); sources are cleaned first; `COPY --from` sources are not from the
context. The Dockerfile-specific `<name>.dockerignore` wins over `.dockerignore`.
(BuildKit tests `testCopyIgnoredFiles`, `testCopyIgnoredFileContextRoot`; semantics.md §7.4.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pybuildkit.linter.analysis import Analysis
from pybuildkit.linter.model import Hit, Severity
from pybuildkit.linter.registry import rule
from pybuildkit.linter.rules._util import copy_sources, flag, hit
from pybuildkit.syntax.nodes import Keyword

if TYPE_CHECKING:
    from pybuildkit.context.matcher import IgnoreMatcher


def load_matcher(context_dir: Path, dockerfile: Path | None) -> tuple[IgnoreMatcher | None, str | None]:
    """The context's ignore matcher and the ignore file's path, or (None, None) when there is none or it
    cannot be read (the build reports a bad ignore file; the linter lints what it can)."""
    if not (context_dir / ".dockerignore").is_file() and not (
        dockerfile is not None and dockerfile.with_name(dockerfile.name + ".dockerignore").is_file()
    ):
        return None, None  # nothing to load (and the context package stays unimported)
    from pybuildkit.context import BuildContext
    from pybuildkit.errors import PyBuildKitError

    try:
        context = BuildContext.open(context_dir, dockerfile=dockerfile)
    except PyBuildKitError:
        return None, None
    if context.ignore_file is None:
        return None, None
    return context.matcher, str(context.ignore_file)


@rule(
    id="CopyIgnoredFile",
    origin="buildkit",
    severity=Severity.WARNING,
    summary="Attempting to Copy file that is excluded by .dockerignore",
    bad="FROM alpine:3\nCOPY secrets.env /app/\n# .dockerignore: secrets.env\n",
    good="FROM alpine:3\nCOPY app.py /app/\n# .dockerignore: secrets.env\n",
    needs="context",
)
def copy_ignored_file(analysis: Analysis) -> Iterator[Hit]:
    matcher = analysis.ignore_matcher
    if matcher is None:
        return
    from pybuildkit.context.gopath import go_clean
    from pybuildkit.context.matcher import IgnoreMatcher

    assert isinstance(matcher, IgnoreMatcher)
    for stage in analysis.stages:
        for node in stage.instructions:
            if node.kind not in (Keyword.COPY, Keyword.ADD) or flag(node, "from") is not None:
                continue
            verb = "Add" if node.kind is Keyword.ADD else "Copy"
            for word in copy_sources(node):
                source = analysis.expand(node, word).value
                if node.kind is Keyword.ADD and ("://" in source or source.startswith("git@")):
                    continue
                if matcher.copy_source_ignored(source) is not None:
                    yield hit(
                        node,
                        f'Attempting to {verb} file "{go_clean(source)}" that is excluded by .dockerignore',
                    )
