"""Outputs and inputs of the store: OCI layouts and archives, docker-archives, root filesystems."""

from __future__ import annotations

from pybuildkit.output.exporters import (
    OutputError,
    OutputKind,
    OutputSpec,
    export,
    export_docker_archive,
    export_oci_archive,
    export_oci_layout,
    export_rootfs,
    export_rootfs_tar,
)
from pybuildkit.output.importers import (
    ImageImportError,
    ImportedImage,
    import_docker_archive,
    import_oci_archive,
    import_oci_layout,
    import_rootfs,
    import_source,
)

__all__ = [
    "ImageImportError",
    "ImportedImage",
    "OutputError",
    "OutputKind",
    "OutputSpec",
    "export",
    "export_docker_archive",
    "export_oci_archive",
    "export_oci_layout",
    "export_rootfs",
    "export_rootfs_tar",
    "import_docker_archive",
    "import_oci_archive",
    "import_oci_layout",
    "import_rootfs",
    "import_source",
]
