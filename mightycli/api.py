"""HTTP clients for Mighty's APIs, and the calls the commands need."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from mightycli import __version__
from mightycli.errors import ApiAuthError, ApiError, NetworkError

if TYPE_CHECKING:
    from mightycli.session import Session

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
    return httpx.Client(
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        auth=auth,
        transport=transport,
        follow_redirects=False,
    )


def graphql_url(api_url: str, network: str) -> str:
    return f"{api_url.rstrip('/')}/networks/{network}/graphql"


@dataclass(frozen=True)
class GraphQLResponse:
    data: Any
    errors: tuple[dict[str, Any], ...]

    def error_codes(self) -> set[str]:
        codes = set()
        for error in self.errors:
            extensions = error.get("extensions")
            if isinstance(extensions, dict) and isinstance(extensions.get("code"), str):
                codes.add(extensions["code"])
        return codes

    def error_messages(self) -> list[str]:
        return [str(e.get("message", "unknown error"))[:300] for e in self.errors]


def _describe_status(response: httpx.Response) -> str:
    text = f"HTTP {response.status_code}"
    return f"{text} {response.reason_phrase}" if response.reason_phrase else text


def _server_error_text(response: httpx.Response) -> str | None:
    """The ``error`` (or ``message``) a JSON error body carries, if any."""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):  # RecursionError: hostile nesting depth
        return None
    if isinstance(body, dict):
        for key in ("error", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])[:300]
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", ""))[:300] or None
    return None


def post_graphql(
    client: httpx.Client, url: str, query: str, variables: dict[str, Any] | None = None
) -> GraphQLResponse:
    """POST one GraphQL operation; HTTP and shape problems raise, GraphQL errors are returned."""
    payload: dict[str, Any] = {"query": query}
    if variables:
        payload["variables"] = variables
    try:
        response = client.post(url, json=payload, headers={"Accept": "application/json"})
    except httpx.TimeoutException as exc:
        raise NetworkError(f"The API at {url} timed out.") from exc
    except httpx.HTTPError as exc:
        raise NetworkError(f"Cannot reach the API at {url}: {exc}") from exc
    if response.status_code == 401:
        raise ApiAuthError(
            "The API refused the access token (HTTP 401).", status_code=401, code="UNAUTHENTICATED"
        )
    if response.status_code >= 400:
        detail = _server_error_text(response)
        content_type = response.headers.get("content-type", "")
        if detail is None and "html" in content_type:
            detail = "an HTML page instead of JSON"
        raise ApiError(
            f"The GraphQL API answered {_describe_status(response)}"
            + (f": {detail}" if detail else "."),
            status_code=response.status_code,
        )
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):  # RecursionError: hostile nesting depth
        raise ApiError(
            f"The GraphQL API answered {_describe_status(response)} with a body that is not JSON."
        ) from None
    if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
        raise ApiError("The GraphQL API's answer has neither data nor errors.")
    errors = body.get("errors") or []
    if not isinstance(errors, list):
        raise ApiError("The GraphQL API's errors field is not a list.")
    return GraphQLResponse(
        data=body.get("data"), errors=tuple(e if isinstance(e, dict) else {} for e in errors)
    )


@dataclass(frozen=True)
class Identity:
    user_id: str
    name: str
    email: str | None
    role: str | None
    network_title: str | None


WHOAMI_QUERY = "query MightyWhoami { me { id name email networkRole } network { title } }"


def _member_fields(data: Any) -> tuple[Any, Any]:
    if not isinstance(data, dict):
        return None, None
    network = data.get("network")
    title = network.get("title") if isinstance(network, dict) else None
    return data.get("me"), title


def fetch_identity(client: httpx.Client, url: str) -> Identity:
    """Who the token belongs to, from the GraphQL ``me`` query."""
    result = post_graphql(client, url, WHOAMI_QUERY)
    me, title = _member_fields(result.data)
    if isinstance(me, dict) and isinstance(me.get("id"), str) and isinstance(me.get("name"), str):
        email = me.get("email")
        role = me.get("networkRole")
        return Identity(
            user_id=me["id"],
            name=me["name"],
            email=email if isinstance(email, str) else None,
            role=role if isinstance(role, str) else None,
            network_title=title if isinstance(title, str) else None,
        )
    if "UNAUTHENTICATED" in result.error_codes():
        raise ApiAuthError(
            "The API does not accept the access token (UNAUTHENTICATED).", code="UNAUTHENTICATED"
        )
    if result.errors:
        raise ApiError("The API could not say who you are: " + "; ".join(result.error_messages()))
    if me is None and isinstance(result.data, dict) and "me" in result.data:
        raise ApiAuthError("The access token does not belong to a member (me is null).")
    raise ApiError("The API's answer to the me query does not look as expected.")


def whoami(session: Session, *, transport: httpx.BaseTransport | None = None) -> Identity:
    """The current identity, renewing the token once if the server says it is no longer valid."""
    from mightycli.auth import BearerAuth

    with (
        make_http_client(transport=transport) as token_http,
        make_http_client(auth=BearerAuth(session, token_http), transport=transport) as client,
    ):
        url = graphql_url(session.api_url, session.network)
        refreshes_before = session.refreshes
        try:
            return fetch_identity(client, url)
        except ApiAuthError:
            # GraphQL reports a dead token with HTTP 200 and UNAUTHENTICATED; the transport
            # layer cannot see that, so the one retry after a refresh happens here.
            if not session.can_refresh or session.refreshes != refreshes_before:
                raise _relogin(session) from None
            session.refresh(token_http)
            try:
                return fetch_identity(client, url)
            except ApiAuthError:
                raise _relogin(session) from None


def _relogin(session: Session) -> ApiAuthError:
    if session.from_environment:
        return ApiAuthError(
            f"The API does not accept MIGHTY_TOKEN for {session.network}.",
            hint="Set a valid MIGHTY_TOKEN, or unset it to use the stored login.",
        )
    return ApiAuthError(
        f"The API no longer accepts your login to {session.network}.",
        hint=f"Run: mighty login --network {session.network}",
    )
