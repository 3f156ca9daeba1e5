"""`login` and `logout`: check credentials against the registry, then keep them as `docker login` does."""

from __future__ import annotations

import dataclasses

from pybuildkit.registry.client import RegistryClient, RegistryOptions
from pybuildkit.registry.credentials import Credentials, DockerConfig, default_domain, server_key
from pybuildkit.registry.errors import UnauthorizedError


def login(server: str | None, credentials: Credentials, *, options: RegistryOptions | None = None) -> str:
    """Check `credentials` with `GET /v2/` (answering its challenge), then save them; returns the domain.

    A wrong password raises `UnauthorizedError` and nothing is saved.
    """
    domain = default_domain(server)
    options = options or RegistryOptions()
    checked = dataclasses.replace(options, credentials=((domain, credentials), *options.credentials))
    what = f"login to {domain}"
    with RegistryClient(domain, checked) as client:
        try:
            response, body = client.request("GET", "/v2/", scopes=(), what=what)
            if response.status_code != 200:
                raise client.fail(what, response, body)
        except UnauthorizedError as error:
            raise UnauthorizedError(
                f"{what} failed: {error.message}", hint="check the user name and password"
            ) from None
    DockerConfig(options.docker_config).store(domain, credentials)
    return domain


def logout(server: str | None, *, options: RegistryOptions | None = None) -> tuple[str, bool]:
    """Forget the credentials of `server`; returns (the key they were filed under, whether there were any)."""
    domain = default_domain(server)
    options = options or RegistryOptions()
    return server_key(domain), DockerConfig(options.docker_config).erase(domain)
