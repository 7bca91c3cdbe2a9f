"""An httpx.Auth that attaches the bearer token and reports rejections to the session.

``sync_auth_flow`` is overridden rather than ``auth_flow``: saving a rotated refresh token is I/O
beyond HTTP (the keyring, the state file), which the generator protocol cannot express. Every
decision about the token (use, renew, adopt, refuse) is the session's.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

from mightycli.http import decode_json, graphql_codes
from mightycli.session import Session


def is_rejection(response: httpx.Response) -> bool:
    """HTTP 401, or a GraphQL ``UNAUTHENTICATED`` error (which the API sends at HTTP 200)."""
    if response.status_code == 401:
        return True
    if response.status_code != 200 or b"UNAUTHENTICATED" not in response.content:
        return False  # the byte test keeps ordinary pages from being decoded twice
    return "UNAUTHENTICATED" in graphql_codes(decode_json(response.content))


class BearerAuth(httpx.Auth):
    # The body is needed to see a GraphQL UNAUTHENTICATED answer.
    requires_response_body = True

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
        # Overriding sync_auth_flow bypasses httpx's own reading for requires_response_body.
        response.read()
        if self.session.can_refresh and is_rejection(response):
            # At most one renewal after a rejection: a second one is the server's final word.
            token = self.session.refresh(self.token_http, rejected=token.access_token)
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            yield request

    async def async_auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def, override]
        raise NotImplementedError("mighty uses synchronous clients only")
