"""`build()`: options checked, store and context opened, the unchanged-rebuild short cut, the `Builder`
run with the `LocalExecutor`, the image stored, tagged and exported.

Order matters for "nothing half-written": every option is parsed before the store is touched, the image
is tagged and exported only after every step succeeded, and the temp directory of the build is removed
whatever happens.

An unchanged rebuild is short-circuited: a successful build records, under a key made of the Dockerfile's
bytes and every build option, the lstat of everything it read from the context (files, and the
directories that were listed) and the image it made. The next build with the same key stats those paths
and, when nothing changed, takes the recorded image without parsing the Dockerfile or reading a file (and
without importing the parser). A file changed just before the build started (20 ms, or 2 s on a filesystem
with whole-second timestamps) makes the record untrusted (it could change again without its stat showing
it), so such builds record nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pybuildkit.errors import ContextError, PyBuildKitError
from pybuildkit.execute.progress import ProgressEvent, Status
from pybuildkit.execute.result import BuildResult, BuildWarning, StepReport, rfc3339
from pybuildkit.image.platform import host_platform
from pybuildkit.image.spec import ImageConfig

if TYPE_CHECKING:
    from pybuildkit.context import BuildContext
    from pybuildkit.execute.local import LocalExecutor, NamedContext

Progress = Callable[[ProgressEvent], None]

FAST_VERSION = 4  # 4: records carry the build checks' warnings
FINE_RACY_NS = 20_000_000
COARSE_RACY_NS = 2_000_000_000


@dataclass(slots=True, kw_only=True)
class BuildSession:
    context_dir: Path
    dockerfile: str | os.PathLike[str] | None
    tags: tuple[str, ...]
    build_args: dict[str, str]
    target: str | None
    outputs: tuple[str, ...]
    no_cache: bool
    build_contexts: dict[str, str]
    root: str | os.PathLike[str] | None
    compression: str
    progress: Progress | None
    source_date_epoch: int | None
    platform: str | None
    explain_cache: bool
    dry_run: bool = False
    run_options: Any = None  # a runopts.RunOptions (secrets, ssh, network, extra hosts)
    # Registries: --pull, --push, --cache-to/--cache-from, and how to reach them (a RegistryOptions).
    pull: bool = False
    push: bool = False
    cache_to: tuple[str, ...] = ()
    cache_from: tuple[str, ...] = ()
    registry_options: Any = None
    offline: bool = False
    dockerfile_data: bytes | None = None  # the Dockerfile's text itself (`-f -`), instead of a file
    _vertex: int = field(default=0)

    def emit(self, event: ProgressEvent) -> None:
        if self.progress is not None:
            self.progress(event)

    # -- entry ------------------------------------------------------------------------------------------

    def run(self) -> BuildResult:
        from pybuildkit.store import Store

        context_root = Path(os.path.abspath(self.context_dir))
        if not context_root.is_dir():
            raise ContextError(
                f"{self.context_dir}: build context is not a directory",
                hint="pass the directory whose files the Dockerfile copies (often `.`)",
            )
        self._check_options()
        dockerfile: Path | None = None
        if self.dockerfile_data is not None:
            data = self.dockerfile_data
        else:
            dockerfile = _find_dockerfile(self.context_dir, self.dockerfile)
            data = _read(dockerfile)
        sde = self.source_date_epoch
        if sde is None and self.build_args.get("SOURCE_DATE_EPOCH", "").isdigit():
            sde = int(self.build_args["SOURCE_DATE_EPOCH"])
        platform = self.platform or str(host_platform())
        store = Store(self.root)
        fast_key = _hash(
            {
                "v": FAST_VERSION,
                "context": str(context_root),
                "dockerfile": os.path.abspath(dockerfile) if dockerfile is not None else "-",
                "text": hashlib.sha256(data).hexdigest(),
                "args": sorted(self.build_args.items()),
                "target": self.target or "",
                "platform": platform,
                "compression": self.compression,
                "sde": sde,
                "contexts": sorted(self.build_contexts.items()),
                # Secrets and agents are not keyed (their content never is); network and hosts are.
                "run": _run_key(self.run_options),
            }
        )
        caches = self._cache_specs()
        # --pull asks the registries whether a base moved, so the short cut (which asks none) is not taken.
        result = None if self.no_cache or self.dry_run or self.pull else self._fast(store, fast_key)
        # The common unchanged rebuild: tags and OCI layouts that are already up to date are checked
        # without importing the exporters.
        if (
            result is not None
            and not self.push
            and not caches[0]
            and all(_layout_current(_light_layout(text), result) for text in self.outputs)
        ):
            self._finish(store, result, [], sde)
            return result
        specs = self._specs()
        if result is None:
            compression = _compression(self.compression)
            result = self._full(store, context_root, dockerfile, data, sde, compression, platform, fast_key)
        if not self.dry_run:
            self._finish(store, result, specs, sde)
            result = self._registries(store, result, specs, caches[0])
        return result

    def _cache_specs(self) -> tuple[list[Any], list[Any]]:
        """The `--cache-to` and `--cache-from` values, parsed before anything is built."""
        if not self.cache_to and not self.cache_from:
            return [], []
        from pybuildkit.registry import CacheSpec

        # Option errors name the option, not a Dockerfile line: CacheSpec raises a plain PyBuildKitError.
        to = [CacheSpec.parse(text, flag="--cache-to") for text in self.cache_to]
        from_ = [CacheSpec.parse(text, flag="--cache-from") for text in self.cache_from]
        return to, from_

    def _registries(
        self, store: Any, result: BuildResult, specs: list[Any], cache_to: list[Any]
    ) -> BuildResult:
        """After the image is stored and tagged: push it (--push, `type=image,push=true`, `type=registry`),
        then export the step cache (--cache-to). A failure here leaves the local image in place."""
        names = [*(result.tags if self.push else ()), *(spec.dest for spec in specs if spec.pushes)]
        if self.push and not result.tags:
            raise PyBuildKitError(
                "--push needs a name to push to", hint="name the image with -t REGISTRY/REPO:TAG"
            )
        if not names and not cache_to:
            return result
        from pybuildkit.registry import CacheRecord, export_cache, push_all

        pushed: list[str] = []
        number = self._vertex + 2
        if names:
            label = "pushing " + ", ".join(dict.fromkeys(names))
            self.emit(ProgressEvent(vertex=number, name=label, status=Status.START))
            started = time.monotonic()
            try:
                done = push_all(
                    store, result.descriptor, list(dict.fromkeys(names)), options=self.registry_options
                )
            except PyBuildKitError as error:
                self.emit(
                    ProgressEvent(vertex=number, name=label, status=Status.ERROR, message=error.message)
                )
                raise
            pushed = [str(item.reference) for item in done]
            self.emit(
                ProgressEvent(
                    vertex=number, name=label, status=Status.DONE, duration=time.monotonic() - started
                )
            )
            number += 1
        if cache_to:
            layers = {layer.digest for layer in (result.manifest.layers if result.manifest else ())}
            records = [
                record
                for key, layer in result.cache_keys
                for record in [CacheRecord.from_store(store, key, in_result=not layer or layer in layers)]
                if record is not None
            ]
            for spec in cache_to:
                label = f"exporting cache to {spec.ref.familiar()}"
                self.emit(ProgressEvent(vertex=number, name=label, status=Status.START))
                started = time.monotonic()
                try:
                    export_cache(store, spec.ref, records, mode=spec.mode, options=self.registry_options)
                except PyBuildKitError as error:
                    self.emit(
                        ProgressEvent(vertex=number, name=label, status=Status.ERROR, message=error.message)
                    )
                    raise
                self.emit(
                    ProgressEvent(
                        vertex=number, name=label, status=Status.DONE, duration=time.monotonic() - started
                    )
                )
                number += 1
        return replace(result, pushed=tuple(pushed))

    def _check_options(self) -> None:
        """Refuse a bad `-t`, `--platform` or `--compression` before anything runs or is written."""
        from pybuildkit.image.platform import InvalidPlatformError, Platform
        from pybuildkit.store import tag_name

        for tag in self.tags:
            try:
                tag_name(tag)
            except PyBuildKitError as error:
                # `invalid reference 'X': why` → docker's `invalid tag "X": why`
                reason = error.message.removeprefix(f"invalid reference {tag!r}: ")
                raise PyBuildKitError(f"invalid tag {json.dumps(tag)}: {reason}", hint=error.hint) from None
        if self.platform is not None:
            try:
                Platform.parse(self.platform)
            except InvalidPlatformError as error:
                raise PyBuildKitError(
                    f"--platform {self.platform}: {error.message}", hint=error.hint
                ) from None
        _compression(self.compression)

    def _specs(self) -> list[Any]:
        """The `--output`s, parsed (before anything is written, so a bad one changes nothing)."""
        if not self.outputs:
            return []
        from pybuildkit.output import OutputSpec

        return [OutputSpec.parse(text) for text in self.outputs]

    def _finish(self, store: Any, result: BuildResult, specs: list[Any], sde: int | None) -> None:
        number = self._vertex + 1
        started = time.monotonic()
        name = "exporting to image"
        self.emit(ProgressEvent(vertex=number, name=name, status=Status.START))
        for tag in result.tags:
            if not (result.short_circuited and _tagged(store, tag, result.digest)):
                store.tag(tag, result.descriptor)
        for spec in specs:
            from pybuildkit.output import OutputKind, export

            if (
                result.short_circuited
                and spec.kind is OutputKind.OCI_LAYOUT
                and _layout_current(Path(spec.dest), result)
            ):
                continue  # an unchanged rebuild into an up-to-date layout: nothing to write
            export(store, result.descriptor, spec, names=result.tags, source_date_epoch=sde)
        self.emit(
            ProgressEvent(vertex=number, name=name, status=Status.DONE, duration=time.monotonic() - started)
        )

    # -- the short cut ----------------------------------------------------------------------------------

    def _fast(self, store: Any, key: str) -> BuildResult | None:
        record = store.cache_get("build:" + key)
        if record is None or record.get("version") != FAST_VERSION:
            return None
        lstat = os.lstat
        # `stats`: a flat list, six items per context path: the path relative to `root`, then mode, size,
        # mtime_ns, ctime_ns, inode (mode -1: the path was absent). Flat, so the record loads fast.
        root = str(record.get("root", ""))
        flat = record.get("stats", ())
        for i in range(0, len(flat), 6):
            try:
                st = lstat(root + flat[i])
            except OSError:
                if flat[i + 1] == -1:
                    continue
                return None
            if (
                st.st_mtime_ns != flat[i + 3]
                or st.st_ctime_ns != flat[i + 4]
                or st.st_size != flat[i + 2]
                or st.st_ino != flat[i + 5]
                or st.st_mode != flat[i + 1]
            ):
                return None
        for path, expected in record.get("extra", ()):
            if _stat_tuple(path) != expected:
                return None
        for ref, digest in (record.get("images") or {}).items():
            try:
                if store.resolve(ref).digest != digest:
                    return None
            except PyBuildKitError:
                return None
        try:
            stored = store.load(str(record["digest"]))
        except (PyBuildKitError, KeyError):
            return None
        steps = []
        for vertex, label in record.get("vertices", ()):
            self.emit(ProgressEvent(vertex=vertex, name=label, status=Status.START))
            self.emit(ProgressEvent(vertex=vertex, name=label, status=Status.CACHED, duration=0.0))
            self._vertex = max(self._vertex, vertex)
        for item in record.get("steps", ()):
            steps.append(
                StepReport(
                    stage=int(item[0]),
                    index=int(item[1]),
                    label=str(item[2]),
                    key=str(item[3]),
                    cached=True,
                    layer=str(item[4]),
                )
            )
        return BuildResult(
            digest=stored.descriptor.digest,
            descriptor=stored.descriptor,
            manifest=stored.manifest,
            config=stored.config,
            tags=self.tags,
            steps=tuple(steps),
            short_circuited=True,
            cache_keys=tuple((str(k), str(d)) for k, d in record.get("cache_keys", ())),
            bases=tuple((str(r), str(b)) for r, b in record.get("bases", ())),
            warnings=tuple(BuildWarning.from_record(item) for item in record.get("warnings", ())),
        )

    # -- the full build ---------------------------------------------------------------------------------

    def _full(
        self,
        store: Any,
        context_root: Path,
        dockerfile: Path | None,
        data: bytes,
        sde: int | None,
        compression: Any,
        platform: str,
        fast_key: str,
    ) -> BuildResult:
        from pybuildkit.api import parse
        from pybuildkit.context import BuildContext, ContextDigests
        from pybuildkit.execute.builder import Builder
        from pybuildkit.execute.checks import run_checks
        from pybuildkit.execute.executor import DryRunExecutor, Executor
        from pybuildkit.execute.local import LocalExecutor
        from pybuildkit.plan import load_program
        from pybuildkit.plan.resolve import BaseImageConfig
        from pybuildkit.plan.steps import build_steps

        started_ns = time.time_ns()
        # `-f -`: the Dockerfile has no file; errors name it `Dockerfile`, as docker's do.
        filename = os.path.abspath(dockerfile) if dockerfile is not None else "-"
        display = os.path.relpath(dockerfile) if dockerfile is not None else "Dockerfile"
        if display.startswith(".."):
            display = filename
        with store.lease():
            work = Path(tempfile.mkdtemp(prefix="build-", dir=store.temp_dir))
            remotes: list[Any] = []  # the --cache-from caches opened (on the first local miss)
            try:
                context = BuildContext.open(context_root, dockerfile=dockerfile)
                digests = ContextDigests(context, cache_dir=store.root / "context-cache")
                named = self._named(store)
                executor = LocalExecutor(
                    store,
                    context,
                    digests,
                    compression=compression,
                    source_date_epoch=sde,
                    named=named,
                    platform=platform,
                    work=work,
                    run_options=self.run_options,
                )
                executor.run_available = _run_available
                executor.registry_options = self.registry_options
                executor.pull = self.pull
                executor.offline = self.offline
                cache_from = self._cache_specs()[1]
                if cache_from:

                    def open_caches() -> tuple[Any, ...]:
                        remotes.extend(self._import_caches(store, cache_from))
                        return tuple(remotes)

                    executor.open_remote_caches = open_caches
                self._vertex = 0
                text = data.decode("utf-8", "surrogateescape")
                # BuildKit's build checks run as it converts the Dockerfile (a bad `# check=` fails first).
                checks = run_checks(
                    text,
                    filename=display,
                    build_args=self.build_args,
                    context_dir=context_root,
                    dockerfile=dockerfile,
                )
                tree = parse(text, filename=display)
                configs: dict[str, ImageConfig | None] = {}

                def image_config(name: str) -> ImageConfig | None:
                    if name not in configs:
                        try:
                            configs[name] = executor.image(name).config
                        except PyBuildKitError:
                            configs[name] = None
                    return configs[name]

                def lookup(name: str, _platform: object) -> BaseImageConfig | None:
                    config = image_config(name)
                    if config is None:
                        return None
                    return BaseImageConfig(
                        env=config.env,
                        on_build=config.on_build,
                        shell=config.shell,
                        working_dir=config.working_dir,
                        user=config.user,
                    )

                plan = load_program(
                    tree,
                    build_args=self.build_args,
                    target=self.target,
                    platform=self.platform,
                    base_image=lookup,
                )
                # What BuildKit reports as it dispatches the stages the target needs (with their bases' ENV).
                checks = checks.for_plan(plan, text)
                checks.raise_for_error()  # `# check=error=true`: after conversion, before any step
                executor.stage_names = tuple(s.name for s in plan.program.stages if s.name)
                executor.stage_names_by_index = {s.index: s.name for s in plan.program.stages if s.name}
                executor.proxy_env = plan.proxy_env
                steps = build_steps(plan)
                os_, _, rest = platform.partition("/")
                arch, _, variant = rest.partition("/")
                runner: Executor = DryRunExecutor(executor) if self.dry_run else executor
                builder = Builder(
                    steps,
                    runner,
                    no_cache=self.no_cache,
                    explain_cache=self.explain_cache,
                    progress=self.progress,
                    options=(("compression", self.compression), ("source_date_epoch", str(sde))),
                    slot=f"{context_root}\0{os.path.abspath(filename)}\0{self.target or ''}",
                    created=rfc3339(sde if sde is not None else int(time.time())),
                    fixed_time=sde is not None,
                    default_platform=(os_, arch, variant),
                )
                image, layers, reports = builder.run()
                if self.dry_run:
                    descriptor = runner.commit(image, layers)
                    return BuildResult(
                        digest=descriptor.digest,
                        descriptor=descriptor,
                        manifest=None,
                        config=image,
                        steps=reports,
                        warnings=checks.warnings,
                    )
                descriptor = executor.commit(image, layers)
                digests.save()
                self._vertex = builder.vertices.next - 1
                stored = store.load(descriptor)
                result = BuildResult(
                    digest=descriptor.digest,
                    descriptor=descriptor,
                    manifest=stored.manifest,
                    config=stored.config,
                    tags=self.tags,
                    steps=reports,
                    cache_keys=tuple(sorted(executor.cache_keys.items())),
                    bases=tuple(sorted(executor.bases.items())),
                    warnings=checks.warnings,
                )
                vertices = sorted(
                    (number, label)
                    for (stage, index), number in builder.vertices.numbers.items()
                    for label in [_label(steps, stage, index)]
                )
                if not executor.volatile and not named_volatile(named):
                    self._record(
                        store,
                        fast_key,
                        context_root,
                        dockerfile,
                        context,
                        executor,
                        result,
                        vertices,
                        started_ns,
                    )
                return result
            finally:
                for remote in remotes:
                    remote.close()
                shutil.rmtree(work, ignore_errors=True)

    def _import_caches(self, store: Any, specs: list[Any]) -> tuple[Any, ...]:
        """Open each --cache-from (its manifest and record list; layers come when a step asks). A cache
        that cannot be read is skipped with a progress note, as BuildKit does: the build runs uncached."""
        if not specs:
            return ()
        from pybuildkit.registry import import_cache

        out = []
        for spec in specs:
            try:
                out.append(import_cache(store, spec.ref, options=self.registry_options))
            except PyBuildKitError as error:
                self.emit(
                    ProgressEvent(
                        vertex=0,
                        name=f"importing cache from {spec.ref.familiar()}",
                        status=Status.LOG,
                        message=f"skipped: {error.message}",
                    )
                )
        return tuple(out)

    def _named(self, store: Any) -> dict[str, NamedContext]:
        from pybuildkit.execute.local import NamedContext
        from pybuildkit.output import import_source

        out: dict[str, NamedContext] = {}
        for name, value in self.build_contexts.items():
            if value.startswith(("oci-layout://", "docker-archive://", "oci-archive://")):
                try:
                    imported = import_source(store, value)
                except PyBuildKitError as error:
                    raise PyBuildKitError(
                        f"--build-context {name}={value}: {error.message}", hint=error.hint
                    ) from None
                out[name] = NamedContext(name=name, image=imported.descriptor.digest)
            elif value.startswith("docker-image://"):
                out[name] = NamedContext(name=name, image=value.removeprefix("docker-image://"))
            elif "://" in value:
                raise PyBuildKitError(
                    f"--build-context {name}={value}: unsupported source",
                    hint="use a directory, oci-layout://DIR[:tag|@digest], docker-archive://FILE or docker-image://REF",
                )
            else:
                directory = Path(value)
                if not directory.is_dir():
                    raise PyBuildKitError(
                        f"--build-context {name}={value}: not a directory",
                        hint="a named context is a directory, oci-layout://DIR, docker-archive://FILE or docker-image://REF",
                    )
                out[name] = NamedContext(name=name, directory=directory.resolve())
        return out

    def _record(
        self,
        store: Any,
        key: str,
        context_root: Path,
        dockerfile: Path | None,
        context: BuildContext,
        executor: LocalExecutor,
        result: BuildResult,
        vertices: list[tuple[int, str]],
        started_ns: int,
    ) -> None:
        paths = {"", *executor.read_paths}
        root = str(context_root)
        flat: list[Any] = []
        checked: list[list[int] | None] = []
        for rel in sorted(paths):
            value = _stat_tuple(os.path.join(root, rel) if rel else root)
            flat += [rel, *(value or [-1, 0, 0, 0, 0])]
            checked.append(value)
        extra = [os.path.join(root, ".dockerignore")]
        if dockerfile is not None:
            extra += [os.path.abspath(dockerfile), os.path.abspath(f"{dockerfile}.dockerignore")]
        extras: list[tuple[str, list[int] | None]] = [(path, _stat_tuple(path)) for path in extra]
        for value in [*checked, *(item for _, item in extras)]:
            # Changed too close to the build: the stat could hide a later change (same rule as the
            # context's digest cache: whole-second ctimes mean a coarse filesystem, so a wider margin).
            if value is None:
                continue
            margin = COARSE_RACY_NS if value[3] % 1_000_000_000 == 0 else FINE_RACY_NS
            if max(value[2], value[3]) + margin >= started_ns:
                return
        record = {
            "version": FAST_VERSION,
            "root": root.rstrip("/") + "/",
            "stats": flat,
            "extra": extras,
            "images": dict(executor.images_used),
            "digest": result.digest,
            "vertices": vertices,
            "steps": [[s.stage, s.index, s.label, s.key, s.layer] for s in result.steps],
            "cache_keys": [list(item) for item in result.cache_keys],
            "bases": [list(item) for item in result.bases],
            "warnings": [w.to_record() for w in result.warnings],
        }
        with contextlib.suppress(PyBuildKitError, OSError):
            store.cache_put("build:" + key, record, blobs=[result.digest])


def _tagged(store: Any, tag: str, digest: str) -> bool:
    try:
        return bool(store.resolve(tag).digest == digest)
    except PyBuildKitError:
        return False


def _light_layout(text: str) -> Path | None:
    """The destination of a plain `type=oci-layout,dest=DIR` output (no other option), else None."""
    fields = dict(part.partition("=")[::2] for part in text.split(","))
    if set(fields) != {"type", "dest"} or fields["type"] != "oci-layout" or not fields["dest"]:
        return None
    return Path(fields["dest"])


def _layout_current(dest: Path | None, result: BuildResult) -> bool:
    """Whether an OCI layout already holds this image under every tag (and its blobs)."""
    if dest is None or not result.tags:
        return False
    try:
        index = json.loads((dest / "index.json").read_bytes())
    except (OSError, ValueError):
        return False
    found: dict[str, str] = {}
    for item in index.get("manifests") or ():
        name = (item.get("annotations") or {}).get("io.containerd.image.name")
        if isinstance(name, str):
            found[name] = str(item.get("digest"))
    from pybuildkit.image.reference import Reference

    for tag in result.tags:
        try:
            full = str(Reference.parse(tag))
        except PyBuildKitError:
            return False
        if found.get(full) != result.digest:
            return False
    blobs = dest / "blobs" / "sha256"
    wanted = [result.digest, *(layer.digest for layer in (result.manifest.layers if result.manifest else ()))]
    if result.manifest is not None:
        wanted.append(result.manifest.config.digest)
    return all((blobs / d.split(":", 1)[1]).is_file() for d in wanted)


def named_volatile(named: Mapping[str, NamedContext]) -> bool:
    return any(item.directory is not None for item in named.values())


def _label(steps: Any, stage: int, index: int) -> str:
    found = steps.stage(stage)
    return str(found.from_label if index < 0 else found.steps[index].label)


def _run_available() -> str | None:
    try:
        import pybuildkit.execute.sandbox as sandbox
    except ImportError:
        return "RUN needs the sandbox, which is not available in this installation"
    return None if hasattr(sandbox, "run") else "RUN needs the sandbox"


def _run_key(options: Any) -> object:
    if options is None:
        return None
    return [options.network.value, list(options.extra_hosts)]


def _hash(value: object) -> str:
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode("utf-8", "surrogateescape")).hexdigest()


def _find_dockerfile(context: str | os.PathLike[str], dockerfile: str | os.PathLike[str] | None) -> Path:
    """The Dockerfile to read: `dockerfile` (relative to the current directory, as docker's `-f`), else
    `Dockerfile` or `dockerfile` in the context. Errors name the path as the user wrote it."""
    if dockerfile is not None:
        path = Path(dockerfile)
        try:
            st = path.stat()
        except FileNotFoundError:
            inside = Path(context) / path
            hint = (
                f"-f is relative to the current directory, not to the context: did you mean {inside}?"
                if not path.is_absolute() and _is_file(inside)
                else "-f names a file relative to the current directory (or `-` for standard input)"
            )
            raise PyBuildKitError(f"no such Dockerfile: {dockerfile}", hint=hint) from None
        except OSError as error:
            raise PyBuildKitError(f"{dockerfile}: cannot read: {error.strerror}") from None
        if stat.S_ISDIR(st.st_mode):
            raise PyBuildKitError(
                f"{dockerfile} is a directory, not a Dockerfile",
                hint=f"name the file, e.g. -f {path / 'Dockerfile'}",
            )
        return path
    for name in ("Dockerfile", "dockerfile"):
        candidate = Path(context) / name
        try:
            if stat.S_ISREG(candidate.stat().st_mode):
                return candidate
        except FileNotFoundError:
            continue
        except OSError as error:
            raise PyBuildKitError(f"{Path(context) / 'Dockerfile'}: cannot read: {error.strerror}") from None
    raise PyBuildKitError(
        f"no Dockerfile in {context}", hint="write one, or name it with -f FILE (or -f - for standard input)"
    )


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise PyBuildKitError(f"{path}: cannot read: {error.strerror}") from None


def _compression(text: str) -> Any:
    """`--compression`, parsed (a `layers.compression.Compression`)."""
    from pybuildkit.layers.compression import Compression
    from pybuildkit.layers.entries import LayerError

    try:
        return Compression.parse(text)
    except LayerError as error:
        raise PyBuildKitError(f"--compression {text}: {error.message}", hint=error.hint) from None


def _stat_tuple(path: str) -> list[int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return [st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def build(
    context_dir: str | os.PathLike[str],
    *,
    dockerfile: str | os.PathLike[str] | None = None,
    dockerfile_data: bytes | None = None,
    tags: Sequence[str] = (),
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    outputs: Sequence[str] = (),
    no_cache: bool = False,
    build_contexts: Mapping[str, str] | None = None,
    root: str | os.PathLike[str] | None = None,
    compression: str = "gzip",
    progress: Progress | None = None,
    source_date_epoch: int | None = None,
    platform: str | None = None,
    explain_cache: bool = False,
    dry_run: bool = False,
    secrets: Sequence[str] = (),
    ssh: Sequence[str] = (),
    network: str = "default",
    add_hosts: Sequence[str] = (),
    pull: bool = False,
    push: bool = False,
    cache_to: Sequence[str] = (),
    cache_from: Sequence[str] = (),
    insecure_registries: Sequence[str] = (),
    registry_options: Any = None,
    offline: bool | None = None,
) -> BuildResult:
    """Build the Dockerfile in `context_dir` (or `dockerfile`, or the text `dockerfile_data`, as docker's
    `-f -`) into an image in the local store.

    `tags` name it in the store (`-t`), `outputs` export it (`type=oci-layout,dest=DIR`, `type=oci|docker|tar,
    dest=FILE`, `type=local,dest=DIR`), `build_contexts` are buildx's named contexts (`NAME: DIR |
    oci-layout://DIR[:tag|@digest] | docker-archive://FILE | docker-image://REF`). `progress` receives
    `ProgressEvent`s. Raises a `DockerfileError` (with the Dockerfile line) on bad input; nothing is tagged
    or exported then. With `dry_run`, the steps are planned and keyed and the cache is consulted, but
    nothing runs or is stored: the reports say which steps a build would run.

    BuildKit's build checks run on the Dockerfile (its `# check=` directive and the build args honoured):
    those that fired are in `BuildResult.warnings`; with `# check=error=true`, one that fires raises
    `execute.checks.BuildCheckError` (carrying the warnings) before any step runs.

    RUN options, as `docker build` has them: `secrets` (`id=ID,src=FILE` or `id=ID,env=NAME`), `ssh`
    (`default` or `ID=SOCKET`), `network` (`default`, `none`, `host`), `add_hosts` (`HOST:IP`).

    Registries: a FROM / `COPY --from` / `RUN --mount=from` image missing from the store is pulled (and
    remembered by digest: an unchanged rebuild asks no registry); `pull` checks the registry again. `push`
    pushes the image under every tag; `outputs` may also be `type=image,name=REF,push=true` or
    `type=registry,name=REF`. `cache_to` / `cache_from` (`type=registry,ref=REF[,mode=min|max]`) export and
    import the step cache. `insecure_registries` (or a whole `registry_options`, a `RegistryOptions`) says how
    to reach them. `offline` (default: `PYBUILDKIT_OFFLINE=1` in the environment) pulls only from loopback
    registries.
    """
    from pybuildkit.execute.runopts import run_options

    options = run_options(secrets=secrets, ssh=ssh, network=network, add_hosts=add_hosts)
    session = BuildSession(
        context_dir=Path(context_dir),
        dockerfile=dockerfile,
        dockerfile_data=dockerfile_data,
        tags=tuple(tags),
        build_args=dict(build_args or {}),
        target=target,
        outputs=tuple(outputs),
        no_cache=no_cache,
        build_contexts=dict(build_contexts or {}),
        root=root,
        compression=compression,
        progress=progress,
        source_date_epoch=source_date_epoch,
        platform=platform,
        explain_cache=explain_cache,
        dry_run=dry_run,
        run_options=options,
        pull=pull,
        push=push,
        cache_to=tuple(cache_to),
        cache_from=tuple(cache_from),
        registry_options=_registry_options(registry_options, insecure_registries),
        offline=os.environ.get("PYBUILDKIT_OFFLINE", "") in ("1", "true") if offline is None else offline,
    )
    return session.run()


def _registry_options(options: Any, insecure: Sequence[str]) -> Any:
    if options is None and not insecure:
        return None  # the registry client's defaults (and no import of it for a build that needs none)
    from pybuildkit.registry import RegistryOptions

    base = options if options is not None else RegistryOptions()
    return replace(base, insecure_registries=(*base.insecure_registries, *insecure))


__all__ = ["BuildResult", "BuildSession", "StepReport", "build"]
