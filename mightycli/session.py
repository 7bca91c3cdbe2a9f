"""A live set of credentials: which network, which token, and how to renew it safely.

Kept free of httpx at import time: ``mighty token`` with a valid token never loads it.

Many ``mighty`` processes may share one login (a script running calls in parallel). A refresh
token may rotate on every use and a strict server revokes the whole grant when an old one is
presented again, so refreshes are serialised with a file lock beside the state file: after taking
the lock a process re-reads the store and adopts a token another process has just obtained.
"""

from __future__ import annotations

import contextlib
import enum
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from mightycli import config, debug
from mightycli import settings as setting
from mightycli.environment import Env
from mightycli.errors import (
    AuthRequiredError,
    MightyError,
    NetworkError,
    NotLoggedInError,
    RefreshFailedError,
    SessionExpiredError,
    TokenRequestError,
)
from mightycli.settings import Settings
from mightycli.tokens import (
    Token,
    TokenStore,
    check_token,
    open_store,
    with_direct_reads,
    written_backend,
)

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

REFRESH_MARGIN = 60.0  # renew a token that expires within a minute, before sending
# A token another process obtained this recently is used as it is, even when its own expiry says
# "renew": servers with very short-lived tokens would otherwise see one refresh per process.
FRESH_WINDOW = 30.0
# A token is taken as expired this long before its stated expiry (clocks differ, requests take
# time); for tokens that live only seconds, a quarter of their life.
CLOCK_SKEW = 5.0
LOCK_TIMEOUT = 60.0


class Api(enum.StrEnum):
    """Which credential a command needs."""

    HEADLESS = "headless"  # GraphQL: an OAuth access token
    ADMIN = "admin"  # REST Admin API: an Admin API token
    ANY = "any"  # whoami, token: the OAuth login if there is one, else the Admin API token


class Kind(enum.StrEnum):
    """Where a session's token comes from."""

    OAUTH = "oauth"  # a stored OAuth login, renewable
    ADMIN = "admin"  # a stored Admin API token
    ENV = "environment"  # MIGHTY_TOKEN, used as it is


def login_hint(network: str | None) -> str:
    return f"Run: mighty login --network {network}" if network else "Run: mighty login"


def admin_login_hint(network: str) -> str:
    return (
        "Create an API token in Network Admin > Settings > API Keys, then run: "
        f"mighty login --with-token --network {network} < token-file"
    )


