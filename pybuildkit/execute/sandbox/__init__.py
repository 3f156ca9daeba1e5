"""The RUN sandbox: a command in fresh Linux namespaces over an overlay of the parent layers.

`run(RunSpec) -> RunResult` is the whole interface for the executor; `doctor()` says what this machine
allows; `call_in_userns` / `remove_tree` reach files owned by subordinate ids in rootless mode;
`resolve_user` is Docker's USER resolution (also what `COPY --chown` needs), and `layerview` reads
/etc/passwd and /etc/group through unpacked layers for it.
"""

from __future__ import annotations

from pybuildkit.execute.sandbox.doctor import Check, Status, doctor
from pybuildkit.execute.sandbox.idmap import detect_mapping
from pybuildkit.execute.sandbox.layerview import find_in_layers, read_text_in_layers, resolve_user_in_layers
from pybuildkit.execute.sandbox.runner import SandboxSetupError, run
from pybuildkit.execute.sandbox.spec import (
    DEFAULT_HOSTNAME,
    DEFAULT_PATH,
    BindMount,
    FileMount,
    IdMap,
    IdMapMethod,
    IdMapping,
    IdRange,
    Mount,
    NetworkMode,
    RunResult,
    RunSpec,
    Sink,
    SnapshotMode,
    TmpfsMount,
)
from pybuildkit.execute.sandbox.userns import call_in_userns, remove_tree
from pybuildkit.execute.sandbox.users import ExecUser, UserLookupError, resolve_user

__all__ = [
    "DEFAULT_HOSTNAME",
    "DEFAULT_PATH",
    "BindMount",
    "Check",
    "ExecUser",
    "FileMount",
    "IdMap",
    "IdMapMethod",
    "IdMapping",
    "IdRange",
    "Mount",
    "NetworkMode",
    "RunResult",
    "RunSpec",
    "SandboxSetupError",
    "Sink",
    "SnapshotMode",
    "Status",
    "TmpfsMount",
    "UserLookupError",
    "call_in_userns",
    "detect_mapping",
    "doctor",
    "find_in_layers",
    "read_text_in_layers",
    "remove_tree",
    "resolve_user",
    "resolve_user_in_layers",
    "run",
]
