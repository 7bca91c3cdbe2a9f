"""Where a login's settings come from, and which logins a command means.

Each setting of a login (client id, issuer, API URL, scopes, redirect URI, timeout, storage, a
confidential application's secret) comes from the flag, the environment, the config file, the
stored login for the network (logging in again needs no more than ``--network``), then the
default. Logout's and status's choice of logins is here too. Nothing here prints, prompts or
reads standard input itself: the caller passes ``Prompts``, so the command line and
``mightycli.connect`` share one resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mightycli import config
from mightycli import settings as setting
from mightycli.environment import Env
from mightycli.errors import NotLoggedInError, UsageError
from mightycli.settings import Settings

if TYPE_CHECKING:
    from mightycli.logins.options import LoginOptions
    from mightycli.tokens import TokenStore

# Asks a person for a value: given what is asked ("client id") and whether to hide the typing.
Ask = Callable[[str, bool], str]
NOT_LOGGED_IN_HINT = "Run: mighty login --network <subdomain> --client-id <id>"


@dataclass(frozen=True)
class Prompts:
    """How a login reaches a person: ``ask`` is None where nobody can answer (no terminal), and
    ``read_secret(what)`` reads a secret the user chose to give on standard input."""

    ask: Ask | None
    read_secret: Callable[[str], str]
    notify: Callable[[str], None]


@dataclass(frozen=True)
class LoginFlags:
    """What the user gave on the command line for a browser login (None: not given)."""

    client_id: str | None = None
    scope: list[str] | None = None
    redirect_uri: str | None = None
    issuer: str | None = None
    api_url: str | None = None
    timeout: float | None = None
    no_browser: bool = False


def parse_scopes(values: Any) -> tuple[str, ...]:
    """Scopes as given (repeated, comma- or space-separated, or a config file's list), in
    order, each once."""
    if isinstance(values, str):
        values = [values]
    scopes: list[str] = []
    for value in values:
        for scope in str(value).replace(",", " ").split():
            if scope not in scopes:
                scopes.append(scope)
    return tuple(scopes)


def ask_for(prompts: Prompts, what: str, flag: str, env_name: Env | None) -> str:
    """A value nobody gave: asked for on a terminal, else a usage error naming the flag."""
    if prompts.ask is None:
        also = f" or set {env_name}" if env_name else ""
        raise UsageError(f"No {what} given.", hint=f"Pass {flag}{also}.")
    value = prompts.ask(what[0].upper() + what[1:], False).strip()
    if not value:
        raise UsageError(f"No {what} given.", hint=f"Pass {flag}.")
    return value


def login_store(
    insecure: bool, settings: Settings, network: str, notify: Callable[[str], None]
) -> TokenStore:
    """Where a new login's secrets go: the keyring, unless the user opted in to a file."""
    from mightycli.tokens import (
        STORAGE_FILE,
        STORAGE_KEYRING,
        KeyringStore,
        open_store,
        token_file_path,
    )

    kind = STORAGE_FILE if insecure else settings.resolve(setting.STORAGE, network=network)
    kind = str(kind or STORAGE_KEYRING).strip().lower()
    if kind not in (STORAGE_FILE, STORAGE_KEYRING):
        raise UsageError(
            f"Unknown storage {kind!r} (from {Env.STORAGE} or the config file).",
            hint=f"Use {STORAGE_KEYRING} (the default) or {STORAGE_FILE}.",
        )
    store: TokenStore = open_store(kind)
    if kind == STORAGE_FILE:
        notify(
            f"Warning: tokens will be kept unencrypted in {token_file_path()}, "
            "readable only by you. Anyone with your account's files can use them."
        )
    elif isinstance(store, KeyringStore) and store.plaintext_location is not None:
        # keyrings.alt's PlaintextKeyring, say: a file, however "keyring" it sounds.
        notify(
            f"Warning: the keyring backend here ({store.backend_name}) keeps secrets in a plain "
            f"file: tokens will be kept unencrypted in {store.plaintext_location}. Anyone with "
            "your account's files can use them. For an encrypted keyring, run a Secret Service "
            "(gnome-keyring, KWallet) or choose one with PYTHON_KEYRING_BACKEND."
        )
    return store


def login_network(option: str | None, settings: Settings, prompts: Prompts) -> str:
    """The network to log in to; logging in again needs none (the default login's)."""
    default_login = config.read_state(config.state_file_path()).default
    value = settings.resolve(setting.NETWORK, option, stored=default_login, default=False)
    if not value:
        value = ask_for(
            prompts, "network (subdomain, id or URL)", "--network <subdomain>", Env.NETWORK
        )
    return str(value)


def admin_api_url(network: str, api_url: str | None, settings: Settings) -> str:
    """The API URL an Admin API token is checked and kept for."""
    stored = config.read_state(config.state_file_path()).logins.get(network)
    the_api_url = settings.text(
        setting.API_URL, api_url, network=network, stored=stored.api_url if stored else None
    )
    return config.check_endpoint_url(str(the_api_url), "API URL")


def _timeout(value: Any) -> float:
    try:
        wait = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"The timeout {value!r} is not a number of seconds.") from None
    return config.check_seconds(wait, "The timeout")


