"""Executing a build: the `Builder` over an `Executor` seam, COPY/ADD semantics, layer snapshots, progress.

Entry point: `pybuildkit.execute.session.build` (re-exported as `pybuildkit.build`). Modules:
`session` (options, the unchanged-rebuild short cut, store/tag/export), `builder` (steps → keys → cache or
execute, image config and history), `executor` (the seam, recording and dry-run executors), `local` (the
real executor), `copy` (COPY/ADD), `rootfs` (a stage as a stack of layer indexes), `progress`, `result`,
`sandbox/` (RUN). Nothing is imported here, so `import pybuildkit.execute.session` stays light.
"""
