"""mighty: a command-line client for Mighty Networks, and its Python API.

``mightycli.connect(network)`` opens a connection with the credentials the command line uses
(see ``mightycli.client``); every failure is a ``MightyError`` carrying a message, an optional
hint and the ``exit_code`` the command line would exit with. Importing this package loads
neither the command line (Typer, rich) nor an HTTP client: ``connect`` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mightycli.errors import (
    ApiAuthError,
    ApiError,
    AuthRequiredError,
    ConfigError,
    KeyringUnavailableError,
    MightyError,
    NetworkError,
    NotLoggedInError,
    RefreshFailedError,
    RetryLaterError,
    SessionExpiredError,
    UsageError,
)
from mightycli.version import __version__

if TYPE_CHECKING:
    from mightycli.client import Connection, connect

__all__ = [
    "ApiAuthError",
    "ApiError",
    "AuthRequiredError",
    "ConfigError",
    "Connection",
    "KeyringUnavailableError",
    "MightyError",
    "NetworkError",
    "NotLoggedInError",
    "RefreshFailedError",
    "RetryLaterError",
    "SessionExpiredError",
    "UsageError",
    "__version__",
    "connect",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: `mighty token` imports this package and must not pay for httpx.
    if name in ("connect", "Connection"):
        from mightycli import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
