"""Saving a login: secrets first, then the state that points at them, under the refresh lock,
with the secrets undone if the state cannot be written; the tokens that could not be saved are
revoked, and so is the grant a new login replaces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from mightycli import config, debug, oauth
from mightycli.api import Identity, fetch_identity, graphql_url
from mightycli.discovery import ServerMetadata
from mightycli.errors import LoginError, MightyError
from mightycli.logins.options import LoginOptions
from mightycli.session import refresh_lock
from mightycli.tokens import StoredSecrets, Token, TokenStore, written_backend


@dataclass(frozen=True)
class _Saving:
    """What turning an authorization into a stored login needs, whichever way it arrived."""

    options: LoginOptions
    metadata: ServerMetadata
    store: TokenStore
    state_path: Path
    clock: Callable[[], float]
    stores: Callable[[str], TokenStore]


def _finish(
    http: httpx.Client,
    saving: _Saving,
    request: oauth.AuthorizationRequest,
    query: str,
    notify: Callable[[str], None],
) -> tuple[config.LoginRecord, Identity, dict[str, oauth.RevocationOutcome]]:
    """From the redirect's query string to a stored login (and the replaced one revoked)."""
    options = saving.options
    callback = oauth.parse_callback_query(query)
    code = oauth.validate_callback(request, callback)
    notify("Authorization received; exchanging the code for tokens...")
    token = oauth.exchange_code(
        http, saving.metadata, options.client, request, code, saving.clock()
    )
    identity = _identify(http, options, token)
    replaced = _replaced_grant(saving)
    record = _save_tokens_or_revoke(http, saving, token, identity)
    return record, identity, _revoke_replaced(http, replaced, options.client)


@dataclass(frozen=True)
class _Replaced:
    """The OAuth login a new one replaces, read before it is overwritten."""

    record: config.LoginRecord
    secrets: StoredSecrets


def _replaced_grant(saving: _Saving) -> _Replaced | None:
    network = saving.options.network
    previous = config.read_state(saving.state_path).logins.get(network)
    if previous is None or not previous.has_oauth:
        return None
    try:
        secrets = saving.stores(previous.storage).load(
            network, admin=False, client_secret=previous.confidential
        )
    except MightyError:
        return None  # unreadable: nothing to revoke with
    debug.register_secret(secrets.access_token, secrets.refresh_token, secrets.client_secret)
    if not (secrets.access_token or secrets.refresh_token):
        return None
    return _Replaced(previous, secrets)


def _revoke_replaced(
    http: httpx.Client, replaced: _Replaced | None, client: oauth.ClientCredentials
) -> dict[str, oauth.RevocationOutcome]:
    """Best effort, after the new login is saved: the old grant should not stay alive."""
    if replaced is None:
        return {}
    record, secrets = replaced.record, replaced.secrets
    assert record.client_id is not None and record.issuer is not None
    endpoint = revocation_endpoint(record.issuer, record.revocation_endpoint)
    same_client = client.client_id == record.client_id
    secret = (client.client_secret if same_client else None) or secrets.client_secret
    credentials = oauth.ClientCredentials(record.client_id, secret)
    return _revoke_pair(http, endpoint, credentials, secrets)


def revocation_endpoint(issuer: str, advertised: str | None) -> str:
    """Where a login's tokens are revoked: the endpoint the server's metadata advertises
    (RFC 8414 section 2), else Mighty's fixed path under the issuer."""
    return advertised or f"{issuer.rstrip('/')}/oauth/revoke"


def _revoke_pair(
    http: httpx.Client,
    endpoint: str,
    credentials: oauth.ClientCredentials,
    tokens: Token | StoredSecrets,
) -> dict[str, oauth.RevocationOutcome]:
    """Revoke what there is of a token pair, best effort: "refresh token"/"access token" ->
    outcome."""
    outcomes: dict[str, oauth.RevocationOutcome] = {}
    # The refresh token first (RFC 7009 section 2.1): revoking it ends the whole grant on
    # servers that tie the access tokens to it.
    for label, value, hint in (
        ("refresh token", tokens.refresh_token, "refresh_token"),
        ("access token", tokens.access_token, "access_token"),
    ):
        if value:
            outcomes[label] = oauth.revoke_token(http, endpoint, credentials, value, hint)
    return outcomes


