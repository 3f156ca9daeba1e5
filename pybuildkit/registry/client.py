"""HTTP to one registry (the OCI Distribution API v2), with authentication, retries and redirects.

`RegistryClient` is the one place requests are sent. It picks the scheme (plain HTTP for `localhost`,
`127.0.0.1`, `::1` and hosts in `insecure_registries`, HTTPS otherwise), answers 401 challenges through the
`Authenticator`, retries with exponential backoff (bounded) on 429, 5xx and dropped connections, honours
`Retry-After`, and follows redirects (blob storage): httpx drops the Authorization header when a redirect leaves
the registry's origin, so a token never reaches a storage bucket. Tests pass an httpx transport in
`RegistryOptions.transport` to put faults on the wire; everything else talks to a real registry.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import json
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

import httpx

from pybuildkit.image.reference import DEFAULT_DOMAIN
from pybuildkit.registry.auth import Authenticator
from pybuildkit.registry.credentials import Credentials, DockerConfig
from pybuildkit.registry.errors import (
    NotFoundError,
    RegistryError,
    RegistryUnreachableError,
    UnauthorizedError,
)

DOCKER_HUB_API: Final = "registry-1.docker.io"
_RETRY_STATUS: Final = frozenset({408, 429, 500, 502, 503, 504})
_LOOPBACK: Final = ("localhost", "127.0.0.1", "::1", "[::1]")
_MAX_RETRY_AFTER: Final = 30.0
USER_AGENT: Final = "pybuildkit/0.1"


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryOptions:
    """How to talk to registries. The defaults suit a user's machine; tests shorten the retries."""

    insecure_registries: tuple[str, ...] = ()
    docker_config: str | None = None  # a directory holding config.json; default $DOCKER_CONFIG or ~/.docker
    # (domain, credentials) given in code; checked before config.json.
    credentials: tuple[tuple[str, Credentials], ...] = ()
    concurrency: int = 4
    retries: int = 3
    backoff: float = 0.25  # seconds before the first retry; doubled for each next one
    timeout: float = 60.0
    chunk_size: int = 0  # 0: monolithic blob uploads; N > 0: chunked PATCH uploads of N bytes
    trust_env: bool = True  # HTTP(S)_PROXY, NO_PROXY and SSL_CERT_FILE from the environment
    transport: httpx.BaseTransport | None = field(default=None, compare=False, repr=False)


def is_insecure(domain: str, options: RegistryOptions) -> bool:
    """Plain HTTP for loopback registries and for hosts listed as insecure (with or without the port)."""
    host = domain.rsplit(":", 1)[0] if not domain.endswith("]") else domain
    if host in _LOOPBACK or domain in _LOOPBACK:
        return True
    return domain in options.insecure_registries or host in options.insecure_registries


def _error_detail(response: httpx.Response, body: bytes | None = None) -> str:
    """The registry's error text: the `errors` array of the distribution spec, else the status line."""
    try:
        if body is None:
            body = b"" if response.is_stream_consumed else response.read()
        value = json.loads(body or b"{}")
        errors = value.get("errors") or []
        parts = [f"{item.get('code', '')}: {item.get('message', '')}".strip(": ") for item in errors]
        if parts:
            return "; ".join(parts)
    except (ValueError, AttributeError, httpx.HTTPError):
        pass
    return f"{response.status_code} {response.reason_phrase}".strip()


