"""GraphQL over real HTTP to a scripted local server: answers the emulator does not give."""

from __future__ import annotations

import pytest
from localserver import Reply, serve

from mightycli import api, http
from mightycli.errors import ApiAuthError, ApiError

PATH = "/networks/demo/graphql"


def _identity(reply: Reply) -> api.Identity:
    with serve({("POST", PATH): reply}) as server:
        with http.make_http_client() as client:
            return api.fetch_identity(client, server.url + PATH)


def test_identity_from_the_me_query() -> None:
    body = {
        "data": {
            "me": {"id": "m1", "name": "Ada", "email": None, "networkRole": "HOST"},
            "network": {"title": "Demo"},
        }
    }
    identity = _identity(Reply(200, body))
    assert (identity.user_id, identity.name, identity.role) == ("m1", "Ada", "HOST")
    assert identity.email is None and identity.network_title == "Demo"


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (Reply(401, b""), ApiAuthError, "HTTP 401"),
        (Reply(403, "<html>bot check</html>", "text/html"), ApiError, "HTML page"),
        (Reply(429, {"error": "slow down"}), ApiError, "HTTP 429.*slow down"),
        (Reply(200, "<html/>", "text/html"), ApiError, "not JSON"),
        (Reply(200, {"data": None, "errors": "boom"}), ApiError, "not a list"),
        (
            Reply(200, {"errors": [{"message": "no", "extensions": {"code": "UNAUTHENTICATED"}}]}),
            ApiAuthError,
            "UNAUTHENTICATED",
        ),
        # Found by test_properties.py: deep nesting made json.loads raise RecursionError.
        (Reply(200, b"[" * 100_000), ApiError, "not JSON"),
        (Reply(500, b'{"a":' * 100_000), ApiError, "HTTP 500"),
    ],
)
def test_failures_are_clear_errors(reply: Reply, error: type[ApiError], message: str) -> None:
    with pytest.raises(error, match=message):
        _identity(reply)