def check_can_save(store: TokenStore, state_path: Path, network: str) -> None:
    """Fail before the browser opens (or a token is checked) if the login could not be saved:
    no usable store, or a config folder whose lock or files cannot be written."""
    store.check(network)
    with refresh_lock(state_path, network):
        config.check_writable(state_path.parent)


def _save_tokens_or_revoke(
    http: httpx.Client, saving: _Saving, token: Token, identity: Identity
) -> config.LoginRecord:
    """Store the new login; if that fails in any way, revoke the tokens nobody could use."""
    options, metadata = saving.options, saving.metadata
    try:
        return _save_login(saving, token, identity)
    except BaseException as exc:
        endpoint = revocation_endpoint(metadata.issuer, metadata.revocation_endpoint)
        outcomes = _revoke_pair(http, endpoint, options.client, token)
        if not isinstance(exc, MightyError):
            raise  # a bug or Ctrl-C: reported as such, the tokens revoked all the same
        revoked = all(o is oauth.RevocationOutcome.REVOKED for o in outcomes.values())
        raise LoginError(
            f"The login succeeded but its tokens could not be saved: {exc.message} "
            + ("The unused tokens were revoked." if revoked else "Revoking them failed too."),
            hint=(exc.hint + " " if exc.hint else "")
            + "Nothing was stored; fix the storage and log in again.",
        ) from exc


def _identify(http: httpx.Client, options: LoginOptions, token: Token) -> Identity:
    url = graphql_url(options.api_url, options.network)
    return fetch_identity(http, url, access_token=token.access_token)


def _forget_elsewhere(previous: config.LoginRecord, stores: Callable[[str], TokenStore]) -> None:
    """A login moving to another store leaves nothing behind in the old one."""
    try:
        stores(previous.storage).delete(previous.network)
    except MightyError:
        pass  # best effort: the old store may be the very thing that stopped working


def _save_login(saving: _Saving, token: Token, identity: Identity) -> config.LoginRecord:
    options, metadata, store, state_path = (
        saving.options,
        saving.metadata,
        saving.store,
        saving.state_path,
    )
    clock, stores = saving.clock, saving.stores
    state = config.read_state(state_path)
    previous = state.logins.get(options.network)
    record = config.LoginRecord(
        network=options.network,
        api_url=options.api_url,
        issuer=metadata.issuer,
        client_id=options.client.client_id,
        authorization_endpoint=metadata.authorization_endpoint,
        token_endpoint=metadata.token_endpoint,
        revocation_endpoint=metadata.revocation_endpoint,
        confidential=options.client.client_secret is not None,
        redirect_uri=options.redirect_uri,
        user_id=identity.user_id,
        user_name=identity.display_name,
        network_title=identity.network_title,
        network_id=identity.network_id,
        scopes=token.scopes,
        expires_at=token.expires_at,
        obtained_at=clock(),
        has_refresh_token=token.refresh_token is not None,
        storage=store.kind,
        keyring_backend=written_backend(store),
        created_at=clock(),
    )
    moving = previous if previous is not None and previous.storage != store.kind else None
    if (
        moving is None
        and previous is not None
        and previous.has_admin_token
        and (previous.api_url == options.api_url)
    ):
        # An Admin API token for the same network stays: the two APIs need both.
        record = record._replace(
            has_admin_token=True,
            admin_user_id=previous.admin_user_id,
            admin_user_name=previous.admin_user_name,
        )
    secret = options.client.client_secret

    def save_secrets() -> None:
        if moving is not None:
            _forget_elsewhere(moving, stores)
        store.save(options.network, token.access_token, token.refresh_token)
        if secret is not None and options.keep_secret:
            store.save_client_secret(options.network, secret)
        else:
            store.delete_client_secret(options.network)

    _commit(state_path, record, save_secrets, undo=lambda: store.delete_oauth(options.network))
    return record


def _commit(
    state_path: Path,
    record: config.LoginRecord,
    save_secrets: Callable[[], None],
    undo: Callable[[], None],
) -> None:
    """Secrets first, then the state that points at them; undo the secrets if the state fails.

    No half-saved login: without its state the tokens would be orphans in the keyring. All of
    it under the refresh lock, the state read again there: other logins may have been renewed
    since, and every write of logins.json and tokens.json happens under the lock.
    """
    with refresh_lock(state_path, record.network):
        save_secrets()
        try:
            config.write_state(state_path, config.read_state(state_path).with_login(record))
        except MightyError:
            try:
                undo()
            except MightyError:
                pass
            raise


__all__ = ["check_can_save", "revocation_endpoint"]
