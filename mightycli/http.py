"""The bottom HTTP layer: the client factory, the one decoder for every body from a server,
error-body and status text, and origin checks.

Every module that talks HTTP builds on this one; it imports nothing above it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

from mightycli import debug
from mightycli.version import __version__

USER_AGENT = f"mighty-cli/{__version__}"
DEFAULT_TIMEOUT = 30.0


def make_http_client(
    *,
    auth: httpx.Auth | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """One client per command: keep-alive, a User-Agent on every request (api.mn.co answers a
    request without one with an HTML bot challenge), and no silent redirects."""
    log = debug.current()
    return httpx.Client(
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        auth=auth,
        transport=transport,
        follow_redirects=False,
        event_hooks=debug.http_hooks(log) if log is not None else None,
    )


def decode_json(content: bytes | str, invalid: Any = None) -> Any:
    """A body from a server decoded, or ``invalid`` when it is not JSON (or nests deeper than
    Python can follow: a hostile body must give a clear answer, not a RecursionError)."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return invalid


def status_text(response: httpx.Response) -> str:
    """``HTTP 404 Not Found``, or ``HTTP 599`` when the status has no reason phrase."""
    return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()


def graphql_errors(body: Any) -> list[dict[str, Any]]:
    """The well-formed entries of a GraphQL body's ``errors`` list."""
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        return [e for e in body["errors"] if isinstance(e, dict)]
    return []


def error_codes(errors: Iterable[dict[str, Any]]) -> set[str]:
    """The ``extensions.code`` values of GraphQL errors (UNAUTHENTICATED, THROTTLED, ...)."""
    codes = set()
    for error in errors:
        extensions = error.get("extensions")
        if isinstance(extensions, dict) and isinstance(extensions.get("code"), str):
            codes.add(extensions["code"])
    return codes


def graphql_codes(body: Any) -> set[str]:
    return error_codes(graphql_errors(body))


def error_detail(body: Any) -> str | None:
    """The ``error`` (or ``message``, or first GraphQL error) a decoded error body carries."""
    if isinstance(body, dict):
        for key in ("error", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])[:300]
        errors = graphql_errors(body)
        if errors:
            return str(errors[0].get("message", ""))[:300] or None
    return None


def is_html(response: httpx.Response) -> bool:
    return "html" in response.headers.get("content-type", "")


def is_html_block(response: httpx.Response) -> bool:
    """An HTML 403 from the API host: a bot or firewall challenge, not an API answer."""
    return response.status_code == 403 and is_html(response)


def html_block_hint(url: str) -> str:
    """What to try after an HTML 403, given the address that met it."""
    path = httpx.URL(url).path
    network = path.split("/networks/", 1)[1].split("/", 1)[0] if "/networks/" in path else ""
    if network and not network.isdigit():
        return (
            "Mighty's API has been seen to block a network's subdomain path while its numeric id "
            "worked: log in with the numeric network id, e.g. mighty login --network <id> "
            f"--issuer https://{network}.mn.co"
        )
    return (
        "A User-Agent header is required; if a proxy sits in between, check that it keeps it. "
        "Otherwise wait a while and try again."
    )


def connection_hint(url: str | httpx.URL, also: str = "") -> str:
    """The next step after a connection to ``url`` was lost or never made (``also``: what else
    to check first, e.g. "the network name, ")."""
    host = urlsplit(str(url)).netloc or str(url)
    return f"Check {also}your connection and that {host} is up, then run the command again."


def same_origin(a: str, b: str) -> bool:
    """Same scheme, host and port: where a token may travel from one address to the other."""
    try:
        x, y = urlsplit(a), urlsplit(b)
        return (x.scheme, x.hostname, x.port) == (y.scheme, y.hostname, y.port)
    except ValueError:  # a port that is no number, an unbalanced [: no address to trust
        return False
