"""Test helpers that play the attacker on the same machine: a forger racing the browser to the
loopback callback, and an authorization server publishing a hostile discovery document."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from localserver import Reply, Server, serve

# What a web page can make a browser request with an <img> pointed at the callback: every one
# of them lacks this login's state, so none may end the login.
FORGED_QUERIES = (
    "",
    "state=forged&code=stolen",
    "error=access_denied&state=forged",
    "error=server_error",
    "code=stolen",
    "state={state}&state={state}&code=stolen",
    "state={state}&state=forged&code=stolen",
    "state=%ff%fe&code=x",
)


@dataclass
class Forger:
    """Sends forged callbacks to a redirect URI and remembers what the receiver answered."""

    redirect_uri: str
    statuses: list[int] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def forge(self, real_state: str = "") -> None:
        for template in FORGED_QUERIES:
            query = template.format(state=real_state)
            url = self.redirect_uri + ("?" + query if query else "")
            response = httpx.get(url, timeout=10)
            self.statuses.append(response.status_code)
            self.pages.append(response.text)


def discovery_document(issuer: str, **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
    }
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not None}


# Authorization endpoints a hostile issuer may publish, each of which must never reach a browser
# opener (the PowerShell opener on WSL treats ' and the typographic quotes as quotes).
HOSTILE_AUTHORIZATION_ENDPOINTS = (
    "https://127.0.0.1/authorize'; calc.exe; '",
    "https://127.0.0.1/authorize\u2019;calc.exe;\u2018",
    "https://127.0.0.1/authorize\u201c;calc\u201d",
    "https://127.0.0.1/a`calc`",
    "https://127.0.0.1/a b",
    'https://127.0.0.1/a"b',
    "https://127.0.0.1/a%zz",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "http://evil.example/authorize",
    "http://api.evil.localhost/authorize",
)


@contextmanager
def hostile_issuer(**overrides: Any) -> Iterator[Server]:
    """An issuer on 127.0.0.1 whose RFC 8414 document carries ``overrides``."""
    routes: dict[tuple[str, str], Any] = {}
    with serve(routes) as server:
        routes[("GET", "/.well-known/oauth-authorization-server")] = Reply(
            200, discovery_document(server.url, **overrides)
        )
        yield server
