"""Token values and where their secrets are kept.

Access and refresh tokens are separate keyring entries: Windows Credential Manager caps one secret
near 1,280 characters, and a rotated refresh token can then be saved without touching the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from mightycli.errors import KeyringUnavailableError

SERVICE_PREFIX = "mighty-cli"
ACCESS_ENTRY = "access_token"
REFRESH_ENTRY = "refresh_token"
ADMIN_ENTRY = "admin_token"


@dataclass(frozen=True)
class Token:
    """An OAuth token set; the secrets never show in ``repr``."""

    access_token: str = field(repr=False)
    token_type: str = "Bearer"
    expires_at: float | None = None
    refresh_token: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ()

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.expires_at is not None and self.expires_at - now <= seconds


@dataclass(frozen=True)
class StoredSecrets:
    access_token: str | None = field(repr=False, default=None)
    refresh_token: str | None = field(repr=False, default=None)
    admin_token: str | None = field(repr=False, default=None)


class TokenStore(Protocol):
    """Somewhere secrets live, one pair per network."""

    @property
    def description(self) -> str: ...

    def check(self, network: str) -> None: ...

    def load(self, network: str) -> StoredSecrets: ...

    def save(self, network: str, access_token: str, refresh_token: str | None) -> None: ...

    def save_refresh_token(self, network: str, refresh_token: str) -> None: ...

    def save_admin_token(self, network: str, admin_token: str) -> None: ...

    def delete_oauth(self, network: str) -> None: ...

    def delete_admin_token(self, network: str) -> None: ...

    def delete(self, network: str) -> None: ...


def service_name(network: str) -> str:
    return f"{SERVICE_PREFIX}:{network}"


_NO_BACKEND_HINT = (
    "mighty keeps tokens in the operating system's keyring. On Linux that needs a Secret Service "
    "provider (gnome-keyring or KWallet) running in your session; on macOS and Windows it is built "
    "in. To choose another backend, set PYTHON_KEYRING_BACKEND (see the keyring package's docs)."
)


class KeyringStore:
    """Secrets in the OS keyring through the ``keyring`` package."""

    @property
    def description(self) -> str:
        backend = self._backend()
        name = getattr(backend, "name", None) or type(backend).__name__
        return f"system keyring ({name})"

    def _backend(self) -> object:
        try:
            import keyring
        except Exception as exc:  # a broken install: report it like a missing backend
            raise KeyringUnavailableError(
                f"The keyring library cannot be loaded: {exc}", hint=_NO_BACKEND_HINT
            ) from exc
        return keyring.get_keyring()

    def _call(self, what: str, action: str, network: str, *args: str) -> str | None:
        import keyring
        import keyring.errors

        func = getattr(keyring, action)
        try:
            result = func(service_name(network), *args)
        except keyring.errors.PasswordDeleteError:
            return None  # deleting what is absent: already gone
        except keyring.errors.NoKeyringError as exc:
            raise KeyringUnavailableError(
                f"No OS keyring is available to {what} ({exc}).", hint=_NO_BACKEND_HINT
            ) from exc
        except Exception as exc:
            # Backends raise many types (KeyringError, D-Bus errors, OSError): one clear message.
            # Only the exception type and its text are shown: keyring errors carry no secrets.
            raise KeyringUnavailableError(
                f"The keyring failed to {what}: {type(exc).__name__}: {exc}",
                hint=_NO_BACKEND_HINT,
            ) from exc
        return result if isinstance(result, str) else None

    def check(self, network: str) -> None:
        """Fail now, before a browser login, if the keyring cannot be used."""
        self._call("read the keyring", "get_password", network, ACCESS_ENTRY)

    def load(self, network: str) -> StoredSecrets:
        access = self._call("read the access token", "get_password", network, ACCESS_ENTRY)
        refresh = self._call("read the refresh token", "get_password", network, REFRESH_ENTRY)
        admin = self._call("read the Admin API token", "get_password", network, ADMIN_ENTRY)
        return StoredSecrets(access_token=access, refresh_token=refresh, admin_token=admin)

    def save(self, network: str, access_token: str, refresh_token: str | None) -> None:
        # The refresh token first: if the second write fails, a valid refresh token is kept.
        if refresh_token is not None:
            self.save_refresh_token(network, refresh_token)
        else:
            self._call("remove the old refresh token", "delete_password", network, REFRESH_ENTRY)
        self._call("save the access token", "set_password", network, ACCESS_ENTRY, access_token)

    def save_refresh_token(self, network: str, refresh_token: str) -> None:
        self._call("save the refresh token", "set_password", network, REFRESH_ENTRY, refresh_token)

    def save_admin_token(self, network: str, admin_token: str) -> None:
        self._call("save the Admin API token", "set_password", network, ADMIN_ENTRY, admin_token)

    def delete_oauth(self, network: str) -> None:
        self._call("delete the access token", "delete_password", network, ACCESS_ENTRY)
        self._call("delete the refresh token", "delete_password", network, REFRESH_ENTRY)

    def delete_admin_token(self, network: str) -> None:
        self._call("delete the Admin API token", "delete_password", network, ADMIN_ENTRY)

    def delete(self, network: str) -> None:
        self.delete_oauth(network)
        self.delete_admin_token(network)
