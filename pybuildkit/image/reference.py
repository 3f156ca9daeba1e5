"""Image references, `[registry[:port]/]repository[:tag][@digest]`, read with Docker's rules.

`app` is `docker.io/library/app:latest`; `localhost/app`, `example.com/app` and `host:5000/app` name a registry;
`Library/app` is an error (repositories are lowercase) while `Example.com/app` is a registry. The local store
keys images by the familiar form (`app:latest`, `ghcr.io/o/app:1`), so `docker.io/library/app` and `app` are one
image; the registry client uses `domain` and `path`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final

from pybuildkit.errors import PyBuildKitError

DEFAULT_DOMAIN: Final = "docker.io"
LEGACY_DEFAULT_DOMAIN: Final = "index.docker.io"
OFFICIAL_PREFIX: Final = "library/"
DEFAULT_TAG: Final = "latest"
NAME_TOTAL_LENGTH_MAX: Final = 255

_ALNUM: Final = r"[a-z0-9]+"
_SEPARATOR: Final = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT: Final = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_PATH: Final = re.compile(rf"^{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*$")
_DOMAIN_COMPONENT: Final = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST: Final = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN: Final = re.compile(rf"^{_HOST}(?::[0-9]+)?$")
_TAG: Final = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST: Final = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_IMAGE_ID: Final = re.compile(r"^[a-f0-9]{64}$")


class InvalidReferenceError(PyBuildKitError):
    """A string that is not an image reference."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """A parsed, normalised image reference. `str()` is the full form, `familiar()` the short one."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str, *, default_tag: bool = True) -> Reference:
        """Parse and normalise; with `default_tag`, a reference with neither tag nor digest gets `latest`."""
        if not text:
            raise InvalidReferenceError("invalid reference: empty name")
        if _IMAGE_ID.match(text):
            raise InvalidReferenceError(
                f"invalid reference {text!r}: a 64-hex-digit name looks like an image ID",
                hint="refer to an image by digest as name@sha256:<hex>",
            )
        rest, digest = text, None
        if "@" in rest:
            rest, digest = rest.split("@", 1)
            if not _DIGEST.match(digest):
                raise InvalidReferenceError(f"invalid reference {text!r}: bad digest {digest!r}")
        tag = None
        slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > slash:
            rest, tag = rest[:colon], rest[colon + 1 :]
            if not _TAG.match(tag):
                raise InvalidReferenceError(
                    f"invalid reference {text!r}: bad tag {tag!r}",
                    hint="a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'",
                )
        domain, path = _split_domain(rest)
        if not _DOMAIN.match(domain):
            raise InvalidReferenceError(f"invalid reference {text!r}: bad registry name {domain!r}")
        path_hint = (
            "a repository is lowercase letters, digits and separators ('.', '_', '__', '-') between '/'"
        )
        if path != path.lower():
            # Suggest the name as the user wrote it, lowercased, only when that would be valid.
            suggestion = text[: len(rest)].lower() + text[len(rest) :]
            raise InvalidReferenceError(
                f"invalid reference {text!r}: repository name must be lowercase",
                hint=f"use {suggestion!r}" if _PATH.match(path.lower()) else path_hint,
            )
        if not _PATH.match(path):
            raise InvalidReferenceError(f"invalid reference format {text!r}", hint=path_hint)
        if len(domain) + 1 + len(path) > NAME_TOTAL_LENGTH_MAX:
            raise InvalidReferenceError(f"invalid reference {text!r}: name longer than 255 characters")
        if default_tag and tag is None and digest is None:
            tag = DEFAULT_TAG
        return cls(domain=domain, path=path, tag=tag, digest=digest)

    @property
    def name(self) -> str:
        """`docker.io/library/app`."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """`app` for `docker.io/library/app`, `o/app` for `docker.io/o/app`, else the full name."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        path = self.path
        if path.startswith(OFFICIAL_PREFIX) and path.count("/") == 1:
            path = path[len(OFFICIAL_PREFIX) :]
        return path

    def familiar(self) -> str:
        """The short form Docker prints: `app:latest`, `ghcr.io/o/app:1@sha256:...`."""
        return self.familiar_name + self._suffix()

    def with_tag(self, tag: str) -> Reference:
        if not _TAG.match(tag):
            raise InvalidReferenceError(f"invalid tag {tag!r}")
        return replace(self, tag=tag)

    def with_digest(self, digest: str | None) -> Reference:
        return replace(self, digest=digest)

    def _suffix(self) -> str:
        suffix = f":{self.tag}" if self.tag is not None else ""
        return suffix + (f"@{self.digest}" if self.digest is not None else "")

    def __str__(self) -> str:
        return self.name + self._suffix()


def _split_domain(name: str) -> tuple[str, str]:
    slash = name.find("/")
    first = name[:slash] if slash >= 0 else ""
    if slash < 0 or (
        "." not in first and ":" not in first and first != "localhost" and first.lower() == first
    ):
        domain, path = DEFAULT_DOMAIN, name
    else:
        domain, path = first, name[slash + 1 :]
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    return domain, path


def local_name(text: str) -> str:
    """The key the local store files an image under: the familiar name with a tag (`app` → `app:latest`)."""
    ref = Reference.parse(text)
    if ref.tag is None:
        # name@digest only: the store keys tags, so keep the digest form as the key.
        return ref.familiar()
    return ref.familiar_name + f":{ref.tag}"
