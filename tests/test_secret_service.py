"""Token storage against the real Secret Service: gnome-keyring on a private D-Bus session bus.

The entries are checked with a second, independent client (secret-tool, or secretstorage when
secret-tool is missing), so the test proves where the secrets really are.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import keyring
import pytest
from conftest import SecretServiceBus, login_args

from mightycli.errors import AuthRequiredError
from mightycli.tokens import KeyringStore, service_name


def stored(bus: SecretServiceBus, network: str, entry: str) -> str | None:
    """The secret as another client sees it, or None."""
    attributes = {"service": service_name(network), "username": entry}
    if shutil.which("secret-tool"):
        args = [part for pair in attributes.items() for part in pair]
        proc = subprocess.run(
            ["secret-tool", "lookup", *args],
            capture_output=True,
            env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus.address},
            timeout=20,
        )
        return proc.stdout.decode() if proc.returncode == 0 else None
    import secretstorage

    with bus.connect() as connection:
        items = list(secretstorage.get_default_collection(connection).search_items(attributes))
        return items[0].get_secret().decode() if items else None


def test_store_read_rotate_delete(secret_service: SecretServiceBus) -> None:
    store = KeyringStore()
    assert "SecretService" in store.description
    store.check("one")
    store.save("one", "access-1", "refresh-1")
    assert stored(secret_service, "one", "access_token") == "access-1"
    assert stored(secret_service, "one", "refresh_token") == "refresh-1"
    loaded = store.load("one")
    assert (loaded.access_token, loaded.refresh_token) == ("access-1", "refresh-1")

    store.save_refresh_token("one", "refresh-2")  # a rotated refresh token replaces the old
    assert store.load("one").refresh_token == "refresh-2"
    assert stored(secret_service, "one", "refresh_token") == "refresh-2"
    assert stored(secret_service, "one", "access_token") == "access-1"

    store.save("one", "access-3", None)  # a login without a refresh token drops the old one
    assert stored(secret_service, "one", "refresh_token") is None
    assert store.load("one").access_token == "access-3"

    store.delete("one")
    store.delete("one")  # deleting what is already gone is fine
    assert store.load("one").access_token is None
    assert stored(secret_service, "one", "access_token") is None


def test_several_networks_are_kept_apart(secret_service: SecretServiceBus) -> None:
    store = KeyringStore()
    networks = ("emulated", "1001", "other-network")
    for number, network in enumerate(networks):
        store.save(network, f"access-{number}", f"refresh-{number}")
    for number, network in enumerate(networks):
        assert stored(secret_service, network, "access_token") == f"access-{number}"
        assert store.load(network).refresh_token == f"refresh-{number}"
    store.delete("1001")
    assert store.load("1001").access_token is None
    assert store.load("emulated").access_token == "access-0"
    assert stored(secret_service, "other-network", "refresh_token") == "refresh-2"


def test_long_and_unusual_secrets_survive(secret_service: SecretServiceBus) -> None:
    store = KeyringStore()
    access = "eyJ" + "x" * 4000  # well past what some keyrings hold in one entry
    refresh = "r-._~+/" + "y" * 100 + "=="  # every character RFC 6750 allows in a token
    store.save("long", access, refresh)
    loaded = store.load("long")
    assert (loaded.access_token, loaded.refresh_token) == (access, refresh)
    # What is not a token is refused when read, without being shown.
    store.save("odd", "r-\u00e9-\u2603-secret", None)
    with pytest.raises(AuthRequiredError) as caught:
        store.load("odd")
    assert "\u2603" not in caught.value.message and "-secret" not in caught.value.message


def test_each_test_starts_empty(secret_service: SecretServiceBus) -> None:
    # Runs after the tests above, which all left entries behind: the fixture removed them.
    import secretstorage

    with secret_service.connect() as connection:
        assert list(secretstorage.get_default_collection(connection).get_all_items()) == []
    assert keyring.get_password(service_name("one"), "access_token") is None


def test_login_token_whoami_logout_through_the_command(  # type: ignore[no-untyped-def]
    secret_service: SecretServiceBus, emulator, redirect_uri, run_mighty_process
) -> None:
    # A real process: the backend as PYTHON_KEYRING_BACKEND names it at start-up, on the private bus.
    login = run_mighty_process(*login_args(emulator, redirect_uri))
    assert login.code == 0, login.stderr
    access = stored(secret_service, "emulated", "access_token")
    refresh = stored(secret_service, "emulated", "refresh_token")
    assert access and refresh and emulator.is_token_active(access)

    status = run_mighty_process("status")
    assert "SecretService" in status.stdout, status.stdout
    token = run_mighty_process("token")
    assert token.code == 0 and token.stdout == access + "\n"

    emulator.expire_access_tokens()  # whoami renews, and the rotated tokens are saved
    whoami = run_mighty_process("whoami")
    assert whoami.code == 0 and whoami.stdout.startswith("Ada Lovelace"), whoami.stderr
    new_refresh = stored(secret_service, "emulated", "refresh_token")
    assert new_refresh and new_refresh != refresh
    assert stored(secret_service, "emulated", "access_token") not in (None, access)

    logout = run_mighty_process("logout")
    assert logout.code == 0, logout.stderr
    assert stored(secret_service, "emulated", "access_token") is None
    assert stored(secret_service, "emulated", "refresh_token") is None
    assert run_mighty_process("token").code == 4


def test_the_rest_of_the_suite_uses_the_file_keyring() -> None:
    # Without the secret_service fixture, tests stay on the throwaway file-backed keyring.
    assert type(keyring.get_keyring()).__name__ == "PlaintextKeyring"
    assert os.environ["PYTHON_KEYRING_BACKEND"].startswith("keyrings.alt.")