class Session:
    """Credentials for one network, and the one owner of their life.

    Every path that needs a token (the request about to be sent, a rejection by the server,
    ``mighty token``, ``whoami``, pagination) asks ``valid_token`` or ``refresh``; nothing else
    renews, adopts or refuses a token. The rules:

    - a token whose expiry has passed (less a small clock-skew margin) is never handed out,
      whether it is our own or one another process stored: it is renewed under the lock with the
      refresh token read under the lock, or the command fails with exit code 4;
    - a token still valid but expiring within a minute is renewed as a precaution, unless it was
      obtained moments ago (servers with short-lived tokens would otherwise see one refresh per
      process);
    - a token the server has refused is renewed at most once, and never adopted back.
    """

    # A plain class, not a dataclass: it is defined on the start-up path of `mighty token`,
    # where making a dataclass costs more than the command's own work.
    def __init__(
        self,
        network: str,
        api_url: str,
        token: Token,
        kind: Kind = Kind.OAUTH,
        record: config.LoginRecord | None = None,  # None for MIGHTY_TOKEN
        store: TokenStore | None = None,
        state_path: str | Path | None = None,  # text on the start-up path
        client_secret: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.network = network
        self.api_url = api_url
        self.token = token
        self.kind = kind
        self.record = record
        self.store = store
        self.state_path = state_path
        self.client_secret = client_secret
        self.clock = clock
        self.refreshes = 0  # refreshes this process made
        self.adoptions = 0  # tokens this process took over from another one's refresh

    def __repr__(self) -> str:
        return f"Session(network={self.network!r}, api_url={self.api_url!r}, kind={self.kind})"

    @property
    def path_network(self) -> str:
        """The network as API paths name it: its numeric id once known, else as given."""
        if self.record is not None and self.record.network_id:
            return self.record.network_id
        return self.network

    @property
    def from_environment(self) -> bool:
        return self.kind == Kind.ENV

    @property
    def can_refresh(self) -> bool:
        # The refresh token itself is read from the store only when a refresh happens.
        return self.kind == Kind.OAUTH and (
            self.token.refresh_token is not None
            or (self.record is not None and self.record.has_refresh_token)
        )

    def valid_token(self, http: httpx.Client | None = None) -> Token:
        """A token that is not expired: the current one, or a renewed or adopted one."""
        if self.kind != Kind.OAUTH:
            return self.token
        now = self.clock()
        if _usable(self.token, self.record, now):
            if (
                not self.token.expires_within(REFRESH_MARGIN, now)
                or _fresh(self.record, now)
                or not self.can_refresh
            ):
                return self.token
            try:
                return self.refresh(http)
            except (NetworkError, TokenRequestError):
                # A precaution that the server could not answer: the token still works.
                if _usable(self.token, self.record, self.clock()):
                    return self.token
                raise
        if not self.can_refresh:
            raise SessionExpiredError(
                f"Your login to {self.network} has expired and cannot be renewed "
                "(the server issued no refresh token).",
                hint=login_hint(self.network),
            )
        return self.refresh(http)

    def refresh(self, http: httpx.Client | None = None, *, rejected: str | None = None) -> Token:
        """Renew under the lock, or adopt a valid token another process has just stored.

        ``rejected`` is the access token the server has just refused (HTTP 401 or
        UNAUTHENTICATED); without it the renewal is for a token that is expired or about to be.
        """
        if not self.can_refresh:
            raise SessionExpiredError(
                f"The server no longer accepts the token for {self.network}, and there is no "
                "refresh token to renew it.",
                hint=(
                    "Set a fresh MIGHTY_TOKEN."
                    if self.from_environment
                    else login_hint(self.network)
                ),
            )
        with self._refresh_lock():
            if self._adopt_stored(rejected):
                return self.token
            try:
                new = self._request_refresh(http)
            except RefreshFailedError as failure:
                # invalid_grant may mean a process outside this lock rotated the token first.
                cause = failure.__cause__
                if (
                    isinstance(cause, TokenRequestError)
                    and cause.error == "invalid_grant"
                    and self._adopt_stored(rejected, only_if_replaced=True)
                ):
                    return self.token
                raise
            self._save(new)
            return new

    # ----------------------------------------------------------------- internals

    @contextlib.contextmanager
    def _refresh_lock(self) -> Iterator[None]:
        if self.state_path is None:
            yield
            return
        with refresh_lock(self.state_path, self.network):
            yield

    def _adopt_stored(self, rejected: str | None, *, only_if_replaced: bool = False) -> bool:
        """Read the store and the state under the lock; use what is stored if that is safe.

        It is, when the stored token is valid (never one whose expiry has passed, never the one
        the server has just refused) and either another process has replaced ours, or this is a
        precaution and the stored token is ours, not yet due or obtained moments ago.
        """
        assert self.store is not None
        secrets = self.store.load(self.network, admin=False)
        debug.register_secret(secrets.access_token, secrets.refresh_token)
        record = self.record
        if self.state_path is not None:
            record = config.read_state(self.state_path).logins.get(self.network, record)
        stored = secrets.access_token
        # The refresh token is read only now, under the lock: it may have rotated, or a logout
        # may have removed it; the store is the authority.
        self.token = self.token._replace(refresh_token=secrets.refresh_token)
        if not stored or stored == rejected:
            return False
        replaced = stored != self.token.access_token
        expires_at = record.expires_at if record else None
        if not replaced and expires_at is None:
            expires_at = self.token.expires_at
        candidate = Token(
            access_token=stored,
            expires_at=expires_at,
            refresh_token=secrets.refresh_token,
            scopes=(record.scopes if record else ()) or self.token.scopes,
        )
        now = self.clock()
        if not _usable(candidate, record, now):
            return False
        if not replaced and (
            only_if_replaced
            or rejected is not None
            or (candidate.expires_within(REFRESH_MARGIN, now) and not _fresh(record, now))
        ):
            return False
        self.record = record
        self.token = candidate
        if replaced:
            self.adoptions += 1
        return True

    def _request_refresh(self, http: httpx.Client | None) -> Token:
        from mightycli import oauth  # deferred: imports httpx

        record = self.record
        assert record is not None and record.client_id and record.token_endpoint
        if self.token.refresh_token is None:
            raise SessionExpiredError(
                f"Your login to {self.network} has no refresh token in the store any more.",
                hint=login_hint(self.network),
            )
        secret = self._client_secret(record)
        credentials = oauth.ClientCredentials(record.client_id, secret)
        own_client = http is None
        if http is None:
            from mightycli.http import make_http_client  # deferred: imports httpx

            http = make_http_client()
        try:
            return oauth.refresh_access_token(
                http,
                record.token_endpoint,
                credentials,
                self.token.refresh_token,
                self.clock(),
                record.scopes,
            )
        except TokenRequestError as exc:
            if exc.error is None:
                raise  # the server failed; the session may still be good
            hint = login_hint(self.network)
            if exc.error == "invalid_client" and record.confidential and not secret:
                hint = (
                    "Give the application's client secret again: mighty login --network "
                    f"{self.network} --client-secret-stdin (or set {Env.CLIENT_SECRET})."
                )
            raise RefreshFailedError(
                f"Your login to {self.network} could not be renewed: {exc.message}", hint=hint
            ) from exc
        finally:
            if own_client:
                http.close()

    def _client_secret(self, record: config.LoginRecord) -> str | None:
        """MIGHTY_CLIENT_SECRET wins; else a confidential application's stored secret."""
        if self.client_secret or not record.confidential or self.store is None:
            return self.client_secret
        stored = self.store.load(
            self.network, access=False, refresh=False, admin=False, client_secret=True
        ).client_secret
        debug.register_secret(stored)
        return stored

    def _save(self, new: Token) -> None:
        """Keep the pair the server has just issued: the old refresh token may already be dead.

        Saving waits for the keyring without a deadline: giving up on a slow keyring that
        would have answered would lose the login. A process killed between the server's
        answer and this save loses the rotated refresh token; nothing can close that window.
        """
        assert self.record is not None and self.store is not None
        try:
            if new.refresh_token is not None:
                self.store.save_refresh_token(self.network, new.refresh_token, patient=True)
        except MightyError as exc:
            raise RefreshFailedError(
                f"The server renewed your login to {self.network}, but the new refresh token "
                f"could not be saved ({exc.message}). The stored one has been used up, so the "
                "login is lost.",
                hint=login_hint(self.network),
            ) from exc
        now = self.clock()
        self.record = self.record._replace(
            expires_at=new.expires_at,
            obtained_at=now,
            scopes=new.scopes or self.record.scopes,
            has_refresh_token=new.refresh_token is not None,
        )
        try:
            self.store.save_access_token(self.network, new.access_token, patient=True)
            self._save_state()
        except MightyError as exc:
            raise MightyError(
                f"The server renewed your login to {self.network} and the new refresh token "
                f"was saved, but not the rest ({exc.message}). Nothing is lost: the next "
                "command renews again.",
                hint=exc.hint,
            ) from exc
        self.token = new
        self.refreshes += 1

    def _written_backend(self, current: config.LoginRecord) -> str | None:
        """The backend the renewed tokens went to: the record follows keyring's choice."""
        written = written_backend(self.store) if self.store is not None else None
        return written or current.keyring_backend

    def _save_state(self) -> None:
        assert self.record is not None
        if self.state_path is None:
            return
        state = config.read_state(self.state_path)
        current = state.logins.get(self.network)
        if current is None:
            return
        updated = current._replace(
            expires_at=self.record.expires_at,
            obtained_at=self.record.obtained_at,
            scopes=self.record.scopes,
            has_refresh_token=self.record.has_refresh_token,
            keyring_backend=self._written_backend(current),
        )
        config.write_state(
            self.state_path, state.with_login(updated, make_default=state.default == self.network)
        )


def _skew(record: config.LoginRecord | None) -> float:
    """The clock-skew margin: CLOCK_SKEW, or a quarter of a short token's whole life."""
    if (
        record is not None
        and record.expires_at is not None
        and record.obtained_at is not None
        and record.expires_at > record.obtained_at
    ):
        return min(CLOCK_SKEW, (record.expires_at - record.obtained_at) / 4)
    return CLOCK_SKEW


def _usable(token: Token, record: config.LoginRecord | None, now: float) -> bool:
    """Not expired, counting the clock-skew margin (an unknown expiry is taken as valid)."""
    return not token.expires_within(_skew(record), now)


def _fresh(record: config.LoginRecord | None, now: float) -> bool:
    return (
        record is not None
        and record.obtained_at is not None
        and 0 <= now - record.obtained_at < FRESH_WINDOW
    )


def preload_storage() -> None:
    """Import what saving a login needs, while the person is still in the browser: once the
    redirect arrives, every millisecond until the command exits is waiting they can feel."""
    import tempfile  # noqa: F401

    import filelock  # noqa: F401


@contextlib.contextmanager
def refresh_lock(state_path: str | Path, network: str) -> Iterator[None]:
    """Hold the cross-process lock under which tokens are renewed and rewritten."""
    import filelock  # deferred: only a refresh needs it

    lock_path = config.lock_file_path(state_path)
    try:
        config.make_private_dir(lock_path.parent)
        lock = filelock.FileLock(lock_path, timeout=LOCK_TIMEOUT, mode=0o600)
        lock.acquire()
    except filelock.Timeout as exc:
        raise MightyError(
            f"Another mighty process has been renewing the token for {network} for over "
            f"{LOCK_TIMEOUT:g} seconds.",
            hint=f"If no other mighty is running, delete {lock_path} and try again.",
        ) from exc
    except OSError as exc:  # a read-only or full folder, a lock file that is not ours
        raise config.cannot_write(lock_path, exc, f"the lock file {lock_path}") from exc
    try:
        yield
    finally:
        lock.release()


def open_session(
    network_option: str | None,
    *,
    stores: Callable[[str], TokenStore] = open_store,
    api: Api = Api.ANY,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> Session:
    """The credentials a command should use: MIGHTY_TOKEN if set, else the stored login."""
    settings = Settings.load(env)
    state_path = config.state_file_name(settings.env)
    state = config.read_state(state_path)
    network = settings.network(network_option, state.default)
    env_token = settings.environ(Env.TOKEN)
    if env_token:
        return _environment_session(env_token, network, settings, state, clock)
    if network is None:
        raise NotLoggedInError(
            "You are not logged in to any network.",
            hint="Run: mighty login --network <subdomain> --client-id <id>",
        )
    record = state.logins.get(network)
    if record is None:
        known = ", ".join(sorted(state.logins))
        raise NotLoggedInError(
            f"You are not logged in to {network}." + (f" Logged in to: {known}." if known else ""),
            hint=login_hint(network),
        )
    kind = _pick_kind(record, api)
    store = with_direct_reads(stores(record.storage), record.keyring_backend)
    token, record = _stored_token(network, record, kind, store, state_path)
    return Session(
        network=network,
        api_url=record.api_url,
        token=token,
        kind=kind,
        record=record,
        store=store,
        state_path=state_path,
        client_secret=settings.environ(Env.CLIENT_SECRET),
        clock=clock,
    )


def _environment_session(
    env_token: str,
    network: str | None,
    settings: Settings,
    state: config.LoginState,
    clock: Callable[[], float],
) -> Session:
    """A session for MIGHTY_TOKEN: the token as given, for the network the settings name."""
    if network is None:
        raise NotLoggedInError(
            f"{Env.TOKEN} is set, but no network is named.",
            hint=f"Pass --network <subdomain or id> or set {Env.NETWORK}.",
        )
    record = state.logins.get(network)
    api_url = settings.text(
        setting.API_URL, network=network, stored=record.api_url if record else None
    )
    assert api_url is not None  # the setting has a default
    return Session(
        network=network,
        api_url=config.check_endpoint_url(api_url, "API URL"),
        token=Token(access_token=check_token(env_token.strip(), Env.TOKEN)),
        kind=Kind.ENV,
        clock=clock,
    )


def _stored_token(
    network: str,
    record: config.LoginRecord,
    kind: Kind,
    store: TokenStore,
    state_path: str | Path,
) -> tuple[Token, config.LoginRecord]:
    """The stored token a session of ``kind`` starts from, and the record read with it."""
    oauth = kind == Kind.OAUTH
    secrets = store.load(network, access=oauth, refresh=False, admin=not oauth)
    debug.register_secret(secrets.access_token, secrets.admin_token)
    wanted = secrets.access_token if oauth else secrets.admin_token
    if not wanted and oauth and os.path.exists(state_path):
        # A refresh in another process may be rewriting the store this instant (file-backed
        # keyrings rewrite in place): read again once it is done.
        with refresh_lock(state_path, network):
            secrets = store.load(network, refresh=False, admin=False)
            record = config.read_state(state_path).logins.get(network, record)
        wanted = secrets.access_token
    if not wanted:
        raise NotLoggedInError(
            f"The login to {network} has no token in {store.description}.",
            hint=login_hint(network) if oauth else admin_login_hint(network),
        )
    if not oauth:
        return Token(access_token=wanted), record
    return Token(access_token=wanted, expires_at=record.expires_at, scopes=record.scopes), record


def _pick_kind(record: config.LoginRecord, api: Api) -> Kind:
    if api == Api.HEADLESS:
        if record.has_oauth:
            return Kind.OAUTH
        raise AuthRequiredError(
            f"The GraphQL (Headless) API needs an OAuth login, and {record.network} has only an "
            "Admin API token.",
            hint=f"Run: mighty login --network {record.network} --client-id <id>",
        )
    if api == Api.ADMIN:
        if record.has_admin_token:
            return Kind.ADMIN
        raise AuthRequiredError(
            f"The Admin API (REST) needs an Admin API token, and {record.network} has only an "
            "OAuth login, which works for the GraphQL API.",
            hint=admin_login_hint(record.network),
        )
    return Kind.OAUTH if record.has_oauth else Kind.ADMIN
