"""`pybuildkit login [-u USER] [-p PASS | --password-stdin] [SERVER]`: keep registry credentials."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from pybuildkit.cli._common import user_errors
from pybuildkit.cli.pull import add_registry_arguments, registry_options


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "login",
        help="log in to a registry",
        description="Check credentials against a registry and save them in ~/.docker/config.json "
        "(or the credential helper it names), as `docker login` does. SERVER defaults to Docker Hub.",
    )
    add_registry_arguments(parser)
    parser.add_argument("-u", "--username", help="user name")
    parser.add_argument("-p", "--password", help="password (prefer --password-stdin)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    parser.add_argument("server", metavar="SERVER", nargs="?", help="registry host[:port]")
    parser.set_defaults(func=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from pybuildkit.errors import PyBuildKitError
    from pybuildkit.registry import Credentials
    from pybuildkit.registry.login import login

    password = args.password
    if args.password_stdin:
        if password:
            raise PyBuildKitError("--password and --password-stdin are mutually exclusive")
        if not args.username:
            raise PyBuildKitError("--password-stdin needs --username")
        password = sys.stdin.read().rstrip("\r\n")
    elif password:
        print("WARNING! Using --password via the CLI is insecure. Use --password-stdin.", file=sys.stderr)
    username = args.username
    if not username:
        if not sys.stdin.isatty():
            raise PyBuildKitError("no user name given", hint="pass --username (and --password-stdin)")
        username = input("Username: ").strip()
    if not password:
        if not sys.stdin.isatty():
            raise PyBuildKitError(
                "no password given", hint="pass the password on stdin with --password-stdin"
            )
        password = getpass.getpass("Password: ")
    if not username or not password:
        raise PyBuildKitError("a user name and a password are needed to log in")
    login(args.server, Credentials(username=username, password=password), options=registry_options(args))
    print("Login Succeeded")
    return 0
