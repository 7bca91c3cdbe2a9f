"""Logging in and out: the browser flow from discovery to stored tokens, and revocation."""

from __future__ import annotations

import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from mightycli import config, oauth
from mightycli.api import Identity, fetch_identity, graphql_url, make_http_client
from mightycli.discovery import ServerMetadata, discover
from mightycli.errors import MightyError, UsageError
from mightycli.loopback import LoopbackReceiver, render_page
from mightycli.session import Session
from mightycli.tokens import Token, TokenStore


@dataclass(frozen=True)
class LoginOptions:
    network: str  # the key logins are filed under: subdomain or numeric id
    issuer: str
    api_url: str
    client: oauth.ClientCredentials
    scopes: tuple[str, ...]
    redirect_uri: str = config.DEFAULT_REDIRECT_URI
    timeout: float = config.DEFAULT_LOGIN_TIMEOUT
    open_browser: bool = True


@dataclass(frozen=True)
class LoginResult:
    record: config.LoginRecord
    identity: Identity
    storage: str


def _open_in_background(
    browser: Callable[[str], bool], url: str, notify: Callable[[str], None]
) -> None:
    """Open the browser off the main thread: some openers wait for the browser process to end,
    and the receiver must be serving by then."""

    def run() -> None:
        try:
            opened = browser(url)
        except Exception:  # a broken opener is no reason to fail: the URL is printed
            opened = False
        if not opened:
            notify("Could not open a browser here; open the URL above yourself.")

    threading.Thread(target=run, name="mighty-browser", daemon=True).start()


def _check_scopes(metadata: ServerMetadata, scopes: tuple[str, ...]) -> None:
    if metadata.scopes_supported is None:
        return
    unknown = [s for s in scopes if s not in metadata.scopes_supported]
    if unknown:
        raise UsageError(
            "The network does not offer the scope(s): " + ", ".join(unknown) + ".",
            hint="Offered: " + " ".join(metadata.scopes_supported),
        )


def login(
    options: LoginOptions,
    *,
    store: TokenStore,
    state_path: Path,
    notify: Callable[[str], None],
    show_url: Callable[[str], None],
    browser: Callable[[str], bool] = webbrowser.open,
    clock: Callable[[], float] = time.time,
    transport: httpx.BaseTransport | None = None,
) -> LoginResult:
    """Run the authorization code flow with PKCE through the system browser."""
    store.check(options.network)  # fail now, not after the browser dance, if there is no keyring
    storage = store.description
    with make_http_client(transport=transport) as http:
        metadata = discover(http, options.issuer, notify=notify)
        _check_scopes(metadata, options.scopes)
        request = oauth.begin_authorization(
            metadata, options.client, options.redirect_uri, options.scopes
        )
        with LoopbackReceiver(options.redirect_uri) as receiver:  # binds before the browser opens
            show_url(request.url)
            if options.open_browser:
                _open_in_background(browser, request.url, notify)
            notify(
                f"Waiting for the browser to return to {options.redirect_uri} (Ctrl-C to cancel)..."
            )
            query = receiver.wait(options.timeout)
            try:
                callback = oauth.parse_callback_query(query)
                code = oauth.validate_callback(request, callback)
                notify("Authorization received; exchanging the code for tokens...")
                token = oauth.exchange_code(http, metadata, options.client, request, code, clock())
                identity = _identify(http, options, token)
                record = _save_login(options, metadata, token, identity, store, state_path, clock)
            except MightyError as exc:
                receiver.respond(400, render_page("Login failed", exc.message, success=False))
                raise
            except BaseException:
                receiver.respond(400, render_page("Login failed", "mighty stopped.", success=False))
                raise
            where = identity.network_title or options.network
            receiver.respond(
                200,
                render_page(
                    "Logged in", f"mighty is logged in to {where} as {identity.name}.", success=True
                ),
            )
    return LoginResult(record=record, identity=identity, storage=storage)


def _identify(http: httpx.Client, options: LoginOptions, token: Token) -> Identity:
    url = graphql_url(options.api_url, options.network)
    return fetch_identity_with_token(http, url, token.access_token)


