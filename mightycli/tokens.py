"""Token values and where their secrets are kept.

Access and refresh tokens are separate keyring entries: Windows Credential Manager caps one secret
near 1,280 characters, and a rotated refresh token can then be saved without touching the other.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from mightycli.config import (
    LONGEST_SECONDS,
    check_seconds,
    config_dir,
    read_trusted,
    write_private_file,
)
from mightycli.environment import Env
from mightycli.errors import (
    AuthRequiredError,
    ConfigError,
    KeyringUnavailableError,
    MightyError,
    StateFileError,
    UsageError,
)
from mightycli.values import Value

if TYPE_CHECKING:
    from pathlib import Path

    from mightycli.directread import Reader

SERVICE_PREFIX = "mighty-cli"
ACCESS_ENTRY = "access_token"
REFRESH_ENTRY = "refresh_token"
ADMIN_ENTRY = "admin_token"
CLIENT_SECRET_ENTRY = "client_secret"  # a confidential application's secret, kept with its login


# RFC 6750 section 2.1: b64token. Anything else cannot travel in an Authorization header (a line
# break would even end it early), so a bad value is refused where it is read, never echoed.
_B64TOKEN = r"[A-Za-z0-9\-._~+/]+=*"
MAX_TOKEN_LENGTH = 16 * 1024


def is_bearer_token(value: str) -> bool:
    return len(value) <= MAX_TOKEN_LENGTH and re.fullmatch(_B64TOKEN, value) is not None


def check_token(
    value: str,
    what: str,
    *,
    error: type[MightyError] = ConfigError,
    hint: str | None = None,
) -> str:
    """``value`` if it is a bearer token (RFC 6750 b64token); else ``error``, without the value."""
    if is_bearer_token(value):
        return value
    raise error(
        f"The {what} is not a valid bearer token: it may hold only letters, digits and "
        "-._~+/ (then =), and no spaces or line breaks. (It is not shown here.)",
        hint=hint,
    )


class Token(Value):
    """An OAuth token set; the secrets never show in ``repr``. (A Value, not a dataclass: it
    is made on the start-up path of `mighty token`, where a dataclass costs more than the
    command's own work.)"""

    access_token: str
    token_type: str = "Bearer"
    expires_at: float | None = None
    refresh_token: str | None = None
    scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"Token(token_type={self.token_type!r}, expires_at={self.expires_at!r}, "
            f"scopes={self.scopes!r})"
        )

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.expires_at is not None and self.expires_at - now <= seconds


