"""Logging in and out: the browser flow from discovery to stored tokens, and revocation."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from mightycli import config, debug, oauth
from mightycli.api import Identity, fetch_admin_identity, whoami
from mightycli.discovery import ServerMetadata, discover
from mightycli.environment import Env
from mightycli.errors import (
    ApiAuthError,
    MightyError,
    UsageError,
)
from mightycli.http import make_http_client
from mightycli.launcher import open_browser
from mightycli.logins.options import LoginOptions
from mightycli.logins.saving import _commit, _finish, _forget_elsewhere, _revoke_pair, _Saving
from mightycli.loopback import LoopbackReceiver, render_page
from mightycli.session import Api, open_session, preload_storage, refresh_lock
from mightycli.tokens import (
    STORAGE_KEYRING,
    StoredSecrets,
    TokenStore,
    check_token,
    open_store,
    service_name,
)


@dataclass(frozen=True)
class LoginResult:
    record: config.LoginRecord
    identity: Identity
    storage: str
    # The login this one replaced: its tokens are revoked once the new ones are saved.
    replaced: Mapping[str, oauth.RevocationOutcome] = dataclasses.field(default_factory=dict)


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
    show_url: Callable[[str, bool], None],
    browser: Callable[[str], bool] | None = open_browser,
    no_browser_reason: str | None = None,
    terminal: int | None = None,
    waiting: Callable[[float | None, float], None] | None = None,
    clock: Callable[[], float] = time.time,
    transport: httpx.BaseTransport | None = None,
    stores: Callable[[str], TokenStore] = open_store,
) -> LoginResult:
    """Run the authorization code flow with PKCE through the system browser.
    ``show_url(url, opening)`` shows the URL, saying whether a browser is opening it;
    ``waiting(elapsed, limit)`` hears the wait's progress and ``waiting(None, limit)`` its end.
    With no usable ``browser`` the URL is only shown, and ``terminal`` (a file descriptor) may
    receive the address the browser was sent to, pasted by the user, while the receiver keeps
    listening: whichever arrives first completes the login.
    """
    store.check(options.network)  # fail now, not after the browser dance, if there is no keyring
    storage = store.description
    with make_http_client(transport=transport) as http:
        metadata = discover(http, options.issuer, notify=notify)
        _check_scopes(metadata, options.scopes)
        request = oauth.begin_authorization(
            metadata, options.client, options.redirect_uri, options.scopes
        )
        with LoopbackReceiver(options.redirect_uri) as receiver:  # binds before the browser opens
            opening = browser is not None and options.open_browser
            show_url(request.url, opening)
            if browser is not None and opening:
                _open_in_background(browser, request.url, notify)
            else:
                _explain_manual_login(notify, receiver.target.port, no_browser_reason, terminal)
            notify(
                f"Waiting for the browser to return to {options.redirect_uri} (Ctrl-C to cancel)..."
            )
            preload_storage()
            tick = _WaitTicker(options, notify, waiting)
            try:
                query = receiver.wait(
                    options.timeout,
                    terminal=terminal,
                    on_bad_paste=lambda exc: notify(f"{exc.message} {exc.hint or ''}".strip()),
                    accept=lambda query: oauth.foreign_callback(request, query),
                    tick=tick,
                )
            finally:
                tick.done()
            log = debug.current()
            if log is not None:
                log.line(f"callback: GET {debug.redact_url(options.redirect_uri + '?' + query)}")
            try:
                saving = _Saving(options, metadata, store, state_path, clock, stores)
                record, identity, replaced = _finish(http, saving, request, query, notify)
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
                    "Logged in",
                    f"mighty is logged in to {where} as {identity.display_name}.",
                    success=True,
                ),
            )
    return LoginResult(record=record, identity=identity, storage=storage, replaced=replaced)


# After this long without a callback, say what commonly keeps it from coming.
SLOW_LOGIN_HINT_AFTER = 60.0


class _WaitTicker:
    """Passes the wait's progress on, and hints once when no callback has come for a while:
    a wrong client id or redirect URI is reported only in the browser, never to mighty."""

    def __init__(
        self,
        options: LoginOptions,
        notify: Callable[[str], None],
        waiting: Callable[[float | None, float], None] | None,
    ) -> None:
        self.options, self.notify, self.waiting = options, notify, waiting
        self.hinted = False

    def __call__(self, elapsed: float) -> None:
        if self.waiting is not None:
            self.waiting(elapsed, self.options.timeout)
        if elapsed >= SLOW_LOGIN_HINT_AFTER and not self.hinted:
            self.hinted = True
            self.notify(
                f"Still waiting after {int(elapsed)} s. If the browser shows an error instead of "
                "a consent page, the application does not accept this login: check that the "
                f"client id ({self.options.client.client_id}) is the application's and that "
                f"its redirect URI is exactly {self.options.redirect_uri}."
            )

    def done(self) -> None:
        if self.waiting is not None:
            self.waiting(None, self.options.timeout)


def _explain_manual_login(
    notify: Callable[[str], None], port: int, reason: str | None, terminal: int | None
) -> None:
    notify(f"Not opening a browser here ({reason or 'none can be used'}).")
    notify("Open the URL above in a browser on any device and approve. Then either:")
    notify(
        f"  - if that browser is on another machine, forward the port first so the redirect "
        f"reaches this one: ssh -L {port}:localhost:{port} {socket.gethostname()}"
    )
    if terminal is not None:
        notify(
            "  - or paste here the address the browser shows after approving (the page that "
            "failed to load) and press Enter."
        )


def login_with_token(
    network: str,
    api_url: str,
    admin_token: str,
    *,
    store: TokenStore,
    state_path: Path,
    transport: httpx.BaseTransport | None = None,
    stores: Callable[[str], TokenStore] = open_store,
) -> tuple[config.LoginRecord, Identity]:
    """Verify an Admin API token with ``GET me`` and keep it beside any OAuth login."""
    token = admin_token.strip()
    debug.register_secret(token)
    if not token:
        raise UsageError(
            "No Admin API token on standard input.",
            hint=f"Run: mighty login --with-token --network {network} < token-file",
        )
    check_token(token, "Admin API token on standard input", error=UsageError)
    store.check(network)
    with make_http_client(transport=transport) as http:
        try:
            identity = fetch_admin_identity(http, api_url, network, access_token=token)
        except ApiAuthError as exc:
            raise ApiAuthError(
                f"The Admin API of {network} does not accept this token.",
                hint="Check that it is an API token from Network Admin > Settings > API Keys "
                "for this network.",
            ) from exc
    state = config.read_state(state_path)
    previous = state.logins.get(network)
    if previous is not None and previous.storage != store.kind:
        _forget_elsewhere(previous, stores)
        previous = None
    if previous is not None and previous.api_url == api_url:
        record = dataclasses.replace(
            previous,
            network_title=previous.network_title or identity.network_title,
            network_id=previous.network_id or identity.network_id,
        )
    else:
        record = config.LoginRecord(
            network=network,
            api_url=api_url,
            network_title=identity.network_title,
            network_id=identity.network_id,
        )
    record = dataclasses.replace(
        record,
        has_admin_token=True,
        admin_user_id=identity.user_id,
        admin_user_name=identity.display_name,
        storage=store.kind,
    )
    if previous is not None and previous.api_url != api_url and previous.has_oauth:
        store.delete_oauth(network)  # a login for another API host is no longer reachable
    _commit(
        store,
        state_path,
        state,
        record,
        lambda: store.save_admin_token(network, token),
        undo=lambda: store.delete_admin_token(network),
    )
    return record, identity


# --------------------------------------------------------------------------- logout


@dataclass(frozen=True)
class LogoutResult:
    network: str
    was_logged_in: bool
    revocations: Mapping[str, oauth.RevocationOutcome]  # "refresh token"/"access token" -> outcome
    had_admin_token: bool = False
    left_behind: str | None = None  # with force: what could not be read or removed, and why


def logout(
    network: str,
    *,
    stores: Callable[[str], TokenStore] = open_store,
    state_path: Path,
    client_secret: str | None = None,
    transport: httpx.BaseTransport | None = None,
    force: bool = False,
) -> LogoutResult:
    """Revoke (best effort), then forget the tokens and the state. Safe to repeat.

    With ``force``, a store that can no longer be read or written does not stop the login
    from being forgotten; what was left behind is reported instead.
    """
    state = config.read_state(state_path)
    record = state.logins.get(network)
    store = stores(record.storage if record else STORAGE_KEYRING)
    problem: str | None = None
    try:
        secrets = store.load(network, client_secret=bool(record and record.confidential))
    except MightyError as exc:
        if not force:
            raise _needs_force(exc, network) from exc
        secrets, problem = StoredSecrets(), exc.message
    debug.register_secret(secrets.client_secret)
    revocations: dict[str, oauth.RevocationOutcome] = {}
    if record is not None and record.has_oauth and (secrets.refresh_token or secrets.access_token):
        assert record.client_id is not None and record.issuer is not None
        endpoint = record.revocation_endpoint or f"{record.issuer.rstrip('/')}/oauth/revoke"
        credentials = oauth.ClientCredentials(
            record.client_id, client_secret or secrets.client_secret
        )
        with make_http_client(transport=transport, timeout=15.0) as http:
            revocations = _revoke_pair(http, endpoint, credentials, secrets)
    with refresh_lock(state_path, network):
        try:
            store.delete(network)
        except MightyError as exc:
            if not force:
                raise _needs_force(exc, network) from exc
            problem = problem or exc.message
        if record is not None:
            config.write_state(state_path, config.read_state(state_path).without(network))
    left_behind = None
    if problem is not None:
        left_behind = (
            f"The entries for {network} in {store.description} could not be removed "
            f"({problem}); they were not revoked either. Delete them there yourself "
            f"(service {service_name(network)})."
        )
    return LogoutResult(
        network=network,
        was_logged_in=record is not None or bool(secrets.access_token or secrets.admin_token),
        revocations=revocations,
        had_admin_token=bool(secrets.admin_token) or bool(record and record.has_admin_token),
        left_behind=left_behind,
    )


def _needs_force(exc: MightyError, network: str) -> MightyError:
    error = MightyError(f"Cannot log out of {network}: {exc.message}", hint=exc.hint)
    error.exit_code = exc.exit_code
    error.hint = (exc.hint + " " if exc.hint else "") + (
        f"To forget the login anyway: mighty logout --network {network} --force"
    )
    return error


def switch_default(network: str, *, state_path: Path) -> config.LoginRecord:
    """Make a stored login the default one."""
    key = config.parse_network(network).key
    with refresh_lock(state_path, key):
        state = config.read_state(state_path)
        record = state.logins.get(key)
        if record is None:
            known = ", ".join(sorted(state.logins)) or "none"
            raise UsageError(
                f"There is no stored login for {key}. Stored logins: {known}.",
                hint=f"Pick one of those, or log in first: mighty login --network {key}",
            )
        config.write_state(state_path, config.LoginState(logins=state.logins, default=key))
    return record


@dataclass(frozen=True)
class LoginCheck:
    """Whether the server still accepts one stored credential."""

    network: str
    api: str  # "GraphQL" (the OAuth login) or "Admin API" (the API token)
    ok: bool
    detail: str  # who the credential acts as, or what is wrong
    hint: str | None = None


def check_login(network: str, *, env: Mapping[str, str]) -> list[LoginCheck]:
    """Ask the server about each credential of a stored login (GraphQL ``me`` for the OAuth
    login, renewing it if needed; Admin API ``me`` for an API token)."""
    env = {k: v for k, v in env.items() if k != Env.TOKEN}  # the stored login, not the override
    record = config.read_state(config.state_file_path(env)).logins.get(network)
    kinds = []
    if record is not None and record.has_oauth:
        kinds.append(("GraphQL", Api.HEADLESS))
    if record is not None and record.has_admin_token:
        kinds.append(("Admin API", Api.ADMIN))
    checks = []
    for label, kind in kinds:
        try:
            identity = whoami(open_session(network, api=kind, env=env))
        except MightyError as exc:
            checks.append(LoginCheck(network, label, False, exc.message, exc.hint))
        else:
            checks.append(LoginCheck(network, label, True, f"acting as {identity.display_name}"))
    return checks


@dataclass(frozen=True)
class LoginStatus:
    record: config.LoginRecord
    is_default: bool
    has_access_token: bool | None  # None when the store could not be read
    has_refresh_token: bool | None
    has_admin_token: bool | None
    storage: str
    problem: str | None = None


def list_logins(
    *, stores: Callable[[str], TokenStore] = open_store, state_path: Path
) -> list[LoginStatus]:
    state = config.read_state(state_path)
    statuses = []
    for network, record in sorted(state.logins.items()):
        is_default = network == state.default
        try:
            store = stores(record.storage)
            secrets = store.load(network)
        except MightyError as exc:
            statuses.append(
                LoginStatus(record, is_default, None, None, None, record.storage, exc.message)
            )
            continue
        statuses.append(
            LoginStatus(
                record=record,
                is_default=is_default,
                has_access_token=secrets.access_token is not None,
                has_refresh_token=secrets.refresh_token is not None,
                has_admin_token=secrets.admin_token is not None,
                storage=store.description,
            )
        )
    return statuses


__all__ = [
    "LoginResult",
    "list_logins",
    "login",
    "login_with_token",
    "logout",
]
