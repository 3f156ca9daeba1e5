"""OCI types: JSON round trips, canonical JSON, what a config keeps from a foreign image."""

from __future__ import annotations

import json

import pytest

from pybuildkit.image import mediatypes
from pybuildkit.image.digest import InvalidDigestError, canonical_json, check_digest, sha256_digest
from pybuildkit.image.spec import (
    Descriptor,
    Healthcheck,
    History,
    Image,
    ImageConfig,
    Index,
    InvalidImageError,
    Manifest,
)

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def test_canonical_json_sorts_compacts_and_escapes_like_go() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": None, "c": "x"}]}) == b'{"a":[1,{"c":"x","d":null}],"b":1}'
    assert canonical_json({"cmd": "a && b > c < d"}) == b'{"cmd":"a \\u0026\\u0026 b \\u003e c \\u003c d"}'
    assert canonical_json({"k": "é\u2028"}) == '{"k":"é\\u2028"}'.encode()
    assert json.loads(canonical_json({"cmd": "a && b"})) == {"cmd": "a && b"}


@pytest.mark.parametrize(
    "text",
    ["sha256:" + "A" * 64, "sha256:" + "1" * 63, "md5:" + "1" * 64, "sha256:../../etc/passwd", "1" * 64],
    ids=["upper", "short", "algorithm", "traversal", "no-algorithm"],
)
def test_bad_digests_are_refused(text: str) -> None:
    with pytest.raises(InvalidDigestError):
        check_digest(text)


def test_descriptor_checks_digest_and_size() -> None:
    with pytest.raises(InvalidDigestError):
        Descriptor(media_type=mediatypes.OCI_CONFIG, digest="sha256:nope", size=1)
    with pytest.raises(InvalidImageError):
        Descriptor(media_type=mediatypes.OCI_CONFIG, digest=D1, size=-1)
    with pytest.raises(InvalidImageError):
        Descriptor.from_json({"mediaType": "x", "digest": D1})


def test_full_config_round_trip() -> None:
    config = ImageConfig(
        user="app:app",
        exposed_ports=("443/tcp", "80/tcp"),
        env=("PATH=/usr/bin:/bin", "A=b=c"),
        entrypoint=("/bin/sh", "-c"),
        cmd=(),
        volumes=("/data",),
        working_dir="/srv",
        labels=(("a", "1"), ("b", "2")),
        stop_signal="SIGTERM",
        args_escaped=True,
        healthcheck=Healthcheck(test=("CMD-SHELL", "true"), interval=30_000_000_000, retries=3),
        on_build=("RUN echo hi",),
        shell=("/bin/bash", "-c"),
    )
    image = Image(
        architecture="arm",
        os="linux",
        variant="v7",
        created="2024-01-01T00:00:00Z",
        config=config,
        diff_ids=(D1, D2),
        history=(History(created_by="ADD rootfs /"), History(created_by="ENV A=b=c", empty_layer=True)),
    )
    value = json.loads(image.to_bytes())
    assert value["config"]["ExposedPorts"] == {"443/tcp": {}, "80/tcp": {}}
    assert value["config"]["Cmd"] == []
    assert value["config"]["Healthcheck"] == {
        "Test": ["CMD-SHELL", "true"],
        "Interval": 30_000_000_000,
        "Retries": 3,
    }
    assert value["rootfs"] == {"type": "layers", "diff_ids": [D1, D2]}
    assert value["history"][1] == {"created_by": "ENV A=b=c", "empty_layer": True}
    again = Image.from_json(value)
    assert again == image
    assert again.to_bytes() == image.to_bytes()
    assert config.env_dict() == {"PATH": "/usr/bin:/bin", "A": "b=c"}


def test_unset_and_empty_cmd_differ() -> None:
    assert "Cmd" not in ImageConfig().to_json()
    assert ImageConfig(cmd=()).to_json() == {"Cmd": []}
    assert ImageConfig.from_json({"Cmd": None}).cmd is None
    assert ImageConfig.from_json({"Cmd": []}).cmd == ()


def test_foreign_fields_survive_a_round_trip() -> None:
    docker_config = {
        "architecture": "amd64",
        "os": "linux",
        "docker_version": "24.0.7",
        "container_config": {"Hostname": "x"},
        "config": {"Hostname": "", "Env": ["A=1"], "OnBuild": None, "Domainname": ""},
        "rootfs": {"type": "layers", "diff_ids": [D1]},
    }
    image = Image.from_json(docker_config)
    value = image.to_json()
    assert value["docker_version"] == "24.0.7"
    assert value["container_config"] == {"Hostname": "x"}
    assert value["config"] == {"Hostname": "", "Domainname": "", "Env": ["A=1"]}


def test_manifest_and_index_round_trip() -> None:
    config = Descriptor(media_type=mediatypes.OCI_CONFIG, digest=D1, size=10)
    layer = Descriptor(media_type=mediatypes.OCI_LAYER_GZIP, digest=D2, size=20, annotations=(("k", "v"),))
    manifest = Manifest(config=config, layers=(layer,))
    value = json.loads(manifest.to_bytes())
    assert value["schemaVersion"] == 2
    assert value["layers"][0]["annotations"] == {"k": "v"}
    assert Manifest.from_json(value) == manifest
    entry = Descriptor(media_type=mediatypes.OCI_MANIFEST, digest=sha256_digest(manifest.to_bytes()), size=5)
    index = Index(manifests=(entry,), annotations=(("x", "y"),))
    assert Index.from_json(json.loads(index.to_bytes())) == index
    with pytest.raises(InvalidImageError):
        Manifest.from_json({"schemaVersion": 1})
    with pytest.raises(InvalidImageError):
        Index.from_json({"schemaVersion": 2, "manifests": {}})


@pytest.mark.parametrize(
    ("oci", "docker"),
    [
        (mediatypes.OCI_MANIFEST, mediatypes.DOCKER_MANIFEST),
        (mediatypes.OCI_INDEX, mediatypes.DOCKER_MANIFEST_LIST),
        (mediatypes.OCI_CONFIG, mediatypes.DOCKER_CONFIG),
        (mediatypes.OCI_LAYER_GZIP, mediatypes.DOCKER_LAYER_GZIP),
        (mediatypes.OCI_LAYER_ZSTD, mediatypes.DOCKER_LAYER_ZSTD),
    ],
    ids=["manifest", "index", "config", "gzip", "zstd"],
)
def test_media_type_twins(oci: str, docker: str) -> None:
    assert mediatypes.to_docker(oci) == docker
    assert mediatypes.to_oci(docker) == oci
