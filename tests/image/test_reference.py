"""Image references read with Docker's rules (distribution/reference's normalisation)."""

from __future__ import annotations

import pytest

from pybuildkit.image.reference import InvalidReferenceError, Reference, local_name

# text, full string, familiar string
VALID = [
    ("app", "docker.io/library/app:latest", "app:latest"),
    ("app:1.0", "docker.io/library/app:1.0", "app:1.0"),
    ("user/app", "docker.io/user/app:latest", "user/app:latest"),
    ("docker.io/library/app", "docker.io/library/app:latest", "app:latest"),
    ("index.docker.io/library/app:2", "docker.io/library/app:2", "app:2"),
    ("docker.io/app", "docker.io/library/app:latest", "app:latest"),
    ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
    ("localhost:5000/app:tag", "localhost:5000/app:tag", "localhost:5000/app:tag"),
    ("127.0.0.1:5000/a/b/c", "127.0.0.1:5000/a/b/c:latest", "127.0.0.1:5000/a/b/c:latest"),
    ("ghcr.io/o/app:v1", "ghcr.io/o/app:v1", "ghcr.io/o/app:v1"),
    ("Example.com/app", "Example.com/app:latest", "Example.com/app:latest"),
    ("Library/app", "Library/app:latest", "Library/app:latest"),
    ("[::1]:5000/app", "[::1]:5000/app:latest", "[::1]:5000/app:latest"),
    ("a__b/c-d.e_f", "docker.io/a__b/c-d.e_f:latest", "a__b/c-d.e_f:latest"),
    ("a---b", "docker.io/library/a---b:latest", "a---b:latest"),
    ("app@sha256:" + "a" * 64, "docker.io/library/app@sha256:" + "a" * 64, "app@sha256:" + "a" * 64),
    ("app:1@sha256:" + "b" * 64, "docker.io/library/app:1@sha256:" + "b" * 64, "app:1@sha256:" + "b" * 64),
    (
        "host:5000/app@sha256:" + "c" * 64,
        "host:5000/app@sha256:" + "c" * 64,
        "host:5000/app@sha256:" + "c" * 64,
    ),
]


@pytest.mark.parametrize(("text", "full", "familiar"), VALID, ids=[row[0][:40] for row in VALID])
def test_parse_normalises_like_docker(text: str, full: str, familiar: str) -> None:
    ref = Reference.parse(text)
    assert str(ref) == full
    assert ref.familiar() == familiar
    assert Reference.parse(full) == ref


INVALID = [
    ("", "empty"),
    ("library/App", "lowercase"),
    ("APP", "lowercase"),
    ("app:", "bad tag"),
    ("app:-x", "bad tag"),
    ("app:" + "t" * 129, "bad tag"),
    ("a" * 64, "image ID"),
    ("app@sha256:xyz", "bad digest"),
    ("app/", "format"),
    ("/app", "format"),
    ("a//b", "format"),
    ("app_", "format"),
    ("-app", "format"),
    ("host:port/app", "bad registry"),
    ("a/" + "b" * 260, "255"),
]


@pytest.mark.parametrize(("text", "message"), INVALID, ids=[row[0][:20] or "empty" for row in INVALID])
def test_invalid_references_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidReferenceError, match=message):
        Reference.parse(text)


def test_no_default_tag_on_request() -> None:
    assert Reference.parse("app", default_tag=False).tag is None
    assert Reference.parse("app", default_tag=False).familiar() == "app"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("app", "app:latest"),
        ("docker.io/library/app", "app:latest"),
        ("docker.io/me/app:2", "me/app:2"),
        ("ghcr.io/o/app", "ghcr.io/o/app:latest"),
        ("app:1@sha256:" + "d" * 64, "app:1"),
    ],
    ids=["short", "long", "user", "registry", "tag-and-digest"],
)
def test_local_name_is_the_familiar_tagged_name(text: str, key: str) -> None:
    assert local_name(text) == key


def test_with_tag_and_digest() -> None:
    ref = Reference.parse("app").with_tag("2").with_digest("sha256:" + "e" * 64)
    assert ref.familiar() == "app:2@sha256:" + "e" * 64
    with pytest.raises(InvalidReferenceError):
        ref.with_tag("-bad")
