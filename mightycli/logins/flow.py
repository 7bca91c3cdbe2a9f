"""The browser login: discovery, the authorization request, the loopback receiver opened
before the browser, the wait (with its progress and a hint when nothing comes), and the
callback handed to saving; the page the browser ends on tells how it went."""

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
from mightycli.api import Identity
from mightycli.discovery import ServerMetadata, discover
from mightycli.errors import MightyError, UsageError
from mightycli.http import make_http_client
from mightycli.launcher import open_browser
from mightycli.logins.options import LoginOptions
from mightycli.logins.saving import _finish, _Saving, check_can_save
from mightycli.loopback import LoopbackReceiver, TerminalInput, render_page
from mightycli.session import preload_storage
from mightycli.tokens import TokenStore, open_store


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
    terminal: int | TerminalInput | None = None,
    waiting: Callable[[float | None, float], None] | None = None,
    clock: Callable[[], float] = time.time,
    transport: httpx.BaseTransport | None = None,
    stores: Callable[[str], TokenStore] = open_store,
) -> LoginResult:
    """Run the authorization code flow with PKCE through the system browser.
    ``show_url(url, opening)`` shows the URL, saying whether a browser is opening it;
    ``waiting(elapsed, limit)`` hears the wait's progress and ``waiting(None, limit)`` its end.
    With no usable ``browser`` the URL is only shown, and ``terminal`` (a file descriptor, or a
    ``TerminalInput`` that reads one) may receive the address the browser was sent to, pasted by
    the user, while the receiver keeps listening: whichever arrives first completes the login.
    """
    # Fail now, not after the browser dance, if there is no keyring or the folder is read-only.
    check_can_save(store, state_path, options.network)
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
    notify: Callable[[str], None], port: int, reason: str | None, terminal: object | None
) -> None:
    notify(f"Not opening a browser here: {reason or 'none can be used'}.")
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


__all__ = ["LoginResult", "login"]
