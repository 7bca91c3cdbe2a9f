"""One small tree of errors: each carries a message for people, an optional hint, an exit code.

Library code raises these; only the command line's error boundary (``entry`` and ``cli.main``)
turns them into text and an exit status.
"""

from __future__ import annotations

# Exit codes are part of the interface: scripts branch on them.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTH_REQUIRED = 4
EXIT_INTERRUPTED = 130


class MightyError(Exception):
    """Base of every error the tool reports to a person."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(MightyError):
    """A bad option, a missing setting, an invalid value."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """The configuration file or the environment holds something unusable."""


class UnsafeFileError(ConfigError):
    """A file or folder mighty reads is owned by someone else or writable by other users: what
    is in it could have been put there by them, so it is not used (as ssh refuses its own)."""


class KeyringUnavailableError(MightyError):
    """No usable OS keyring, or a keyring call failed."""

    exit_code = EXIT_USAGE


class StateFileError(MightyError):
    """The file of non-secret login state cannot be read or written."""


class AuthRequiredError(MightyError):
    """Authentication is needed: not logged in, or the session ended."""

    exit_code = EXIT_AUTH_REQUIRED


class NotLoggedInError(AuthRequiredError):
    """No stored login for the network."""


class SessionExpiredError(AuthRequiredError):
    """The access token expired and there is no refresh token to renew it."""


class RefreshFailedError(AuthRequiredError):
    """The authorization server refused the refresh token."""


class LoginError(MightyError):
    """The browser login did not complete."""


class LoginTimedOutError(LoginError):
    """No redirect reached the loopback receiver in time."""


class PortInUseError(LoginError):
    """The redirect URI's port is taken by another program."""


class StateMismatchError(LoginError):
    """The callback's ``state`` does not belong to this login attempt."""


class IssuerMismatchError(LoginError):
    """An ``iss`` value or a discovery document names another authorization server."""


class AuthorizationDeniedError(LoginError):
    """The authorization server answered the request with an error (RFC 6749 section 4.1.2.1)."""


class TokenRequestError(MightyError):
    """The token endpoint refused a request (RFC 6749 section 5.2) or answered nonsense."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        error: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.error = error
        self.status_code = status_code


class DiscoveryError(MightyError):
    """The authorization server's metadata is unusable."""


class NetworkError(MightyError):
    """A server could not be reached."""


class ApiError(MightyError):
    """An API call failed or answered something unexpected."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
        self.code = code


class RetryLaterError(ApiError):
    """The server asked to be retried later than the caller is prepared to wait."""

    def __init__(self, message: str, *, hint: str | None = None, retry_at: float) -> None:
        super().__init__(message, hint=hint)
        self.retry_at = retry_at


class ApiAuthError(ApiError):
    """The API refused the credentials (HTTP 401 or GraphQL UNAUTHENTICATED)."""

    exit_code = EXIT_AUTH_REQUIRED


class NotFoundError(MightyError):
    """A member, plan, space, tag or event named on the command line is not there (or the name
    fits more than one)."""
