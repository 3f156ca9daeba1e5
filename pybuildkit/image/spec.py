"""OCI image types as frozen values: descriptors, manifests, indexes and the image config.

Every type reads with `from_json` (a parsed JSON object, tolerant of fields it does not model, which it keeps in
`extra` so a base image's config survives a round trip) and writes with `to_json`; `to_bytes` gives the canonical
JSON whose sha256 is the content address. Docker's extension fields (Healthcheck, OnBuild, Shell, ArgsEscaped)
sit in `ImageConfig` as Docker and BuildKit write them into OCI configs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pybuildkit.errors import StoreError
from pybuildkit.image import mediatypes
from pybuildkit.image.digest import canonical_json, check_digest, sha256_digest
from pybuildkit.image.platform import Platform

REF_NAME_ANNOTATION: Final = "org.opencontainers.image.ref.name"
CREATED_ANNOTATION: Final = "org.opencontainers.image.created"
BASE_NAME_ANNOTATION: Final = "org.opencontainers.image.base.name"
BASE_DIGEST_ANNOTATION: Final = "org.opencontainers.image.base.digest"

JSON = Any
Pairs = tuple[tuple[str, str], ...]


class InvalidImageError(StoreError):
    """A manifest, index or config that does not read as one."""


def _pairs(value: object, what: str) -> Pairs:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise InvalidImageError(f"{what} must be a JSON object")
    return tuple((str(key), str(item)) for key, item in value.items())


def _strings(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidImageError(f"{what} must be a JSON array")
    return tuple(str(item) for item in value)


def _optional_strings(value: object, what: str) -> tuple[str, ...] | None:
    return None if value is None else _strings(value, what)


def _object(value: object, what: str) -> dict[str, JSON]:
    if not isinstance(value, dict):
        raise InvalidImageError(f"{what} must be a JSON object")
    return value


def _extra(value: Mapping[str, JSON], known: frozenset[str]) -> tuple[tuple[str, JSON], ...]:
    return tuple((key, item) for key, item in sorted(value.items()) if key not in known)


@dataclass(frozen=True, slots=True, kw_only=True)
class Descriptor:
    """A typed pointer to content: media type, digest and size (and, in an index, a platform)."""

    media_type: str
    digest: str
    size: int
    annotations: Pairs = ()
    platform: Platform | None = None
    urls: tuple[str, ...] = ()
    artifact_type: str = ""

    def __post_init__(self) -> None:
        check_digest(self.digest)
        if self.size < 0:
            raise InvalidImageError(f"descriptor {self.digest} has a negative size")

    def annotation(self, key: str) -> str | None:
        return dict(self.annotations).get(key)

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        if self.urls:
            out["urls"] = list(self.urls)
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        return out

    @classmethod
    def from_json(cls, value: object) -> Descriptor:
        obj = _object(value, "a descriptor")
        try:
            size = int(obj["size"])
            digest = str(obj["digest"])
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidImageError(f"a descriptor lacks a valid digest or size: {obj!r}") from error
        platform = obj.get("platform")
        return cls(
            media_type=str(obj.get("mediaType", "")),
            digest=digest,
            size=size,
            annotations=_pairs(obj.get("annotations"), "annotations"),
            platform=Platform.from_json(_object(platform, "platform")) if platform is not None else None,
            urls=_strings(obj.get("urls"), "urls"),
            artifact_type=str(obj.get("artifactType", "")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """An image manifest (OCI, or Docker schema 2 when `media_type` says so)."""

    config: Descriptor
    layers: tuple[Descriptor, ...] = ()
    media_type: str = mediatypes.OCI_MANIFEST
    annotations: Pairs = ()
    subject: Descriptor | None = None
    artifact_type: str = ""

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": self.config.to_json(),
            "layers": [layer.to_json() for layer in self.layers],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.subject is not None:
            out["subject"] = self.subject.to_json()
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, value: object) -> Manifest:
        obj = _object(value, "a manifest")
        if obj.get("schemaVersion") != 2 or "config" not in obj:
            raise InvalidImageError("not an image manifest (schemaVersion 2 with a config)")
        media_type = str(obj.get("mediaType") or mediatypes.OCI_MANIFEST)
        subject = obj.get("subject")
        return cls(
            media_type=media_type,
            config=Descriptor.from_json(obj["config"]),
            layers=tuple(Descriptor.from_json(item) for item in obj.get("layers") or ()),
            annotations=_pairs(obj.get("annotations"), "annotations"),
            subject=Descriptor.from_json(subject) if subject is not None else None,
            artifact_type=str(obj.get("artifactType", "")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Index:
    """An image index (OCI) or manifest list (Docker)."""

    manifests: tuple[Descriptor, ...] = ()
    media_type: str = mediatypes.OCI_INDEX
    annotations: Pairs = ()

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "manifests": [item.to_json() for item in self.manifests],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, value: object) -> Index:
        obj = _object(value, "an index")
        if obj.get("schemaVersion") != 2 or not isinstance(obj.get("manifests", []), list):
            raise InvalidImageError("not an image index (schemaVersion 2 with manifests)")
        return cls(
            media_type=str(obj.get("mediaType") or mediatypes.OCI_INDEX),
            manifests=tuple(Descriptor.from_json(item) for item in obj.get("manifests") or ()),
            annotations=_pairs(obj.get("annotations"), "annotations"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Healthcheck:
    """Docker's HEALTHCHECK (durations in nanoseconds, as Docker stores them). `test=("NONE",)` disables."""

    test: tuple[str, ...]
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"Test": list(self.test)}
        for key, number in (
            ("Interval", self.interval),
            ("Timeout", self.timeout),
            ("StartPeriod", self.start_period),
            ("StartInterval", self.start_interval),
            ("Retries", self.retries),
        ):
            if number:
                out[key] = number
        return out

    @classmethod
    def from_json(cls, value: object) -> Healthcheck:
        obj = _object(value, "Healthcheck")
        return cls(
            test=_strings(obj.get("Test"), "Healthcheck.Test"),
            interval=int(obj.get("Interval") or 0),
            timeout=int(obj.get("Timeout") or 0),
            start_period=int(obj.get("StartPeriod") or 0),
            start_interval=int(obj.get("StartInterval") or 0),
            retries=int(obj.get("Retries") or 0),
        )