class StoredSecrets:
    """The secrets read for one network; none of them shows in ``repr``. (A plain class:
    it is made on the start-up path of `mighty token`, where a dataclass costs more to define
    than the command spends on its own work.)"""

    __slots__ = ("access_token", "refresh_token", "admin_token", "client_secret")

    def __init__(
        self,
        access_token: str | None = None,
        refresh_token: str | None = None,
        admin_token: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.admin_token = admin_token
        self.client_secret = client_secret


class TokenStore(Protocol):
    """Somewhere secrets live, one set per network."""

    kind: str

    @property
    def description(self) -> str: ...

    @property
    def plaintext_location(self) -> str | None:
        """Where the secrets sit unencrypted, or None when the store encrypts them."""
        ...

    def check(self, network: str) -> None: ...

    def load(
        self,
        network: str,
        *,
        access: bool = True,
        refresh: bool = True,
        admin: bool = True,
        client_secret: bool = False,
    ) -> StoredSecrets: ...

    def save(
        self, network: str, access_token: str, refresh_token: str | None, *, patient: bool = False
    ) -> None: ...

    def save_refresh_token(
        self, network: str, refresh_token: str, *, patient: bool = False
    ) -> None: ...

    def save_access_token(
        self, network: str, access_token: str, *, patient: bool = False
    ) -> None: ...

    def save_client_secret(self, network: str, client_secret: str) -> None: ...

    def delete_client_secret(self, network: str) -> None: ...

    def save_admin_token(self, network: str, admin_token: str) -> None: ...

    def delete_oauth(self, network: str) -> None: ...

    def delete_admin_token(self, network: str) -> None: ...

    def delete(self, network: str) -> None: ...


def service_name(network: str) -> str:
    return f"{SERVICE_PREFIX}:{network}"


ENV_STORAGE = Env.STORAGE
ENV_KEYRING_TIMEOUT = Env.KEYRING_TIMEOUT
STORAGE_KEYRING = "keyring"
STORAGE_FILE = "file"
DEFAULT_KEYRING_TIMEOUT = 30.0

_NO_BACKEND_HINT = (
    "mighty keeps tokens in the operating system's keyring. On Linux that needs a Secret Service "
    "provider (gnome-keyring or KWallet) unlocked in your session; on macOS and Windows it is "
    "built in. PYTHON_KEYRING_BACKEND chooses another keyring backend. Where no keyring can "
    "work (a container, a server), log in with --insecure-storage (or MIGHTY_STORAGE=file) to "
    "keep the tokens in a file readable only by you."
)

# Backends worth explaining when none is usable, by platform.
_EXPLAINED_BACKENDS = {
    "linux": (
        ("keyring.backends.SecretService", "Keyring"),
        ("keyring.backends.kwallet", "DBusKeyring"),
    ),
    "darwin": (("keyring.backends.macOS", "Keyring"),),
    "win32": (("keyring.backends.Windows", "WinVaultKeyring"),),
}


def _why_no_backend() -> str:
    """Each platform backend's own reason for being unusable (their ``priority`` says why)."""
    reasons = []
    for module_name, class_name in _EXPLAINED_BACKENDS.get(sys.platform, ()):
        label = module_name.rsplit(".", 1)[-1]
        try:
            import importlib

            backend = getattr(importlib.import_module(module_name), class_name)
            backend.priority  # noqa: B018 - raises with the reason when the backend cannot work
        except Exception as exc:
            reasons.append(f"{label}: {exc}")
    return "; ".join(reasons)


class _EntryStore:
    """The token operations, over three named entries per network."""

    def _get(self, network: str, entry: str, what: str) -> str | None:
        raise NotImplementedError

    def _set(
        self, network: str, entry: str, value: str, what: str, *, patient: bool = False
    ) -> None:
        raise NotImplementedError

    def _delete(self, network: str, entry: str, what: str) -> None:
        raise NotImplementedError

    def check(self, network: str) -> None:
        """Fail now, before a browser login, if the store cannot be used."""
        self._get(network, ACCESS_ENTRY, "read the stored tokens")

    def load(
        self,
        network: str,
        *,
        access: bool = True,
        refresh: bool = True,
        admin: bool = True,
        client_secret: bool = False,
    ) -> StoredSecrets:
        """The entries asked for (each read costs a keyring round trip; hot paths ask for one)."""
        return StoredSecrets(
            access_token=self._get_token(network, ACCESS_ENTRY, "access token", access),
            refresh_token=self._get_token(network, REFRESH_ENTRY, "refresh token", refresh),
            admin_token=self._get_token(network, ADMIN_ENTRY, "Admin API token", admin),
            client_secret=self._get(network, CLIENT_SECRET_ENTRY, "read the client secret")
            if client_secret
            else None,
        )

    def _get_token(self, network: str, entry: str, what: str, wanted: bool) -> str | None:
        value = self._get(network, entry, f"read the {what}") if wanted else None
        if value is None:
            return None
        return check_token(
            value,
            f"{what} stored for {network}",
            error=AuthRequiredError,
            hint=f"Log in again to replace it: mighty login --network {network}",
        )

    def save(
        self, network: str, access_token: str, refresh_token: str | None, *, patient: bool = False
    ) -> None:
        """``patient``: no keyring deadline, for tokens the server has already rotated (giving
        up on a slow keyring that would have answered would lose the login)."""
        # The refresh token first: if the second write fails, a valid refresh token is kept.
        if refresh_token is not None:
            self.save_refresh_token(network, refresh_token, patient=patient)
        else:
            self._delete(network, REFRESH_ENTRY, "remove the old refresh token")
        self.save_access_token(network, access_token, patient=patient)

    def save_refresh_token(
        self, network: str, refresh_token: str, *, patient: bool = False
    ) -> None:
        self._set(network, REFRESH_ENTRY, refresh_token, "save the refresh token", patient=patient)

    def save_access_token(self, network: str, access_token: str, *, patient: bool = False) -> None:
        self._set(network, ACCESS_ENTRY, access_token, "save the access token", patient=patient)

    def save_client_secret(self, network: str, client_secret: str) -> None:
        self._set(network, CLIENT_SECRET_ENTRY, client_secret, "save the client secret")

    def delete_client_secret(self, network: str) -> None:
        self._delete(network, CLIENT_SECRET_ENTRY, "delete the client secret")

    def save_admin_token(self, network: str, admin_token: str) -> None:
        self._set(network, ADMIN_ENTRY, admin_token, "save the Admin API token")

    def delete_oauth(self, network: str) -> None:
        self._delete(network, ACCESS_ENTRY, "delete the access token")
        self._delete(network, REFRESH_ENTRY, "delete the refresh token")
        self.delete_client_secret(network)

    def delete_admin_token(self, network: str) -> None:
        self._delete(network, ADMIN_ENTRY, "delete the Admin API token")

    def delete(self, network: str) -> None:
        self.delete_oauth(network)
        self.delete_admin_token(network)


# Keyring backends that keep secrets in a file as they are (base64 at most), by class.
_PLAINTEXT_BACKENDS = frozenset(
    {"keyrings.alt.file.PlaintextKeyring", "keyrings.alt.pyfs.PlaintextPyFSKeyring"}
)


def keyring_timeout(env: Mapping[str, str] | None = None) -> float:
    """MIGHTY_KEYRING_TIMEOUT in seconds (30 unset); anything but a positive number of seconds
    up to a day is a configuration error naming the variable."""
    raw = (os.environ if env is None else env).get(ENV_KEYRING_TIMEOUT)
    if not raw:
        return DEFAULT_KEYRING_TIMEOUT
    try:
        return check_seconds(float(raw), ENV_KEYRING_TIMEOUT)
    except (ValueError, UsageError):  # float() refused it, or check_seconds did
        raise ConfigError(
            f"{ENV_KEYRING_TIMEOUT} must be a positive number of seconds, at most a day "
            f"({LONGEST_SECONDS:.0f}), not {raw!r}.",
            hint=f"Unset it for the default ({DEFAULT_KEYRING_TIMEOUT:.0f} s), or set e.g. "
            f"{ENV_KEYRING_TIMEOUT}=60.",
        ) from None


class KeyringStore(_EntryStore):
    """Secrets in the OS keyring through the ``keyring`` package.

    Every call runs with a deadline: a keyring waiting for an unlock prompt that nobody can
    answer (a script, an SSH session) must not freeze the command.
    """

    kind = STORAGE_KEYRING

    def __init__(self, timeout: float | None = None, backend: str | None = None) -> None:
        self.timeout = keyring_timeout() if timeout is None else timeout
        # The backend a login's secrets were written to (LoginRecord.keyring_backend): reads
        # try it directly first (mightycli/directread.py); writes always go through keyring.
        self.backend = backend

    def load(
        self,
        network: str,
        *,
        access: bool = True,
        refresh: bool = True,
        admin: bool = True,
        client_secret: bool = False,
    ) -> StoredSecrets:
        reader = None
        if self.backend is not None:
            from mightycli import directread

            reader = directread.open_reader(self.backend, timeout=self.timeout)
        source: _EntryStore = self if reader is None else _DirectReads(self, reader)
        try:
            return _EntryStore.load(
                source,
                network,
                access=access,
                refresh=refresh,
                admin=admin,
                client_secret=client_secret,
            )
        finally:
            if reader is not None:
                reader.close()

    def written_backend(self) -> str | None:
        """The backend keyring writes new secrets to, as LoginRecord.keyring_backend names it
        (module.Class); a chain of backends writes to its first one and reads it first."""
        try:
            import keyring
            from keyring.backends.chainer import ChainerBackend

            backend: object = keyring.get_keyring()
            if isinstance(backend, ChainerBackend):
                backend = next(iter(type(backend).backends), None)
        except Exception:
            return None
        if backend is None:
            return None
        return f"{type(backend).__module__}.{type(backend).__qualname__}"

    @property
    def description(self) -> str:
        location = self.plaintext_location
        if location is not None:
            return f"plain file {location} (keyring backend {self._backend_name()}, not encrypted)"
        return f"system keyring ({self._backend_name()})"

    @property
    def plaintext_location(self) -> str | None:
        """The file a plaintext backend keeps the secrets in (keyrings.alt's PlaintextKeyring,
        which keyring picks where no Secret Service answers): no safer than --insecure-storage,
        and said as plainly."""
        from keyring.backends.chainer import ChainerBackend

        backend = self._backend()
        if isinstance(backend, ChainerBackend):  # it writes to the first backend that takes it
            backend = next(iter(backend.backends), backend)
        if not any(
            f"{cls.__module__}.{cls.__qualname__}" in _PLAINTEXT_BACKENDS
            or cls.__name__.startswith("Plaintext")
            for cls in type(backend).__mro__
        ):
            return None
        location = getattr(backend, "file_path", None) or getattr(backend, "filename", None)
        return str(location) if location else f"the files of {type(backend).__name__}"

    def _backend(self) -> object:
        try:
            import keyring
        except Exception as exc:  # a broken install: report it like a missing backend
            raise KeyringUnavailableError(
                f"The keyring library cannot be loaded: {exc}", hint=_NO_BACKEND_HINT
            ) from exc
        return keyring.get_keyring()

    @property
    def backend_name(self) -> str:
        return self._backend_name()

    def _backend_name(self) -> str:
        backend = self._backend()
        return str(getattr(backend, "name", None) or type(backend).__name__)

    def _call(
        self,
        what: str,
        action: str,
        network: str,
        *args: str,
        patient: bool = False,
        via: object = None,
    ) -> str | None:
        """``action`` on keyring (or on ``via``, a direct reader), under the deadline."""
        if via is None:
            import keyring

            via = keyring
        func = getattr(via, action)
        outcome: list[tuple[bool, object]] = []
        import threading

        def run() -> None:
            try:
                outcome.append((True, func(service_name(network), *args)))
            except BaseException as exc:  # handed to the calling thread below
                outcome.append((False, exc))

        worker = threading.Thread(target=run, name="mighty-keyring", daemon=True)
        worker.start()
        worker.join(None if patient else self.timeout)
        if not outcome:
            raise KeyringUnavailableError(
                f"The keyring ({self._backend_name()}) did not answer within {self.timeout:g} s "
                f"when asked to {what}; it may be locked and waiting for an unlock prompt.",
                hint="Unlock it (log in to the desktop session, or run the command there), set "
                f"{ENV_KEYRING_TIMEOUT} to wait longer, or use --insecure-storage.",
            )
        succeeded, value = outcome[0]
        if succeeded:
            return value if isinstance(value, str) else None
        exc = value if isinstance(value, BaseException) else RuntimeError(str(value))
        import keyring.errors

        if isinstance(exc, keyring.errors.PasswordDeleteError):
            return None  # deleting what is absent: already gone
        if isinstance(exc, keyring.errors.NoKeyringError):
            why = _why_no_backend()
            raise KeyringUnavailableError(
                f"No usable OS keyring to {what}" + (f" ({why})." if why else "."),
                hint=_NO_BACKEND_HINT,
            ) from exc
        if not isinstance(exc, Exception):
            raise exc  # KeyboardInterrupt and friends
        # Backends raise many types (KeyringError, D-Bus errors, OSError): one clear message.
        # Only the exception type and its text are shown: keyring errors carry no secrets.
        raise KeyringUnavailableError(
            f"The keyring ({self._backend_name()}) failed to {what}: {type(exc).__name__}: {exc}",
            hint=_NO_BACKEND_HINT,
        ) from exc

    def _get(self, network: str, entry: str, what: str) -> str | None:
        return self._call(what, "get_password", network, entry)

    def _set(
        self, network: str, entry: str, value: str, what: str, *, patient: bool = False
    ) -> None:
        self._call(what, "set_password", network, entry, value, patient=patient)

    def _delete(self, network: str, entry: str, what: str) -> None:
        self._call(what, "delete_password", network, entry)


class _DirectReads(_EntryStore):
    """A keyring store's reads, asked of a direct reader first; what it does not find,
    keyring answers."""

    def __init__(self, store: KeyringStore, reader: Reader) -> None:
        self.store = store
        self.reader = reader

    def _get(self, network: str, entry: str, what: str) -> str | None:
        reader = self.reader
        if reader.bounded:  # no deadline thread: the reader keeps its own
            value = reader.get_password(service_name(network), entry)
        else:
            value = self.store._call(what, "get_password", network, entry, via=reader)
        return value if value is not None else self.store._get(network, entry, what)


def with_direct_reads(store: TokenStore, backend: str | None) -> TokenStore:
    """``store`` reading from ``backend`` directly where it can, when it is a keyring store."""
    if backend is None or not isinstance(store, KeyringStore):
        return store
    return KeyringStore(store.timeout, backend=backend)


def written_backend(store: TokenStore) -> str | None:
    """The keyring backend a store writes to, for the login record (None: not a keyring)."""
    return store.written_backend() if isinstance(store, KeyringStore) else None


class FileStore(_EntryStore):
    """Secrets in a plain JSON file readable only by its owner: for machines without a keyring,
    and only when the user asks for it. Written atomically; callers hold the refresh lock."""

    kind = STORAGE_FILE

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def description(self) -> str:
        return f"plain file {self.path} (not encrypted)"

    @property
    def plaintext_location(self) -> str | None:
        return str(self.path)

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            raw = read_trusted(self.path, secret=True)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StateFileError(f"Cannot read {self.path}: {exc.strerror}") from exc
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or not all(
                isinstance(v, dict) and all(isinstance(t, str) for t in v.values())
                for v in data.values()
            ):
                raise ValueError("unexpected layout")
        except (ValueError, RecursionError) as exc:
            raise StateFileError(
                f"The token file {self.path} is damaged ({exc}).",
                hint="Move it aside and run mighty login again.",
            ) from None  # the text of a JSON error could quote a token
        return data

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        data = {k: v for k, v in data.items() if v}
        write_private_file(self.path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))

    def _get(self, network: str, entry: str, what: str) -> str | None:
        value = self._read().get(network, {}).get(entry)
        return value if isinstance(value, str) else None

    def _set(
        self, network: str, entry: str, value: str, what: str, *, patient: bool = False
    ) -> None:
        data = self._read()
        data.setdefault(network, {})[entry] = value
        self._write(data)

    def _delete(self, network: str, entry: str, what: str) -> None:
        data = self._read()
        if entry in data.get(network, {}):
            del data[network][entry]
            self._write(data)


def token_file_path(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / "tokens.json"


def open_store(kind: str, env: Mapping[str, str] | None = None) -> TokenStore:
    """The store a login's ``storage`` names."""
    if kind == STORAGE_FILE:
        return FileStore(token_file_path(env))
    if kind == STORAGE_KEYRING:
        return KeyringStore()
    raise ConfigError(
        f"Unknown token storage {kind!r}.", hint=f"Use {STORAGE_KEYRING!r} or {STORAGE_FILE!r}."
    )
