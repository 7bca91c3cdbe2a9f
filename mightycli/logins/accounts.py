"""The stored logins as accounts: an Admin API token kept beside the OAuth login, logging out
(revoking, then forgetting), switching the default, asking the server whether each credential
still works, and listing what is stored."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from mightycli import config, debug, oauth
from mightycli.api import Identity, fetch_admin_identity, whoami
from mightycli.environment import Env
from mightycli.errors import ApiAuthError, MightyError, StateFileError, UsageError
from mightycli.http import make_http_client
from mightycli.logins.saving import (
    _commit,
    _forget_elsewhere,
    _revoke_pair,
    check_can_save,
    revocation_endpoint,
)
from mightycli.session import Api, open_session, refresh_lock
from mightycli.tokens import (
    STORAGE_KEYRING,
    StoredSecrets,
    TokenStore,
    check_token,
    open_store,
    service_name,
    written_backend,
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
    check_can_save(store, state_path, network)
    with make_http_client(transport=transport) as http:
        try:
            identity = fetch_admin_identity(http, api_url, network, access_token=token)
        except ApiAuthError as exc:
            raise ApiAuthError(
                f"The Admin API of {network} does not accept this token.",
                hint="Check that it is an API token from Network Admin > Settings > API Keys "
                "for this network.",
            ) from exc
    previous = config.read_state(state_path).logins.get(network)
    moving = previous if previous is not None and previous.storage != store.kind else None
    if moving is not None:
        previous = None
    if previous is not None and previous.api_url == api_url:
        record = previous._replace(
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
    record = record._replace(
        has_admin_token=True,
        admin_user_id=identity.user_id,
        admin_user_name=identity.display_name,
        storage=store.kind,
        keyring_backend=written_backend(store),
    )
    # A login for another API host is no longer reachable.
    unreachable = previous is not None and previous.api_url != api_url and previous.has_oauth

    def save_secrets() -> None:
        if moving is not None:
            _forget_elsewhere(moving, stores)
        if unreachable:
            store.delete_oauth(network)
        store.save_admin_token(network, token)

    _commit(state_path, record, save_secrets, undo=lambda: store.delete_admin_token(network))
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

    All of it under the refresh lock: the tokens revoked are the ones stored now, not ones
    another process has rotated meanwhile, and a folder that cannot be written stops the logout
    before anything is revoked (a revoked login still stored would only confuse). With
    ``force``, a store that can no longer be read or written does not stop the login from being
    forgotten; what was left behind is reported instead.
    """
    with contextlib.ExitStack() as locked:
        try:
            locked.enter_context(refresh_lock(state_path, network))
            config.check_writable(state_path.parent)
        except StateFileError as exc:
            raise StateFileError(
                f"Cannot log out of {network}: {exc.message} Nothing was revoked or forgotten.",
                hint=exc.hint,
            ) from exc
        record = config.read_state(state_path).logins.get(network)
        store = stores(record.storage if record else STORAGE_KEYRING)
        problem: str | None = None
        try:
            secrets = store.load(network, client_secret=bool(record and record.confidential))
        except MightyError as exc:
            if not force:
                raise _needs_force(exc, network) from exc
            secrets, problem = StoredSecrets(), exc.message
        debug.register_secret(secrets.client_secret)
        revocations = _revoke_stored(record, secrets, client_secret, transport)
        try:
            store.delete(network)
        except MightyError as exc:
            if not force:
                raise _needs_force(exc, network) from exc
            problem = problem or exc.message
        if record is not None:
            config.write_state(state_path, config.read_state(state_path).without(network))
        config.remove_stale_temp_files(state_path.parent)  # rotated tokens a kill left there
    left_behind = None
    if problem is not None:
        left_behind = (
            f"The entries for {network} in {store.description} could not be removed, nor "
            f"revoked. {problem.rstrip('.')}. Delete them there yourself: they are under the "
            f"service {service_name(network)}."
        )
    return LogoutResult(
        network=network,
        was_logged_in=record is not None or bool(secrets.access_token or secrets.admin_token),
        revocations=revocations,
        had_admin_token=bool(secrets.admin_token) or bool(record and record.has_admin_token),
        left_behind=left_behind,
    )


def _revoke_stored(
    record: config.LoginRecord | None,
    secrets: StoredSecrets,
    client_secret: str | None,
    transport: httpx.BaseTransport | None,
) -> dict[str, oauth.RevocationOutcome]:
    """Revoke a login's OAuth tokens at its server, best effort."""
    if (
        record is None
        or not record.has_oauth
        or not (secrets.refresh_token or secrets.access_token)
    ):
        return {}
    assert record.client_id is not None and record.issuer is not None
    endpoint = revocation_endpoint(record.issuer, record.revocation_endpoint)
    credentials = oauth.ClientCredentials(record.client_id, client_secret or secrets.client_secret)
    with make_http_client(transport=transport, timeout=15.0) as http:
        return _revoke_pair(http, endpoint, credentials, secrets)


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
    encrypted: bool | None = None  # False: a plain file (tokens.json, a plaintext keyring)


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
                encrypted=store.plaintext_location is None,
            )
        )
    return statuses


__all__ = [
    "LoginCheck",
    "LoginStatus",
    "LogoutResult",
    "check_login",
    "list_logins",
    "login_with_token",
    "logout",
    "switch_default",
]
