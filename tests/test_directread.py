"""Direct reads: a login records the keyring backend its secrets went to, and `mighty token`,
`whoami` and `api` read them from that backend without keyring's discovery, when keyring would
choose the same backend; otherwise, and for whatever a direct read does not find, keyring
answers. The Secret Service read is held to a real gnome-keyring in test_secret_service.py;
keyring's macOS and Windows backends stand in here as fakes (this machine has neither).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.compat import properties
from keyring.errors import KeyringLocked
from keyrings.alt.file import PlaintextKeyring

from mightycli import config, directread
from mightycli.errors import MightyError
from mightycli.tokens import (
    FileStore,
    KeyringStore,
    service_name,
    with_direct_reads,
    written_backend,
)

MACOS = "keyring.backends.macOS.Keyring"
WINDOWS = "keyring.backends.Windows.WinVaultKeyring"


class FakePlatformKeyring(KeyringBackend):
    """Stands in for keyring's macOS Keychain or Windows Credential Manager backend: the
    secrets in one dict all its instances share, and who read what noted."""

    entries: dict[tuple[str, str], str] = {}
    reads: list[tuple[int, str]] = []  # (id of the instance, username)
    locked = False
    enabled = False  # viable only inside a test that uses it: never found by a discovery

    @properties.classproperty
    def priority(cls) -> float:
        if not FakePlatformKeyring.enabled:
            raise RuntimeError("a test double")
        return 5

    def get_password(self, service: str, username: str) -> str | None:
        FakePlatformKeyring.reads.append((id(self), username))
        if FakePlatformKeyring.locked:
            raise KeyringLocked("Can't get password from keychain: denied")
        return FakePlatformKeyring.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        FakePlatformKeyring.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        FakePlatformKeyring.entries.pop((service, username), None)


def _named_as(backend: str) -> type[FakePlatformKeyring]:
    """A fake class named as keyring's own (module and class), as the login records it."""
    module_name, _, class_name = backend.rpartition(".")
    namespace = {"__module__": module_name, "__qualname__": class_name}
    return type(class_name, (FakePlatformKeyring,), namespace)


FAKES = {MACOS: _named_as(MACOS), WINDOWS: _named_as(WINDOWS)}


@pytest.fixture(params=[MACOS, WINDOWS])
def platform_backend(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, FakePlatformKeyring]]:
    """keyring's backend module for one platform replaced by a fake, which keyring uses too
    (as discovery would choose it there); the backend's name and keyring's own instance."""
    name = str(request.param)
    module_name, class_name = name.rsplit(".", 1)
    fake = FAKES[name]
    module = types.ModuleType(module_name)
    setattr(module, class_name, fake)
    monkeypatch.setitem(sys.modules, module_name, module)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    monkeypatch.setattr(FakePlatformKeyring, "entries", {})
    monkeypatch.setattr(FakePlatformKeyring, "reads", [])
    monkeypatch.setattr(FakePlatformKeyring, "locked", False)
    monkeypatch.setattr(FakePlatformKeyring, "enabled", True)
    chosen = fake()
    keyring.set_keyring(chosen)
    yield name, chosen


def _login(isolated: Path, backend: str | None) -> None:
    record = config.LoginRecord(
        network="demo",
        api_url="https://api.example.invalid",
        has_admin_token=True,
        keyring_backend=backend,
    )
    config.write_state(isolated / "config" / "logins.json", config.LoginState().with_login(record))


def outcome(store: KeyringStore, network: str = "demo") -> tuple[object, ...]:
    try:
        secrets = store.load(network, client_secret=True)
    except MightyError as exc:
        return ("error", exc.message, exc.hint, exc.exit_code)
    return ("secrets", secrets.access_token, secrets.refresh_token, secrets.admin_token)


def test_platform_backends_are_read_without_discovery(  # type: ignore[no-untyped-def]
    platform_backend, isolated: Path, run_mighty
) -> None:
    name, chosen = platform_backend
    store = KeyringStore()
    store.save_admin_token("demo", "admin-token-1")
    assert written_backend(store) == name
    _login(isolated, name)

    result = run_mighty("token")
    assert (result.code, result.stdout) == (0, "admin-token-1\n"), result.stderr
    readers = {reader for reader, _ in FakePlatformKeyring.reads}
    assert readers and id(chosen) not in readers  # an instance of its own, not keyring's

    # What the direct read does not find, keyring answers (here: the same backend, None).
    direct = with_direct_reads(KeyringStore(), name)
    FakePlatformKeyring.reads.clear()
    assert direct.load("demo", admin=False).access_token is None
    assert (id(chosen), "access_token") in FakePlatformKeyring.reads

    # A backend's own error is the error keyring would have passed on: the same message.
    FakePlatformKeyring.locked = True
    refused = outcome(direct)  # type: ignore[arg-type]
    assert refused == outcome(KeyringStore()) and "KeyringLocked" in str(refused[1])


