from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from mightycli.errors import KeyringUnavailableError
from mightycli.tokens import KeyringStore, Token, service_name


def test_round_trip_separate_entries_and_networks() -> None:
    store = KeyringStore()
    store.save("one", "access-1", "refresh-1")
    store.save("two", "access-2", None)
    assert keyring.get_password(service_name("one"), "access_token") == "access-1"
    assert keyring.get_password(service_name("one"), "refresh_token") == "refresh-1"
    loaded = store.load("one")
    assert (loaded.access_token, loaded.refresh_token) == ("access-1", "refresh-1")
    assert store.load("two").refresh_token is None
    store.save_refresh_token("one", "refresh-1b")
    assert store.load("one").refresh_token == "refresh-1b"
    store.save("one", "access-1c", None)  # a login without a refresh token drops the old one
    assert store.load("one").refresh_token is None
    store.delete("one")
    store.delete("one")  # deleting what is gone is fine
    assert store.load("one").access_token is None
    assert store.load("two").access_token == "access-2"
    assert "PlaintextKeyring" in store.description


def test_no_backend_is_a_clear_error() -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(KeyringUnavailableError, match="No OS keyring") as info:
        KeyringStore().load("x")
    assert info.value.exit_code == 2
    assert "gnome-keyring" in (info.value.hint or "")


class BrokenKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise OSError("D-Bus connection refused")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise OSError("D-Bus connection refused")

    def delete_password(self, service: str, username: str) -> None:
        raise OSError("D-Bus connection refused")


def test_backend_failure_is_wrapped_without_the_secret() -> None:
    keyring.set_keyring(BrokenKeyring())
    with pytest.raises(KeyringUnavailableError, match="D-Bus connection refused") as info:
        KeyringStore().save("x", "secret-access-canary", "secret-refresh-canary")
    assert "canary" not in str(info.value) and isinstance(info.value.__cause__, OSError)


def test_token_repr_hides_secrets() -> None:
    token = Token(access_token="AAA-secret", refresh_token="RRR-secret", expires_at=10.0)
    assert "secret" not in repr(token)
    assert token.expires_within(60, now=0) and not token.expires_within(5, now=0)
    assert not Token(access_token="x").expires_within(60, now=0)
