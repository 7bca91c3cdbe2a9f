"""End-to-end: the real `mighty` command (its console script's main, in process; a subprocess
where signals or the keyring backend need one), the emulator on 127.0.0.1, a scripted browser
following the redirect to the real loopback receiver, a file-backed keyring."""

from __future__ import annotations

import json
import socket
import stat
import time
from pathlib import Path

import httpx
import keyring
import pytest
from conftest import login_args

from mightycli.cli import main
from mightycli.tokens import service_name


def _secrets() -> tuple[str | None, str | None]:
    name = service_name("emulated")
    return keyring.get_password(name, "access_token"), keyring.get_password(name, "refresh_token")


def test_full_journey(emulator, redirect_uri, run_mighty, isolated: Path) -> None:  # type: ignore[no-untyped-def]
    login = run_mighty(*login_args(emulator, redirect_uri))
    assert login.code == 0, login.stderr
    assert "Logged in to Emulated Network as Ada Lovelace" in login.stderr
    assert login.stdout == ""  # people's messages go to stderr only
    assert "code_challenge=" in login.stderr  # the URL is printed whole
    access, refresh = _secrets()
    assert access and refresh and emulator.is_token_active(access)

    state_file = isolated / "config" / "logins.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    state_text = state_file.read_text()
    assert access not in state_text and refresh not in state_text
    assert json.loads(state_text)["default"] == "emulated"

    whoami = run_mighty("whoami")
    assert whoami.code == 0, whoami.stderr
    assert whoami.stdout.splitlines()[0] == "Ada Lovelace"
    assert "ada@example.com" in whoami.stdout and "HOST" in whoami.stdout

    as_json = json.loads(run_mighty("whoami", "--json").stdout)
    assert as_json["name"] == "Ada Lovelace" and as_json["network"] == "emulated"
    assert as_json["network_title"] == "Emulated Network" and as_json["role"] == "HOST"

    token = run_mighty("token")
    assert token.code == 0 and token.stdout == access + "\n" and token.stderr == ""

    status = json.loads(run_mighty("status", "--json").stdout)
    (entry,) = status["logins"]
    assert entry["network"] == "emulated" and entry["user"] == "Ada Lovelace"
    assert entry["refresh_token"] is True and entry["default"] is True
    assert set(entry["scopes"]) == {"read:userinfo", "read:network"}
    human = run_mighty("status")
    assert "emulated (default)" in human.stdout and "expires in" in human.stdout

    logout = run_mighty("logout")
    assert logout.code == 0, logout.stderr
    assert "Refresh token: revoked" in logout.stderr and "Access token: revoked" in logout.stderr
    assert {access, refresh} <= emulator.revoked_tokens()
    assert not emulator.is_token_active(access)
    assert _secrets() == (None, None)
    assert json.loads(state_file.read_text())["logins"] == {}

    again = run_mighty("logout")
    assert again.code == 0 and "nothing to do" in again.stderr
    assert run_mighty("status").code == 4
    gone = run_mighty("whoami")
    assert gone.code == 4 and "mighty login" in gone.stderr


