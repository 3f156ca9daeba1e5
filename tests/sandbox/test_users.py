"""Docker's USER resolution (runc's GetExecUser rules), on passwd/group texts."""

from __future__ import annotations

import pytest

from pybuildkit.execute.sandbox.users import ExecUser, UserLookupError, resolve_user

PASSWD = """root:x:0:0:root:/root:/bin/sh
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
app:x:1000:1000::/home/app:/bin/sh
broken line
"""
GROUP = """root:x:0:
daemon:x:1:
app:x:1000:
wheel:x:10:app,other
audio:x:29:app
staff:x:50:
"""


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        # The primary gid leads the additional gids, as BuildKit's executor sets them (ensureAdditionalGids).
        ("", ExecUser(uid=0, gid=0, groups=(0,), home="/root", name="root")),
        ("root", ExecUser(uid=0, gid=0, groups=(0,), home="/root", name="root")),
        ("app", ExecUser(uid=1000, gid=1000, groups=(1000, 10, 29), home="/home/app", name="app")),
        ("1000", ExecUser(uid=1000, gid=1000, groups=(1000, 10, 29), home="/home/app", name="app")),
        ("app:staff", ExecUser(uid=1000, gid=50, groups=(50,), home="/home/app", name="app")),
        ("app:50", ExecUser(uid=1000, gid=50, groups=(50,), home="/home/app", name="app")),
        ("app:777", ExecUser(uid=1000, gid=777, groups=(777,), home="/home/app", name="app")),
        ("4000", ExecUser(uid=4000, gid=0, groups=(0,), home="/")),
        ("4000:4001", ExecUser(uid=4000, gid=4001, groups=(4001,), home="/")),
        ("4000:staff", ExecUser(uid=4000, gid=50, groups=(50,), home="/")),
        ("daemon", ExecUser(uid=1, gid=1, groups=(1,), home="/usr/sbin", name="daemon")),
    ],
    ids=[
        "empty",
        "root",
        "name",
        "uid",
        "name-group",
        "name-gid",
        "name-unknown-gid",
        "bare-uid",
        "uid-gid",
        "uid-group",
        "no-supplementary-groups",
    ],
)
def test_resolve(spec: str, expected: ExecUser) -> None:
    assert resolve_user(spec, PASSWD, GROUP) == expected


@pytest.mark.parametrize(
    ("spec", "passwd", "message"),
    [
        ("ghost", PASSWD, "unable to find user ghost: no matching entries in passwd file"),
        ("ghost", None, "unable to find user ghost: no matching entries in passwd file"),
        ("app:ghosts", PASSWD, "unable to find group ghosts: no matching entries in group file"),
        ("99999999999", PASSWD, "uid 99999999999 is out of range"),
    ],
    ids=["unknown-user", "no-passwd-file", "unknown-group", "uid-range"],
)
def test_errors(spec: str, passwd: str | None, message: str) -> None:
    with pytest.raises(UserLookupError) as caught:
        resolve_user(spec, passwd, GROUP)
    assert caught.value.message == message


def test_primary_gid_listed_once_when_the_user_is_a_member_of_it() -> None:
    group = "app:x:1000:app\nwheel:x:10:app\n"
    assert resolve_user("app", PASSWD, group).groups == (1000, 10)


def test_no_files_root_still_resolves() -> None:
    assert resolve_user("", None, None) == ExecUser(uid=0, gid=0, groups=(0,), home="/")
