"""The registry's errors: each says what failed, against which registry, and what to do about it."""

from __future__ import annotations

from pybuildkit.errors import RegistryError as RegistryError  # re-exported: the base of this module's errors


class RegistryUnreachableError(RegistryError):
    """No answer from the registry (refused, reset, timed out, TLS failure), after the bounded retries."""


class UnauthorizedError(RegistryError):
    """The registry (or its token service) refused our credentials, or we had none to give."""


class NotFoundError(RegistryError):
    """The registry has no such repository, tag, manifest or blob."""


class BlobVerificationError(RegistryError):
    """Content from the registry does not match its digest or size: it was refused and nothing was stored."""


class PlatformNotFoundError(RegistryError):
    """An image index holds no manifest for the platform asked for."""


class CredentialsError(RegistryError):
    """~/.docker/config.json or a credential helper could not be read or written."""
