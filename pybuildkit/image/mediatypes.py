"""Media types of the OCI image spec and of Docker's schema 2, and how they map onto each other."""

from __future__ import annotations

from typing import Final

# OCI image spec v1.
OCI_INDEX: Final = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST: Final = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG: Final = "application/vnd.oci.image.config.v1+json"
OCI_LAYER: Final = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP: Final = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD: Final = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_LAYER_NONDIST: Final = "application/vnd.oci.image.layer.nondistributable.v1.tar"
OCI_LAYER_NONDIST_GZIP: Final = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
OCI_EMPTY: Final = "application/vnd.oci.empty.v1+json"

# Docker image manifest v2, schema 2.
DOCKER_MANIFEST_LIST: Final = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST: Final = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG: Final = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER: Final = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_LAYER_GZIP: Final = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_LAYER_ZSTD: Final = "application/vnd.docker.image.rootfs.diff.tar.zstd"
DOCKER_FOREIGN_LAYER_GZIP: Final = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

INDEXES: Final = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
MANIFESTS: Final = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
CONFIGS: Final = frozenset({OCI_CONFIG, DOCKER_CONFIG})
LAYERS: Final = frozenset(
    {
        OCI_LAYER,
        OCI_LAYER_GZIP,
        OCI_LAYER_ZSTD,
        OCI_LAYER_NONDIST,
        OCI_LAYER_NONDIST_GZIP,
        DOCKER_LAYER,
        DOCKER_LAYER_GZIP,
        DOCKER_LAYER_ZSTD,
        DOCKER_FOREIGN_LAYER_GZIP,
    }
)

_TO_DOCKER: Final = {
    OCI_INDEX: DOCKER_MANIFEST_LIST,
    OCI_MANIFEST: DOCKER_MANIFEST,
    OCI_CONFIG: DOCKER_CONFIG,
    OCI_LAYER: DOCKER_LAYER,
    OCI_LAYER_GZIP: DOCKER_LAYER_GZIP,
    OCI_LAYER_ZSTD: DOCKER_LAYER_ZSTD,
}
_TO_OCI: Final = {docker: oci for oci, docker in _TO_DOCKER.items()}


def to_docker(media_type: str) -> str:
    """The Docker schema 2 twin of an OCI media type (unknown types are returned unchanged)."""
    return _TO_DOCKER.get(media_type, media_type)


def to_oci(media_type: str) -> str:
    """The OCI twin of a Docker schema 2 media type (unknown types are returned unchanged)."""
    return _TO_OCI.get(media_type, media_type)
