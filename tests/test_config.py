from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from mightycli import config
from mightycli.errors import ConfigError, StateFileError, UsageError


@pytest.mark.parametrize(
    ("value", "key", "issuer"),
    [
        ("mycommunity", "mycommunity", "https://mycommunity.mn.co"),
        ("MyCommunity", "mycommunity", "https://mycommunity.mn.co"),
        ("mycommunity.mn.co", "mycommunity", "https://mycommunity.mn.co"),
        ("https://mycommunity.mn.co/spaces/123", "mycommunity", "https://mycommunity.mn.co"),
        ("12345", "12345", None),
    ],
)
def test_parse_network_forms(value: str, key: str, issuer: str | None) -> None:
    ref = config.parse_network(value)
    assert (ref.key, ref.issuer) == (key, issuer)


@pytest.mark.parametrize(
    "value",
    # "https://[x.mn.co" used to escape as urlsplit's ValueError (found by test_properties.py)
    [
        "",
        "  ",
        "https://community.example.com",
        "ftp://x.mn.co",
        "a b",
        "-bad-",
        "https://[x.mn.co",
        "\u00b2",  # superscript two: a digit to str.isdigit, not a network id
        "\u0661\u0662\u0663",  # Arabic-Indic digits
        "12\u00b3",
        "\uff11\uff12",  # fullwidth digits
        "1" * 21,
    ],
)
def test_parse_network_rejects(value: str) -> None:
    with pytest.raises(UsageError):
        config.parse_network(value)


def test_plain_http_only_for_loopback() -> None:
    assert config.check_endpoint_url("http://127.0.0.1:4010/", "issuer") == "http://127.0.0.1:4010"
    assert config.check_endpoint_url("http://localhost:1/x", "issuer") == "http://localhost:1/x"
    assert config.check_endpoint_url("http://[::1]:8/", "issuer") == "http://[::1]:8"
    assert config.check_endpoint_url("https://api.mn.co", "API URL") == "https://api.mn.co"
    # An unbalanced [ used to escape as urlsplit's ValueError (found by test_properties.py).
    for bad in (
        "http://api.mn.co",
        "http://10.0.0.1",
        "file:///etc/passwd",
        "https://u:p@x.co",
        "http://[::1/x",
        "https://[bad",
        "http://api.evil.localhost",  # resolved by DNS: may be anywhere
        "http://localhost.",
        "http://x.localhost.:8/",
    ):
        with pytest.raises(UsageError):
            config.check_endpoint_url(bad, "issuer")


def _record(network: str = "emulated") -> config.LoginRecord:
    return config.LoginRecord(
        network=network,
        issuer="https://x.mn.co",
        api_url="https://api.mn.co",
        client_id="cid",
        authorization_endpoint="https://x.mn.co/oauth/authorize",
        token_endpoint="https://x.mn.co/oauth/token",
        scopes=("read:network",),
        expires_at=123.0,
    )


def test_state_round_trip_private_and_atomic(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "logins.json"
    state = config.LoginState().with_login(_record("a")).with_login(_record("b"))
    config.write_state(path, state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["logins.json"]  # no temp file left
    again = config.read_state(path)
    assert again.default == "b"
    assert again.logins["a"] == _record("a")
    assert again.without("b").default == "a"
    assert config.read_state(tmp_path / "missing.json") == config.LoginState()


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state" / "logins.json"
    config.write_state(path, config.LoginState().with_login(_record("a")))
    before = path.read_bytes()

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(StateFileError, match="No space left"):
        config.write_state(path, config.LoginState())
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["logins.json"]  # the temp file is gone


def test_damaged_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "logins.json"
    for content in ("{not json", json.dumps({"version": 99}), json.dumps([1])):
        path.write_text(content)
        with pytest.raises(StateFileError) as info:
            config.read_state(path)
        assert str(path) in info.value.message and info.value.hint


def test_config_file_lookup_and_validation(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'client_id = "top"\nscopes = ["read:network"]\n'
        '[networks.mycommunity]\nclient_id = "specific"\n'
    )
    cfg = config.load_file_config(path)
    assert cfg.lookup("client_id", "mycommunity") == "specific"
    assert cfg.lookup("client_id", "other") == "top"
    assert cfg.lookup("scopes") == ["read:network"]
    path.write_text('client_secret = "s3cret"\n')
    with pytest.raises(ConfigError, match="secret"):
        config.load_file_config(path)
    path.write_text("colour = 1\n")
    with pytest.raises(ConfigError, match="Unknown setting"):
        config.load_file_config(path)
    path.write_text("not = [toml\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load_file_config(path)


def test_localhost_names_count_as_loopback_only_where_no_dns_is_asked() -> None:
    from mightycli.loopback import parse_redirect_uri

    assert not config.is_loopback_host("api.evil.localhost")
    assert config.is_loopback_host("api.evil.localhost", localhost_names=True)
    assert config.is_loopback_host("LOCALHOST") and config.is_loopback_host("[::1]")
    # The receiver binds 127.0.0.1 and ::1 itself for such a redirect URI.
    assert parse_redirect_uri("http://app.localhost:3000/cb").bind_hosts == ("127.0.0.1",)


@pytest.mark.parametrize(
    "xdg_config_home, home",
    [
        ("/somewhere/config", "/home/ada"),
        (None, "/home/ada"),
        ("", "/home/ada"),
        ("   ", "/home/ada/"),
        ("relative/config", "/home/ada"),
        (None, "relative-home"),
    ],
)
def test_the_config_folder_is_platformdirs_choice_without_it(  # type: ignore[no-untyped-def]
    monkeypatch, xdg_config_home: str | None, home: str
) -> None:
    # config_dir_name finds the folder on Linux without platformdirs where it can tell, and asks
    # platformdirs otherwise: either way, the folder platformdirs names.
    import platformdirs

    monkeypatch.delenv("MIGHTY_CONFIG_DIR")
    monkeypatch.setenv("HOME", home)
    if xdg_config_home is None:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg_config_home)
    expected = platformdirs.user_config_dir("mighty", appauthor=False)
    assert config.config_dir_name() == expected
    assert config.config_dir() == Path(expected)
    assert config.state_file_name() == str(Path(expected) / "logins.json")
    assert config.config_file_name() == str(Path(expected) / "config.toml")
