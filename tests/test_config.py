from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from mightycli import config
from mightycli.errors import ConfigError, StateFileError, UnsafeFileError, UsageError


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


# --------------------------------------------------------------------------- trusting the folder
# Checked as ssh checks its own files: owned by this user (or root), writable by nobody else.


def _state_file(folder: Path) -> Path:
    path = folder / "logins.json"
    config.write_state(path, config.LoginState().with_login(_record("a")))
    return path


def test_a_folder_others_can_write_is_refused_with_the_chmod_to_run(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    path = _state_file(folder)
    folder.chmod(0o777)  # a real world-writable folder: anyone could swap logins.json
    with pytest.raises(UnsafeFileError) as caught:
        config.read_state(path)
    assert str(folder) in caught.value.message and "0777" in caught.value.message
    assert f"chmod go-w {folder}" in (caught.value.hint or "")
    assert caught.value.exit_code == 2
    path.unlink()  # nothing there yet: still refused, someone could put it there
    with pytest.raises(UnsafeFileError):
        config.read_state(path)
    with pytest.raises(UnsafeFileError):
        config.write_state(path, config.LoginState())
    assert not path.exists()
    folder.chmod(0o700)
    config.write_state(path, config.LoginState())


def test_a_state_file_others_can_write_is_refused(tmp_path: Path) -> None:
    path = _state_file(tmp_path / "config")
    path.chmod(0o646)
    with pytest.raises(UnsafeFileError) as caught:
        config.read_state(path)
    assert str(path) in caught.value.message and f"chmod go-w {path}" in (caught.value.hint or "")


def test_group_write_is_refused_unless_the_group_is_the_owner_alone(tmp_path: Path) -> None:
    import grp
    import pwd

    path = _state_file(tmp_path / "config")
    path.chmod(0o660)
    owner = pwd.getpwuid(os.geteuid())
    # A group of the owner alone (a user-private group, umask 002): as Debian's ssh, fine.
    alone = [p.pw_uid for p in pwd.getpwall() if p.pw_gid == owner.pw_gid] == [owner.pw_uid]
    if alone and not grp.getgrgid(owner.pw_gid).gr_mem:
        os.chown(path, -1, owner.pw_gid)
        assert "a" in config.read_state(path).logins
    shared = grp.getgrnam("nogroup").gr_gid  # nobody, sync, _apt...
    os.chown(path, -1, shared)
    with pytest.raises(UnsafeFileError, match="writable by other users"):
        config.read_state(path)


@pytest.mark.parametrize("which", ["folder", "file"])
def test_a_folder_or_file_owned_by_another_user_is_refused(tmp_path: Path, which: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    folder = tmp_path / "config"
    path = _state_file(folder)
    os.chown(folder if which == "folder" else path, 65534, -1)
    with pytest.raises(UnsafeFileError) as caught:
        config.read_state(path)
    assert str(folder if which == "folder" else path) in caught.value.message
    assert "another user" in caught.value.message and "65534" in caught.value.message


def test_root_owned_files_are_trusted_like_ssh_does(tmp_path: Path) -> None:
    path = _state_file(tmp_path / "config")
    if os.geteuid() == 0:
        assert "a" in config.read_state(path).logins
    else:
        pytest.skip("owned by root: nothing to give away without root")


def test_a_config_file_others_can_write_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('client_id = "abc"\n')
    path.chmod(0o666)
    with pytest.raises(UnsafeFileError) as caught:
        config.load_file_config(path)
    assert str(path) in caught.value.message and caught.value.exit_code == 2
    path.chmod(0o644)  # readable by all is fine: it holds no secret
    assert config.load_file_config(path).lookup("client_id") == "abc"


def test_a_folder_in_tmp_made_by_mighty_is_fine(tmp_path: Path) -> None:
    import tempfile

    base = Path(tempfile.mkdtemp(dir="/tmp"))  # its parent is the sticky, world-writable /tmp
    try:
        path = base / "mighty" / "logins.json"
        config.write_state(path, config.LoginState().with_login(_record("a")))
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert "a" in config.read_state(path).logins
    finally:
        import shutil

        shutil.rmtree(base)


# --------------------------------------------------------------------------- URLs read back


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("api_url", "http://api.attacker.example"),
        ("issuer", "ftp://x.mn.co"),
        ("token_endpoint", "http://10.0.0.1/oauth/token"),
        ("authorization_endpoint", "https://u:p@x.mn.co/oauth/authorize"),
        ("revocation_endpoint", "http://evil.localhost/oauth/revoke"),
        ("redirect_uri", "javascript:alert(1)"),
    ],
)
def test_a_url_in_the_state_file_follows_the_login_rules(
    tmp_path: Path, field: str, value: str
) -> None:
    path = tmp_path / "logins.json"
    record = {**_record("a").to_json(), field: value}
    path.write_text(json.dumps({"version": 1, "default": "a", "logins": {"a": record}}))
    with pytest.raises(StateFileError) as caught:
        config.read_state(path)
    assert str(path) in caught.value.message and "damaged" in caught.value.message
    assert field in caught.value.message


