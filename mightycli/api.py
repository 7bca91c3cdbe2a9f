"""Mighty's two APIs: their addresses, GraphQL posts, checked requests, and who a token acts
as (``whoami``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from mightycli.auth import BearerAuth
from mightycli.config import check_endpoint_url
from mightycli.environment import Env
from mightycli.errors import (
    ApiAuthError,
    ApiError,
    ConfigError,
    MightyError,
    NetworkError,
    UsageError,
)
from mightycli.http import (
    connection_hint,
    decode_json,
    error_codes,
    make_http_client,
    same_origin,
    status_text,
)
from mightycli.responses import Wording, classify_response
from mightycli.session import Kind, Session, admin_login_hint


def graphql_url(api_url: str, network: str) -> str:
    return f"{api_url.rstrip('/')}/networks/{network}/graphql"


def admin_url(api_url: str, network: str, path: str) -> str:
    """An Admin API address: a path under the network, kept exactly as given (trailing slashes
    differ between resources), or a full URL that must be on the API host."""
    if "://" in path:
        check_endpoint_url(path, "URL")
        if not same_origin(path, api_url):
            raise UsageError(
                f"{path} is not on the API host {api_url}.",
                hint="mighty sends your token only to the API host.",
            )
        return path
    return f"{api_url.rstrip('/')}/admin/v1/networks/{network}/{path.lstrip('/')}"


@dataclass(frozen=True)
class GraphQLResponse:
    data: Any
    errors: tuple[dict[str, Any], ...]

    def error_codes(self) -> set[str]:
        return error_codes(self.errors)

    def error_messages(self) -> list[str]:
        return [str(e.get("message", "unknown error"))[:300] for e in self.errors]


_NOT_JSON = object()


def server_wording(server: str) -> Wording:
    """How failures from one of the two APIs are worded, by what the server is called."""
    return Wording(
        server=server,
        refused="The {server} refused the token (HTTP 401).",
        redirected="The {server} answered {status}, a redirect mighty does not follow.",
        blocked="The {server} answered HTTP 403 with an HTML page (a bot or firewall "
        "challenge) instead of JSON.",
        failed="The {server} answered {status}{detail}",
        detail=": {}",
        no_detail=".",
        html_detail="an HTML page instead of JSON",
        refused_code="UNAUTHENTICATED",
    )


def _checked_request(
    client: httpx.Client,
    method: str,
    url: str,
    what: str,
    access_token: str | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request; unreachable servers and HTTP errors become clear errors.

    ``access_token`` authorises this request alone, for a token not yet stored anywhere.
    """
    headers = {"Accept": "application/json"}
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}"
    try:
        response = client.request(method, url, headers=headers, **kwargs)
    except httpx.TimeoutException as exc:
        raise NetworkError(f"The {what} at {url} timed out.", hint=connection_hint(url)) from exc
    except httpx.HTTPError as exc:
        raise NetworkError(
            f"Cannot reach the {what} at {url}: {exc}", hint=connection_hint(url)
        ) from exc
    failure = classify_response(response, server_wording(what))
    if failure is not None:
        raise failure
    return response


def post_graphql(
    client: httpx.Client,
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    access_token: str | None = None,
) -> GraphQLResponse:
    """POST one GraphQL operation; HTTP and shape problems raise, GraphQL errors are returned."""
    payload: dict[str, Any] = {"query": query}
    if variables:
        payload["variables"] = variables
    response = _checked_request(
        client, "POST", url, "GraphQL API", access_token=access_token, json=payload
    )
    body = decode_json(response.content, invalid=_NOT_JSON)
    if body is _NOT_JSON:
        raise ApiError(
            f"The GraphQL API answered {status_text(response)} with a body that is not JSON."
        )
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
    """Who a token acts as. Every field but the id may be missing: field reports show `name`
    null for some members, the e-mail masked or empty, and no role for limited members."""

    user_id: str
    name: str | None
    email: str | None
    role: str | None
    network_title: str | None
    first_name: str | None = None
    last_name: str | None = None
    # The network's numeric id, once the API has said it: API paths with it are the safer ones.
    network_id: str | None = None

    @property
    def display_name(self) -> str:
        """The name, else first and last name, else the member id."""
        if self.name and self.name.strip():
            return self.name
        parts = [p for p in (self.first_name, self.last_name) if p and p.strip()]
        return " ".join(parts) if parts else f"member {self.user_id}"