def fetch_identity_with_token(http: httpx.Client, url: str, access_token: str) -> Identity:
    original = http.headers.get("Authorization")
    http.headers["Authorization"] = f"Bearer {access_token}"
    try:
        return fetch_identity(http, url)
    finally:
        if original is None:
            del http.headers["Authorization"]
        else:
            http.headers["Authorization"] = original


def _save_login(
    options: LoginOptions,
    metadata: ServerMetadata,
    token: Token,
    identity: Identity,
    store: TokenStore,
    state_path: Path,
    clock: Callable[[], float],
) -> config.LoginRecord:
    record = config.LoginRecord(
        network=options.network,
        issuer=metadata.issuer,
        api_url=options.api_url,
        client_id=options.client.client_id,
        authorization_endpoint=metadata.authorization_endpoint,
        token_endpoint=metadata.token_endpoint,
        revocation_endpoint=metadata.revocation_endpoint,
        confidential=options.client.client_secret is not None,
        user_id=identity.user_id,
        user_name=identity.name,
        network_title=identity.network_title,
        scopes=token.scopes,
        expires_at=token.expires_at,
        has_refresh_token=token.refresh_token is not None,
        storage="keyring",
        created_at=clock(),
    )
    state = config.read_state(state_path)
    store.save(options.network, token.access_token, token.refresh_token)
    try:
        config.write_state(state_path, state.with_login(record))
    except MightyError:
        # No half-saved login: without its state the tokens would be orphans in the keyring.
        try:
            store.delete(options.network)
        except MightyError:
            pass
        raise
    return record


# --------------------------------------------------------------------------- logout


@dataclass(frozen=True)
class LogoutResult:
    network: str
    was_logged_in: bool
    revocations: Mapping[str, oauth.RevocationOutcome]  # "refresh token"/"access token" -> outcome


def logout(
    network: str,
    *,
    store: TokenStore,
    state_path: Path,
    client_secret: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> LogoutResult:
    """Revoke (best effort), then forget the tokens and the state. Safe to repeat."""
    state = config.read_state(state_path)
    record = state.logins.get(network)
    secrets = store.load(network)
    revocations: dict[str, oauth.RevocationOutcome] = {}
    if record is not None and (secrets.refresh_token or secrets.access_token):
        endpoint = record.revocation_endpoint or f"{record.issuer.rstrip('/')}/oauth/revoke"
        credentials = oauth.ClientCredentials(record.client_id, client_secret)
        with make_http_client(transport=transport, timeout=15.0) as http:
            # The refresh token first (RFC 7009 section 2.1): revoking it ends the whole grant
            # on servers that tie the access tokens to it.
            for label, value, hint in (
                ("refresh token", secrets.refresh_token, "refresh_token"),
                ("access token", secrets.access_token, "access_token"),
            ):
                if value:
                    revocations[label] = oauth.revoke_token(
                        http, endpoint, credentials, value, hint
                    )
    store.delete(network)
    if record is not None:
        config.write_state(state_path, state.without(network))
    return LogoutResult(
        network=network,
        was_logged_in=record is not None or bool(secrets.access_token),
        revocations=revocations,
    )


@dataclass(frozen=True)
class LoginStatus:
    record: config.LoginRecord
    is_default: bool
    has_access_token: bool | None  # None when the store could not be read
    has_refresh_token: bool | None
    storage: str
    problem: str | None = None


def list_logins(*, store: TokenStore, state_path: Path) -> list[LoginStatus]:
    state = config.read_state(state_path)
    statuses = []
    for network, record in sorted(state.logins.items()):
        try:
            secrets = store.load(network)
            statuses.append(
                LoginStatus(
                    record=record,
                    is_default=network == state.default,
                    has_access_token=secrets.access_token is not None,
                    has_refresh_token=secrets.refresh_token is not None,
                    storage=store.description,
                )
            )
        except MightyError as exc:
            statuses.append(
                LoginStatus(
                    record=record,
                    is_default=network == state.default,
                    has_access_token=None,
                    has_refresh_token=None,
                    storage=record.storage,
                    problem=exc.message,
                )
            )
    return statuses


__all__ = ["LoginOptions", "LoginResult", "login", "logout", "list_logins", "Session"]
