"""Token storage against the real Secret Service: gnome-keyring on a private D-Bus session bus.

The entries are checked with a second, independent client (secret-tool, or secretstorage when
secret-tool is missing), so the test proves where the secrets really are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import keyring
import pytest
from conftest import SecretServiceBus, login_args

from mightycli import config
from mightycli.errors import AuthRequiredError, MightyError
from mightycli.secretservice import SecretServiceReader
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
    secret_service: SecretServiceBus, isolated: Path, emulator, redirect_uri, run_mighty_process
) -> None:
    # A real process: the backend as PYTHON_KEYRING_BACKEND names it at start-up, on the private bus.
    login = run_mighty_process(*login_args(emulator, redirect_uri))
    assert login.code == 0, login.stderr
    # The login records where keyring put its secrets: token and whoami read them from there.
    state = config.read_state(isolated / "config" / "logins.json")
    assert state.logins["emulated"].keyring_backend == "keyring.backends.SecretService.Keyring"
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


# --------------------------------------------------------------------------- the direct read
#
# `mighty token`, `whoami` and `api` read a login's secrets straight over D-Bus when the login
# records that keyring wrote them to the Secret Service (mightycli/secretservice.py); whatever
# that read cannot answer, keyring answers. These tests hold it to keyring's own answers.

SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
EVERY_ENTRY = {
    "access_token": "eyJ" + "a" * 4000,  # well past what some keyrings hold in one entry
    "refresh_token": "r-._~+/" + "y" * 100 + "==",  # every character RFC 6750 allows
    "admin_token": "admin-" + "z" * 64,
    "client_secret": "a client secret: \u00e9\u2603 and spaces",  # not a bearer token
}


def direct_store() -> KeyringStore:
    """The store as `mighty token` opens it for a login recorded on the Secret Service."""
    return KeyringStore(backend=SECRET_SERVICE)


def outcome(store: KeyringStore, network: str) -> tuple[object, ...]:
    """What reading every entry gives: the secrets, or the error as the user sees it."""
    try:
        secrets = store.load(network, client_secret=True)
    except MightyError as exc:
        return ("error", type(exc).__name__, exc.message, exc.hint, exc.exit_code)
    return (
        "secrets",
        secrets.access_token,
        secrets.refresh_token,
        secrets.admin_token,
        secrets.client_secret,
    )


def read_directly(network: str, *entries: str) -> dict[str, str]:
    with SecretServiceReader(timeout=10) as reader:
        return {
            entry: value
            for entry in entries
            if (value := reader.get_password(service_name(network), entry)) is not None
        }


def save_every_entry(network: str) -> None:
    store = KeyringStore()
    store.save(network, EVERY_ENTRY["access_token"], EVERY_ENTRY["refresh_token"])
    store.save_admin_token(network, EVERY_ENTRY["admin_token"])
    store.save_client_secret(network, EVERY_ENTRY["client_secret"])


def test_the_direct_read_returns_what_keyring_returns_for_every_entry(
    secret_service: SecretServiceBus,
) -> None:
    networks = ("emulated", "1001", "other-network")
    for network in networks:
        save_every_entry(network)
    for network in networks:
        found = read_directly(network, *EVERY_ENTRY)
        assert found == {
            entry: keyring.get_password(service_name(network), entry) for entry in EVERY_ENTRY
        }
        assert found == EVERY_ENTRY
        assert outcome(direct_store(), network) == outcome(KeyringStore(), network)
    # What is not stored is not found, and keyring answers for it (None, as keyring says).
    KeyringStore().delete_admin_token("1001")
    assert read_directly("1001", "admin_token") == {}
    assert direct_store().load("1001").admin_token is None
    assert read_directly("nowhere", *EVERY_ENTRY) == {}
    assert outcome(direct_store(), "nowhere") == ("secrets", None, None, None, None)


def test_what_is_not_a_token_is_refused_alike(secret_service: SecretServiceBus) -> None:
    KeyringStore().save("odd", "r-\u00e9-\u2603-secret", None)
    assert read_directly("odd", "access_token") == {"access_token": "r-\u00e9-\u2603-secret"}
    refused = outcome(direct_store(), "odd")
    assert refused == outcome(KeyringStore(), "odd") and refused[1] == "AuthRequiredError"
    assert "\u2603" not in str(refused)


def _create_item(
    bus: SecretServiceBus,
    attributes: dict[str, str],
    secret: bytes,
    content_type: str = "text/plain",
) -> None:
    import secretstorage

    with bus.connect() as connection:
        collection = secretstorage.get_default_collection(connection)
        collection.create_item("written by another client", attributes, secret, False, content_type)


def test_items_other_clients_and_keyring_versions_wrote(secret_service: SecretServiceBus) -> None:
    def attributes(network: str, **extra: str) -> dict[str, str]:
        return {"service": service_name(network), "username": "access_token", **extra}

    # keyring releases before 'Python keyring library' named themselves otherwise, and
    # secret-tool writes no application at all; keyring searches by service and username only.
    _create_item(secret_service, attributes("old", application="python-keyring"), b"old-access")
    _create_item(secret_service, attributes("tool"), b"tool-access", "application/octet-stream")
    # The KeePassXC scheme (Title, UserName): keyring's default scheme does not look there.
    _create_item(
        secret_service, {"Title": service_name("kp"), "UserName": "access_token"}, b"kp-access"
    )
    # Not UTF-8: keyring fails to decode it, and so does mighty, saying the same.
    _create_item(secret_service, attributes("binary"), b"\xff\xfe-not-text")
    # Two items for one entry: one from an older keyring beside the current one.
    KeyringStore().save("twice", "current-access", None)
    _create_item(secret_service, attributes("twice", application="python-keyring"), b"old-one")

    assert read_directly("old", "access_token") == {"access_token": "old-access"}
    assert read_directly("tool", "access_token") == {"access_token": "tool-access"}
    assert read_directly("kp", "access_token") == {}
    assert read_directly("binary", "access_token") == {}  # left to keyring
    assert read_directly("twice", "access_token") == {
        "access_token": keyring.get_password(service_name("twice"), "access_token")
    }
    for network in ("old", "tool", "kp", "binary", "twice"):
        assert outcome(direct_store(), network) == outcome(KeyringStore(), network), network
    assert str(outcome(KeyringStore(), "binary")[2]).startswith(
        "The keyring (SecretService Keyring) failed to read the access token: UnicodeDecodeError"
    )


def test_a_locked_collection_is_left_to_keyring(
    secret_service: SecretServiceBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIGHTY_KEYRING_TIMEOUT", "20")
    save_every_entry("locked")
    with secret_service.locked():
        assert read_directly("locked", *EVERY_ENTRY) == {}
        # Nobody can answer the unlock prompt here: keyring says so, and mighty with it.
        refused = outcome(KeyringStore(), "locked")
        assert refused[0] == "error"
        assert outcome(direct_store(), "locked") == refused
    assert outcome(direct_store(), "locked") == ("secrets", *EVERY_ENTRY.values())


def _token_run(  # type: ignore[no-untyped-def]
    run_mighty_process, state_file: Path, backend: str | None, env: dict[str, str]
):
    """`mighty token` for a login recorded with ``backend`` (None: as before logins named it)."""
    state = config.read_state(state_file)
    record = state.logins["demo"]._replace(keyring_backend=backend)
    config.write_state(state_file, state.with_login(record))
    return run_mighty_process("token", env=env)


def test_a_stopped_daemon_and_a_gone_bus_fail_as_keyring_does(  # type: ignore[no-untyped-def]
    own_secret_service, isolated: Path, run_mighty_process
) -> None:
    _, daemon = own_secret_service
    state_file = isolated / "config" / "logins.json"
    record = config.LoginRecord(
        network="demo", api_url="https://api.example.invalid", has_admin_token=True
    )
    config.write_state(state_file, config.LoginState().with_login(record))
    KeyringStore().save_admin_token("demo", "admin-token-1")
    served = _token_run(run_mighty_process, state_file, SECRET_SERVICE, {})
    assert (served.code, served.stdout) == (0, "admin-token-1\n"), served.stderr

    daemon.terminate()
    daemon.wait(10)
    # The daemon stopped, then no bus at all (an address nobody listens on).
    gone = {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={isolated}/no-such-bus"}
    for env in ({}, gone):
        direct = _token_run(run_mighty_process, state_file, SECRET_SERVICE, env)
        through_keyring = _token_run(run_mighty_process, state_file, None, env)
        assert direct.code != 0 and "Traceback" not in direct.stderr, direct.stderr
        assert (direct.code, direct.stderr) == (through_keyring.code, through_keyring.stderr)
