"""The local content-addressed store: blobs, tags, the step cache area, garbage collection."""

from __future__ import annotations

from pybuildkit.store.store import (
    BlobNotFoundError,
    BlobWriter,
    CorruptBlobError,
    ImageNotFoundError,
    PruneResult,
    Store,
    StoredImage,
    TaggedImage,
    default_root,
    select_platform,
    tag_name,
)

__all__ = [
    "BlobNotFoundError",
    "BlobWriter",
    "CorruptBlobError",
    "ImageNotFoundError",
    "PruneResult",
    "Store",
    "StoredImage",
    "TaggedImage",
    "default_root",
    "select_platform",
    "tag_name",
]
