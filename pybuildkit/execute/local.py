"""The real executor: layers written into the local store, steps cached there, RUN through the sandbox.

Snapshot model (see `rootfs.py`): a stage is the tuple of its layers. The layers this build writes are
indexed from the entries they were written from; layers that come from the store (base images, cache hits
that a later step must read) are unpacked once into `<store>/snapshots/<diff_id hex>/`. COPY reads the
destination through a `RootView` of those indexes; RUN gets the stack flattened into one lower directory.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, assert_never

from pybuildkit.context import BuildContext, ContextDigests
from pybuildkit.context import EntryKind as ContextKind
from pybuildkit.errors import BuildError, PyBuildKitError
from pybuildkit.execute.copy import (
    ContextTree,
    CopyError,
    CopyRequest,
    Download,
    Inline,
    SourceTree,
    ViewTree,
    check_checksum,
    copy_entries,
    download,
    glob,
    is_git,
    is_url,
    parse_chown,
)
from pybuildkit.execute.executor import BaseImage, LayerRef, StageState, StepInputs
from pybuildkit.execute.rootfs import (
    LayerIndex,
    RootView,
    adopt_snapshot,
    materialize,
)
from pybuildkit.execute.runopts import BuildNetwork, RunOptions
from pybuildkit.execute.snapshots import Snapshots
from pybuildkit.image.digest import digest_hex
from pybuildkit.image.platform import Platform as ImagePlatform
from pybuildkit.image.spec import Descriptor, Image
from pybuildkit.instructions import (
    AddInstruction,
    CopyInstruction,
    Mount,
    MountType,
    RunInstruction,
    WorkdirInstruction,
)
from pybuildkit.layers import Compression, Entry, EntryKind, upperdir_entries, write_layer
from pybuildkit.plan.cachekey import KeyParts, base_key
from pybuildkit.plan.resolve import normalize_workdir
from pybuildkit.plan.steps import BaseKind, StageSteps, Step
from pybuildkit.store import ImageNotFoundError, Store, StoredImage


@dataclass(frozen=True, slots=True, kw_only=True)
class NamedContext:
    """A `--build-context NAME=VALUE`: a directory, or an image (imported into the store)."""

    name: str
    directory: Path | None = None
    image: str = ""  # a store reference (digest) for image contexts


class LocalExecutor:
    """See the module docstring. One per build; safe to use from the stage threads."""

    def __init__(
        self,
        store: Store,
        context: BuildContext,
        digests: ContextDigests,
        *,
        compression: Compression,
        source_date_epoch: int | None,
        named: Mapping[str, NamedContext] | None = None,
        platform: str = "",
        work: Path,
        stat_paths: set[str] | None = None,
        run_options: RunOptions | None = None,
    ) -> None:
        self.store = store
        self.context = context
        self.digests = digests
        self.compression = compression
        self.source_date_epoch = source_date_epoch
        self.named = dict(named or {})
        self.platform = platform
        self.work = work
        self.run_options = run_options or RunOptions()
        self.indexes: dict[str, LayerIndex] = {}
        self._lock = threading.Lock()
        self.snapshots = Snapshots(store, indexes=self.indexes, lock=self._lock)
        self.volatile = False  # True when a step read something that cannot be stat-ed (a URL)
        self.images_used: dict[str, str] = {}  # reference -> manifest digest
        self._contexts: dict[str, BuildContext] = {}
        self.run_available: Callable[[], str | None] | None = None
        self.stage_names: tuple[str, ...] = ()
        self.stage_names_by_index: dict[int, str] = {}
        self.read_paths: set[str] = set()
        self.proxy_env: tuple[
            str, ...
        ] = ()  # context paths whose stat decides the unchanged-rebuild short cut
        # Registries: FROM / --from / --mount=from names missing from the store are pulled (`ensure_image`);
        # `pull` (--pull) asks the registry again; `remote_caches` (--cache-from) are read on a local miss.
        self.registry_options: Any = None  # a registry.RegistryOptions (None: the defaults)
        self.pull = False
        self.offline = False  # PYBUILDKIT_OFFLINE: only loopback registries are asked
        self.remote_caches: tuple[Any, ...] = ()  # registry.RemoteCache
        # Opens the --cache-from caches, called on the first local miss: a build that hits locally asks
        # no registry.
        self.open_remote_caches: Callable[[], tuple[Any, ...]] | None = None
        self._remote_lock = threading.Lock()
        self.cache_keys: dict[str, str] = {}  # step-cache key -> layer digest ("" when none), this build's
        self.bases: dict[str, str] = {}  # reference as written -> name@digest it resolved to
        self._images: dict[str, BaseImage | PyBuildKitError] = {}
        self._image_lock = threading.Lock()

    # -- bases --------------------------------------------------------------------------------------

    def base(self, stage: StageSteps) -> BaseImage:
        match stage.base.kind:
            case BaseKind.SCRATCH:
                return BaseImage(key=base_key("scratch", "scratch", platform=stage.platform or self.platform))
            case BaseKind.IMAGE:
                return self.image(stage.base.name)
            case BaseKind.STAGE:
                raise AssertionError("stage bases are resolved by the builder")

    def image(self, ref: str) -> BaseImage:
        named = self.named.get(ref)
        if named is not None and named.directory is not None:
            return self._directory_image(named)
        # One resolution per name and build (planning asks first, the stage again): a pull or its failure
        # happens once.
        with self._image_lock:
            found = self._images.get(ref)
            if found is None:
                try:
                    found = self._resolve_image(ref, named)
                except PyBuildKitError as error:
                    found = error
                self._images[ref] = found
        if isinstance(found, PyBuildKitError):
            raise found
        return found

    def _resolve_image(self, ref: str, named: NamedContext | None) -> BaseImage:
        """The store's image when it has one for the platform; else (or with --pull) the registry's, through
        `ensure_image`, which remembers the digest so an unchanged rebuild asks no registry."""
        target = named.image if named is not None else ref
        platform = ImagePlatform.parse(self.platform) if self.platform else None
        # A `docker-image://REF` named context is pulled as REF; an imported one (a digest) never is.
        pullable = _pullable(target)
        loaded: StoredImage | None = None
        missing: ImageNotFoundError | None = None
        if not (self.pull and pullable):
            try:
                loaded = self.store.load(target, platform=platform)
            except ImageNotFoundError as error:
                missing = error
        if (
            loaded is not None
            and pullable
            and platform is not None
            and loaded.index is None
            and loaded.config.os
            and not loaded.config.platform.matches(platform)
            and _from_registry(self.store, loaded)
        ):
            loaded = None  # pulled before for another platform: ask the registry for this one
        if loaded is None and pullable and not (self.offline and not _loopback(target)):
            loaded = self._pull(ref, target, platform, missing)
        if loaded is None:
            hint = missing.hint if missing is not None else None
            if pullable and self.offline:
                hint = "PYBUILDKIT_OFFLINE is set, so it was not pulled; " + (hint or "import it")
            raise BuildError(
                f"{ref}: no such image in the local store",
                hint=hint
                or "import one with `pybuildkit import`, or pass --build-context NAME=oci-layout://DIR",
            )
        with self._lock:
            # What the name resolves to (an index for a multi-platform image), for the rebuild short cut.
            self.images_used.setdefault(ref, (loaded.index or loaded.descriptor).digest)
        return _base_from(loaded, ref)

    def _pull(
        self, ref: str, target: str, platform: ImagePlatform | None, missing: ImageNotFoundError | None
    ) -> StoredImage:
        from pybuildkit.registry import ensure_image

        try:
            pulled = ensure_image(
                self.store, target, platform=platform, refresh=self.pull, options=self.registry_options
            )
        except PyBuildKitError as error:
            where = "no such image in the local store, and the pull failed" if missing else "the pull failed"
            raise BuildError(f"{ref}: {where}: {error.message}", hint=error.hint) from None
        loaded = self.store.load(pulled.descriptor)
        try:
            # What the store's name now points to (the rebuild short cut compares it to the name's tag).
            used = self.store.resolve(target).digest
        except PyBuildKitError:
            used = pulled.descriptor.digest
        with self._lock:
            self.bases[ref] = str(pulled.reference)
            self.images_used[ref] = used
        return loaded

    def _directory_image(self, named: NamedContext) -> BaseImage:
        assert named.directory is not None
        context = self._named_context(named)
        digest = ContextDigests(context).digest_paths(["."])
        entries = list(ContextTree(context, f"build context {named.name}").walk(""))
        layer = self._write(entries) if entries else None
        return BaseImage(
            key=base_key("context", named.name, digest=digest),
            layers=(layer,) if layer is not None else (),
        )

    def _named_context(self, named: NamedContext) -> BuildContext:
        assert named.directory is not None
        with self._lock:
            found = self._contexts.get(named.name)
            if found is None:
                found = BuildContext.open(named.directory)
                self._contexts[named.name] = found
        return found

    # -- views --------------------------------------------------------------------------------------

    def index(self, layer: LayerRef) -> LayerIndex:
        return self.snapshots.index(layer)

    def view(self, layers: Sequence[LayerRef]) -> RootView:
        return RootView(self.index(layer) for layer in layers)

    # -- inputs -------------------------------------------------------------------------------------

    def _source_tree(
        self, step: Step, states: Mapping[int, StageState]
    ) -> tuple[SourceTree | None, str, str]:
        """The tree a COPY/ADD reads, a name for it, and its key ("" for the build context)."""
        instruction = step.instruction
        if isinstance(instruction, CopyInstruction) and instruction.from_:
            if step.planned.source_stage is not None:
                state = states[step.planned.source_stage]
                return (
                    ViewTree(self.view(state.layers), f"stage {instruction.from_}"),
                    instruction.from_,
                    state.key,
                )
            named = self.named.get(instruction.from_)
            if named is not None and named.directory is not None:
                context = self._named_context(named)
                tree = ContextTree(context, f"build context {named.name}")
                return tree, named.name, ContextDigests(context).digest_paths(["."])
            try:
                base = self.image(instruction.from_)
            except BuildError as error:
                from pybuildkit.instructions.suggest import did_you_mean

                # The image's own words (no such image in the store, or why the pull failed) after ours.
                detail = error.message.removeprefix(f"{instruction.from_}: ")
                raise BuildError(
                    f"--from={instruction.from_}: no stage named {instruction.from_!r} and {detail}",
                    hint=did_you_mean(instruction.from_, self.stage_names)
                    or error.hint
                    or "name a stage defined above, an image in the store, or a --build-context",
                ) from None
            return ViewTree(self.view(base.layers), f"image {instruction.from_}"), instruction.from_, base.key
        return ContextTree(self.context), "", ""

    def inputs(self, step: Step, states: Mapping[int, StageState]) -> StepInputs:
        instruction = step.instruction
        if isinstance(instruction, RunInstruction):
            return self._mount_inputs(step, instruction, states)
        if not isinstance(instruction, CopyInstruction | AddInstruction):
            return StepInputs()
        tree, name, key = self._source_tree(step, states)
        if key:
            return StepInputs(sources=((name or "source", key),), payload=tree)
        files: list[tuple[str, str]] = []
        downloads: list[Download] = []
        assert isinstance(tree, ContextTree)
        for source in instruction.sources:
            if is_git(source):
                raise CopyError(
                    f"{source}: adding a git repository is not supported by this builder",
                    hint="clone it into the build context first, or ADD a release archive URL",
                )
            if is_url(source):
                if not isinstance(instruction, AddInstruction):
                    raise CopyError("source can't be a URL for COPY", hint="use ADD to download a file")
                if instruction.checksum:
                    files.append((source, check_checksum(instruction.checksum)))
                else:
                    fetched = download(source, self.work / "downloads")
                    downloads.append(fetched)
                    files.append((source, fetched.digest))
                    self.volatile = True
                continue
            if isinstance(instruction, AddInstruction) and instruction.checksum:
                raise CopyError("checksum can't be specified for non-HTTP(S) sources")
            files.extend(self._context_digests(tree, source))
        return StepInputs(files=tuple(files), payload=(tree, tuple(downloads)))

    def _mount_source(
        self, mount: Mount, step: Step, states: Mapping[int, StageState]
    ) -> tuple[str, str, tuple[LayerRef, ...]]:
        """(name, key, layers) of a bind mount's `from` (a stage or an image); ("", "", ()) for the context."""
        if not mount.from_:
            return "", "", ()
        wanted = mount.from_.lower()
        index = next((i for i in step.planned.mount_stages if self._stage_name(i) == wanted), None)
        if index is None and mount.from_.isdigit():
            index = int(mount.from_)
        if index is not None and index in states:
            return f"stage {mount.from_}", states[index].key, states[index].layers
        base = self.image(mount.from_)
        return f"image {mount.from_}", base.key, base.layers

    def _stage_name(self, index: int) -> str:
        return self.stage_names_by_index.get(index, "")

    def _mount_inputs(
        self, step: Step, instruction: RunInstruction, states: Mapping[int, StageState]
    ) -> StepInputs:
        files: list[tuple[str, str]] = []
        sources: list[tuple[str, str]] = []
        tree = ContextTree(self.context)
        for mount in instruction.mounts:
            match mount.type:
                case MountType.BIND:
                    name, key, _ = self._mount_source(mount, step, states)
                    if key:
                        sources.append((f"mount {mount.target}: {name}", key))
                    else:
                        for path, digest in self._context_digests(tree, mount.source or "."):
                            files.append((f"mount {mount.target}: {path}", digest))
                case MountType.CACHE:
                    # The content is not an input (BuildKit keeps it out of the key), its seed is.
                    name, key, _ = self._mount_source(mount, step, states)
                    if key:
                        sources.append((f"mount {mount.target}: {name}", key))
                case MountType.TMPFS | MountType.SECRET | MountType.SSH:
                    pass  # secrets and agents are keyed by their id (in the instruction), never their content
        # The build-level network and extra hosts are part of the step, as in BuildKit's ExecOp meta.
        options = self.run_options
        if instruction.network.value == "default" and options.network is not BuildNetwork.DEFAULT:
            sources.append(("network", options.network.value))
        if options.extra_hosts:
            sources.append(("add-host", ",".join(f"{h}={ip}" for h, ip in options.extra_hosts)))
        return StepInputs(files=tuple(files), sources=tuple(sources))

    def _mounts(
        self,
        step: Step,
        instruction: RunInstruction,
        states: Mapping[int, StageState],
        work: Path,
        stack: contextlib.ExitStack,
        env: list[tuple[str, str]],
    ) -> list[Any]:
        """The sandbox mounts of a RUN: binds (context, stage, image), cache directories, tmpfs, secrets
        and SSH agent sockets. Cache locks are held on `stack`; variables for the command go to `env`."""
        from pybuildkit.execute import sandbox

        out: list[Any] = []
        agents = 0
        for number, mount in enumerate(instruction.mounts):
            target = (
                mount.target if mount.target.startswith("/") else f"{step.workdir.rstrip('/')}/{mount.target}"
            )
            match mount.type:
                case MountType.BIND:
                    name, _, layers = self._mount_source(mount, step, states)
                    if name:
                        view = self.view(layers)
                        source = work / f"mount-{number}"
                        sub, entry = view.resolve(mount.source or "")
                        if entry is None:
                            raise BuildError(f"--mount source {mount.source} not found in {name}")
                        materialize(RootView([_subtree(view, sub)]), source)
                        if entry.kind is not EntryKind.DIRECTORY:
                            source = source / (sub.rpartition("/")[2] or "file")
                    else:
                        try:
                            source = self.context.resolve(mount.source or ".")
                        except PyBuildKitError as error:
                            raise BuildError(error.message, hint=error.hint) from None
                        if not source.exists():
                            raise BuildError(f"--mount source {mount.source}: not found in the build context")
                        if not mount.read_only:
                            # A writable bind sees a copy; what the command writes there is thrown away.
                            copy = work / f"mount-{number}"
                            if source.is_dir():
                                shutil.copytree(source, copy, symlinks=True)
                            else:
                                shutil.copy2(source, copy)
                            source = copy
                    out.append(sandbox.BindMount(source=source, target=target, readonly=mount.read_only))
                case MountType.CACHE:
                    directory = self._cache_dir(mount, step, states, work, number, stack)
                    out.append(sandbox.BindMount(source=directory, target=target, readonly=False))
                case MountType.TMPFS:
                    out.append(sandbox.TmpfsMount(target=target, size=mount.size_limit or None))
                case MountType.SECRET:
                    secret = self.run_options.secret(mount.secret_id)
                    if secret is None:
                        if mount.required:
                            raise BuildError(
                                f"secret {mount.secret_id} not found",
                                hint=f"pass it with --secret id={mount.secret_id},src=FILE",
                            )
                        continue  # an optional secret that was not given: no mount (BuildKit's rule)
                    value = secret.read()
                    if mount.env is not None:
                        env.append((mount.env, value.decode("utf-8", "surrogateescape")))
                    if mount.secret_target is not None:
                        out.append(
                            sandbox.FileMount(
                                target=_absolute(mount.secret_target, step.workdir),
                                content=value,
                                mode=mount.mode if mount.mode is not None else 0o400,
                                uid=mount.uid or 0,
                                gid=mount.gid or 0,
                            )
                        )
                case MountType.SSH:
                    ident = mount.cache_id or "default"
                    agent = self.run_options.agent(ident)
                    if agent is None:
                        if mount.required:
                            raise BuildError(
                                f"no SSH key {ident!r} forwarded from the client",
                                hint=f"pass --ssh {ident}=$SSH_AUTH_SOCK to `pybuildkit build`",
                            )
                        continue
                    if not agent.socket.exists():
                        raise BuildError(f"--ssh {ident}: agent socket {agent.socket} does not exist")
                    where = (
                        _absolute(mount.target, step.workdir)
                        if mount.target
                        else f"/run/buildkit/ssh_agent.{agents}"
                    )
                    agents += 1
                    out.append(sandbox.BindMount(source=agent.socket, target=where, readonly=False))
                    if agents == 1:
                        env.append(("SSH_AUTH_SOCK", where))
        return out

    def _cache_dir(
        self,
        mount: Mount,
        step: Step,
        states: Mapping[int, StageState],
        work: Path,
        number: int,
        stack: contextlib.ExitStack,
    ) -> Path:
        """The host directory of a cache mount, with its `sharing` enforced across threads and processes:
        `shared` takes a shared lock, `locked` waits for an exclusive one, `private` takes an exclusive one
        or, when the cache is busy, gets a fresh directory of its own (thrown away after the step)."""
        from pybuildkit.instructions.mounts import ShareMode
        from pybuildkit.store.files import flocked

        name, _, layers = self._mount_source(mount, step, states)
        ident = hashlib.sha256(f"{mount.effective_cache_id}\0{name}".encode()).hexdigest()[:32]
        base = self.store.root / "cache-mounts"
        directory = base / ident
        sharing = mount.effective_sharing
        lock = base / f"{ident}.lock"
        match sharing:
            case ShareMode.SHARED:
                stack.enter_context(flocked(lock, shared=True))
            case ShareMode.LOCKED:
                stack.enter_context(flocked(lock))
            case ShareMode.PRIVATE:
                if not stack.enter_context(flocked(lock, blocking=False)):
                    directory = work / f"cache-{number}"
            case _:
                assert_never(sharing)
        if not directory.is_dir():
            fresh = work / f"cache-new-{number}"
            if name:
                # `from=`: the cache starts as a copy of that stage's or image's `source` directory.
                view = self.view(layers)
                sub, entry = view.resolve(mount.source or "")
                if entry is None or entry.kind is not EntryKind.DIRECTORY:
                    raise BuildError(
                        f"--mount type=cache: source {mount.source or '/'} is not a directory in {name}"
                    )
                materialize(RootView([_subtree(view, sub)]), fresh)
            else:
                fresh.mkdir(parents=True)
            os.chmod(fresh, mount.mode if mount.mode is not None else 0o755)
            if os.geteuid() == 0:
                os.chown(fresh, mount.uid or 0, mount.gid or 0)
            directory.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(fresh, directory)
            except OSError:
                if not directory.is_dir():
                    raise
        return directory

    def _context_digests(self, tree: ContextTree, source: str) -> list[tuple[str, str]]:
        clean = "/".join(p for p in source.split("/") if p not in ("", "."))
        from pybuildkit.execute.copy import _WILDCARD, _missing

        matches = glob(tree, clean) if _WILDCARD.search(clean) else [clean]
        with self._lock:
            self.read_paths.update(m.rpartition("/")[0] for m in matches)
            self.read_paths.update(m for m in matches)
        if not matches:
            raise _missing(source, tree)
        out: list[tuple[str, str]] = []
        for match in matches:
            path, entry = tree.resolve(match)
            if entry is None:
                raise _missing(source, tree)
            if path != match:
                out.append((match, "link:" + path))
            items = (
                list(tree.listing(path)) if entry.kind is EntryKind.DIRECTORY else [tree.context.entry(path)]
            )
            with self._lock:
                self.read_paths.update(item.path for item in items if item is not None)
            # Hash the files on a few threads (hashlib and reads release the GIL).
            wanted = [item.path for item in items if item is not None and item.kind is ContextKind.FILE]
            if len(wanted) > 8:
                with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
                    digests = dict(zip(wanted, pool.map(self.digests.file_digest, wanted), strict=True))
            else:
                digests = {path: self.digests.file_digest(path) for path in wanted}
            for item in items:
                if item is None:
                    continue
                match item.kind:
                    case ContextKind.FILE:
                        value = digests[item.path]
                    case ContextKind.SYMLINK:
                        value = "link:" + (item.link_target or "")
                    case ContextKind.DIR:
                        value = "dir"
                    case ContextKind.OTHER:
                        value = "other"
                out.append((item.path, f"{value}:{item.mode & 0o7777:o}"))
        return out

    # -- cache --------------------------------------------------------------------------------------

    def cache_get(self, key: str) -> dict[str, Any] | None:
        record = self.store.cache_get(key)
        # A local miss asks the --cache-from caches: a hit downloads the record's layers and files it locally.
        for remote in self._remotes() if record is None else ():
            if record is not None:
                break
            try:
                record = remote.get(key)
            except PyBuildKitError as error:
                raise BuildError(
                    f"--cache-from {remote.reference}: {error.message}", hint=error.hint
                ) from None
        if record is not None:
            self._note_key(key, record)
        return record

    def _remotes(self) -> tuple[Any, ...]:
        with self._remote_lock:
            if self.open_remote_caches is not None:
                opener, self.open_remote_caches = self.open_remote_caches, None
                self.remote_caches = opener()
            return self.remote_caches

    def _note_key(self, key: str, record: Mapping[str, Any]) -> None:
        layer = record.get("layer")
        with self._lock:
            self.cache_keys[key] = str(layer.get("digest", "")) if isinstance(layer, Mapping) else ""

    def cache_put(self, key: str, record: Mapping[str, Any], parts: KeyParts, slot: str) -> None:
        layer = record.get("layer")
        blobs = [str(layer["digest"])] if isinstance(layer, Mapping) else []
        self.store.cache_put(key, record, blobs=blobs)
        self._note_key(key, record)
        self.store.cache_put("explain:" + slot, {"parts": parts.to_json()})

    def last_parts(self, slot: str) -> KeyParts | None:
        record = self.store.cache_get("explain:" + slot)
        if record is None or not isinstance(record.get("parts"), dict):
            return None
        return KeyParts.from_json(record["parts"])

    # -- steps --------------------------------------------------------------------------------------

    def execute(
        self, step: Step, state: StageState, inputs: StepInputs, states: Mapping[int, StageState]
    ) -> LayerRef | None:
        instruction = step.instruction
        if isinstance(instruction, CopyInstruction | AddInstruction):
            return self._copy(step, instruction, state, inputs)
        if isinstance(instruction, WorkdirInstruction):
            return self._workdir(step, instruction, state)
        if isinstance(instruction, RunInstruction):
            return self._run(step, state, states)
        return None

    def _copy(
        self, step: Step, instruction: CopyInstruction | AddInstruction, state: StageState, inputs: StepInputs
    ) -> LayerRef | None:
        view = RootView(()) if instruction.link else self.view(state.layers)
        chown = parse_chown(instruction.chown, self.view(state.layers)) if instruction.chown else None
        downloads: tuple[Download, ...] = ()
        if isinstance(inputs.payload, tuple):
            tree, downloads = inputs.payload
        else:
            tree = inputs.payload
        for source in instruction.sources:
            if is_url(source) and not any(d.url == source for d in downloads):
                assert isinstance(instruction, AddInstruction)
                downloads = (
                    *downloads,
                    download(source, self.work / "downloads", checksum=instruction.checksum),
                )
        is_add = isinstance(instruction, AddInstruction)
        unpack = is_add and (instruction.unpack is not False)  # type: ignore[union-attr]
        from_stage = isinstance(tree, ViewTree)
        request = CopyRequest(
            command="ADD" if is_add else "COPY",
            sources=tuple(s for s in instruction.sources if not is_url(s)),
            inline=tuple(
                Inline(name=c.path, data=c.data.encode("utf-8", "surrogateescape"))
                for c in instruction.contents
            ),
            downloads=downloads,
            dest=instruction.dest,
            workdir=step.workdir,
            tree=tree,
            dest_view=view,
            chown=chown,
            chmod=instruction.chmod,
            parents=isinstance(instruction, CopyInstruction) and instruction.parents,
            excludes=instruction.excludes,
            unpack=unpack and not from_stage,
            unpack_urls=is_add and instruction.unpack is True,  # type: ignore[union-attr]
            unpack_dir=self.work / "extracted",
            from_stage=from_stage,
        )
        entries = copy_entries(request)
        return self._write(entries) if entries else None

    def _workdir(self, step: Step, instruction: WorkdirInstruction, state: StageState) -> LayerRef | None:
        path = normalize_workdir(step.workdir, instruction.path).strip("/")
        if not path:
            return None
        view = self.view(state.layers)
        resolved, existing = view.resolve(path)
        if existing is not None:
            if existing.kind is EntryKind.DIRECTORY:
                return None
            raise BuildError(f"WORKDIR {instruction.path}: /{resolved} exists and is not a directory")
        uid = gid = 0
        if step.user:
            try:
                uid, gid = parse_chown(step.user, view)
            except CopyError:
                uid = gid = 0
            if ":" not in step.user:
                gid = _primary_gid(view, uid)
        entries = []
        parts = resolved.split("/")
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            found = view.raw(sub)
            if found is not None and found.kind is EntryKind.DIRECTORY:
                entries.append(found)
            else:
                entries.append(Entry.directory(sub, mode=0o755, uid=uid, gid=gid))
        return self._write(entries)

    def _run(self, step: Step, state: StageState, states: Mapping[int, StageState]) -> LayerRef | None:
        """RUN in the sandbox: the stack flattened into one lower directory, a fresh upperdir as the layer."""
        reason = self.run_available() if self.run_available is not None else "RUN needs the sandbox"
        if reason:
            raise BuildError(reason, hint="`pybuildkit doctor` says what this machine allows")
        from pybuildkit.execute import sandbox

        instruction = step.instruction
        assert isinstance(instruction, RunInstruction)
        planned = step.planned
        work = Path(tempfile.mkdtemp(prefix="run-", dir=self.work))
        lower, upper, scratch = work / "lower", work / "upper", work / "scratch"
        upper.mkdir()
        locks = contextlib.ExitStack()
        try:
            lowerdirs = self._lowerdirs(state.layers, lower)
            extra_env: list[tuple[str, str]] = []
            mounts: list[sandbox.Mount] = self._mounts(step, instruction, states, work, locks, extra_env)
            env = (
                tuple(planned.env)
                + tuple((k, v) for k, _, v in (item.partition("=") for item in self.proxy_env))
                + tuple(extra_env)
            )
            if planned.script is not None:
                name, content = planned.script
                mounts.append(
                    sandbox.FileMount(
                        target=f"/dev/pipes/{name}",
                        content=content.encode("utf-8", "surrogateescape"),
                        mode=0o755,
                    )
                )
            output = bytearray()

            def keep(chunk: bytes) -> None:
                output.extend(chunk)
                del output[: max(0, len(output) - (64 << 10))]

            spec = sandbox.RunSpec(
                lowerdirs=lowerdirs,
                upperdir=upper,
                scratch=scratch,
                argv=planned.argv or (),
                env=env,
                cwd=step.workdir or "/",
                user=step.user,
                network=self._network(instruction),
                extra_hosts=self.run_options.extra_hosts,
                mounts=tuple(mounts),
                stdout=keep,
                stderr=keep,
            )
            try:
                with locks:
                    result = sandbox.run(spec)
            except PyBuildKitError as error:
                raise BuildError(f"RUN cannot start: {error.message}", hint=error.hint) from None
            if result.exit_code != 0:
                tail = bytes(output).decode("utf-8", "replace").splitlines()[-12:]
                detail = result.exec_error or f"exit code: {result.exit_code}"
                if result.signal is not None and not result.exec_error:
                    detail += f" (killed by signal {result.signal})"
                # BuildKit's words: `process "/bin/sh -c ..." did not complete successfully: exit code: N`.
                command = json.dumps(" ".join(planned.argv or ()), ensure_ascii=False)
                raise BuildError(
                    f"process {command} did not complete successfully: {detail}",
                    hint="its last output:\n" + "\n".join(tail) if tail else None,
                )
            skip = {p.strip("/") for p in result.placeholders}
            uids, gids = result.idmap.uids, result.idmap.gids

            def owned(entry: Entry) -> Entry:
                # The upperdir holds host ids; the layer holds the ids the container saw.
                if uids.is_identity and gids.is_identity:
                    return entry
                uid, gid = uids.to_container(entry.uid), gids.to_container(entry.gid)
                return replace(entry, uid=0 if uid is None else uid, gid=0 if gid is None else gid)

            entries = [owned(e) for e in upperdir_entries(upper) if e.path not in skip]
            if not entries:
                return None
            layer = self._write(entries, index=False)
            # The upperdir becomes the layer's snapshot (later steps read it; RUN gets it as a lower).
            directory = self.store.root / "snapshots" / digest_hex(layer.diff_id)
            if not (directory / "index.json").is_file():
                index = adopt_snapshot(
                    upper, entries, directory, temp_dir=self.store.temp_dir, tree=not result.placeholders
                )
            else:
                index = self.index(layer)
            with self._lock:
                self.indexes[layer.diff_id] = index
            return layer
        finally:
            locks.close()
            with contextlib.suppress(PyBuildKitError, OSError):
                sandbox.remove_tree(work)
            shutil.rmtree(work, ignore_errors=True)

    def _network(self, instruction: RunInstruction) -> Any:
        from pybuildkit.execute import sandbox

        wanted = instruction.network.value
        if wanted == "default":
            wanted = self.run_options.network.value
        # "default" is the host's network: an isolated namespace with outbound access needs slirp4netns
        # and /dev/net/tun, which ordinary users do not have here (docs/run.md).
        return sandbox.NetworkMode.NONE if wanted == "none" else sandbox.NetworkMode.HOST

    def _lowerdirs(self, layers: Sequence[LayerRef], scratch: Path) -> tuple[Path, ...]:
        return self.snapshots.lowerdirs(layers, scratch)

    def _write(self, entries: list[Entry], *, index: bool = True) -> LayerRef:
        with self.store.new_blob() as blob:
            written = write_layer(
                entries, blob, compression=self.compression, source_date_epoch=self.source_date_epoch
            )
        layer = LayerRef(
            digest=written.digest, diff_id=written.diff_id, size=written.size, media_type=written.media_type
        )
        if index:
            with self._lock:
                self.indexes.setdefault(layer.diff_id, LayerIndex.from_entries(entries))
        return layer

    def commit(self, image: Image, layers: Sequence[LayerRef]) -> Descriptor:
        return self.store.put_image(image, [layer.descriptor() for layer in layers])


