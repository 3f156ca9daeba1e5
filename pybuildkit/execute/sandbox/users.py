"""Docker's `USER` resolution against an image's /etc/passwd and /etc/group (pure: text in, ids out).

Follows runc's rules (libcontainer/user `GetExecUser`), which BuildKit uses for RUN and `COPY --chown`:
a name must exist in passwd; a number need not; the primary group comes from the passwd entry unless a
group is given; supplementary groups are the groups listing the user's name, only when no group is given.
Then, as BuildKit's executor (executor/oci/user.go `ensureAdditionalGids`, containerd's fix for
CVE-2023-25173), the primary gid is put first among the additional gids unless already there, so a process
keeps its group's access even after it changes its gid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pybuildkit.errors import SandboxError

_MAX_ID = 2**31 - 1


class UserLookupError(SandboxError):
    """The step asks for what the image does not have: a USER (or --chown) user or group it does not
    define, or a working directory that cannot be made. A Dockerfile error: the executor attaches the line."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecUser:
    """The credentials a command runs with."""

    uid: int
    gid: int
    groups: tuple[int, ...] = ()  # the additional gids (setgroups), the primary gid among them
    home: str = "/"
    name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswdEntry:
    name: str
    uid: int
    gid: int
    home: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupEntry:
    name: str
    gid: int
    members: tuple[str, ...]


def parse_passwd(text: str) -> tuple[PasswdEntry, ...]:
    """Entries of a passwd file; malformed lines are skipped, as libc does."""
    entries = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) < 4:
            continue
        uid, gid = _number(parts[2]), _number(parts[3])
        if uid is None or gid is None:
            continue
        home = parts[5] if len(parts) > 5 else ""
        entries.append(PasswdEntry(name=parts[0], uid=uid, gid=gid, home=home))
    return tuple(entries)


def parse_group(text: str) -> tuple[GroupEntry, ...]:
    entries = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) < 3:
            continue
        gid = _number(parts[2])
        if gid is None:
            continue
        members = tuple(m for m in (parts[3].split(",") if len(parts) > 3 else []) if m)
        entries.append(GroupEntry(name=parts[0], gid=gid, members=members))
    return tuple(entries)


def resolve_user(spec: str, passwd: str | None, group: str | None) -> ExecUser:
    """Resolve Docker's `user[:group]` given the texts of /etc/passwd and /etc/group (None: file absent).

    Raises `UserLookupError` with Docker's wording when a name is unknown.
    """
    found = _exec_user(spec, passwd, group)
    if found.gid in found.groups:
        return found
    return replace(found, groups=(found.gid, *found.groups))


def _exec_user(spec: str, passwd: str | None, group: str | None) -> ExecUser:
    """runc's `GetExecUser`: `groups` are the supplementary groups found in /etc/group."""
    user_part, _, group_part = spec.partition(":")
    users = parse_passwd(passwd or "")
    groups = parse_group(group or "")
    user_number = _number(user_part)

    result = ExecUser(uid=0, gid=0, home="/", name="")
    matched: PasswdEntry | None = None
    if user_part == "":
        matched = next((u for u in users if u.uid == 0), None)
    else:
        matched = next((u for u in users if u.name == user_part or u.uid == user_number), None)
    if matched is not None:
        result = ExecUser(uid=matched.uid, gid=matched.gid, home=matched.home or "/", name=matched.name)
    elif user_part != "":
        if user_number is None:
            if passwd is None:
                raise UserLookupError(
                    f"unable to find user {user_part}: no matching entries in passwd file",
                    hint="the image has no /etc/passwd; use a numeric USER or add the user",
                )
            raise UserLookupError(
                f"unable to find user {user_part}: no matching entries in passwd file",
                hint=f"create it first (e.g. `RUN adduser -D {user_part}`) or use a numeric uid",
            )
        if user_number > _MAX_ID:
            raise UserLookupError(f"uid {user_part} is out of range")
        result = ExecUser(uid=user_number, gid=0, home="/", name="")

    if group_part:
        group_number = _number(group_part)
        found = next((g for g in groups if g.name == group_part or g.gid == group_number), None)
        if found is not None:
            gid = found.gid
        elif group_number is not None:
            if group_number > _MAX_ID:
                raise UserLookupError(f"gid {group_part} is out of range")
            gid = group_number
        else:
            raise UserLookupError(
                f"unable to find group {group_part}: no matching entries in group file",
                hint="create it first (e.g. `RUN addgroup ...`) or use a numeric gid",
            )
        return ExecUser(uid=result.uid, gid=gid, groups=(), home=result.home, name=result.name)

    if matched is not None:
        supplementary = tuple(g.gid for g in groups if matched.name in g.members)
        return ExecUser(
            uid=result.uid, gid=result.gid, groups=supplementary, home=result.home, name=result.name
        )
    return result


def _number(text: str) -> int | None:
    if text.isascii() and text.isdigit():
        return int(text)
    return None
