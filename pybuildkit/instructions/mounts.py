"""`RUN --mount=type=bind|cache|tmpfs|secret|ssh,key=value,...` as typed mounts, with BuildKit's rules.

BuildKit reads a mount twice: when the instruction is parsed it only checks `from` (no variables there);
when the RUN is dispatched it expands every value against the stage's variables and validates the whole
mount. `parse_mount(spec, expand)` is that second reading; `parse_mount(spec, None)` the first one.
`preview_mount` gives a parse-time typed mount where the text allows it (see `Mount.resolved`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pybuildkit.errors import InstructionError
from pybuildkit.instructions.suggest import did_you_mean

Expander = Callable[[str], str]


class MountType(StrEnum):
    BIND = "bind"
    CACHE = "cache"
    TMPFS = "tmpfs"
    SECRET = "secret"
    SSH = "ssh"


class ShareMode(StrEnum):
    SHARED = "shared"
    PRIVATE = "private"
    LOCKED = "locked"


_ALL_KEYS = (
    "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size", "mode",
    "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Mount:
    """One `--mount`; defaults are BuildKit's (a bind mount, read-only unless cache or tmpfs)."""

    spec: str  # the flag value as written
    type: MountType = MountType.BIND
    from_: str = ""  # a stage name or an image; "" = the build context (cache: an empty dir)
    source: str = ""
    target: str = ""
    read_only: bool = True
    size_limit: int = 0  # tmpfs bytes, 0 = no limit
    cache_id: str = ""  # `id=`
    sharing: ShareMode | None = None
    required: bool = False
    env: str | None = None  # secret: expose as this environment variable
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    resolved: bool = True  # False: only `from` is known (values still hold variables)

    @property
    def effective_cache_id(self) -> str:
        """The cache key of a cache mount: `id`, else the cleaned target."""
        return self.cache_id or posixpath.normpath(self.target or ".")

    @property
    def effective_sharing(self) -> ShareMode:
        return self.sharing or ShareMode.SHARED

    @property
    def secret_id(self) -> str:
        """The secret's id: `source`, else `id`, else the target's base name."""
        return self.source or self.cache_id or posixpath.basename(self.target)

    @property
    def secret_target(self) -> str | None:
        """Where the secret file appears (None: only as the `env` variable)."""
        if self.target:
            return self.target
        if self.env is not None:
            return None
        return "/run/secrets/" + posixpath.basename(self.secret_id)

    @property
    def ssh_id(self) -> str:
        return self.cache_id or "default"

    @property
    def file_mode(self) -> int:
        """The mode of a secret file (0400) or an ssh socket (0600) unless `mode` says otherwise."""
        if self.mode is not None:
            return self.mode
        return 0o600 if self.type is MountType.SSH else 0o400


def split_csv(text: str, what: str = "mounts") -> list[str]:
    """One CSV record (Go encoding/csv rules: quoted fields, `""` inside quotes)."""
    fields: list[str] = []
    i = 0
    n = len(text)
    while True:
        if i < n and text[i] == '"':
            i += 1
            buf: list[str] = []
            while True:
                if i >= n:
                    raise InstructionError(
                        f'failed to parse csv {what}: extraneous or missing " in quoted-field'
                    )
                if text[i] == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        buf.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(text[i])
                i += 1
            if i < n and text[i] != ",":
                raise InstructionError(f'failed to parse csv {what}: extraneous or missing " in quoted-field')
            fields.append("".join(buf))
        else:
            end = text.find(",", i)
            end = n if end == -1 else end
            field = text[i:end]
            if '"' in field:
                raise InstructionError(f'failed to parse csv {what}: bare " in non-quoted-field')
            fields.append(field)
            i = end
        if i >= n:
            return fields
        i += 1  # the comma


_GO_BOOL = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
            "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}  # fmt: skip
_RAM = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")


def parse_go_bool(text: str) -> bool | None:
    """Go's `strconv.ParseBool`; None when not a boolean."""
    return _GO_BOOL.get(text)


def ram_in_bytes(text: str) -> int | None:
    """docker/go-units `RAMInBytes` (binary multiples: 1k = 1024); None when invalid."""
    match = _RAM.match(text)
    if match is None:
        return None
    try:
        number = float(match.group(1))
    except ValueError:
        return None
    power = " kmgtp".index(match.group(2).lower()) if match.group(2) else 0
    return int(number * 1024**power)


def _parse_uint(text: str, base: int) -> int | None:
    if not text or not all(c in "0123456789abcdef"[:base] for c in text.lower()):
        return None
    value = int(text, base)
    return value if value < 1 << 32 else None