def oauth_options(
    ref: config.NetworkRef,
    given: LoginFlags,
    settings: Settings,
    prompts: Prompts,
    secret_from_stdin: bool,
) -> LoginOptions:
    """The browser login's options: each setting from the flag, the environment, the config
    file, then the stored login for this network, then the default."""
    from mightycli import oauth
    from mightycli.logins.options import LoginOptions
    from mightycli.loopback import parse_redirect_uri

    key = ref.key
    stored = config.read_state(config.state_file_path()).logins.get(key)
    known = stored if stored is not None and stored.has_oauth else None

    def pick(which: setting.Setting, flag: Any, remembered: Any) -> Any:
        return settings.resolve(which, flag, network=key, stored=remembered)

    the_client_id = pick(setting.CLIENT_ID, given.client_id, known and known.client_id)
    if not the_client_id:
        the_client_id = ask_for(prompts, "client id", "--client-id <id>", Env.CLIENT_ID)
    the_client_id = str(the_client_id).strip()
    the_issuer = pick(setting.ISSUER, given.issuer, known and known.issuer) or ref.issuer
    if not the_issuer:
        raise UsageError(
            f"Cannot derive the community's address from the network id {key}.",
            hint="Pass --issuer https://<subdomain>.mn.co, or use the subdomain as --network.",
        )
    the_api_url = pick(setting.API_URL, given.api_url, stored and stored.api_url)
    the_redirect = str(pick(setting.REDIRECT_URI, given.redirect_uri, known and known.redirect_uri))
    scopes = parse_scopes(pick(setting.SCOPES, given.scope, None) or [])
    if not scopes and known is not None:
        scopes = known.scopes
    wait = _timeout(pick(setting.TIMEOUT, given.timeout, None))
    parse_redirect_uri(the_redirect)
    secret, keep = client_secret(key, the_client_id, known, secret_from_stdin, settings, prompts)
    return LoginOptions(
        network=key,
        issuer=config.check_endpoint_url(str(the_issuer), "issuer"),
        api_url=config.check_endpoint_url(str(the_api_url), "API URL"),
        client=oauth.ClientCredentials(the_client_id, secret),
        scopes=scopes or config.DEFAULT_SCOPES,
        redirect_uri=the_redirect,
        timeout=wait,
        open_browser=not given.no_browser,
        keep_secret=keep,
    )


def client_secret(
    network: str,
    client_id: str,
    known: config.LoginRecord | None,
    from_stdin: bool,
    settings: Settings,
    prompts: Prompts,
) -> tuple[str | None, bool]:
    """A confidential application's secret, and whether to keep it in the keyring.

    The environment's secret wins (and stays there); then --client-secret-stdin; then
    the secret kept with the stored login of the same application.
    """
    from mightycli import debug

    env_secret = settings.environ(Env.CLIENT_SECRET)
    if env_secret:
        return env_secret, False
    if from_stdin:
        secret = prompts.read_secret("client secret").strip()
        if not secret or any(c.isspace() for c in secret):
            raise UsageError("Pass only the client secret on standard input, nothing else.")
        debug.register_secret(secret)
        return secret, True
    if known is None or not known.confidential or known.client_id != client_id:
        return None, False
    from mightycli.tokens import open_store

    kept = (
        open_store(known.storage)
        .load(network, access=False, refresh=False, admin=False, client_secret=True)
        .client_secret
    )
    if kept:
        debug.register_secret(kept)
        return kept, True
    if prompts.ask is not None:
        typed = prompts.ask("Client secret", True).strip()
        debug.register_secret(typed)
        return typed, True
    raise UsageError(
        f"The application {client_id} is confidential and no client secret is kept for it.",
        hint=f"Run: mighty login --network {network} --client-secret-stdin < secret-file "
        f"(or set {Env.CLIENT_SECRET}).",
    )


def not_logged_in(network: str) -> NotLoggedInError:
    from mightycli.session import login_hint

    return NotLoggedInError(f"You are not logged in to {network}.", hint=login_hint(network))


def chosen_logins(network: str | None, state: config.LoginState) -> list[str]:
    """The stored logins ``--network`` means (all of them without it); none is an error."""
    if network:
        key = config.parse_network(network).key
        if key not in state.logins:
            raise not_logged_in(key)
        return [key]
    if not state.logins:
        raise NotLoggedInError("You are not logged in to any network.", hint=NOT_LOGGED_IN_HINT)
    return sorted(state.logins)


@dataclass(frozen=True)
class LogoutPlan:
    """Which logins a logout ends, and the client secret to revoke with."""

    targets: list[str]
    client_secret: str | None
    state_path: Path


def logout_plan(network: str | None, all_networks: bool, env: Mapping[str, str]) -> LogoutPlan:
    """Logout's policy: never revoke a MIGHTY_TOKEN mighty did not make; --all or one login
    (the option, the environment, the config file, else the default login)."""
    if env.get(Env.TOKEN):
        raise UsageError(
            f"{Env.TOKEN} is set; mighty did not create that token and will not revoke it.",
            hint=f"Unset {Env.TOKEN} to log out of stored logins.",
        )
    if all_networks and network:
        raise UsageError("Use either --network or --all, not both.")
    state_path = config.state_file_path(env)
    state = config.read_state(state_path)
    if all_networks:
        targets = sorted(state.logins)
    else:
        chosen = Settings.load(env).network(network, state.default)
        targets = [chosen] if chosen else []
    return LogoutPlan(targets, env.get(Env.CLIENT_SECRET) or None, state_path)