class RegistryClient:
    """Requests to one registry host. Thread-safe: pulls and pushes share one client across threads."""

    def __init__(self, domain: str, options: RegistryOptions | None = None) -> None:
        self.domain = domain
        self.options = options or RegistryOptions()
        host = DOCKER_HUB_API if domain == DEFAULT_DOMAIN else domain
        self.base_url = f"{'http' if is_insecure(domain, self.options) else 'https'}://{host}"
        self._http = httpx.Client(
            transport=self.options.transport,
            verify=_ssl_context(self.options.trust_env),
            timeout=httpx.Timeout(self.options.timeout, connect=min(self.options.timeout, 15.0)),
            follow_redirects=True,
            trust_env=self.options.trust_env,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(
                max_connections=max(8, 2 * self.options.concurrency),
                max_keepalive_connections=max(8, 2 * self.options.concurrency),
            ),
        )
        self.auth = Authenticator(domain, self._credentials(), self._http)

    def _credentials(self) -> Credentials | None:
        for domain, credentials in self.options.credentials:
            if domain == self.domain:
                return credentials
        return DockerConfig(self.options.docker_config).get(self.domain)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        """An absolute URL: `path` as is when absolute (an upload Location), else under the registry."""
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path

    @contextlib.contextmanager
    def open(
        self,
        method: str,
        path: str,
        *,
        scopes: tuple[str, ...],
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        content: Callable[[], bytes | Iterable[bytes]] | None = None,
        what: str,
    ) -> Iterator[httpx.Response]:
        """Send a request and yield the streamed response (status not checked beyond auth and retries).

        `content` is a factory so a retry can send the body again. `what` names the operation in errors.
        """
        response = self._send(
            method, path, scopes=scopes, headers=headers, params=params, content=content, what=what
        )
        try:
            yield response
        finally:
            response.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        scopes: tuple[str, ...],
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        content: Callable[[], bytes | Iterable[bytes]] | None = None,
        what: str,
        limit: int = 8 << 20,
    ) -> tuple[httpx.Response, bytes]:
        """Send a request and read its (small) body; a body beyond `limit` bytes is refused."""
        with self.open(
            method, path, scopes=scopes, headers=headers, params=params, content=content, what=what
        ) as response:
            body = bytearray()
            # iter_bytes undoes a Content-Encoding: a digest is over the identity body.
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise RegistryError(f"{what}: the registry sent more than {limit} bytes")
            return response, bytes(body)

    def _send(
        self,
        method: str,
        path: str,
        *,
        scopes: tuple[str, ...],
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        content: Callable[[], bytes | Iterable[bytes]] | None,
        what: str,
    ) -> httpx.Response:
        attempt = 0
        authenticated = False
        while True:
            request_headers = dict(headers or {})
            url = httpx.URL(self.url(path))
            if params:
                # Merge, not replace: an upload Location carries its own query (`_state=...`).
                url = url.copy_merge_params(dict(params))
            # Credentials go to the registry only, never to another host an upload Location names.
            authorization = self.auth.header(scopes) if self._same_origin(url) else None
            if authorization:
                request_headers["Authorization"] = authorization
            request = self._http.build_request(
                method,
                url,
                headers=request_headers,
                content=content() if content is not None else None,
            )
            try:
                response = self._http.send(request, stream=True)
            except httpx.TransportError as error:
                if attempt < self.options.retries:
                    self._wait(attempt, None)
                    attempt += 1
                    continue
                raise RegistryUnreachableError(
                    f"{what}: cannot reach {self.domain} ({_describe(error)})",
                    hint=_unreachable_hint(self.domain, self.base_url),
                ) from None
            status = response.status_code
            if status == 401:
                body = response.read()
                response.close()
                if not authenticated and self.auth.on_challenge(response, scopes):
                    authenticated = True
                    continue
                raise self._unauthorized(what, response, body)
            if status in _RETRY_STATUS and attempt < self.options.retries:
                retry_after = response.headers.get("retry-after")
                response.read()
                response.close()
                self._wait(attempt, retry_after)
                attempt += 1
                continue
            return response

    def _same_origin(self, url: httpx.URL) -> bool:
        base = httpx.URL(self.base_url)
        return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self.options.backoff * (2**attempt)
        if retry_after:
            delay = max(delay, min(_retry_after_seconds(retry_after), _MAX_RETRY_AFTER))
        time.sleep(delay)

    def _unauthorized(self, what: str, response: httpx.Response, body: bytes) -> UnauthorizedError:
        detail = _error_detail(response, body)
        has_credentials = self.auth.credentials is not None
        if has_credentials:
            return UnauthorizedError(
                f"{what}: {self.domain} refused the credentials ({detail})",
                hint=f"check that the account may do this, or run `pybuildkit login {self.domain}` again",
            )
        return UnauthorizedError(
            f"{what}: {self.domain} requires authentication ({detail})",
            hint=f"run `pybuildkit login {self.domain}`",
        )

    def fail(self, what: str, response: httpx.Response, body: bytes | None = None) -> RegistryError:
        """The error for an unexpected status (404 as NotFoundError), with the registry's own words."""
        detail = _error_detail(response, body)
        if response.status_code == 404:
            return NotFoundError(f"{what}: not found on {self.domain} ({detail})")
        if response.status_code == 403:
            return UnauthorizedError(
                f"{what}: {self.domain} denied access ({detail})",
                hint=f"check the account's rights, or run `pybuildkit login {self.domain}`",
            )
        return RegistryError(f"{what}: {self.domain} answered {detail}")


@functools.cache
def _ssl_context(trust_env: bool) -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs about 0.1 s, every client would pay it."""
    return httpx.create_ssl_context(trust_env=trust_env)


def _retry_after_seconds(value: str) -> float:
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed is not None else 0.0


def _describe(error: httpx.TransportError) -> str:
    text = str(error) or type(error).__name__
    return text


def _unreachable_hint(domain: str, base_url: str) -> str:
    if base_url.startswith("https://"):
        return (
            f"check that {domain} is up and reachable; a registry served over plain HTTP must be named with "
            f"--insecure-registry {domain}"
        )
    return f"check that a registry listens on {base_url}"
