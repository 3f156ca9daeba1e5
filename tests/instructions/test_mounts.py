"""`RUN --mount` values: BuildKit's defaults, keys and validation errors (commands_runmount.go)."""

from __future__ import annotations

import pytest

from pybuildkit.errors import InstructionError
from pybuildkit.instructions import Mount, MountType, ShareMode, parse_mount
from pybuildkit.instructions.mounts import preview_mount, ram_in_bytes, split_csv


def literal(spec: str) -> Mount:
    return parse_mount(spec, lambda value: value)


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        ("target=/src", {"type": MountType.BIND, "target": "/src", "read_only": True}),
        ("type=bind,src=a,dst=/b,rw", {"source": "a", "target": "/b", "read_only": False}),
        ("type=bind,source=a,destination=/b,readwrite=true", {"read_only": False}),
        ("type=bind,target=/b,ro=false", {"read_only": False}),
        ("type=cache,target=/root/.cache", {"type": MountType.CACHE, "read_only": False, "sharing": None}),
        ("type=cache,target=/c,sharing=LOCKED,id=go,mode=0700,uid=1000,gid=1000",
         {"sharing": ShareMode.LOCKED, "cache_id": "go", "mode": 0o700, "uid": 1000, "gid": 1000}),
        ("type=cache,target=/c,readonly", {"read_only": True}),
        ("type=tmpfs,target=/t,size=64m", {"type": MountType.TMPFS, "size_limit": 64 << 20, "read_only": False}),
        ("type=secret,id=aws", {"type": MountType.SECRET, "cache_id": "aws", "read_only": True, "required": False}),
        ("type=secret,id=tok,env=TOKEN,required", {"env": "TOKEN", "required": True}),
        ("type=ssh", {"type": MountType.SSH, "read_only": True}),
        ("type=ssh,id=github,required=true,mode=0666", {"required": True, "mode": 0o666}),
        ("type=bind,from=build,source=/out,target=/in", {"from_": "build", "source": "/out"}),
        ('"type=bind",target=/a', {"type": MountType.BIND, "target": "/a"}),
        ("TYPE=Cache,Target=/c", {"type": MountType.CACHE, "target": "/c"}),
    ],
)  # fmt: skip
def test_mount_fields(spec: str, fields: dict[str, object]) -> None:
    mount = literal(spec)
    for name, value in fields.items():
        assert getattr(mount, name) == value, name


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("type=volume", 'unsupported mount type "volume"'),
        ("type=cache,sharing=everyone,target=/c", 'unsupported sharing value "everyone"'),
        ("type=bind,size=1m", "unexpected key 'size' for mount type 'bind'"),
        ("type=bind,required", "unexpected key 'required' for mount type 'bind'"),
        ("type=cache,required=true", "unexpected key 'required' for mount type 'cache'"),
        ("type=bind,target", "invalid field 'target' must be a key=value pair"),
        ("type=bind,ro=maybe", "invalid value for ro: maybe"),
        ("type=tmpfs,size=big", "invalid value for size: big"),
        ("type=cache,target=/c,mode=999", "invalid value 999 for mode"),
        ("type=cache,target=/c,uid=-1", "invalid value -1 for uid"),
        ("type=bind,target=/c,uid=1", 'uid not allowed for "bind" type mounts'),
        ("type=tmpfs,target=/c,mode=0700", 'mode not allowed for "tmpfs" type mounts'),
        ("type=secret", "invalid secret mount. one of source, target required"),
        ("type=secret,id=a,from=b", "secret mount should not have a from"),
        ("type=secret,id=a,sharing=shared", "secret mount should not define sharing"),
        ("type=secret,id=a,source=b", "both source and id can't be set"),
        ("type=bind,target=/a,sharing=locked", "invalid cache sharing set for bind mount"),
        ("type=bind,tagret=/a", "unexpected key 'tagret' in 'tagret=/a'"),
        ("type=ssh,source=x", "ssh does not support source"),
        ('"type=bind', 'failed to parse csv mounts: extraneous or missing " in quoted-field'),
        ('type=bi"nd', 'failed to parse csv mounts: bare " in non-quoted-field'),
    ],
)
def test_mount_errors(spec: str, message: str) -> None:
    with pytest.raises(InstructionError) as caught:
        literal(spec)
    assert caught.value.message == message


def test_mount_suggestions() -> None:
    with pytest.raises(InstructionError) as caught:
        literal("type=cahce")
    assert caught.value.hint == "did you mean cache?"
    with pytest.raises(InstructionError) as caught:
        literal("type=bind,tagret=/a")
    assert caught.value.hint == "did you mean target?"


def test_parse_time_reading_only_checks_from() -> None:
    # BuildKit's first reading (no expander) skips every other key.
    deferred = parse_mount("type=volume,from=build,target=$X", None)
    assert (deferred.type, deferred.from_, deferred.target, deferred.resolved) == (
        MountType.BIND,
        "build",
        "",
        False,
    )
    assert parse_mount("from=abc$", None).from_ == "abc$"  # a trailing `$` is no variable


def test_preview_mount() -> None:
    assert preview_mount("type=cache,target=/c").resolved
    assert not preview_mount("type=cache,target=$DIR").resolved
    assert not preview_mount("type=volume").resolved  # the error waits for the dispatch


def test_expander_sees_values_only() -> None:
    seen: list[str] = []

    def expand(value: str) -> str:
        seen.append(value)
        return value.replace("$T", "cache")

    mount = parse_mount("type=$T,target=/c,ro", expand)
    assert mount.type is MountType.CACHE and mount.read_only
    assert seen == ["$T", "/c"]


@pytest.mark.parametrize(
    ("spec", "cache_id", "secret_id", "secret_target"),
    [
        ("type=cache,target=/root/.cache/../go/", "/root/go", "", None),
        ("type=secret,id=aws", "aws", "aws", "/run/secrets/aws"),
        ("type=secret,target=/etc/tok", "", "tok", "/etc/tok"),
        ("type=secret,id=tok,env=TOKEN", "tok", "tok", None),
    ],
)
def test_mount_defaults(spec: str, cache_id: str, secret_id: str, secret_target: str | None) -> None:
    mount = literal(spec)
    if mount.type is MountType.CACHE:
        assert mount.effective_cache_id == cache_id
    else:
        assert mount.secret_id == secret_id
        assert mount.secret_target == secret_target
        assert mount.file_mode == 0o400


def test_ssh_defaults() -> None:
    mount = literal("type=ssh")
    assert (mount.ssh_id, mount.file_mode) == ("default", 0o600)


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("a,b", ["a", "b"]),
        ('"a,b",c', ["a,b", "c"]),
        ('"say ""hi"""', ['say "hi"']),
        ("", [""]),
        ("a,", ["a", ""]),
    ],
)
def test_split_csv(text: str, fields: list[str]) -> None:
    assert split_csv(text) == fields


@pytest.mark.parametrize(
    ("text", "size"),
    [("64", 64), ("1k", 1024), ("1KiB", 1024), ("2 mb", 2 << 20), ("1.5g", 3 << 29), ("x", None)],
)
def test_ram_in_bytes(text: str, size: int | None) -> None:
    assert ram_in_bytes(text) == size
