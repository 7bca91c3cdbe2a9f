"""mighty: a command-line client for Mighty Networks, and its Python API.

``mightycli.connect(network)`` opens a connection with the credentials the command line uses
(see ``mightycli.client``); every failure is a ``MightyError`` carrying a message, an optional
hint and the ``exit_code`` the command line would exit with. Importing this package loads
neither the command line (Typer, rich) nor an HTTP client: ``connect`` is loaded on first use.
"""

from __future__ import annotations

from mightycli.version import __version__

# Nothing else is imported here: `mighty --version` and `mighty token` import this package first,
# and every module they do not need is start-up time. Names load on first use (__getattr__).
TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from mightycli.client import Connection, connect
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


def __getattr__(name: str) -> object:
    # connect and Connection load httpx, which `mighty token` must not pay for.
    if name in ("connect", "Connection"):
        from mightycli import client

        return getattr(client, name)
    if name in __all__:
        from mightycli import errors

        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
