"""The two-step login for scripts and agents: ``start_login`` keeps the verifier in a pending
login file (0600, named by a hash of the state) and returns the URL to open; ``complete_login``
finishes the login from the address the browser was redirected to."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from mightycli import config, debug, oauth
from mightycli.discovery import ServerMetadata, discover
from mightycli.environment import Env
from mightycli.errors import LoginError, UsageError
from mightycli.http import make_http_client
from mightycli.logins.flow import LoginResult, _check_scopes
from mightycli.logins.options import LoginOptions
from mightycli.logins.saving import _finish, _Saving, check_can_save
from mightycli.loopback import parse_redirect_uri, query_from_redirect
from mightycli.tokens import TokenStore, open_store

PENDING_LIFETIME = 600.0  # an authorization code lives about ten minutes


@dataclass(frozen=True)
class PendingLogin:
    authorization_url: str
    redirect_uri: str
    network: str
    expires_at: float


def pending_dir(state_path: Path) -> Path:
    return state_path.parent / "pending"


def _pending_path(directory: Path, state: str) -> Path:
    # Named by a hash of the state: the file name gives nothing away, and the redirected address
    # (which carries the state) finds its file without being told the network.
    return directory / (hashlib.sha256(state.encode("utf-8")).hexdigest()[:32] + ".json")


# What a pending login file holds, by key: written by start_login, read back by complete_login.
_PENDING_SHAPE: dict[str, tuple[type, ...]] = {
    "network": (str,),
    "issuer": (str,),
    "api_url": (str,),
    "client_id": (str,),
    "confidential": (bool,),
    "scopes": (list,),
    "redirect_uri": (str,),
    "state": (str,),
    "verifier": (str,),
    "metadata": (dict,),
    "created_at": (int, float),
    "expires_at": (int, float),
}


class _DamagedPendingError(ValueError):
    pass


def read_pending(path: Path) -> dict[str, Any]:
    """A pending login file, checked against the shape start_login writes.

    Raises OSError when it cannot be read and _DamagedPendingError when it is not that shape.
    """
    raw = config.read_trusted(path)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise _DamagedPendingError("not JSON in UTF-8") from None
    if not isinstance(data, dict):
        raise _DamagedPendingError("not a JSON object")
    for key, types in _PENDING_SHAPE.items():
        value = data.get(key)
        if not isinstance(value, types) or isinstance(value, bool) is not (types == (bool,)):
            raise _DamagedPendingError(f"{key!r} is missing or of the wrong type")
    if not config.is_network_key(data["network"]):
        raise _DamagedPendingError("'network' is not a network")
    if not all(isinstance(scope, str) for scope in data["scopes"]):
        raise _DamagedPendingError("'scopes' is not a list of strings")
    saved: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data["metadata"].items()
    }
    try:
        metadata = ServerMetadata(**saved)
    except TypeError:
        raise _DamagedPendingError("'metadata' is not server metadata") from None
    endpoints = (metadata.issuer, metadata.authorization_endpoint, metadata.token_endpoint)
    if not all(isinstance(url, str) for url in endpoints):
        raise _DamagedPendingError("'metadata' is not server metadata")
    _check_urls(data, metadata)
    return data


def _check_urls(data: dict[str, Any], metadata: ServerMetadata) -> None:
    """Every URL a pending login will send to follows the rules of a login."""
    urls = {
        "issuer": data["issuer"],
        "api_url": data["api_url"],
        "issuer (metadata)": metadata.issuer,
        "authorization_endpoint": metadata.authorization_endpoint,
        "token_endpoint": metadata.token_endpoint,
        "revocation_endpoint": metadata.revocation_endpoint,
    }
    try:
        for name, url in urls.items():
            if url is not None:
                if not isinstance(url, str):
                    raise ValueError(f"{name!r} is not a string")
                config.check_url_read_back(url, name)
        parse_redirect_uri(data["redirect_uri"])
    except UsageError as exc:
        raise _DamagedPendingError(f"'redirect_uri': {exc.message}") from None
    except ValueError as exc:
        raise _DamagedPendingError(str(exc)) from None


def _load_pending(path: Path) -> dict[str, Any]:
    try:
        return read_pending(path)
    except OSError:
        raise LoginError(
            "No pending login matches that address: it was completed, expired, or started "
            "on another machine.",
            hint="Start again: mighty login --no-wait",
        ) from None
    except _DamagedPendingError as exc:
        raise LoginError(
            f"The pending login file {path} is damaged ({exc}).",
            hint="Remove it and start again: mighty login --no-wait",
        ) from None


def _prune_pending(directory: Path, now: float, notify: Callable[[str], None]) -> None:
    """Remove expired pending logins; a damaged file is left alone, with a warning."""
    for path in directory.glob("*.json"):
        try:
            if read_pending(path)["expires_at"] < now:
                path.unlink()
        except _DamagedPendingError as exc:
            notify(f"Warning: ignoring the damaged pending login file {path} ({exc}); remove it.")
        except OSError:
            continue


def start_login(
    options: LoginOptions,
    *,
    store: TokenStore,
    state_path: Path,
    notify: Callable[[str], None],
    clock: Callable[[], float] = time.time,
    transport: httpx.BaseTransport | None = None,
) -> PendingLogin:
    """First half of a login for scripts and agents: the URL to open, the verifier kept 0600."""
    check_can_save(store, state_path, options.network)
    with make_http_client(transport=transport) as http:
        metadata = discover(http, options.issuer, notify=notify)
    _check_scopes(metadata, options.scopes)
    request = oauth.begin_authorization(
        metadata, options.client, options.redirect_uri, options.scopes
    )
    now = clock()
    directory = pending_dir(state_path)
    _prune_pending(directory, now, notify)
    pending = {
        "network": options.network,
        "issuer": options.issuer,
        "api_url": options.api_url,
        "client_id": options.client.client_id,
        "confidential": options.client.client_secret is not None,
        "scopes": list(options.scopes),
        "redirect_uri": options.redirect_uri,
        "state": request.state,
        "verifier": request.verifier,
        "metadata": dataclasses.asdict(metadata),
        "created_at": now,
        "expires_at": now + PENDING_LIFETIME,
    }
    config.write_private_file(
        _pending_path(directory, request.state), json.dumps(pending).encode("utf-8")
    )
    return PendingLogin(request.url, options.redirect_uri, options.network, now + PENDING_LIFETIME)


def _resume_pending(
    pending: dict[str, Any], client_secret: str | None, keep_secret: bool
) -> tuple[LoginOptions, ServerMetadata, oauth.AuthorizationRequest]:
    """The login a pending file describes; a damaged file raises KeyError, TypeError or
    ValueError, which the caller reports."""
    saved: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in pending["metadata"].items()
    }
    metadata = ServerMetadata(**saved)
    options = LoginOptions(
        network=pending["network"],
        issuer=pending["issuer"],
        api_url=pending["api_url"],
        client=oauth.ClientCredentials(pending["client_id"], client_secret),
        scopes=tuple(pending["scopes"]),
        redirect_uri=pending["redirect_uri"],
        keep_secret=keep_secret,
    )
    request = oauth.AuthorizationRequest(
        url="",
        redirect_uri=options.redirect_uri,
        issuer=metadata.issuer,
        scopes=options.scopes,
        iss_required=metadata.iss_parameter_supported,
        state=pending["state"],
        verifier=pending["verifier"],
    )
    return options, metadata, request


def complete_login(
    address: str,
    *,
    store: TokenStore,
    state_path: Path,
    notify: Callable[[str], None],
    client_secret: str | None = None,
    keep_secret: bool = False,
    clock: Callable[[], float] = time.time,
    transport: httpx.BaseTransport | None = None,
    stores: Callable[[str], TokenStore] = open_store,
) -> LoginResult:
    """Second half: finish a login from the address the browser was redirected to."""
    try:
        query = urlsplit(address.strip().strip("'\"<>")).query
    except ValueError:
        query = ""
    callback = oauth.parse_callback_query(query)
    if not callback.state:
        raise UsageError(
            "That address carries no state, so it is not a redirect from a mighty login.",
            hint="Copy the whole address from the browser's address bar after approving.",
        )
    path = _pending_path(pending_dir(state_path), callback.state)
    pending = _load_pending(path)
    try:
        # Slips in the address or the environment leave the pending login for another try.
        query_from_redirect(parse_redirect_uri(pending["redirect_uri"]), address)
        if pending.get("confidential") and not client_secret:
            raise UsageError(
                "This login was started for a confidential application: give its client "
                f"secret with --client-secret-stdin or {Env.CLIENT_SECRET}."
            )
        check_can_save(store, state_path, pending["network"])  # no keyring, a read-only folder
    except (KeyError, TypeError, AttributeError):
        pass  # a damaged file is reported below, and removed
    try:
        if float(pending["expires_at"]) < clock():
            raise LoginError(
                "That login was started more than ten minutes ago and has expired.",
                hint="Start again: mighty login --no-wait",
            )
        options, metadata, request = _resume_pending(pending, client_secret, keep_secret)
        debug.register_secret(request.verifier)
        with make_http_client(transport=transport) as http:
            saving = _Saving(options, metadata, store, state_path, clock, stores)
            record, identity, replaced = _finish(http, saving, request, query, notify)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LoginError(
            f"The pending login file {path} is damaged ({type(exc).__name__}).",
            hint="Start again: mighty login --no-wait",
        ) from None
    finally:
        # A code is single-use: whatever happened, this pending login cannot be completed twice.
        try:
            path.unlink()
        except OSError:
            pass
    return LoginResult(
        record=record, identity=identity, storage=store.description, replaced=replaced
    )


__all__ = ["PendingLogin", "complete_login", "pending_dir", "read_pending", "start_login"]