WHOAMI_QUERY = (
    "query MightyWhoami { me { id name firstName lastName email networkRole } "
    "network { title resourceId } }"
)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _numeric_id(value: Any) -> str | None:
    """A network id as the API gives it (ID! in GraphQL, an integer in the Admin API), kept only
    when it is a plain ASCII number."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 20:
        return text
    return None


def identity_from_graphql(data: Any) -> Identity | None:
    """The identity in a `me`/`network` answer, or None when there is no `me` object."""
    if not isinstance(data, dict):
        return None
    me, network = data.get("me"), data.get("network")
    if not isinstance(me, dict) or not isinstance(me.get("id"), str) or not me["id"]:
        return None
    network = network if isinstance(network, dict) else {}
    return Identity(
        user_id=me["id"],
        name=_text(me.get("name")),
        email=_text(me.get("email")),
        role=_text(me.get("networkRole")),
        network_title=_text(network.get("title")),
        first_name=_text(me.get("firstName")),
        last_name=_text(me.get("lastName")),
        network_id=_numeric_id(network.get("resourceId")),
    )


def fetch_identity(client: httpx.Client, url: str, *, access_token: str | None = None) -> Identity:
    """Who the token belongs to, from the GraphQL ``me`` query."""
    result = post_graphql(client, url, WHOAMI_QUERY, access_token=access_token)
    identity = identity_from_graphql(result.data)
    if identity is not None:
        return identity
    if "UNAUTHENTICATED" in result.error_codes():
        raise ApiAuthError(
            "The API does not accept the access token (UNAUTHENTICATED).", code="UNAUTHENTICATED"
        )
    if result.errors:
        raise ApiError("The API could not say who you are: " + "; ".join(result.error_messages()))
    if isinstance(result.data, dict) and result.data.get("me", ...) is None:
        raise ApiAuthError("The access token does not belong to a member (me is null).")
    raise ApiError("The API's answer to the me query has no me object with an id.")


def fetch_admin_identity(
    client: httpx.Client, api_url: str, network: str, *, access_token: str | None = None
) -> Identity:
    """Who an Admin API token belongs to, from ``GET /admin/v1/networks/<network>/me``."""
    url = admin_url(api_url, network, "me")
    response = _checked_request(client, "GET", url, "Admin API", access_token=access_token)
    body = decode_json(response.content)
    user = body.get("user") if isinstance(body, dict) else None
    network_info = body.get("network") if isinstance(body, dict) else None
    user_id = _numeric_id(user.get("id")) if isinstance(user, dict) else None
    if not isinstance(user, dict) or user_id is None:
        raise ApiError("The Admin API's answer to me has no user with an id.")
    network_info = network_info if isinstance(network_info, dict) else {}
    return Identity(
        user_id=user_id,
        name=_text(user.get("name")),
        email=_text(user.get("email")),
        role="admin" if user.get("admin") is True else None,
        network_title=_text(network_info.get("title")),
        network_id=_numeric_id(network_info.get("id")),
    )


def whoami(session: Session, *, transport: httpx.BaseTransport | None = None) -> Identity:
    """The current identity; the session renews the token when the server refuses it."""
    auth = BearerAuth(session)
    with auth.attach(make_http_client(auth=auth, transport=transport)) as client:
        try:
            if session.kind == Kind.ADMIN:
                return fetch_admin_identity(client, session.api_url, session.path_network)
            return fetch_identity(client, graphql_url(session.api_url, session.path_network))
        except ApiAuthError:
            if session.from_environment:
                _name_admin_token(client, session)
            raise _relogin(session) from None


def _name_admin_token(client: httpx.Client, session: Session) -> None:
    """MIGHTY_TOKEN refused by GraphQL: if the Admin API takes it, it is an Admin API token,
    which whoami cannot use (a setting to change, not a login to renew); say so."""
    try:
        who = fetch_admin_identity(client, session.api_url, session.path_network)
    except MightyError:
        return  # neither API takes it: simply refused
    where = f" on {who.network_title}" if who.network_title else ""
    raise ConfigError(
        f"{Env.TOKEN} holds an Admin API token, acting as {who.display_name}{where}; whoami asks "
        "the GraphQL API, which takes only OAuth access tokens.",
        hint=f"Use it with the Admin API (mighty api me shows who it acts as), or unset "
        f"{Env.TOKEN} to use the stored login.",
    )


def _relogin(session: Session) -> ApiAuthError:
    if session.from_environment:
        return ApiAuthError(
            f"The API does not accept {Env.TOKEN} for {session.network}.",
            hint=f"Set a valid {Env.TOKEN}, or unset it to use the stored login.",
        )
    if session.kind == Kind.ADMIN:
        return ApiAuthError(
            f"The Admin API no longer accepts the stored API token for {session.network}.",
            hint=admin_login_hint(session.network),
        )
    return ApiAuthError(
        f"The API no longer accepts your login to {session.network}.",
        hint=f"Run: mighty login --network {session.network}",
    )