# --------------------------------------------------------------------------- names read back


@pytest.mark.parametrize(
    "name", ["a$(touch X)", "a`id`", "x;y", "a\nb", "MyCommunity", "-x", "x.mn.co", "1" * 21, ""]
)
def test_a_login_filed_under_a_name_that_is_no_network_is_a_damaged_file(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "logins.json"
    record = {**_record("a").to_json(), "network": name}
    path.write_text(json.dumps({"version": 1, "default": name, "logins": {name: record}}))
    with pytest.raises(StateFileError) as caught:
        config.read_state(path)
    assert str(path) in caught.value.message and "damaged" in caught.value.message
    assert "\n" not in caught.value.message  # the name is shown escaped, never as it is


@pytest.mark.parametrize("name", ["mycommunity", "12345", "a-b", "api", "x" * 63])
def test_network_references_are_valid_names(name: str) -> None:
    assert config.is_network_key(name)
    assert config.parse_network(name).key == name


def test_config_file_network_tables_are_network_references(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[networks."MyCommunity.mn.co"]\nclient_id = "c"\n')
    assert config.load_file_config(path).lookup("client_id", "mycommunity") == "c"
    path.write_text('[networks."a$(touch X)"]\nclient_id = "c"\n')
    with pytest.raises(ConfigError) as caught:
        config.load_file_config(path)
    assert str(path) in caught.value.message and "network" in caught.value.message


# --------------------------------------------------------------------------- stale temp files


def _stale_temp(target: Path, suffix: str = "k1ll3d_x") -> Path:
    """What a process killed between writing and renaming leaves: the new content, 0600."""
    stale = target.with_name(f".{target.name}.{suffix}.tmp")
    stale.write_text('{"emulated": {"refresh_token": "rotated-and-lost"}}')
    stale.chmod(0o600)
    return stale


def test_the_next_write_removes_what_a_killed_write_left(tmp_path: Path) -> None:
    path = tmp_path / "config" / "tokens.json"
    config.write_private_file(path, b"{}")
    stale, other = _stale_temp(path), _stale_temp(path.with_name("logins.json"))
    config.write_private_file(path, b'{"a": {}}')
    assert not stale.exists() and other.exists()  # only the same file's, whose writer we are
    assert sorted(p.name for p in path.parent.iterdir()) == [other.name, "tokens.json"]


def test_removing_stale_temp_files_leaves_everything_else(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    config.write_state(folder / "logins.json", config.LoginState())
    stale = [_stale_temp(folder / name) for name in ("logins.json", "tokens.json")]
    kept = [folder / "notes.tmp", folder / ".hidden", folder / "logins.json.lock"]
    for path in kept:
        path.write_text("mine")
    config.remove_stale_temp_files(folder)
    assert not any(path.exists() for path in stale) and all(path.exists() for path in kept)


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


@pytest.mark.parametrize(
    "url",
    [
        "https://api.mn.co", "https://mycommunity.mn.co/oauth/token", "http://127.0.0.1:4010",
        "http://localhost:3000/callback", "https://EXAMPLE.mn.co:8443/a/b", "http://[::1]:5/x",
        "https://api.mn.co/x?y=1",
    ],
)  # fmt: skip
def test_urls_read_back_that_login_accepts_pass(url: str) -> None:
    config.check_endpoint_url(url, "url")  # what a login accepts ...
    config.check_url_read_back(url, "api_url")  # ... passes when read back


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example",
        "http://127.0.0.1.evil.example/x",
        "http://localhost.evil:80",
        "https://user@api.mn.co",
        "https://api.mn.co:99999",
        "ftp://api.mn.co",
        "http://127.0.0.1:4500:99999/x",
        "https://",
        "javascript:alert(1)",
    ],
)
def test_urls_read_back_that_login_refuses_fail(url: str) -> None:
    with pytest.raises(ValueError, match="is not a URL mighty may use"):
        config.check_url_read_back(url, "api_url")


def test_network_keys_are_the_subdomain_or_id_patterns() -> None:
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=500, deadline=None)
    @given(st.text(alphabet="az09-Z.$( é", max_size=70) | st.sampled_from(["a" * 63, "a" * 64]))
    def same(value: str) -> None:
        # All digits: a numeric id, up to 20 of them; otherwise a subdomain.
        pattern = config._NETWORK_ID if value.isascii() and value.isdigit() else config._SUBDOMAIN
        expected = re.fullmatch(pattern, value) is not None
        assert config.is_network_key(value) == expected, value

    same()
