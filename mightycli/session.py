"""A live login: which network, which token, and how to renew it.

Kept free of httpx at import time: ``mighty token`` with a valid token never loads it.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mightycli import config
from mightycli.errors import (
    NotLoggedInError,
    RefreshFailedError,
    SessionExpiredError,
    TokenRequestError,
)
from mightycli.tokens import Token, TokenStore

if TYPE_CHECKING:
    import httpx

ENV_TOKEN = "MIGHTY_TOKEN"
ENV_NETWORK = "MIGHTY_NETWORK"
ENV_CLIENT_SECRET = "MIGHTY_CLIENT_SECRET"
ENV_API_URL = "MIGHTY_API_URL"
REFRESH_MARGIN = 60.0  # renew a token that expires within a minute, before sending


def login_hint(network: str | None) -> str:
    return f"Run: mighty login --network {network}" if network else "Run: mighty login"


@dataclass
class Session:
    """Credentials for one network, able to refresh themselves when they came from a login."""

    network: str
    api_url: str
    token: Token
    record: config.LoginRecord | None = None  # None for MIGHTY_TOKEN
    store: TokenStore | None = None
    state_path: Path | None = None
    client_secret: str | None = dataclasses.field(default=None, repr=False)
    clock: Callable[[], float] = time.time
    refreshes: int = 0

    @property
    def from_environment(self) -> bool:
        return self.record is None

    @property
    def can_refresh(self) -> bool:
        return self.record is not None and self.token.refresh_token is not None

    def valid_token(self, http: httpx.Client | None = None) -> Token:
        """The access token, renewed first if it expires within a minute."""
        if self.token.expires_within(REFRESH_MARGIN, self.clock()):
            if not self.can_refresh:
                if self.token.expires_within(0, self.clock()):
                    raise SessionExpiredError(
                        f"Your login to {self.network} has expired and cannot be renewed "
                        "(the server issued no refresh token).",
                        hint=login_hint(self.network),
                    )
                return self.token
            return self.refresh(http)
        return self.token

    def refresh(self, http: httpx.Client | None = None) -> Token:
        """Trade the refresh token for a new pair and save it before anyone uses it."""
        if self.record is None or self.token.refresh_token is None:
            raise SessionExpiredError(
                f"The server no longer accepts the token for {self.network}, and there is no "
                "refresh token to renew it.",
                hint=login_hint(self.network) if self.record else "Set a fresh MIGHTY_TOKEN.",
            )
        from mightycli import oauth  # deferred: imports httpx

        record = self.record
        credentials = oauth.ClientCredentials(record.client_id, self.client_secret)
        own_client = http is None
        if http is None:
            from mightycli.api import make_http_client

            http = make_http_client()
        try:
            new = oauth.refresh_access_token(
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
            if exc.error == "invalid_client" and record.confidential and not self.client_secret:
                hint = "Set MIGHTY_CLIENT_SECRET for this confidential application, or " + hint
            raise RefreshFailedError(
                f"Your login to {self.network} could not be renewed: {exc.message}", hint=hint
            ) from exc
        finally:
            if own_client:
                http.close()
        self._save(new)
        return new

    def _save(self, new: Token) -> None:
        assert self.record is not None and self.store is not None
        # The rotated refresh token is saved before the new access token is used: the old one
        # may already be dead at the server.
        self.store.save(self.network, new.access_token, new.refresh_token)
        self.record = dataclasses.replace(
            self.record,
            expires_at=new.expires_at,
            scopes=new.scopes or self.record.scopes,
            has_refresh_token=new.refresh_token is not None,
        )
        if self.state_path is not None:
            state = config.read_state(self.state_path)
            if self.network in state.logins:
                make_default = state.default == self.network
                config.write_state(
                    self.state_path, state.with_login(self.record, make_default=make_default)
                )
        self.token = new
        self.refreshes += 1


def choose_network(
    option: str | None,
    env: Mapping[str, str],
    file_config: config.FileConfig,
    state: config.LoginState,
) -> str | None:
    """Which login a command means: option, MIGHTY_NETWORK, the config file, the default login."""
    for value in (option, env.get(ENV_NETWORK), file_config.lookup("network")):
        if value:
            return config.parse_network(str(value)).key
    return state.default


def open_session(
    network_option: str | None,
    *,
    store: TokenStore,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> Session:
    """The credentials a command should use: MIGHTY_TOKEN if set, else the stored login."""
    env = os.environ if env is None else env
    state_path = config.state_file_path(env)
    file_config = config.load_file_config(config.config_file_path(env))
    state = config.read_state(state_path)
    network = choose_network(network_option, env, file_config, state)
    env_token = env.get(ENV_TOKEN)
    if env_token:
        record = state.logins.get(network) if network else None
        if network is None:
            raise NotLoggedInError(
                "MIGHTY_TOKEN is set, but no network is named.",
                hint="Pass --network <subdomain or id> or set MIGHTY_NETWORK.",
            )
        api_url = (
            env.get(ENV_API_URL)
            or (record.api_url if record else None)
            or str(file_config.lookup("api_url", network) or config.DEFAULT_API_URL)
        )
        return Session(
            network=network,
            api_url=config.check_endpoint_url(api_url, "API URL"),
            token=Token(access_token=env_token.strip()),
            clock=clock,
        )
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
    secrets = store.load(network)
    if not secrets.access_token:
        raise NotLoggedInError(
            f"The login to {network} has no token in {store.description}.",
            hint=login_hint(network),
        )
    token = Token(
        access_token=secrets.access_token,
        expires_at=record.expires_at,
        refresh_token=secrets.refresh_token,
        scopes=record.scopes,
    )
    return Session(
        network=network,
        api_url=record.api_url,
        token=token,
        record=record,
        store=store,
        state_path=state_path,
        client_secret=env.get(ENV_CLIENT_SECRET) or None,
        clock=clock,
    )
