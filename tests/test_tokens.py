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
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(KeyringUnavailableError, match="No usable OS keyring") as info:
        KeyringStore().load("x")
    assert info.value.exit_code == 2
    assert "gnome-keyring" in (info.value.hint or "")


class BrokenKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise OSError("D-Bus connection refused")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise OSError("D-Bus connection refused")

    def delete_password(self, service: str, username: str) -> None:
        raise OSError("D-Bus connection refused")


def test_backend_failure_is_wrapped_without_the_secret() -> None:
    keyring.set_keyring(BrokenKeyring())  # type: ignore[no-untyped-call]
    with pytest.raises(KeyringUnavailableError, match="D-Bus connection refused") as info:
        KeyringStore().save("x", "secret-access-canary", "secret-refresh-canary")
    assert "canary" not in str(info.value) and isinstance(info.value.__cause__, OSError)


def test_token_repr_hides_secrets() -> None:
    token = Token(access_token="AAA-secret", refresh_token="RRR-secret", expires_at=10.0)
    assert "secret" not in repr(token)
    assert token.expires_within(60, now=0) and not token.expires_within(5, now=0)
    assert not Token(access_token="x").expires_within(60, now=0)


def test_no_backend_error_says_why_each_backend_failed() -> None:
    import sys

    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(KeyringUnavailableError) as info:
        KeyringStore().check("x")
    if sys.platform == "linux":
        assert "SecretService:" in info.value.message
    assert "--insecure-storage" in (info.value.hint or "")


class HangingKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        import time

        time.sleep(30)  # an unlock prompt nobody answers
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError


def test_a_hanging_keyring_times_out() -> None:
    keyring.set_keyring(HangingKeyring())  # type: ignore[no-untyped-call]
    with pytest.raises(KeyringUnavailableError, match="did not answer within 0.3 s") as info:
        KeyringStore(timeout=0.3).load("x")
    assert "MIGHTY_KEYRING_TIMEOUT" in (info.value.hint or "")


def test_file_store_round_trip_private_and_atomic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import stat

    from mightycli.tokens import FileStore

    store = FileStore(tmp_path / "cfg" / "tokens.json")
    store.save("one", "access-1", "refresh-1")
    store.save_admin_token("two", "admin-2")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert json.loads(store.path.read_text()) == {
        "one": {"access_token": "access-1", "refresh_token": "refresh-1"},
        "two": {"admin_token": "admin-2"},
    }
    loaded = store.load("one")
    assert (loaded.access_token, loaded.refresh_token, loaded.admin_token) == (
        "access-1",
        "refresh-1",
        None,
    )
    store.delete("one")
    store.delete("one")
    assert store.load("one").access_token is None and store.load("two").admin_token == "admin-2"
    assert "not encrypted" in store.description and str(store.path) in store.description
    store.path.write_text('{"one": "access-leaked"')
    from mightycli.errors import StateFileError

    with pytest.raises(StateFileError) as info:
        store.load("one")
    assert "leaked" not in str(info.value)


BAD_TOKENS = ["abc\ndef", "abc def", "Bearer x", "tök", "a=b", "", "x\r\nX-Evil: 1", "a" * 20000]


@pytest.mark.parametrize("value", BAD_TOKENS)
def test_bad_tokens_are_refused_without_being_shown(value: str) -> None:
    from mightycli.errors import UsageError
    from mightycli.tokens import check_token

    with pytest.raises(UsageError) as caught:
        check_token(value, "token", error=UsageError)
    if value:
        assert value not in str(caught.value) and value not in repr(caught.value.args)


@pytest.mark.parametrize("value", ["abc", "a-b.c_d~e+f/g==", "emulator-admin-api-token"])
def test_good_tokens_pass(value: str) -> None:
    from mightycli.tokens import check_token

    assert check_token(value, "token") == value


def test_a_bad_token_in_the_keyring_is_refused_when_read() -> None:
    from mightycli.errors import AuthRequiredError

    keyring.set_password(service_name("emulated"), "access_token", "good\nX-Evil: sekrit")
    with pytest.raises(AuthRequiredError, match="not a valid bearer token") as caught:
        KeyringStore().load("emulated")
    assert "sekrit" not in caught.value.message and "mighty login" in (caught.value.hint or "")


def test_a_bad_token_from_the_token_endpoint_is_refused() -> None:
    from mightycli.errors import TokenRequestError
    from mightycli.oauth import parse_token_response

    for body in (
        {"access_token": "a\nsekrit", "token_type": "Bearer"},
        {"access_token": "ok", "token_type": "Bearer", "refresh_token": "r sekrit"},
    ):
        with pytest.raises(TokenRequestError) as caught:
            parse_token_response(body, 0.0)
        assert "sekrit" not in caught.value.message


# --------------------------------------------------------------------------- plaintext keyrings


class _MemoryKeyring(KeyringBackend):
    """A keyring backend that encrypts, as far as mighty can tell (not plaintext by name)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


def test_a_plaintext_keyring_is_named_as_the_file_it_is(isolated) -> None:  # type: ignore[no-untyped-def]
    # keyrings.alt's PlaintextKeyring (the demo extra, picked where there is no D-Bus): the
    # secrets sit base64-encoded in a file, no better kept than with --insecure-storage.
    store = KeyringStore()
    path = str(isolated / "data" / "python_keyring" / "keyring_pass.cfg")
    assert store.plaintext_location == path
    assert store.description.startswith(f"plain file {path}")
    assert "not encrypted" in store.description and "PlaintextKeyring" in store.description
    assert "system keyring" not in store.description


def test_an_encrypting_keyring_is_the_system_keyring() -> None:
    keyring.set_keyring(_MemoryKeyring())
    store = KeyringStore()
    assert store.plaintext_location is None
    assert store.description.startswith("system keyring")


def test_a_chain_of_keyrings_is_judged_by_the_one_it_writes_to(isolated) -> None:  # type: ignore[no-untyped-def]
    from keyring.backends.chainer import ChainerBackend
    from keyrings.alt.file import PlaintextKeyring

    plain = PlaintextKeyring()
    plain.file_path = str(isolated / "chained.cfg")

    class Chain(ChainerBackend):
        order: list[KeyringBackend] = []

        @property
        def backends(self) -> list[KeyringBackend]:
            return self.order

    chain = Chain()  # type: ignore[no-untyped-call]
    Chain.order = [plain, _MemoryKeyring()]
    keyring.set_keyring(chain)
    assert KeyringStore().plaintext_location == plain.file_path
    Chain.order = [_MemoryKeyring(), plain]
    assert KeyringStore().plaintext_location is None


def test_the_file_store_is_plaintext_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mightycli.tokens import FileStore

    assert FileStore(tmp_path / "tokens.json").plaintext_location == str(tmp_path / "tokens.json")
