"""Direct reads: a login's secrets read from the keyring backend that holds them, without
keyring's discovery.

A login records the backend keyring wrote its secrets to (``LoginRecord.keyring_backend``).
``keyring.get_password`` finds its backend anew in every process: it imports every backend module
it ships and every installed plugin, and asks each whether it can work here (on Linux,
``keyring.backends.macOS.api`` alone costs 44 ms). So `mighty token`, `whoami` and `api` read
from the recorded backend themselves, when keyring would choose that same backend:

- the Secret Service: over D-Bus by mighty itself (``mightycli.secretservice``), without keyring;
- macOS Keychain and Windows Credential Manager: through keyring's own backend classes, their
  modules imported directly, with their own errors.

keyring would choose otherwise when ``PYTHON_KEYRING_BACKEND`` names another backend, or, without
it, when keyring's config file exists (it may name any backend, or add a keyring-path); and
``KEYRING_PROPERTY_*`` variables change what a backend does (another collection, another scheme).
In those cases keyring answers, as it does for whatever a direct read does not find (keyring may
know where else to look), and for every write and delete. Not seen here: a keyring plugin
installed since the secrets were written, with a priority above the recorded backend's; mighty
keeps reading where they were written until the next write records the new backend.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
MACOS = "keyring.backends.macOS.Keyring"
WINDOWS = "keyring.backends.Windows.WinVaultKeyring"
PLATFORM_BACKENDS = (MACOS, WINDOWS)
# A Secret Service that is up answers within milliseconds; one that does not answer in this
# time is left to keyring (and to MIGHTY_KEYRING_TIMEOUT).
SECRET_SERVICE_TIMEOUT = 5.0


if TYPE_CHECKING:  # a protocol for the type checker only: defining one costs start-up time
    from typing import Protocol

    class Reader(Protocol):
        """Reads as ``keyring.get_password`` does; None when keyring has to answer. A
        ``bounded`` reader keeps its own deadline and never raises; the others run under the
        store's."""

        bounded: bool

        def get_password(self, service: str, username: str) -> str | None: ...

        def close(self) -> None: ...


def open_reader(
    backend: str, *, timeout: float, env: Mapping[str, str] | None = None
) -> Reader | None:
    """A direct reader for the recorded ``backend``, or None when keyring must do the reading."""
    if backend not in (SECRET_SERVICE, *PLATFORM_BACKENDS) or not keyring_would_choose(
        backend, env
    ):
        return None
    if backend == SECRET_SERVICE:
        from mightycli.secretservice import SecretServiceReader

        return SecretServiceReader(min(timeout, SECRET_SERVICE_TIMEOUT))
    instance = _platform_backend(backend)
    return None if instance is None else _PlatformReader(instance)


def keyring_would_choose(backend: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether keyring, started with ``env``, would use ``backend`` as it is (see the module's
    docstring; a plugin installed since is not seen)."""
    env = os.environ if env is None else env
    if any(name.startswith("KEYRING_PROPERTY_") for name in env):
        return False
    named = env.get("PYTHON_KEYRING_BACKEND")
    if named:  # keyring takes the variable before its config file
        return named == backend
    return not os.path.exists(keyring_config_file(env, windows=sys.platform == "win32"))


def keyring_config_file(env: Mapping[str, str], *, windows: bool) -> str:
    """Where keyring looks for ``keyringrc.cfg`` (``keyring.util.platform_.config_root``: the
    XDG rule everywhere but Windows, macOS included). Text, not a Path: pathlib costs
    `mighty token` more than the rest of its start-up."""
    if windows:
        root = env.get("LOCALAPPDATA", env.get("ProgramData", "."))
        return os.path.join(root, "Python Keyring", "keyringrc.cfg")
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "python_keyring", "keyringrc.cfg")


def _platform_backend(backend: str) -> Any:
    """An instance of keyring's own backend class, imported directly; None when it cannot be
    used here (another platform, a missing dependency), as keyring's ``priority`` says."""
    import importlib

    module_name, _, class_name = backend.rpartition(".")
    try:
        backend_class = getattr(importlib.import_module(module_name), class_name)
        backend_class.priority  # noqa: B018 - raises when the backend cannot work here
        return backend_class()
    except Exception:
        return None


class _PlatformReader:
    """keyring's own macOS or Windows backend: what it raises is what keyring would raise."""

    bounded = False

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def get_password(self, service: str, username: str) -> str | None:
        value = self.backend.get_password(service, username)
        return value if isinstance(value, str) else None

    def close(self) -> None:
        pass
