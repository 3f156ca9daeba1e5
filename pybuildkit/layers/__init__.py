"""Layers: deterministic tar writing (entries → PAX tar → gzip/zstd → sink, one pass) and safe applying."""

from __future__ import annotations

from pybuildkit.layers.compression import (
    GZIP,
    UNCOMPRESSED,
    ZSTD,
    Compression,
    CompressionKind,
    open_decompressed,
)
from pybuildkit.layers.entries import (
    OPAQUE_MARKER,
    WHITEOUT_PREFIX,
    Entry,
    EntryKind,
    LayerError,
    entry_from_path,
    tree_entries,
    upperdir_entries,
)
from pybuildkit.layers.reader import ApplyResult, WhiteoutMode, apply_layer, remove_path
from pybuildkit.layers.tarcheck import TarChecker, TarFormatError
from pybuildkit.layers.writer import (
    BlobSink,
    HashingFileSink,
    LayerDescriptor,
    compress_stream,
    prepare_entries,
    write_layer,
)

__all__ = [
    "GZIP",
    "OPAQUE_MARKER",
    "UNCOMPRESSED",
    "WHITEOUT_PREFIX",
    "ZSTD",
    "ApplyResult",
    "BlobSink",
    "Compression",
    "CompressionKind",
    "Entry",
    "EntryKind",
    "HashingFileSink",
    "LayerDescriptor",
    "LayerError",
    "TarChecker",
    "TarFormatError",
    "WhiteoutMode",
    "apply_layer",
    "compress_stream",
    "entry_from_path",
    "open_decompressed",
    "prepare_entries",
    "remove_path",
    "tree_entries",
    "upperdir_entries",
    "write_layer",
]
