"""The OAuth 2.0 authorization code flow as data: no printing, no prompting, no globals."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx

from mightycli import debug, pkce
from mightycli.discovery import ServerMetadata, same_issuer
from mightycli.errors import (
    AuthorizationDeniedError,
    IssuerMismatchError,
    LoginError,
    NetworkError,
    StateMismatchError,
    TokenRequestError,
)
from mightycli.http import connection_hint, decode_json, status_text
from mightycli.tokens import Token, check_token


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str | None = field(default=None, repr=False)

    def form(self) -> dict[str, str]:
        # client_secret_post (RFC 6749 section 2.3.1); a public client sends only its id.
        data = {"client_id": self.client_id}
        if self.client_secret:
            data["client_secret"] = self.client_secret
        return data


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str = field(repr=False)  # carries the state
    redirect_uri: str
    issuer: str
    scopes: tuple[str, ...]
    iss_required: bool
    state: str = field(repr=False)
    verifier: str = field(repr=False)


@dataclass(frozen=True)
class Callback:
    """What came back on the redirect URI's query string."""

    state: str | None = field(repr=False, default=None)
    code: str | None = field(repr=False, default=None)
    iss: str | None = None
    error: str | None = None
    error_description: str | None = None


def begin_authorization(
    metadata: ServerMetadata,
    client: ClientCredentials,
    redirect_uri: str,
    scopes: tuple[str, ...],
) -> AuthorizationRequest:
    verifier = pkce.generate_verifier()
    state = pkce.generate_state()
    debug.register_secret(verifier, state, client.client_secret)
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": pkce.challenge_s256(verifier),
        "code_challenge_method": "S256",
    }
    parts = urlsplit(metadata.authorization_endpoint)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return AuthorizationRequest(
        url=url,
        redirect_uri=redirect_uri,
        issuer=metadata.issuer,
        scopes=scopes,
        iss_required=metadata.iss_parameter_supported,
        state=state,
        verifier=verifier,
    )


def parse_callback_query(query: str) -> Callback:
    """Read a redirect's query string; a parameter given twice is refused (RFC 6749 section 3.1)."""
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except ValueError as exc:
        raise LoginError("The redirect carried a malformed query string.") from exc
    single: dict[str, str] = {}
    for key in ("state", "code", "iss", "error", "error_description"):
        got = values.get(key)
        if got is None:
            continue
        if len(got) != 1:
            raise LoginError(f"The redirect carried the parameter {key!r} more than once.")
        single[key] = got[0]
    return Callback(**single)


def foreign_callback(request: AuthorizationRequest, query: str) -> str | None:
    """Why a callback's query does not belong to this login, or None when it does.

    Only a callback carrying this login's ``state`` exactly once may end it, with a code or with
    the server's error: anything else (no state, a wrong one, a repeated one, a query that does
    not parse) may come from any web page, and is ignored while the wait goes on.
    """
    try:
        callback = parse_callback_query(query)
    except LoginError as exc:
        return exc.message.rstrip(".")
    if callback.state is None:
        return "it carries no state"
    if not pkce.states_match(request.state, callback.state):
        return "its state is not this login's"
    return None