def test_deny_reports_error_and_stores_nothing(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty(
        *login_args(emulator, redirect_uri), env={"MIGHTY_TEST_BROWSER_ARGS": "--deny"}
    )
    assert result.code == 1
    assert "denied" in result.stderr
    assert _secrets() == (None, None)
    assert run_mighty("status").code == 4


def test_two_networks_and_network_option(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    second = login_args(emulator, redirect_uri)
    second[second.index("emulated")] = "1001"
    assert run_mighty(*second).code == 0
    status = json.loads(run_mighty("status", "--json").stdout)
    assert [(e["network"], e["default"]) for e in status["logins"]] == [
        ("1001", True),
        ("emulated", False),
    ]
    assert run_mighty("token", "--network", "emulated").stdout != run_mighty("token").stdout
    assert run_mighty("logout", "--all").code == 0
    assert run_mighty("status").code == 4


def test_expired_token_is_refreshed_and_rotation_saved(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    old_access, old_refresh = _secrets()
    emulator.expire_access_tokens()  # the server says no; the client still thinks it is valid
    result = run_mighty("whoami")
    assert result.code == 0, result.stderr
    new_access, new_refresh = _secrets()
    assert emulator.refresh_count == 1
    assert new_access != old_access and new_refresh != old_refresh
    assert emulator.is_token_active(new_refresh)
    assert run_mighty("whoami").code == 0 and emulator.refresh_count == 1


def _age_login(isolated: Path, expires_in: float, obtained_ago: float) -> None:
    """Make the stored login look older than it is, as if time had passed."""
    path = isolated / "config" / "logins.json"
    data = json.loads(path.read_text())
    for login in data["logins"].values():
        login["expires_at"] = time.time() + expires_in
        login["obtained_at"] = time.time() - obtained_ago
    path.write_text(json.dumps(data))


def test_token_renewed_before_expiry(emulator, redirect_uri, run_mighty, isolated) -> None:  # type: ignore[no-untyped-def]
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    old_access, _ = _secrets()
    _age_login(isolated, expires_in=30, obtained_ago=3570)
    token = run_mighty("token")  # expires within a minute: renewed first
    assert token.code == 0 and emulator.refresh_count == 1
    assert token.stdout.strip() == _secrets()[0] != old_access
    again = run_mighty("token")  # the new one lives an hour: no refresh
    assert again.stdout == token.stdout and emulator.refresh_count == 1


def test_short_lived_tokens_are_not_refreshed_on_every_call(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    from mightycli.emulator import Emulator

    # Tokens that live less than the one-minute margin: a fresh one is used as it is.
    with Emulator(redirect_uris=(redirect_uri,), access_token_ttl=30) as emulator:
        assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
        assert run_mighty("token").stdout.strip() == _secrets()[0]
        assert run_mighty("whoami").code == 0
        assert emulator.refresh_count == 0


def test_refresh_rejected_means_exit_4(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    _, refresh = _secrets()
    httpx.post(
        f"{emulator.url}/oauth/revoke",
        data={"token": refresh, "client_id": "emulator-public-client"},
    ).raise_for_status()
    result = run_mighty("whoami")
    assert result.code == 4
    assert "mighty login --network emulated" in result.stderr
    assert "invalid_grant" in result.stderr
    assert _secrets()[1] == refresh  # nothing the user might still need was deleted


def test_no_refresh_token_means_exit_4_when_expired(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    from mightycli.emulator import Emulator

    with Emulator(redirect_uris=(redirect_uri,), issue_refresh_tokens=False) as emulator:
        result = run_mighty(*login_args(emulator, redirect_uri))
        assert "no refresh token" in result.stderr
        emulator.expire_access_tokens()
        whoami = run_mighty("whoami")
        assert whoami.code == 4 and "mighty login" in whoami.stderr


def test_mighty_token_overrides_stored_credentials(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    stored, _ = _secrets()
    run_mighty("logout")
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    env = {"MIGHTY_TOKEN": "not-a-valid-token"}
    token = run_mighty("token", env=env)
    assert token.stdout == "not-a-valid-token\n"
    whoami = run_mighty("whoami", env=env)
    assert whoami.code == 4 and "MIGHTY_TOKEN" in whoami.stderr
    logout = run_mighty("logout", env=env)
    assert logout.code == 2 and "MIGHTY_TOKEN" in logout.stderr
    assert _secrets()[0] is not None  # refused means untouched
    # Without any stored login, MIGHTY_TOKEN plus a network is enough.
    current, _ = _secrets()
    run_mighty("logout")
    env = {
        "MIGHTY_TOKEN": current or "",
        "MIGHTY_NETWORK": "emulated",
        "MIGHTY_API_URL": emulator.url,
    }
    assert stored != current
    ok = run_mighty("whoami", "--json", env=env)
    assert ok.code == 4  # logout revoked it at the server
    fresh = run_mighty(*login_args(emulator, redirect_uri))
    assert fresh.code == 0
    current, _ = _secrets()
    env["MIGHTY_TOKEN"] = current or ""
    assert json.loads(run_mighty("whoami", "--json", env=env).stdout)["name"] == "Ada Lovelace"


def test_confidential_client_with_wrong_secret(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    args = login_args(emulator, redirect_uri)
    args[args.index("emulator-public-client")] = "emulator-confidential-client"
    bad = run_mighty(*args, env={"MIGHTY_CLIENT_SECRET": "canary-secret-4711"})
    assert bad.code == 1 and "invalid_client" in bad.stderr and "canary-secret" not in bad.stderr
    good = run_mighty(*args, env={"MIGHTY_CLIENT_SECRET": "emulator-client-secret"})
    assert good.code == 0, good.stderr


def test_token_endpoint_failure_is_reported(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    emulator.inject_fault("/oauth/token", 500, "<html><h1>Internal error</h1></html>")
    result = run_mighty(*login_args(emulator, redirect_uri))
    assert result.code == 1
    assert "HTTP 500" in result.stderr and "Traceback" not in result.stderr
    assert _secrets() == (None, None)


def test_busy_port_is_reported_before_the_browser(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, callback_port, run_mighty
) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", callback_port))
        other.listen(1)
        started = time.monotonic()
        result = run_mighty(*login_args(emulator, redirect_uri))
    assert result.code == 1
    assert f"Port {callback_port}" in result.stderr
    assert "Open this URL" not in result.stderr  # failed before showing or opening anything
    assert time.monotonic() - started < 15


def test_login_timeout(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    args = login_args(emulator, redirect_uri, "--no-browser")
    args[args.index("--timeout") + 1] = "1"
    result = run_mighty(*args)
    assert result.code == 1 and "within 1 seconds" in result.stderr


def test_exit_codes_through_main(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("mighty ")
    assert main(["status"]) == 4
    assert "not logged in" in capsys.readouterr().err
    assert main(["token"]) == 4
    assert main(["login"]) == 2  # no terminal to ask on, no network given
    assert "--network" in capsys.readouterr().err
    assert main(["login", "--network", "bad name!", "--client-id", "x"]) == 2
    assert (
        main(["login", "--network", "x", "--client-id", "c", "--issuer", "http://remote.example"])
        == 2
    )
    assert main(["no-such-command"]) == 2
    assert main(["whoami", "--network", "12345"]) == 4


def test_help_lists_exit_codes_and_examples() -> None:
    from typer.testing import CliRunner

    from mightycli.cli import app

    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0 and "130 interrupted" in top.output
    for command in ("login", "whoami", "token", "status", "logout", "emulator"):
        page = runner.invoke(app, [command, "--help"])
        assert page.exit_code == 0 and "Example" in page.output, command


def test_ctrl_c_while_waiting_exits_130_and_frees_the_port(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, callback_port
) -> None:
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "mightycli", *login_args(emulator, redirect_uri, "--no-browser")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("Waiting for the browser"):
            break
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=20)
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest
    assert rest.rstrip().endswith("mighty: interrupted")
    with socket.socket() as probe:  # the listener is closed
        probe.bind(("127.0.0.1", callback_port))
    assert _secrets() == (None, None)


def test_insecure_storage_when_there_is_no_keyring(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, run_mighty_process, isolated
) -> None:
    # The keyring backend comes from PYTHON_KEYRING_BACKEND once, at process start.
    no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    refused = run_mighty_process(*login_args(emulator, redirect_uri), env=no_keyring)
    assert refused.code == 2 and "No usable OS keyring" in refused.stderr
    assert "--insecure-storage" in refused.stderr and "Open this URL" not in refused.stderr
    token_file = isolated / "config" / "tokens.json"
    login = run_mighty_process(
        *login_args(emulator, redirect_uri, "--insecure-storage"), env=no_keyring
    )
    assert login.code == 0, login.stderr
    assert f"unencrypted in {token_file}" in login.stderr
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    stored = json.loads(token_file.read_text())["emulated"]
    assert run_mighty_process("token", env=no_keyring).stdout == stored["access_token"] + "\n"
    assert run_mighty_process("whoami", env=no_keyring).code == 0
    status = json.loads(run_mighty_process("status", "--json", env=no_keyring).stdout)["logins"][0]
    assert status["storage"].startswith("plain file") and status["refresh_token"] is True
    emulator.expire_access_tokens()
    # refreshed, rotation saved to the file
    assert run_mighty_process("whoami", env=no_keyring).code == 0
    assert (
        json.loads(token_file.read_text())["emulated"]["refresh_token"] != stored["refresh_token"]
    )
    assert run_mighty_process("logout", env=no_keyring).code == 0
    assert json.loads(token_file.read_text()) == {}
    again = run_mighty_process(
        *login_args(emulator, redirect_uri), env={**no_keyring, "MIGHTY_STORAGE": "file"}
    )
    assert again.code == 0 and "unencrypted" in again.stderr
    bad = run_mighty(*login_args(emulator, redirect_uri), env={"MIGHTY_STORAGE": "floppy"})
    assert bad.code == 2 and "floppy" in bad.stderr


def test_two_step_login(redirect_uri, run_mighty, isolated) -> None:  # type: ignore[no-untyped-def]
    from mightycli.emulator import Emulator

    with Emulator(redirect_uris=(redirect_uri,), auto_approve=True) as emulator:
        args = [a for a in login_args(emulator, redirect_uri) if a not in ("--timeout", "30")]
        started = run_mighty(*args, "--no-wait", "--json")
        assert started.code == 0, started.stderr
        plan = json.loads(started.stdout)
        assert plan["redirect_uri"] == redirect_uri and "--complete" in plan["next"]
        (pending,) = (isolated / "config" / "pending").iterdir()
        assert stat.S_IMODE(pending.stat().st_mode) == 0o600
        address = httpx.get(plan["authorization_url"], headers={"User-Agent": "t"}).headers[
            "location"
        ]
        wrong = run_mighty("login", "--complete", address.replace("/callback", "/elsewhere"))
        assert wrong.code == 1 and "not an address under" in wrong.stderr
        done = run_mighty("login", "--complete", "-", input=address + "\n")
        assert done.code == 0, done.stderr
        assert "Logged in to Emulated Network as Ada Lovelace" in done.stderr
        assert list((isolated / "config" / "pending").iterdir()) == []
        assert run_mighty("whoami").code == 0
        again = run_mighty("login", "--complete", address)
        assert again.code == 1 and "No pending login" in again.stderr
        # A pending login expires with the code's lifetime.
        plan = json.loads(run_mighty(*args, "--no-wait", "--json").stdout)
        (pending,) = (isolated / "config" / "pending").iterdir()
        data = json.loads(pending.read_text())
        data["expires_at"] = time.time() - 1
        pending.write_text(json.dumps(data))
        address = httpx.get(plan["authorization_url"], headers={"User-Agent": "t"}).headers[
            "location"
        ]
        late = run_mighty("login", "--complete", address)
        assert late.code == 1 and "expired" in late.stderr
        junk = run_mighty("login", "--complete", "not a url at all")
        assert junk.code == 2 and "no state" in junk.stderr


def test_logout_when_revocation_fails(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    emulator.inject_fault("/oauth/revoke", 500, "<html>broken</html>", times=2)
    result = run_mighty("logout")
    assert result.code == 0
    assert "Refresh token: revocation failed" in result.stderr
    assert "Logged out of emulated" in result.stderr
    assert _secrets() == (None, None) and run_mighty("status").code == 4


def test_discovery_issuer_mismatch_stops_login(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    from localserver import Reply, serve

    with serve({}) as server:
        server.routes[("GET", "/.well-known/oauth-authorization-server")] = Reply(
            200,
            {
                "issuer": "https://impostor.example",
                "authorization_endpoint": "x",
                "token_endpoint": "y",
            },
        )
        args = [
            "login",
            "--network",
            "emulated",
            "--issuer",
            server.url,
            "--client-id",
            "c",
            "--redirect-uri",
            redirect_uri,
        ]
        result = run_mighty(*args)
    assert result.code == 1 and "impostor.example" in result.stderr
    assert "Open this URL" not in result.stderr and run_mighty("status").code == 4


def _explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom in the middle")


@pytest.mark.parametrize(
    ("command", "target"),
    [
        (["status"], "mightycli.logins.list_logins"),
        (["token"], "mightycli.session.open_session"),  # the fast path
        (["whoami"], "mightycli.session.open_session"),
        (["logout"], "mightycli.config.read_state"),
    ],
)
def test_an_unexpected_exception_is_an_internal_error_not_a_traceback(  # type: ignore[no-untyped-def]
    capsys, monkeypatch, command, target
) -> None:
    monkeypatch.setattr(target, _explode)
    assert main(command) == 1
    err = capsys.readouterr().err
    assert "mighty: internal error: RuntimeError: boom in the middle" in err
    assert "rerun with --debug for the traceback" in err and "Traceback" not in err
    assert main(["--debug", *command]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "boom in the middle" in err


@pytest.mark.parametrize("command", [["token"], ["status"], ["whoami"]])
def test_ctrl_c_anywhere_is_interrupted_130(capsys, monkeypatch, command) -> None:  # type: ignore[no-untyped-def]
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("mightycli.session.open_session", interrupt)
    monkeypatch.setattr("mightycli.logins.list_logins", interrupt)
    assert main(command) == 130
    err = capsys.readouterr().err
    assert err.strip() == "mighty: interrupted" and "Traceback" not in err


def test_an_admin_api_token_in_mighty_token_is_named_by_whoami(emulator, run_mighty) -> None:  # type: ignore[no-untyped-def]
    from mightycli.emulator import ADMIN_API_TOKEN

    env = {
        "MIGHTY_TOKEN": ADMIN_API_TOKEN,
        "MIGHTY_NETWORK": "emulated",
        "MIGHTY_API_URL": emulator.url,
    }
    whoami = run_mighty("whoami", env=env)
    # Not a login to renew but a token of the other API: a configuration error, said as such.
    assert (whoami.code, whoami.stdout) == (2, "")
    assert whoami.stderr == (
        "mighty: MIGHTY_TOKEN holds an Admin API token, acting as Ada Lovelace on Emulated "
        "Network; whoami asks the GraphQL API, which takes only OAuth access tokens.\n"
        "Use it with the Admin API (mighty api me shows who it acts as), or unset MIGHTY_TOKEN "
        "to use the stored login.\n"
    )
    assert run_mighty("api", "me", env=env).code == 0  # the command it names works
    # A token neither API takes is still just refused.
    refused = run_mighty("whoami", env={**env, "MIGHTY_TOKEN": "not-a-valid-token"})
    assert refused.code == 4 and "does not accept MIGHTY_TOKEN" in refused.stderr


def test_a_plaintext_keyring_warns_like_insecure_storage(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty_process, isolated
) -> None:
    # Where there is no D-Bus and keyrings.alt is installed, keyring falls back to a file.
    plain = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    keyring_file = isolated / "data" / "python_keyring" / "keyring_pass.cfg"
    login = run_mighty_process(*login_args(emulator, redirect_uri), env=plain)
    assert login.code == 0, login.stderr
    assert f"unencrypted in {keyring_file}" in login.stderr and "PlaintextKeyring" in login.stderr
    human = run_mighty_process("status", env=plain)
    assert f"stored in:      plain file {keyring_file}" in human.stdout
    assert "system keyring" not in human.stdout and "not encrypted" in human.stdout
    (entry,) = json.loads(run_mighty_process("status", "--json", env=plain).stdout)["logins"]
    assert entry["storage"].startswith("plain file") and entry["encrypted"] is False
