"""`pybuildkit build`: build a Dockerfile into an image in the local store, and export it."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from pybuildkit.cli._common import add_root_argument
from pybuildkit.cli.pull import add_registry_arguments


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "build",
        help="build an image from a Dockerfile",
        description="Build an image from a Dockerfile and a context directory, without a daemon.",
    )
    parser.add_argument("context", metavar="CONTEXT", help="the build context directory")
    parser.add_argument(
        "-f",
        "--file",
        metavar="FILE",
        help="the Dockerfile (default: CONTEXT/Dockerfile; - reads it from standard input)",
    )
    parser.add_argument(
        "-t", "--tag", action="append", default=[], metavar="NAME", help="name the image (repeatable)"
    )
    parser.add_argument(
        "--build-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a build argument (repeatable)",
    )
    parser.add_argument("--target", metavar="STAGE", help="build this stage (and what it needs) only")
    parser.add_argument(
        "-o",
        "--output",
        action="append",
        default=[],
        metavar="type=TYPE,dest=PATH",
        help="export the image: type=oci|oci-layout|docker|local|tar (repeatable)",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not use the step cache")
    parser.add_argument(
        "--build-context",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a named context: DIR, oci-layout://DIR[:tag|@digest], docker-archive://FILE, docker-image://REF",
    )
    parser.add_argument(
        "--compression",
        default="gzip",
        metavar="ALG[,level=N]",
        help="layer compression: gzip (default) or zstd",
    )
    parser.add_argument(
        "--progress",
        default="auto",
        choices=("auto", "plain", "tty", "quiet", "rawjson"),
        help="how to show progress (default: tty on a terminal, else plain)",
    )
    parser.add_argument(
        "--explain-cache",
        action="store_true",
        help="say, for each step that missed the cache, which input changed",
    )
    parser.add_argument("--platform", metavar="OS/ARCH", help="the target platform (default: this machine's)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="plan and key the steps and consult the cache, but run and store nothing",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="run the build checks only, build nothing; exit 1 when a check fires (docker build --check)",
    )
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="id=ID,src=FILE|env=NAME",
        help="a secret for RUN --mount=type=secret (repeatable)",
    )
    parser.add_argument(
        "--ssh",
        action="append",
        default=[],
        metavar="default|ID=SOCKET",
        help="an SSH agent socket for RUN --mount=type=ssh (repeatable; default: $SSH_AUTH_SOCK)",
    )
    parser.add_argument(
        "--network", default="default", choices=("default", "none", "host"), help="the network of RUN steps"
    )
    parser.add_argument(
        "--add-host", action="append", default=[], metavar="HOST:IP", help="add a line to /etc/hosts in RUN"
    )
    parser.add_argument(
        "--pull",
        action="store_true",
        help="ask the registry whether each base image moved (else: no request)",
    )
    parser.add_argument("--push", action="store_true", help="push the image under every -t name")
    parser.add_argument(
        "--cache-to",
        action="append",
        default=[],
        metavar="type=registry,ref=REF[,mode=min|max]",
        help="export the step cache to a registry (repeatable)",
    )
    parser.add_argument(
        "--cache-from",
        action="append",
        default=[],
        metavar="type=registry,ref=REF",
        help="use a step cache exported to a registry (repeatable)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the image digest")
    add_root_argument(parser)
    add_registry_arguments(parser)
    parser.set_defaults(func=run)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    from pybuildkit.errors import PyBuildKitError

    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not key:
            raise PyBuildKitError(f"{option} {value!r}: expected KEY=VALUE")
        if not sep:
            # `--build-arg NAME` takes the value from the environment, as docker build does.
            env = os.environ.get(key)
            if env is None:
                if option == "--build-arg":
                    continue
                raise PyBuildKitError(f"{option} {value!r}: expected NAME=VALUE")
            rest = env
        out[key] = rest
    return out


def run(args: argparse.Namespace) -> int:
    from pybuildkit.errors import BuildError
    from pybuildkit.execute.progress import Renderer
    from pybuildkit.execute.result import BuildWarning
    from pybuildkit.execute.session import build

    build_args = _pairs(args.build_arg, "--build-arg")
    contexts = _pairs(args.build_context, "--build-context")
    if args.check:
        return _check(args, build_args)
    mode = "quiet" if args.quiet else args.progress
    renderer = Renderer(mode, sys.stderr)
    sde_text = build_args.get("SOURCE_DATE_EPOCH") or os.environ.get("SOURCE_DATE_EPOCH", "")
    root = args.root or os.environ.get("PYBUILDKIT_ROOT") or None
    warned: tuple[BuildWarning, ...] = ()
    try:
        result = build(
            args.context,
            dockerfile=None if args.file == "-" else args.file,
            # `-f -`: the Dockerfile comes on standard input, as with docker build
            dockerfile_data=sys.stdin.buffer.read() if args.file == "-" else None,
            tags=args.tag,
            build_args=build_args,
            target=args.target,
            outputs=args.output,
            no_cache=args.no_cache,
            build_contexts=contexts,
            root=root,
            compression=args.compression,
            progress=renderer,
            source_date_epoch=int(sde_text) if sde_text.isdigit() else None,
            platform=args.platform,
            explain_cache=args.explain_cache,
            dry_run=args.dry_run,
            secrets=args.secret,
            ssh=args.ssh,
            network=args.network,
            add_hosts=args.add_host,
            pull=args.pull,
            push=args.push,
            cache_to=args.cache_to,
            cache_from=args.cache_from,
            insecure_registries=args.insecure_registry,
        )
        warned = result.warnings
    except BuildError as error:
        from pybuildkit.execute.checks import BuildCheckError  # only now: an unchanged rebuild skips it

        if isinstance(error, BuildCheckError):
            warned = error.warnings
        raise
    finally:
        renderer.close()
        # The build checks that fired, after the progress (buildx prints them as its printer closes).
        if warned and mode not in ("quiet", "rawjson"):
            from pybuildkit.execute.checks import render_warnings

            sys.stderr.write(render_warnings(warned, debug=bool(getattr(args, "debug", False))))
    if args.explain_cache and mode != "quiet":
        for step in result.steps:
            if not step.cached:
                reasons = "; ".join(step.reasons) or "not cached"
                print(f"cache miss: {step.label}: {reasons}", file=sys.stderr)
    if args.dry_run:
        for step in result.steps:
            print(f"{'CACHED' if step.cached else 'RUN   '} {step.label}")
        return 0
    # An output written to stdout (`-o -`) owns it; the digest then goes to stderr.
    to_stdout = any(_writes_stdout(spec) for spec in args.output)
    print(result.digest, file=sys.stderr if to_stdout else sys.stdout)
    return 0


def _check(args: argparse.Namespace, build_args: dict[str, str]) -> int:
    """`--check`: BuildKit's checks only, printed as `docker build --check` prints them, on stdout."""
    from pybuildkit.execute.checks import check, render_check

    result = check(
        args.context,
        dockerfile=None if args.file == "-" else args.file,
        dockerfile_data=sys.stdin.buffer.read() if args.file == "-" else None,
        build_args=build_args,
        target=args.target,
    )
    if result.rejection is not None:
        raise result.rejection  # the build would fail with it: so does the check
    sys.stdout.write(render_check(result))
    result.raise_for_error()
    return 1 if result.warnings else 0


def _writes_stdout(spec: str) -> bool:
    from pybuildkit.output import OutputSpec

    return OutputSpec.parse(spec).dest == "-"