def _absolute(path: str, workdir: str) -> str:
    return path if path.startswith("/") else f"{(workdir or '/').rstrip('/')}/{path}"


def _primary_gid(view: RootView, uid: int) -> int:
    data = view.read("etc/passwd") or b""
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[2] == str(uid) and parts[3].isdigit():
            return int(parts[3])
    return uid


def _pullable(ref: str) -> bool:
    """Whether `ref` reads as an image reference a registry could serve (not a digest-only store ID)."""
    from pybuildkit.image.reference import Reference

    if ref.startswith("sha256:"):
        return False
    try:
        Reference.parse(ref)
    except PyBuildKitError:
        return False
    return True


def _loopback(ref: str) -> bool:
    from pybuildkit.image.reference import Reference

    host = Reference.parse(ref).domain.rsplit(":", 1)[0]
    return host in ("127.0.0.1", "localhost", "[::1]")


def _from_registry(store: Store, loaded: StoredImage) -> bool:
    """Whether the image came from a registry (its config blob has a recorded source repository)."""
    from pybuildkit.registry.sources import blob_sources

    return loaded.manifest.config.digest in blob_sources(store)


def _base_from(loaded: StoredImage, ref: str) -> BaseImage:
    config = loaded.config
    layers = tuple(
        LayerRef(digest=d.digest, diff_id=diff, size=d.size, media_type=d.media_type)
        for d, diff in zip(loaded.manifest.layers, config.diff_ids, strict=False)
    )
    return BaseImage(
        key=base_key("image", ref, digest=loaded.descriptor.digest),
        layers=layers,
        config=config.config,
        history=config.history,
        os=config.os,
        architecture=config.architecture,
        variant=config.variant,
        digest=loaded.descriptor.digest,
    )


def _subtree(view: RootView, path: str) -> LayerIndex:
    """The part of a merged view below `path`, re-rooted (a bind mount's source from a stage)."""
    index = LayerIndex()
    entry = view.raw(path) if path else None
    if entry is not None and entry.kind is not EntryKind.DIRECTORY:
        index.add(replace(view.content(entry), path=path.rpartition("/")[2] or "file"))
        return index
    prefix = f"{path}/" if path else ""
    for item in view.walk(path):
        readable = view.content(item) if item.kind is EntryKind.HARDLINK else item
        index.add(replace(readable, path=item.path[len(prefix) :]))
    return index