def parse_mount(spec: str, expand: Expander | None) -> Mount:
    """Parse one `--mount` value as BuildKit's `parseMount`; with `expand` None only `from` is read."""
    fields = split_csv(spec)
    kind = MountType.BIND
    values: dict[str, object] = {}
    read_only: bool | None = None  # None: BuildKit's "roAuto"
    required = False
    for field in fields:
        key, sep, value = field.partition("=")
        key = key.lower()
        if not sep:
            if expand is None:
                continue
            if key in ("readonly", "ro"):
                read_only = True
            elif key in ("readwrite", "rw"):
                read_only = False
            elif key == "required":
                if kind not in (MountType.SECRET, MountType.SSH):
                    raise InstructionError(
                        f"unexpected key '{key}' for mount type '{kind}'", hint=_REQUIRED_HINT
                    )
                required = True
            else:
                raise InstructionError(
                    f"invalid field '{field}' must be a key=value pair",
                    hint="write --mount=type=cache,target=/path",
                )
            continue
        if expand is not None:
            value = expand(value)
        elif key == "from":
            index = value.find("$")
            if index not in (-1, len(value) - 1):
                raise InstructionError(
                    f"'{key}' doesn't support variable expansion, define alias stage instead"
                )
        else:
            continue
        match key:
            case "type":
                try:
                    kind = MountType(value.lower())
                except ValueError:
                    raise InstructionError(
                        f'unsupported mount type "{value}"',
                        hint=did_you_mean(value, [t.value for t in MountType])
                        or "the mount types are bind, cache, tmpfs, secret and ssh",
                    ) from None
            case "from":
                values["from_"] = value
            case "source" | "src":
                values["source"] = value
            case "target" | "dst" | "destination":
                values["target"] = value
            case "readonly" | "ro" | "readwrite" | "rw":
                flag = parse_go_bool(value)
                if flag is None:
                    raise InstructionError(f"invalid value for {key}: {value}")
                read_only = flag if key in ("readonly", "ro") else not flag
            case "required":
                if kind not in (MountType.SECRET, MountType.SSH):
                    raise InstructionError(
                        f"unexpected key '{key}' for mount type '{kind}'", hint=_REQUIRED_HINT
                    )
                flag = parse_go_bool(value)
                if flag is None:
                    raise InstructionError(f"invalid value for {key}: {value}")
                required = flag
            case "size":
                if kind is not MountType.TMPFS:
                    raise InstructionError(
                        f"unexpected key '{key}' for mount type '{kind}'",
                        hint="size is for type=tmpfs mounts",
                    )
                size = ram_in_bytes(value)
                if size is None:
                    raise InstructionError(
                        f"invalid value for {key}: {value}", hint="write a size such as 64m or 1g"
                    )
                values["size_limit"] = size
            case "id":
                values["cache_id"] = value
            case "sharing":
                try:
                    values["sharing"] = ShareMode(value.lower())
                except ValueError:
                    raise InstructionError(
                        f'unsupported sharing value "{value}"',
                        hint=did_you_mean(value, [m.value for m in ShareMode])
                        or "sharing is shared, private or locked",
                    ) from None
            case "mode" | "uid" | "gid":
                number = _parse_uint(value, 8 if key == "mode" else 10)
                if number is None:
                    raise InstructionError(
                        f"invalid value {value} for {key}",
                        hint="mode is octal (0755); uid and gid are numbers"
                        if key == "mode"
                        else f"{key} is a number",
                    )
                values[key] = number
            case "env":
                values["env"] = value
            case _:
                raise InstructionError(
                    f"unexpected key '{key}' in '{field}'", hint=did_you_mean(key, _ALL_KEYS)
                )
    mount = Mount(
        spec=spec,
        type=kind,
        read_only=(kind not in (MountType.CACHE, MountType.TMPFS)) if read_only is None else read_only,
        required=required,
        resolved=expand is not None,
        **values,  # type: ignore[arg-type]
    )
    _validate(mount)
    return mount


_REQUIRED_HINT = "required is for secret and ssh mounts"


def _validate(m: Mount) -> None:
    if m.type not in (MountType.SECRET, MountType.SSH, MountType.CACHE):
        for name, value in (("mode", m.mode), ("uid", m.uid), ("gid", m.gid)):
            if value is not None:
                raise InstructionError(
                    f'{name} not allowed for "{m.type}" type mounts',
                    hint=f"{name} is for secret, ssh and cache mounts",
                )
    if m.type is MountType.SECRET:
        if m.from_:
            raise InstructionError(
                "secret mount should not have a from", hint="remove from= from the secret mount"
            )
        if m.sharing is not None:
            raise InstructionError("secret mount should not define sharing")
        if not m.source and not m.target and not m.cache_id:
            raise InstructionError(
                "invalid secret mount. one of source, target required",
                hint="write --mount=type=secret,id=<id> or --mount=type=secret,target=/path",
            )
        if m.source and m.cache_id:
            raise InstructionError("both source and id can't be set")
    if m.sharing is not None and m.type is not MountType.CACHE:
        raise InstructionError(
            f"invalid cache sharing set for {m.type} mount", hint="sharing= is for type=cache mounts"
        )
    if m.resolved and m.type is MountType.SSH and m.source:
        raise InstructionError("ssh does not support source")  # BuildKit: dispatchSSH


def preview_mount(spec: str) -> Mount:
    """The parse-time view: BuildKit's lenient first reading, typed in full when the text is literal.

    Errors other than a variable in `from` wait for the dispatch (BuildKit reports them only for
    stages it builds), so a value with `$` or one that fails validation gives an unresolved mount.
    """
    deferred = parse_mount(spec, None)
    if "$" in spec:
        return deferred
    try:
        return parse_mount(spec, lambda value: value)
    except InstructionError:
        return deferred