_CONFIG_KEYS: Final = frozenset(
    {
        "User",
        "ExposedPorts",
        "Env",
        "Entrypoint",
        "Cmd",
        "Volumes",
        "WorkingDir",
        "Labels",
        "StopSignal",
        "ArgsEscaped",
        "Healthcheck",
        "OnBuild",
        "Shell",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageConfig:
    """The `config` object of an image: how to run it. `None` for Cmd/Entrypoint means unset, `()` empty."""

    user: str = ""
    exposed_ports: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    volumes: tuple[str, ...] = ()
    working_dir: str = ""
    labels: Pairs = ()
    stop_signal: str = ""
    args_escaped: bool = False
    healthcheck: Healthcheck | None = None
    on_build: tuple[str, ...] = ()
    shell: tuple[str, ...] = ()
    extra: tuple[tuple[str, JSON], ...] = field(default=(), compare=False)

    def env_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in self.env:
            key, _, value = item.partition("=")
            out[key] = value
        return out

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = dict(self.extra)
        if self.user:
            out["User"] = self.user
        if self.exposed_ports:
            out["ExposedPorts"] = {port: {} for port in self.exposed_ports}
        if self.env:
            out["Env"] = list(self.env)
        if self.entrypoint is not None:
            out["Entrypoint"] = list(self.entrypoint)
        if self.cmd is not None:
            out["Cmd"] = list(self.cmd)
        if self.volumes:
            out["Volumes"] = {volume: {} for volume in self.volumes}
        if self.working_dir:
            out["WorkingDir"] = self.working_dir
        if self.labels:
            out["Labels"] = dict(self.labels)
        if self.stop_signal:
            out["StopSignal"] = self.stop_signal
        if self.args_escaped:
            out["ArgsEscaped"] = True
        if self.healthcheck is not None:
            out["Healthcheck"] = self.healthcheck.to_json()
        if self.on_build:
            out["OnBuild"] = list(self.on_build)
        if self.shell:
            out["Shell"] = list(self.shell)
        return out

    @classmethod
    def from_json(cls, value: object) -> ImageConfig:
        if value is None:
            return cls()
        obj = _object(value, "config")
        health = obj.get("Healthcheck")
        return cls(
            user=str(obj.get("User") or ""),
            exposed_ports=tuple(sorted(_object(obj.get("ExposedPorts") or {}, "ExposedPorts"))),
            env=_strings(obj.get("Env"), "Env"),
            entrypoint=_optional_strings(obj.get("Entrypoint"), "Entrypoint"),
            cmd=_optional_strings(obj.get("Cmd"), "Cmd"),
            volumes=tuple(sorted(_object(obj.get("Volumes") or {}, "Volumes"))),
            working_dir=str(obj.get("WorkingDir") or ""),
            labels=_pairs(obj.get("Labels"), "Labels"),
            stop_signal=str(obj.get("StopSignal") or ""),
            args_escaped=bool(obj.get("ArgsEscaped")),
            healthcheck=Healthcheck.from_json(health) if health else None,
            on_build=_strings(obj.get("OnBuild"), "OnBuild"),
            shell=_strings(obj.get("Shell"), "Shell"),
            extra=_extra(obj, _CONFIG_KEYS),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """One history entry; `empty_layer` marks a step that made no layer (ENV, CMD, ...)."""

    created: str = ""
    created_by: str = ""
    author: str = ""
    comment: str = ""
    empty_layer: bool = False

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {}
        if self.created:
            out["created"] = self.created
        if self.created_by:
            out["created_by"] = self.created_by
        if self.author:
            out["author"] = self.author
        if self.comment:
            out["comment"] = self.comment
        if self.empty_layer:
            out["empty_layer"] = True
        return out

    @classmethod
    def from_json(cls, value: object) -> History:
        obj = _object(value, "history entry")
        return cls(
            created=str(obj.get("created") or ""),
            created_by=str(obj.get("created_by") or ""),
            author=str(obj.get("author") or ""),
            comment=str(obj.get("comment") or ""),
            empty_layer=bool(obj.get("empty_layer")),
        )


_IMAGE_KEYS: Final = frozenset(
    {
        "created",
        "author",
        "architecture",
        "os",
        "os.version",
        "os.features",
        "variant",
        "config",
        "rootfs",
        "history",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """The image configuration blob: platform, run config, the layers' diff_ids and the history."""

    architecture: str
    os: str
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = ()
    created: str = ""
    author: str = ""
    config: ImageConfig = ImageConfig()
    diff_ids: tuple[str, ...] = ()
    history: tuple[History, ...] = ()
    extra: tuple[tuple[str, JSON], ...] = field(default=(), compare=False)

    @property
    def platform(self) -> Platform:
        return Platform(
            os=self.os,
            architecture=self.architecture,
            variant=self.variant,
            os_version=self.os_version,
            os_features=self.os_features,
        )

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = dict(self.extra)
        out["architecture"] = self.architecture
        out["os"] = self.os
        if self.variant:
            out["variant"] = self.variant
        if self.os_version:
            out["os.version"] = self.os_version
        if self.os_features:
            out["os.features"] = list(self.os_features)
        if self.created:
            out["created"] = self.created
        if self.author:
            out["author"] = self.author
        out["config"] = self.config.to_json()
        out["rootfs"] = {"type": "layers", "diff_ids": list(self.diff_ids)}
        if self.history:
            out["history"] = [entry.to_json() for entry in self.history]
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, value: object) -> Image:
        obj = _object(value, "an image config")
        rootfs = _object(obj.get("rootfs") or {"type": "layers", "diff_ids": []}, "rootfs")
        return cls(
            architecture=str(obj.get("architecture") or ""),
            os=str(obj.get("os") or ""),
            variant=str(obj.get("variant") or ""),
            os_version=str(obj.get("os.version") or ""),
            os_features=_strings(obj.get("os.features"), "os.features"),
            created=str(obj.get("created") or ""),
            author=str(obj.get("author") or ""),
            config=ImageConfig.from_json(obj.get("config")),
            diff_ids=tuple(check_digest(str(item)) for item in rootfs.get("diff_ids") or ()),
            history=tuple(History.from_json(item) for item in obj.get("history") or ()),
            extra=_extra(obj, _IMAGE_KEYS),
        )


def descriptor_for(data: bytes, media_type: str, **kwargs: Any) -> Descriptor:
    """The descriptor of some bytes (a config or manifest about to be stored)."""
    return Descriptor(media_type=media_type, digest=sha256_digest(data), size=len(data), **kwargs)
