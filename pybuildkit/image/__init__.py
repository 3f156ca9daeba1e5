"""OCI image types (no file access): descriptors, manifests, indexes, configs, platforms, references."""

from __future__ import annotations

from pybuildkit.image.digest import canonical_json, check_digest, is_digest, sha256_digest
from pybuildkit.image.platform import Platform, host_platform
from pybuildkit.image.reference import Reference, local_name
from pybuildkit.image.spec import (
    REF_NAME_ANNOTATION,
    Descriptor,
    Healthcheck,
    History,
    Image,
    ImageConfig,
    Index,
    Manifest,
    descriptor_for,
)

__all__ = [
    "REF_NAME_ANNOTATION",
    "Descriptor",
    "Healthcheck",
    "History",
    "Image",
    "ImageConfig",
    "Index",
    "Manifest",
    "Platform",
    "Reference",
    "canonical_json",
    "check_digest",
    "descriptor_for",
    "host_platform",
    "is_digest",
    "local_name",
    "sha256_digest",
]
