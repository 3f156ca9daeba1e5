"""Real registries and small loopback servers for the registry tests. Everything listens on 127.0.0.1.

- `start_registry`: Debian's `docker-registry` (CNCF distribution 2.8), filesystem storage in a temp dir,
  anonymous, with htpasswd Basic auth, or with token auth against `TokenIssuer`.
- `TokenIssuer`: a token service the registry trusts. It signs RS256 JWTs with a throwaway key whose
  self-signed certificate is the registry's `rootcertbundle` (the `x5c` header carries it); signing runs
  `openssl dgst`, so no Python crypto library is needed.
- `FaultProxy`: forwards to a registry and damages blob downloads on request (corrupts a byte, or cuts the
  connection half-way through), so fault paths meet real sockets.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
SERVICE = "pybuildkit-test-registry"
ISSUER = "pybuildkit-test-issuer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningRegistry:
    host: str  # 127.0.0.1:PORT
    storage: Path
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_registry(
    base: Path,
    *,
    htpasswd: Path | None = None,
    token: TokenIssuer | None = None,
) -> RunningRegistry:
    base.mkdir(parents=True, exist_ok=True)
    storage = base / "storage"
    storage.mkdir(exist_ok=True)
    port = free_port()
    lines = [
        "version: 0.1",
        "log:",
        "  level: error",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {storage}",
        "  delete:",
        "    enabled: true",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        f"  secret: {secrets.token_hex(16)}",
    ]
    if htpasswd is not None:
        lines += ["auth:", "  htpasswd:", "    realm: pybuildkit-test", f"    path: {htpasswd}"]
    if token is not None:
        lines += [
            "auth:",
            "  token:",
            f"    realm: {token.realm}",
            f"    service: {SERVICE}",
            f"    issuer: {ISSUER}",
            f"    rootcertbundle: {token.cert}",
        ]
    config = base / "config.yml"
    config.write_text("\n".join(lines) + "\n")
    log = base / "registry.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([REGISTRY, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT)
    running = RunningRegistry(host=f"127.0.0.1:{port}", storage=storage, process=process, log=log)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {log.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/v2/")
            status = conn.getresponse().status
            conn.close()
            if status in (200, 401):
                return running
        except OSError:
            pass
        time.sleep(0.05)
    running.stop()
    raise RuntimeError(f"docker-registry did not answer on 127.0.0.1:{port}: {log.read_text()}")


def make_htpasswd(path: Path, users: dict[str, str]) -> Path:
    lines = []
    for user, password in users.items():
        result = subprocess.run(
            ["htpasswd", "-Bbn", user, password], check=True, capture_output=True, text=True
        )
        lines.append(result.stdout.strip())
    path.write_text("\n".join(lines) + "\n")
    return path


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class TokenIssuer:
    """A token service on 127.0.0.1: users get what they ask for; anonymous callers get `anonymous` actions."""

    directory: Path
    users: dict[str, str]
    anonymous: tuple[str, ...] = ()
    requests: list[tuple[str, str]] = field(default_factory=list)  # (account, scope) per request
    key: Path = field(init=False)
    cert: Path = field(init=False)
    realm: str = field(init=False)
    _server: http.server.ThreadingHTTPServer = field(init=False)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.key = self.directory / "key.pem"
        self.cert = self.directory / "cert.pem"
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=pybuildkit-test-issuer",
                "-keyout", str(self.key), "-out", str(self.cert),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        pem = self.cert.read_text()
        body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
        self._x5c = "".join(body.split())
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                issuer._answer(self)

            def do_POST(self) -> None:
                issuer._answer_refresh(self)

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.realm = f"http://127.0.0.1:{self._server.server_address[1]}/token"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _refuse(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(401)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "29")
        handler.end_headers()
        handler.wfile.write(b'{"details":"bad credentials"}')

    def _answer_refresh(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        """OAuth2 `grant_type=refresh_token` (an identity token from `docker login`): `refresh-<user>`."""
        length = int(handler.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(handler.rfile.read(length).decode())
        token = (form.get("refresh_token") or [""])[0]
        user = token.removeprefix("refresh-")
        if form.get("grant_type") != ["refresh_token"] or user not in self.users:
            self._refuse(handler)
            return
        scopes = " ".join(form.get("scope") or []).split()
        self._grant(handler, user, scopes, key="access_token")

    def _answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(handler.path).query)
        account = ""
        header = handler.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if self.users.get(user) != password:
                self._refuse(handler)
                return
            account = user
        self._grant(handler, account, query.get("scope", []), key="token")

    def _grant(
        self, handler: http.server.BaseHTTPRequestHandler, account: str, scopes: list[str], *, key: str
    ) -> None:
        access = []
        for scope in scopes:
            self.requests.append((account, scope))
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = actions.split(",")
            granted = wanted if account else [item for item in wanted if item in self.anonymous]
            if granted:
                access.append({"type": kind, "name": name, "actions": granted})
        body = json.dumps({key: self.sign(account, access), "expires_in": 300}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def sign(self, account: str, access: list[dict[str, object]]) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        claims = {
            "iss": ISSUER,
            "sub": account,
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(),
            check=True,
            capture_output=True,
        ).stdout
        return f"{signing_input}.{_b64url(signature)}"


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 in front of `upstream`; `mode` damages blob GETs:

    - `corrupt`: flips one byte of every blob body (the length stays right);
    - `cut`: the first `cuts` blob answers stop half-way and the connection is closed;
    - `redirect`: answers blob GETs with a 307 to the registry itself (as registries send to blob storage);
    - `none`: forwards faithfully.
    `blob_gets` counts blob GETs seen.
    """

    def __init__(
        self, upstream: str, *, mode: str = "none", cuts: int = 1, honour_range: bool = True
    ) -> None:
        self.upstream = upstream
        self.mode = mode
        self.cuts = cuts
        self.honour_range = honour_range
        self.blob_gets = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                proxy._forward(self)

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _forward

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {key: value for key, value in handler.headers.items() if key.lower() != "host"}
        headers["Host"] = self.host
        is_blob_get = handler.command == "GET" and "/blobs/sha256:" in handler.path
        if is_blob_get and self.mode == "redirect":
            with self._lock:
                self.blob_gets += 1
            handler.send_response(307)
            handler.send_header("Location", f"http://{self.upstream}{handler.path}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if is_blob_get and not self.honour_range:
            headers.pop("Range", None)
        host, port = self.upstream.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request(handler.command, handler.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        cut = False
        if is_blob_get and response.status in (200, 206):
            with self._lock:
                self.blob_gets += 1
                if self.mode == "cut" and self.cuts > 0 and len(data) > 1:
                    self.cuts -= 1
                    cut = True
            if self.mode == "corrupt" and data:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
        handler.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        if cut:
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            handler.close_connection = True
            return
        handler.wfile.write(data)


@contextlib.contextmanager
def env(**values: str) -> Iterator[None]:
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
