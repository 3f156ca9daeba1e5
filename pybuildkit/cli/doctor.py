"""`pybuildkit doctor [--json]`: what this machine allows RUN (user namespaces, subordinate ID ranges,
newuidmap, overlayfs in a user namespace, AppArmor's restriction, pivot_root), and how to fix each gap.
Exit 1 when a check fails (RUN cannot work), 0 otherwise (warnings included)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pybuildkit.cli._common import user_errors


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check what this machine allows the RUN sandbox, and how to fix gaps",
        description="Check user namespaces, subordinate ID ranges, newuidmap/newgidmap, overlayfs in a user "
        "namespace, AppArmor's user-namespace restriction and pivot_root, each for real.",
    )
    parser.add_argument("--json", action="store_true", help="print the checks as a JSON array")
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.execute.sandbox.doctor import Status, doctor

    checks = doctor()
    if args.json:
        rows = [{"name": c.name, "status": c.status.value, "detail": c.detail, "fix": c.fix} for c in checks]
        print(json.dumps(rows, indent=2))
    else:
        width = max(len(c.name) for c in checks)
        for check in checks:
            print(f"{check.status.value:<4}  {check.name:<{width}}  {check.detail}")
            if check.fix:
                print(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
        failed = sum(c.status is Status.FAIL for c in checks)
        warned = sum(c.status is Status.WARN for c in checks)
        summary = "RUN will work" if not failed else "RUN cannot work until the failures are fixed"
        print(f"\n{failed} failed, {warned} warnings: {summary}", file=sys.stderr)
    return 1 if any(c.status is Status.FAIL for c in checks) else 0
