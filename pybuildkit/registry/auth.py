"""Registry authentication: `WWW-Authenticate` challenges, Basic auth and the Bearer token flow.

A registry answers 401 with a challenge. `Basic realm=...` wants the user name and password on every request;
`Bearer realm=URL,service=S,scope=...` sends us to a token service: `GET realm?service=S&scope=...` (with Basic
credentials when we have some, anonymously otherwise), or, with an identity token from `docker login`, an OAuth
`POST` of `grant_type=refresh_token`. The token is then sent as `Authorization: Bearer`. Tokens are kept per
scope set until they expire, and once a host has challenged us, later requests carry the header up front
(no 401 round trip per request).
"""

from __future__ import annotations

import base64
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import httpx

from pybuildkit.registry.credentials import Credentials
from pybuildkit.registry.errors import RegistryError, RegistryUnreachableError, UnauthorizedError

if TYPE_CHECKING:
    from collections.abc import Sequence

_PARAM: Final = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')
_CLIENT_ID: Final = "pybuildkit"
_DEFAULT_TOKEN_LIFETIME: Final = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Challenge:
    """One parsed `WWW-Authenticate` challenge: its scheme (lowercase) and parameters."""

    scheme: str
    params: tuple[tuple[str, str], ...] = ()

    def param(self, key: str) -> str:
        return dict(self.params).get(key, "")


def parse_challenges(header: str) -> tuple[Challenge, ...]:
    """`Bearer realm="https://auth",service="reg",scope="repository:a:pull"` → challenges (RFC 7235)."""
    out: list[Challenge] = []
    text = header.strip()
    while text:
        match = re.match(r"([A-Za-z][A-Za-z0-9_-]*)\s*", text)
        if not match:
            break
        scheme = match.group(1).lower()
        text = text[match.end() :]
        params: list[tuple[str, str]] = []
        while True:
            param = _PARAM.match(text)
            # A bare word without "=" starts the next challenge.
            if not param or not param.group(0).strip():
                break
            value = param.group(2) if param.group(2) is not None else param.group(3)
            params.append((param.group(1).lower(), re.sub(r"\\(.)", r"\1", value or "")))
            text = text[param.end() :]
        out.append(Challenge(scheme=scheme, params=tuple(params)))
        text = text.lstrip(", ")
    return tuple(out)


def repository_scope(path: str, actions: Sequence[str]) -> str:
    """`repository:library/busybox:pull,push`."""
    return f"repository:{path}:{','.join(actions)}"


@dataclass(slots=True)
class _Token:
    value: str
    expires: float


class Authenticator:
    """The `Authorization` header for requests to one registry, learnt from its challenges."""

    def __init__(self, domain: str, credentials: Credentials | None, http: httpx.Client) -> None:
        self.domain = domain
        self.credentials = credentials
        self._http = http
        self._challenge: Challenge | None = None
        self._tokens: dict[tuple[str, ...], _Token] = {}
        self._lock = threading.Lock()

    @property
    def challenged(self) -> bool:
        return self._challenge is not None

    def header(self, scopes: tuple[str, ...]) -> str | None:
        """The header to send for `scopes` (None before any challenge, or for anonymous Basic)."""
        challenge = self._challenge
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            return self._basic()
        if challenge.scheme == "bearer":
            return f"Bearer {self._token(challenge, scopes)}"
        return None

    def on_challenge(self, response: httpx.Response, scopes: tuple[str, ...]) -> bool:
        """Learn from a 401; True when a retry with new credentials could succeed."""
        challenges = parse_challenges(response.headers.get("www-authenticate", ""))
        usable = [item for item in challenges if item.scheme in ("bearer", "basic")]
        if not usable:
            return False
        # Prefer Bearer, as Docker does, when a registry offers both.
        chosen = next((item for item in usable if item.scheme == "bearer"), usable[0])
        with self._lock:
            self._challenge = chosen
            self._tokens.pop(tuple(sorted(scopes)), None)
        # Basic without credentials cannot succeed; a Bearer token may be granted even anonymously.
        return chosen.scheme == "bearer" or self._basic() is not None

    def _basic(self) -> str | None:
        if self.credentials is None or not (self.credentials.username or self.credentials.password):
            return None
        pair = f"{self.credentials.username}:{self.credentials.password}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    def _token(self, challenge: Challenge, scopes: tuple[str, ...]) -> str:
        key = tuple(sorted(scopes))
        with self._lock:
            token = self._tokens.get(key)
            if token is not None and token.expires > time.monotonic():
                return token.value
        token = self._fetch_token(challenge, key)
        with self._lock:
            self._tokens[key] = token
        return token.value

    def _fetch_token(self, challenge: Challenge, scopes: tuple[str, ...]) -> _Token:
        realm = challenge.param("realm")
        if not realm:
            raise RegistryError(f"{self.domain} asked for a Bearer token without naming a token service")
        service = challenge.param("service")
        wanted = list(scopes) or [item for item in challenge.param("scope").split(" ") if item]
        credentials = self.credentials
        try:
            if credentials is not None and credentials.identity_token:
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": credentials.identity_token,
                    "service": service,
                    "client_id": _CLIENT_ID,
                    "scope": " ".join(wanted),
                }
                response = self._http.post(realm, data=form)
            else:
                params: list[tuple[str, str | int | float | bool | None]] = (
                    [("service", service)] if service else []
                )
                params += [("scope", scope) for scope in wanted]
                auth = None
                if credentials is not None and (credentials.username or credentials.password):
                    auth = httpx.BasicAuth(credentials.username, credentials.password)
                    params.append(("account", credentials.username))
                response = self._http.get(realm, params=params, auth=auth)
        except httpx.TransportError as error:
            raise RegistryUnreachableError(f"cannot reach the token service {realm}: {error}") from None
        if response.status_code in (401, 403):
            raise UnauthorizedError(
                f"{self.domain}: the token service refused "
                + ("the credentials" if credentials is not None else "anonymous access"),
                hint=f"run `pybuildkit login {self.domain}`"
                + (" again with the right password" if credentials is not None else ""),
            )
        if response.status_code != 200:
            raise RegistryError(f"{self.domain}: the token service {realm} answered {response.status_code}")
        try:
            body = response.json()
            value = str(body.get("token") or body.get("access_token") or "")
            lifetime = float(body.get("expires_in") or _DEFAULT_TOKEN_LIFETIME)
        except (ValueError, AttributeError):
            raise RegistryError(f"{self.domain}: the token service sent something that is not JSON") from None
        if not value:
            raise RegistryError(f"{self.domain}: the token service sent no token")
        # Renew a little early so a token never expires between our check and the registry's.
        return _Token(value=value, expires=time.monotonic() + max(lifetime - 10.0, lifetime / 2))
