"""Lint rules, one module per rule or small family. Order here is the order rules run and are listed."""

MODULES: tuple[str, ...] = (
    "syntax",
    "buildkit_stages",
    "buildkit_casing",
    "buildkit_args",
    "buildkit_instructions",
    "buildkit_expose",
    "copy_ignored_file",
    "dl_from",
    "dl_instructions",
    "dl_run_general",
    "dl_apt",
    "dl_apk",
    "dl_pip",
    "dl_packages",
    "dl_labels",
)