def _shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validate_callback(request: AuthorizationRequest, callback: Callback) -> str:
    """Return the authorization code, after the checks that make it safe to use.

    ``state`` is checked before anything else is trusted, including an ``error``: an unsolicited
    redirect must not be able to end or steer this login.
    """
    if not pkce.states_match(request.state, callback.state):
        raise StateMismatchError(
            "The browser returned to mighty with a state that does not belong to this login.",
            hint="It may come from an older login tab. Run mighty login again.",
        )
    # RFC 9207 section 2.4: compare iss whenever present; require it when the server says it
    # sends it, which defends against mix-up attacks between authorization servers.
    if callback.iss is not None:
        if not same_issuer(callback.iss, request.issuer):
            raise IssuerMismatchError(
                f"The authorization response came from issuer {_shorten(callback.iss)!r}, "
                f"expected {request.issuer!r}.",
                hint="Nothing was stored. Check --issuer and run mighty login again.",
            )
    elif request.iss_required:
        raise IssuerMismatchError(
            "The authorization response lacks the iss parameter that the server promises to send.",
            hint="Nothing was stored. Run mighty login again; if it repeats, report it.",
        )
    if callback.error is not None:
        description = _shorten(callback.error_description or "")
        if callback.error == "access_denied":
            message = "The authorization was denied" + (f": {description}" if description else ".")
            raise AuthorizationDeniedError(message, hint="Run mighty login again to retry.")
        message = f"The authorization server answered {_shorten(callback.error, 80)}"
        message += f": {description}" if description else "."
        hints = {
            "invalid_scope": "Request only scopes enabled on the OAuth application (--scope).",
            "invalid_request": "Check --client-id and --redirect-uri against the application.",
            "unauthorized_client": "Check that the application allows the authorization code flow.",
        }
        raise AuthorizationDeniedError(message, hint=hints.get(callback.error))
    if not callback.code:
        raise LoginError("The redirect carried neither a code nor an error.")
    debug.register_secret(callback.code)
    return callback.code


# --------------------------------------------------------------------------- token endpoint

# The base Auth sends requests unchanged: token and revocation requests must not pick up the
# bearer token of the client they travel on.
_NO_AUTH = httpx.Auth()

_TOKEN_ERROR_HINTS = {
    "invalid_client": (
        "The server does not accept this client: check --client-id, and set MIGHTY_CLIENT_SECRET "
        "if the application is confidential."
    ),
    "invalid_scope": "Request only scopes enabled on the OAuth application (--scope).",
    "redirect_uri_mismatch": "Use the redirect URI registered on the application (--redirect-uri).",
    "unauthorized_client": "The application may not use this grant type.",
}


def _post_token_endpoint(
    http: httpx.Client, url: str, form: dict[str, str], what: str
) -> dict[str, Any]:
    try:
        # Never let a client's bearer token ride along to the token endpoint.
        response = http.post(url, data=form, headers={"Accept": "application/json"}, auth=_NO_AUTH)
    except httpx.TimeoutException as exc:
        raise NetworkError(
            f"The token endpoint timed out during {what}.", hint=connection_hint(url)
        ) from exc
    except httpx.HTTPError as exc:
        raise NetworkError(
            f"Cannot reach the token endpoint for {what}: {exc}", hint=connection_hint(url)
        ) from exc
    body = decode_json(response.content)
    if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
        raise token_error(response, body, what)
    if not isinstance(body, dict):
        raise TokenRequestError(
            f"The token endpoint answered {what} with HTTP {response.status_code} "
            "but no JSON object.",
            status_code=response.status_code,
        )
    return body


def token_error(response: httpx.Response, body: object, what: str) -> TokenRequestError:
    status = status_text(response)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        code = _shorten(body["error"], 80)
        description = body.get("error_description")
        message = f"The token endpoint refused {what} ({status}, {code})"
        if isinstance(description, str) and description.strip():
            message += f": {_shorten(description)}"
        return TokenRequestError(
            message,
            hint=_TOKEN_ERROR_HINTS.get(code),
            error=code,
            status_code=response.status_code,
        )
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    return TokenRequestError(
        f"The token endpoint failed {what} with {status} and a body that is not an OAuth error "
        f"({kind}).",
        hint="The server may be down or misconfigured; try again later.",
        status_code=response.status_code,
    )


