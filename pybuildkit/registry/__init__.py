"""Registries: pull base images, push results, share the build cache (OCI Distribution API v2 over httpx)."""

from __future__ import annotations

from pybuildkit.registry.cache import (
    CacheMode,
    CacheRecord,
    CacheSpec,
    RemoteCache,
    export_cache,
    import_cache,
)
from pybuildkit.registry.client import RegistryClient, RegistryOptions
from pybuildkit.registry.credentials import Credentials, DockerConfig
from pybuildkit.registry.errors import (
    BlobVerificationError,
    CredentialsError,
    NotFoundError,
    PlatformNotFoundError,
    RegistryUnreachableError,
    UnauthorizedError,
)
from pybuildkit.registry.login import login, logout
from pybuildkit.registry.pull import BlobEvent, PulledImage, ensure_image, pull
from pybuildkit.registry.push import PushResult, push, push_all

__all__ = [
    "BlobEvent",
    "BlobVerificationError",
    "CacheMode",
    "CacheRecord",
    "CacheSpec",
    "Credentials",
    "CredentialsError",
    "DockerConfig",
    "NotFoundError",
    "PlatformNotFoundError",
    "PulledImage",
    "PushResult",
    "RegistryClient",
    "RegistryOptions",
    "RegistryUnreachableError",
    "RemoteCache",
    "UnauthorizedError",
    "ensure_image",
    "export_cache",
    "import_cache",
    "login",
    "logout",
    "pull",
    "push",
    "push_all",
]
