"""Real sandbox runs over a busybox rootfs, as root and (when root) as an unprivileged user too."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from tests.sandbox.conftest import Sandbox, is_whiteout, tree_state

pytestmark = pytest.mark.usefixtures("sandbox_ready")


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("true", 0),
        ("exit 3", 3),
        ("false", 1),
        ("kill -9 $$", 137),
        ("kill -TERM $$", 143),
    ],
    ids=["true", "exit-3", "false", "sigkill", "sigterm"],
)
def test_exit_status_is_the_commands(sandbox: Sandbox, script: str, expected: int) -> None:
    assert sandbox.run(script).exit_code == expected


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["no-such-command"], 127, 'exec: "no-such-command": executable file not found in $PATH'),
        (["/no/such/file"], 127, "exec /no/such/file: No such file or directory"),
        (["/etc/passwd"], 126, "exec /etc/passwd: Permission denied"),
    ],
    ids=["not-in-path", "absent-path", "not-executable"],
)
def test_exec_failures(sandbox: Sandbox, argv: list[str], code: int, message: str) -> None:
    outcome = sandbox.run(argv)
    assert outcome.exit_code == code
    assert outcome.raw["exec_error"] == message


def test_exec_form_uses_path_and_no_shell(sandbox: Sandbox) -> None:
    outcome = sandbox.run(["echo", "$HOME", "a  b"])
    assert outcome.stdout == "$HOME a  b\n"


def test_stdout_and_stderr_are_separate(sandbox: Sandbox) -> None:
    outcome = sandbox.run("echo out; echo err >&2")
    assert (outcome.stdout, outcome.stderr) == ("out\n", "err\n")


def test_sigpipe_is_default_again(sandbox: Sandbox) -> None:
    # Python ignores SIGPIPE; a command must not inherit that (`yes | head` would print write errors).
    outcome = sandbox.run("yes | head -n 2")
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (0, "y\ny\n", "")


def test_new_files_land_in_upperdir_and_lower_is_untouched(sandbox: Sandbox) -> None:
    before = tree_state(sandbox.lower)
    outcome = sandbox.run("echo hello > /data/new.txt && echo more >> /data/keep.txt && mkdir -p /a/b")
    assert outcome.exit_code == 0
    assert (outcome.upper / "data" / "new.txt").read_text() == "hello\n"
    assert (outcome.upper / "data" / "keep.txt").read_text() == "keep\nmore\n"
    assert (outcome.upper / "a" / "b").is_dir()
    assert tree_state(sandbox.lower) == before


def test_deleting_a_lower_file_leaves_a_whiteout(sandbox: Sandbox) -> None:
    outcome = sandbox.run("rm /data/gone.txt && test ! -e /data/gone.txt")
    assert outcome.exit_code == 0
    assert is_whiteout(outcome.upper / "data" / "gone.txt")
    assert not (outcome.upper / "data" / "keep.txt").exists()


def test_replacing_a_lower_directory_makes_it_opaque(sandbox: Sandbox) -> None:
    outcome = sandbox.run("rm -rf /data/olddir && mkdir /data/olddir && echo c > /data/olddir/c")
    assert outcome.exit_code == 0
    opaque = outcome.raw["opaque_xattr"]
    assert opaque == "user.overlay.opaque"
    assert os.getxattr(outcome.upper / "data" / "olddir", opaque) == b"y"
    assert sorted(os.listdir(outcome.upper / "data" / "olddir")) == ["c"]


def test_chown_inside_gives_mapped_owner_outside(sandbox: Sandbox) -> None:
    outcome = sandbox.run("echo x > /owned && chown 1000:1000 /owned && stat -c %u:%g /owned")
    assert outcome.stdout == "1000:1000\n"
    st = os.lstat(outcome.upper / "owned")
    assert (st.st_uid, st.st_gid) == (outcome.host_uid(1000), outcome.host_gid(1000))
    if os.geteuid() == 0 and sandbox.mode == "direct":
        assert (st.st_uid, st.st_gid) == (1000, 1000)  # identity map as real root


def test_init_is_pid_1_and_the_command_its_child(sandbox: Sandbox) -> None:
    outcome = sandbox.run("echo $$ $PPID; ls /proc | grep -E '^[0-9]+$' | sort -n | head -n 1")
    assert outcome.stdout.split() == ["2", "1", "1"]


def test_orphans_are_reaped_by_init(sandbox: Sandbox) -> None:
    # The inner shell exits at once, its background child becomes init's, exits, and must be reaped.
    # Zombies may show for a moment; they must be gone within 5 s (a dead orphan never reaped stays Z).
    script = (
        "sh -c 'true & exit 0'; for i in $(seq 50); do"
        " states=$(cat /proc/[0-9]*/stat 2>/dev/null | awk '{print $3}');"
        ' case "$states" in *Z*) sleep 0.1;; *) echo clean; exit 0;; esac; done; echo "$states"'
    )
    outcome = sandbox.run(script)
    assert outcome.stdout == "clean\n"


def test_network_none_has_only_loopback_and_no_way_out(sandbox: Sandbox) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        port = server.getsockname()[1]

        def serve() -> None:  # accept and hang up at once, so a connected nc ends
            with contextlib.suppress(OSError):
                while True:
                    server.accept()[0].close()

        threading.Thread(target=serve, daemon=True).start()
        probe = f"ls /sys/class/net; nc -w 2 127.0.0.1 {port} </dev/null && echo CONNECTED || echo REFUSED"
        isolated = sandbox.run(probe, network="none")
        shared = sandbox.run(probe, network="host")
    assert isolated.stdout.split() == ["lo", "REFUSED"]
    assert "CONNECTED" in shared.stdout.split()


def test_loopback_is_up_with_network_none(sandbox: Sandbox) -> None:
    outcome = sandbox.run(
        "cat /sys/class/net/lo/flags; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo PONG", network="none"
    )
    flags, pong = outcome.stdout.split()
    assert int(flags, 16) & 0x1, "IFF_UP"
    assert pong == "PONG"


def test_host_paths_are_invisible(sandbox: Sandbox, tmp_path: Path) -> None:
    marker = Path("/tmp") / f"pbkit-marker-{os.getpid()}"
    marker.write_text("secret")
    try:
        outcome = sandbox.run(f"test -e {marker} && echo SEEN; test -e {sandbox.lower} && echo SEEN; ls /")
    finally:
        marker.unlink()
    assert "SEEN" not in outcome.stdout
    assert set(outcome.stdout.split()) >= {"bin", "data", "dev", "etc", "proc", "tmp"}


def test_minimal_dev(sandbox: Sandbox) -> None:
    outcome = sandbox.run(
        "ls /dev | tr '\\n' ' '; echo; head -c 4 /dev/zero | od -An -tx1; echo x > /dev/null && echo ok;"
        " test -c /dev/urandom && test -d /dev/pts && test -d /dev/shm && echo devs"
    )
    lines = outcome.stdout.splitlines()
    assert set(lines[0].split()) >= {"null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "ptmx"}
    assert lines[1].split() == ["00", "00", "00", "00"]
    assert lines[2:] == ["ok", "devs"]


def test_etc_files_are_provided_readonly_and_never_in_the_layer(sandbox: Sandbox) -> None:
    outcome = sandbox.run(
        "cat /etc/hosts /etc/hostname; hostname; echo bad > /etc/hosts || echo READONLY",
        hostname="builder",
        extra_hosts=[["db", "10.0.0.5"]],
    )
    assert outcome.stdout.splitlines() == [
        "127.0.0.1\tlocalhost builder",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "10.0.0.5\tdb",
        "builder",
        "builder",
        "READONLY",
    ]
    assert not (outcome.upper / "etc").exists()


def test_mount_points_the_image_lacks_leave_nothing_in_the_upperdir(sandbox: Sandbox) -> None:
    # /proc, /dev, /sys and /etc/resolv.conf come from the stub layer; /run/secrets/x does too.
    outcome = sandbox.run(
        "cat /run/secrets/x; touch /data/y",
        mounts=[{"type": "file", "target": "/run/secrets/x", "content": b"s3cr3t\n"}],
    )
    assert outcome.stdout == "s3cr3t\n"
    assert sorted(os.listdir(outcome.upper)) == ["data"]
    assert outcome.raw["placeholders"] == []


def test_mount_point_under_a_symlink_is_created_then_removed(sandbox: Sandbox) -> None:
    # A layer where /libdir -> /usr/lib, which does not exist: the secret's mount point must be created
    # through the symlink (in the upperdir, as Docker would), then taken out again after the run.
    first = sandbox.run("ln -s /usr/lib /libdir")
    assert first.exit_code == 0
    layered = sandbox.run(
        "cat /libdir/secret; ls /usr",
        lowerdirs=[str(first.upper), str(sandbox.lower)],
        mounts=[{"type": "file", "target": "/libdir/secret", "content": b"k\n"}],
    )
    assert layered.stdout.split() == ["k", "bin", "lib"]
    assert not (layered.upper / "usr" / "lib").exists()
    assert layered.raw["placeholders"] == []
    # /usr itself was copied up to hold the mount point; its times are put back, so it equals the lower.
    assert os.lstat(layered.upper / "usr").st_mtime_ns == os.lstat(sandbox.lower / "usr").st_mtime_ns


def test_secret_file_mode_owner_and_absence_from_layer(sandbox: Sandbox) -> None:
    outcome = sandbox.run(
        "stat -c '%a %u %g' /run/secrets/token; echo x > /run/secrets/token || echo READONLY",
        mounts=[
            {
                "type": "file",
                "target": "/run/secrets/token",
                "content": b"t",
                "mode": 0o440,
                "uid": 1000,
                "gid": 10,
            }
        ],
    )
    assert outcome.stdout.splitlines() == ["440 1000 10", "READONLY"]
    for dirpath, _, filenames in os.walk(outcome.upper):
        for name in filenames:
            assert Path(dirpath, name).read_bytes() != b"t"


def test_bind_mounts_readonly_and_readwrite(sandbox: Sandbox) -> None:
    shared = sandbox.owned_dir("shared")
    (shared / "in.txt").write_text("from host\n")
    os.chmod(shared / "in.txt", 0o644)
    readonly = sandbox.run(
        "cat /src/in.txt; touch /src/x || echo READONLY",
        mounts=[{"type": "bind", "source": str(shared), "target": "/src", "readonly": True}],
    )
    assert readonly.stdout.splitlines() == ["from host", "READONLY"]
    writable = sandbox.run(
        "echo cached > /cache/out.txt",
        mounts=[{"type": "bind", "source": str(shared), "target": "/cache", "readonly": False}],
    )
    assert writable.exit_code == 0
    assert (shared / "out.txt").read_text() == "cached\n"
    assert not (writable.upper / "cache" / "out.txt").exists()


def test_tmpfs_mount_with_size(sandbox: Sandbox) -> None:
    outcome = sandbox.run(
        "echo x > /scratch/f && cat /scratch/f; df -k /scratch | tail -n 1 | awk '{print $2}'",
        mounts=[{"type": "tmpfs", "target": "/scratch", "size": 1 << 20}],
    )
    assert outcome.stdout.split() == ["x", "1024"]
    assert not (outcome.upper / "scratch" / "f").exists()


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("", "0 0 0 /root"),
        ("user", "1000 1000 1000,10 /home/user"),
        ("1000", "1000 1000 1000,10 /home/user"),
        ("user:wheel", "1000 10 10 /home/user"),
        ("4242", "4242 0 0 /"),
        ("4242:4343", "4242 4343 4343 /"),
        ("nobody", "65534 65534 65534 /nonexistent"),
    ],
    ids=["default-root", "name", "uid-in-passwd", "name-and-group", "unknown-uid", "uid-gid", "nobody"],
)
def test_user_resolution(sandbox: Sandbox, user: str, expected: str) -> None:
    outcome = sandbox.run('echo "$(id -u) $(id -g) $(id -G | tr " " ,) $HOME"', user=user)
    uid, gid, groups, home = outcome.stdout.split()
    want_uid, want_gid, want_groups, want_home = expected.split()
    assert (uid, gid, home) == (want_uid, want_gid, want_home)
    assert set(groups.split(",")) == set(want_groups.split(","))


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("ghost", "unable to find user ghost: no matching entries in passwd file"),
        ("user:ghosts", "unable to find group ghosts: no matching entries in group file"),
    ],
    ids=["unknown-user", "unknown-group"],
)
def test_unknown_user_is_a_user_error(sandbox: Sandbox, user: str, message: str) -> None:
    outcome = sandbox.run("true", user=user)
    assert outcome.raw == {"error": message, "error_type": "UserLookupError"}


def test_working_directory_is_created_like_docker(sandbox: Sandbox) -> None:
    outcome = sandbox.run("pwd", cwd="/srv/app")
    assert outcome.stdout == "/srv/app\n"
    assert stat.S_IMODE(os.lstat(outcome.upper / "srv" / "app").st_mode) == 0o755


def test_environment_is_exactly_the_given_one_plus_home(sandbox: Sandbox) -> None:
    outcome = sandbox.run(["/bin/env"], env=[["PATH", "/bin"], ["A", "1=2"]])
    assert sorted(outcome.stdout.splitlines()) == ["A=1=2", "HOME=/root", "PATH=/bin"]


def test_timeout_kills_the_tree(sandbox: Sandbox) -> None:
    outcome = sandbox.run("sleep 30", timeout=0.5)
    assert outcome.raw["timed_out"] is True
    assert outcome.exit_code == 137
    assert outcome.raw["duration"] < 10


def test_root_directory_keeps_the_images_mode(sandbox: Sandbox) -> None:
    # The executor may create the upperdir with any mode; / must still look like the image's /.
    upper = sandbox.owned_dir("upper-private")
    upper.chmod(0o700)
    outcome = sandbox.run("stat -c %a /; ls / >/dev/null && echo listed", user="1000", upperdir=str(upper))
    assert outcome.stdout.split() == [f"{os.stat(sandbox.lower).st_mode & 0o777:o}", "listed"]


def test_remove_tree_deletes_files_owned_by_other_container_users(sandbox: Sandbox) -> None:
    script = "mkdir -p /home/app/deep && echo x > /home/app/deep/f && chown -R 1000:1000 /home/app && chmod -R 700 /home/app"
    outcome = sandbox.run(script, remove_after=True)
    assert outcome.exit_code == 0
    assert not outcome.upper.exists()
    assert not Path(str(outcome.upper).replace("upper", "scratch")).exists()


def test_mount_targets_cannot_escape_through_symlinks(sandbox: Sandbox) -> None:
    # A layer whose /esc points far above its root: the mount point must still be created inside.
    escape = Path("/tmp") / f"pbkit-escape-{os.getpid()}-{sandbox.mode}"
    first = sandbox.run(f"ln -s ../../../../../..{escape} /esc && ln -s {escape} /esc2")
    assert first.exit_code == 0
    layered = sandbox.run(
        "cat /esc/secret /esc2/other",
        lowerdirs=[str(first.upper), str(sandbox.lower)],
        mounts=[
            {"type": "file", "target": "/esc/secret", "content": b"1\n"},
            {"type": "file", "target": "/esc2/other", "content": b"2\n"},
        ],
    )
    assert layered.stdout == "1\n2\n"
    assert not escape.exists()


@pytest.mark.parametrize(
    ("user", "effective"),
    [("", "00000000a80425fb"), ("1000", "0000000000000000")],
    ids=["root", "user"],
)
def test_capabilities_are_dockers_defaults(sandbox: Sandbox, user: str, effective: str) -> None:
    outcome = sandbox.run("grep -E '^Cap(Eff|Bnd)' /proc/self/status", user=user)
    assert outcome.stdout.split() == ["CapEff:", effective, "CapBnd:", "00000000a80425fb"]


@pytest.mark.parametrize("network", ["host", "none"])
def test_kernel_knobs_are_out_of_reach(sandbox: Sandbox, network: str) -> None:
    script = (
        "mkdir -p /mnt/t; mount -t tmpfs t /mnt/t 2>/dev/null && echo MOUNTED;"
        "umount /proc/sys 2>/dev/null && echo UNMOUNTED;"
        "for f in /proc/sys/vm/drop_caches /proc/sysrq-trigger; do"
        " test -e $f && { echo 3 > $f; } 2>/dev/null && echo WROTE-$f; done;"
        "for d in /sys/fs/cgroup/* /sys/kernel; do test -d $d && touch $d/x 2>/dev/null && echo WROTE-$d; done;"
        "echo done"
    )
    outcome = sandbox.run(script, network=network)
    assert outcome.stdout == "done\n"


def test_many_long_layer_paths_still_mount_overlay(sandbox: Sandbox) -> None:
    # 60 layers under a long directory: the options exceed mount(2)'s page as absolute paths.
    parent = sandbox.owned_dir("d" * 120)
    layers = []
    for i in range(60):
        layer = parent / f"layer-{i:03d}-{'x' * 40}"
        layer.mkdir()
        (layer / f"f{i}").write_text(f"{i}\n")
        if sandbox.user:
            import pwd

            entry = pwd.getpwnam(sandbox.user)
            for path in (layer, layer / f"f{i}"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        layers.append(str(layer))
    assert len(":".join(layers)) > 4096
    outcome = sandbox.run(
        "cat /f0 /f59 && ls / | grep -c '^f'", lowerdirs=[*reversed(layers), str(sandbox.lower)]
    )
    assert outcome.raw["snapshot"] == "overlay"
    assert outcome.stdout.split() == ["0", "59", "60"]


@pytest.mark.parametrize("snapshot", ["overlay", "copy"])
def test_scratch_is_cleaned_up(sandbox: Sandbox, snapshot: str) -> None:
    outcome = sandbox.run(
        "mkdir -p /home/app && chown 1000 /home/app && chmod 700 /home/app", snapshot=snapshot
    )
    assert outcome.exit_code == 0
    scratch = Path(str(outcome.upper).replace("upper", "scratch"))
    assert not scratch.exists()
    assert (outcome.upper / "home" / "app").is_dir()


def test_a_new_user_and_su_work_with_the_full_range(sandbox: Sandbox) -> None:
    # What adduser does (busybox-static has no adduser applet), then switching to that user.
    outcome = sandbox.run(
        "echo app:x:2000:2000::/home/app:/bin/sh >> /etc/passwd && echo app:x:2000: >> /etc/group"
        " && mkdir -p /home/app && chown app:app /home/app"
        " && su app -c 'id -u; touch /tmp/by-app' && stat -c %u /home/app /tmp/by-app"
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout.split() == ["2000", "2000", "2000"]
    assert os.lstat(outcome.upper / "home" / "app").st_uid == outcome.host_uid(2000)