def parse_token_response(
    body: dict[str, Any], now: float, requested_scopes: tuple[str, ...] = ()
) -> Token:
    """Check a token response (RFC 6749 section 5.1) and make a Token of it."""
    access_token = body.get("access_token")
    refresh_value = body.get("refresh_token")
    debug.register_secret(
        access_token if isinstance(access_token, str) else None,
        refresh_value if isinstance(refresh_value, str) else None,
    )
    if not isinstance(access_token, str) or not access_token:
        raise TokenRequestError("The token endpoint's answer has no access_token.")
    check_token(access_token, "access_token from the token endpoint", error=TokenRequestError)
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise TokenRequestError(
            f"The token endpoint issued a token of type {_shorten(str(token_type), 40)!r}; "
            "mighty can only use Bearer tokens."
        )
    expires_in = body.get("expires_in")
    expires_at: float | None = None
    if expires_in is not None:
        try:
            seconds = float(expires_in)
        except (TypeError, ValueError):
            raise TokenRequestError("The token endpoint's expires_in is not a number.") from None
        except OverflowError:  # an integer too large for a float
            raise TokenRequestError("The token endpoint's expires_in is out of range.") from None
        if math.isnan(seconds) or seconds < 0 or seconds > 10 * 365 * 86400:
            raise TokenRequestError("The token endpoint's expires_in is out of range.")
        expires_at = now + seconds
    refresh_token = body.get("refresh_token")
    if refresh_token is not None and (not isinstance(refresh_token, str) or not refresh_token):
        raise TokenRequestError("The token endpoint's refresh_token is not a string.")
    if refresh_token is not None:
        check_token(refresh_token, "refresh_token from the token endpoint", error=TokenRequestError)
    scope = body.get("scope")
    if scope is None:
        scopes = requested_scopes  # section 5.1: omitted means as requested
    elif isinstance(scope, str):
        scopes = tuple(scope.split())
    else:
        raise TokenRequestError("The token endpoint's scope is not a string.")
    return Token(
        access_token=access_token,
        token_type="Bearer",
        expires_at=expires_at,
        refresh_token=refresh_token,
        scopes=scopes,
    )


def exchange_code(
    http: httpx.Client,
    metadata: ServerMetadata,
    client: ClientCredentials,
    request: AuthorizationRequest,
    code: str,
    now: float,
) -> Token:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.verifier,
        **client.form(),
    }
    body = _post_token_endpoint(http, metadata.token_endpoint, form, "the authorization code")
    return parse_token_response(body, now, request.scopes)


def refresh_access_token(
    http: httpx.Client,
    token_endpoint: str,
    client: ClientCredentials,
    refresh_token: str,
    now: float,
    scopes: tuple[str, ...] = (),
) -> Token:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **client.form()}
    body = _post_token_endpoint(http, token_endpoint, form, "the refresh token")
    token = parse_token_response(body, now, scopes)
    if token.refresh_token is None:
        # RFC 6749 section 6: without a new one, the old refresh token stays valid.
        token = Token(
            access_token=token.access_token,
            token_type=token.token_type,
            expires_at=token.expires_at,
            refresh_token=refresh_token,
            scopes=token.scopes,
        )
    return token


class RevocationOutcome(enum.Enum):
    REVOKED = "revoked"
    UNSUPPORTED = "revocation not supported"
    FAILED = "revocation failed"


def revoke_token(
    http: httpx.Client,
    revocation_endpoint: str,
    client: ClientCredentials,
    token: str,
    token_type_hint: str,
) -> RevocationOutcome:
    """Best-effort RFC 7009 revocation: the outcome is reported, never raised."""
    form = {"token": token, "token_type_hint": token_type_hint, **client.form()}
    try:
        response = http.post(revocation_endpoint, data=form, auth=_NO_AUTH)
    except httpx.HTTPError:
        return RevocationOutcome.FAILED
    if response.status_code == 200:
        return RevocationOutcome.REVOKED
    if response.status_code in (404, 405, 501):
        return RevocationOutcome.UNSUPPORTED
    body = decode_json(response.content)
    if isinstance(body, dict) and body.get("error") == "unsupported_token_type":
        return RevocationOutcome.UNSUPPORTED  # RFC 7009 section 2.2.1
    return RevocationOutcome.FAILED
