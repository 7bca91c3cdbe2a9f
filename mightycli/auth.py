"""An httpx.Auth that attaches the bearer token and renews it.

``sync_auth_flow`` is overridden rather than ``auth_flow``: saving a rotated refresh token is I/O
beyond HTTP (the keyring, the state file), which the generator protocol cannot express.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

from mightycli.session import Session


class BearerAuth(httpx.Auth):
    def __init__(self, session: Session, token_http: httpx.Client | None = None) -> None:
        self.session = session
        # The client for token requests: usually the very client this auth is attached to, so a
        # command keeps one connection pool (token requests opt out of auth themselves).
        self.token_http = token_http

    def attach(self, client: httpx.Client) -> httpx.Client:
        self.token_http = client
        return client

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        # Buffer a streamed body before the first send, so a retry can send it again.
        request.read()
        token = self.session.valid_token(self.token_http)
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        response = yield request
        if response.status_code == 401 and self.session.can_refresh:
            response.read()
            # At most one refresh after a 401: a second 401 is the server's final word.
            token = self.session.refresh(self.token_http, rejected=token.access_token)
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            yield request

    async def async_auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def, override]
        raise NotImplementedError("mighty uses synchronous clients only")
