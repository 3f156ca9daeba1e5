"""One error tree for the whole package, rooted at `PyBuildKitError`.

User errors (a bad Dockerfile, a missing file, a registry refusing) carry what a person needs to fix them:
where (file, line, column), what, and a hint. The CLI renders them; the library only raises.
"""

from __future__ import annotations

from pybuildkit.source import Span, code_frame


class PyBuildKitError(Exception):
    """Base of every error pybuildkit raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        """The message as the CLI prints it."""
        text = self.message
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class DockerfileError(PyBuildKitError):
    """An error in a Dockerfile, with its location when known."""

    def __init__(
        self,
        message: str,
        *,
        filename: str = "Dockerfile",
        span: Span | None = None,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.filename = filename
        self.span = span
        self.source = source

    @property
    def location(self) -> str:
        if self.span is None:
            return self.filename
        return f"{self.filename}:{self.span.start.line}:{self.span.start.column}"

    def located(
        self, *, filename: str, span: Span | None = None, source: str | None = None
    ) -> DockerfileError:
        """Fill in the location (the one choke point where positions are attached); returns self."""
        self.filename = filename
        if self.span is None:
            self.span = span
        if self.source is None:
            self.source = source
        return self

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def render(self) -> str:
        parts = [f"{self.location}: {self.message}"]
        if self.span is not None and self.source is not None:
            frame = code_frame(self.source, self.span)
            if frame:
                parts.append(frame)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class DockerfileSyntaxError(DockerfileError):
    """The text is not a Dockerfile (bad directive, bad JSON array, unterminated heredoc...)."""


class InstructionError(DockerfileError):
    """An instruction parsed, but is not valid (wrong arguments, unknown flag, bad value)."""


class ExpansionError(DockerfileError):
    """A variable expansion failed (`${X:?msg}`, bad substitution) inside a Dockerfile."""


class ContextError(PyBuildKitError):
    """The build context or its .dockerignore is unusable (bad pattern, a symlink leaving the context)."""


class BuildError(DockerfileError):
    """A step failed while building (missing COPY source, RUN exit status, bad --chown name)."""


class StoreError(PyBuildKitError):
    """The content store refused (digest mismatch, unknown image, corrupt blob)."""


class SandboxError(PyBuildKitError):
    """The machine cannot give the sandbox what it needs (no user namespaces, no overlayfs...)."""


class RegistryError(PyBuildKitError):
    """A registry refused or could not be reached."""