def test_the_real_platform_backends_elsewhere_leave_the_read_to_keyring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # keyring's own macOS and Windows modules on Linux: importable, not usable.
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    KeyringStore().save("demo", "access-1", "refresh-1")
    for name in (MACOS, WINDOWS):
        assert directread.open_reader(name, timeout=5) is None
        assert outcome(with_direct_reads(KeyringStore(), name)) == outcome(KeyringStore())  # type: ignore[arg-type]


def test_only_where_keyring_would_choose_the_recorded_backend(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = directread.SECRET_SERVICE
    env = {"XDG_CONFIG_HOME": str(isolated / "xdg-config"), "HOME": str(isolated)}
    assert directread.keyring_would_choose(backend, env)
    assert directread.keyring_would_choose(backend, {**env, "PYTHON_KEYRING_BACKEND": backend})
    other = {**env, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    assert not directread.keyring_would_choose(backend, other)
    # Properties keyring sets on its backend (another collection, another scheme).
    for prop in ("KEYRING_PROPERTY_PREFERRED_COLLECTION", "KEYRING_PROPERTY_SCHEME"):
        assert not directread.keyring_would_choose(backend, {**env, prop: "x"})
    # keyring's own config file may name another backend (or a keyring-path): keyring reads it.
    config_file = isolated / "xdg-config" / "python_keyring" / "keyringrc.cfg"
    config_file.parent.mkdir(parents=True)
    config_file.write_text("[backend]\ndefault-keyring=keyring.backends.SecretService.Keyring\n")
    assert not directread.keyring_would_choose(backend, env)
    # ... unless PYTHON_KEYRING_BACKEND names the backend, which keyring takes before the file.
    assert directread.keyring_would_choose(backend, {**env, "PYTHON_KEYRING_BACKEND": backend})
    windows = {"LOCALAPPDATA": str(isolated / "local")}
    assert directread.keyring_config_file(windows, windows=True) == str(
        isolated / "local" / "Python Keyring" / "keyringrc.cfg"
    )
    # Backends without a direct read, and logins that name none, are keyring's.
    assert directread.open_reader("keyrings.alt.file.PlaintextKeyring", timeout=5) is None
    assert directread.open_reader("keyring.backends.kwallet.DBusKeyring", timeout=5) is None
    store = KeyringStore()
    assert with_direct_reads(store, None) is store
    file_store = FileStore(isolated / "tokens.json")
    assert with_direct_reads(file_store, backend) is file_store


class _Chain(ChainerBackend):
    """A chain of two backends, as keyring builds when several are usable."""

    viable = False  # never found by a discovery
    backends = [PlaintextKeyring(), FAKES[MACOS]()]


def test_the_recorded_backend_is_the_one_keyring_writes_to(isolated: Path) -> None:
    assert written_backend(KeyringStore()) == "keyrings.alt.file.PlaintextKeyring"
    assert written_backend(FileStore(isolated / "tokens.json")) is None
    # A chain writes to its first backend, and reads it first.
    keyring.set_keyring(_Chain())  # type: ignore[no-untyped-call]
    assert written_backend(KeyringStore()) == "keyrings.alt.file.PlaintextKeyring"


def test_logins_record_the_backend(run_mighty, emulator, isolated: Path) -> None:  # type: ignore[no-untyped-def]
    from conftest import admin_token_login

    admin_token_login(run_mighty, emulator)
    state = config.read_state(isolated / "config" / "logins.json")
    assert state.logins["emulated"].keyring_backend == "keyrings.alt.file.PlaintextKeyring"
    admin_token_login(run_mighty, emulator, "--insecure-storage")
    state = config.read_state(isolated / "config" / "logins.json")
    assert state.logins["emulated"].keyring_backend is None
    assert keyring.get_password(service_name("emulated"), "admin_token") is None
