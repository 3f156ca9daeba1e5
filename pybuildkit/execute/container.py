"""`pybuildkit run`: one command in an image from the store, in the RUN sandbox.

The image's layers are the overlay's lower directories (the same store snapshots a build uses), a fresh
upperdir takes the changes. Entrypoint, Cmd, Env, WorkingDir and User come from the image config, as
`docker run` takes them; the exit status is the command's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from pybuildkit.errors import BuildError, PyBuildKitError
from pybuildkit.execute.executor import LayerRef
from pybuildkit.execute.snapshots import Snapshots
from pybuildkit.store import Store

__all__ = ["ContainerRun", "Volume", "command_for", "parse_volume", "run_container"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Volume:
    """`-v HOSTDIR:DIR[:ro]`."""

    source: Path
    target: str
    readonly: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerRun:
    """What `docker run` takes; empty values fall back to the image config."""

    image: str
    command: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    env: tuple[str, ...] = ()  # K=V, or K (taken from the caller's environment when set)
    workdir: str = ""
    user: str | None = None
    volumes: tuple[Volume, ...] = ()
    network: str = "host"
    hostname: str = ""
    remove: bool = False


def parse_volume(text: str) -> Volume:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/"):
        raise BuildError(f"-v {text!r}: expected HOSTDIR:/CONTAINER/DIR[:ro|rw]")
    options = parts[2].split(",") if len(parts) == 3 else []
    unknown = [o for o in options if o not in ("ro", "rw", "")]
    if unknown:
        raise BuildError(f"-v {text!r}: unknown option {unknown[0]!r} (ro or rw)")
    source = Path(parts[0]).expanduser().absolute()
    if not source.exists():
        raise BuildError(f"-v {text!r}: {source} does not exist")
    return Volume(source=source, target=parts[1], readonly="ro" in options)


def command_for(
    entrypoint: tuple[str, ...] | None, cmd: tuple[str, ...] | None, request: ContainerRun
) -> tuple[str, ...]:
    """Docker's rule: ENTRYPOINT + (the given command, else CMD); `--entrypoint` drops the image's CMD."""
    if request.entrypoint is not None:
        return (*request.entrypoint, *request.command)
    return (*(entrypoint or ()), *(request.command or cmd or ()))


def _environment(image_env: Sequence[str], extra: Sequence[str]) -> tuple[tuple[str, str], ...]:
    env: dict[str, str] = {}
    for item in image_env:
        key, _, value = item.partition("=")
        env[key] = value
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep:
            if key not in os.environ:
                continue
            value = os.environ[key]
        env[key] = value
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    return tuple(env.items())


@contextlib.contextmanager
def _forward_signals(pid_box: list[int], foreground: bool) -> Iterator[None]:
    """While the sandbox runs, TERM/HUP (and INT when the command is not in the terminal's foreground
    group) are sent on to the sandbox's init, which passes them to the command."""
    wanted = [signal.SIGTERM, signal.SIGHUP] + ([] if foreground else [signal.SIGINT])

    def forward(signum: int, _frame: FrameType | None) -> None:
        if pid_box:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid_box[0], signum)

    previous = {}
    for signum in wanted:
        with contextlib.suppress(ValueError):  # not the main thread: leave the handlers alone
            previous[signum] = signal.signal(signum, forward)
    ignored = None
    if foreground:
        # The terminal's Ctrl-C reaches the command itself; the caller waits for its status.
        with contextlib.suppress(ValueError):
            ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if ignored is not None:
            signal.signal(signal.SIGINT, ignored)


def run_container(
    store: Store,
    request: ContainerRun,
    *,
    stdin: int | None = None,
    stdout: int | None = None,
    stderr: int | None = None,
) -> int:
    """Run `request` and return the command's exit status (125 is never used: errors raise)."""
    from pybuildkit.execute import sandbox

    loaded = store.load(request.image)
    config = loaded.config.config
    argv = command_for(config.entrypoint, config.cmd, request)
    if not argv:
        raise BuildError(
            f"{request.image}: no command given and the image has no Entrypoint or Cmd",
            hint=f"pybuildkit run {request.image} COMMAND...",
        )
    layers = tuple(
        LayerRef(digest=d.digest, diff_id=diff, size=d.size, media_type=d.media_type)
        for d, diff in zip(loaded.manifest.layers, loaded.config.diff_ids, strict=False)
    )
    ident = secrets.token_hex(6)
    containers = store.root / "containers"
    containers.mkdir(exist_ok=True)
    with store.lease():
        work = Path(tempfile.mkdtemp(prefix=f"{ident}-", dir=containers))
        upper = work / "upper"
        upper.mkdir()
        try:
            lowerdirs = Snapshots(store).lowerdirs(layers, work / "lower")
            network = sandbox.NetworkMode.NONE if request.network == "none" else sandbox.NetworkMode.HOST
            foreground = stdin is not None and os.isatty(stdin)
            pid_box: list[int] = []
            spec = sandbox.RunSpec(
                lowerdirs=lowerdirs,
                upperdir=upper,
                scratch=work / "scratch",
                argv=argv,
                env=_environment(config.env, request.env),
                cwd=request.workdir or config.working_dir or "/",
                user=request.user if request.user is not None else config.user,
                network=network,
                hostname=request.hostname or ident,
                mounts=tuple(
                    sandbox.BindMount(source=v.source, target=v.target, readonly=v.readonly)
                    for v in request.volumes
                ),
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                foreground=foreground,
                on_start=pid_box.append,
            )
            with _forward_signals(pid_box, foreground):
                try:
                    result = sandbox.run(spec)
                except PyBuildKitError as error:
                    raise BuildError(
                        f"{request.image}: cannot start: {error.message}", hint=error.hint
                    ) from None
            if result.exec_error:
                os.write(
                    stderr if stderr is not None else 2, f"pybuildkit run: {result.exec_error}\n".encode()
                )
            return result.exit_code
        finally:
            if request.remove:
                with contextlib.suppress(PyBuildKitError, OSError):
                    sandbox.remove_tree(work)
                shutil.rmtree(work, ignore_errors=True)
            else:
                shutil.rmtree(work / "lower", ignore_errors=True)
