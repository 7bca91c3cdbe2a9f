"""The day-two journey against the emulator: log in again with what is known, replace and
revoke, public and confidential applications, switch, check, forget."""

from __future__ import annotations

import json
import time
from pathlib import Path

import keyring
from conftest import login_args, nested_parentheses

from mightycli.emulator import CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, Emulator


def _stored(entry: str, network: str = "emulated") -> str | None:
    return keyring.get_password(f"mighty-cli:{network}", entry)


def test_login_again_with_only_the_network_revokes_the_replaced_grant(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty
) -> None:
    assert run_mighty(*login_args(emulator, redirect_uri, "-s", "read:network")).code == 0
    old_access, old_refresh = _stored("access_token"), _stored("refresh_token")
    again = run_mighty("login", "--network", "emulated")
    assert again.code == 0, again.stderr
    assert "Logged in to Emulated Network as Ada Lovelace" in again.stderr
    assert "replaces was revoked" in again.stderr
    assert {old_access, old_refresh} <= emulator.revoked_tokens()
    new_access = _stored("access_token")
    assert new_access != old_access and emulator.is_token_active(new_access)
    (entry,) = json.loads(run_mighty("status", "--json").stdout)["logins"]
    assert entry["scopes"] == ["read:network"]  # the stored scopes were asked for again


def test_login_without_arguments_logs_in_again_to_the_default(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty
) -> None:
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    again = run_mighty("login", "--json")
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout)["network"] == "emulated"


def test_flags_still_win_over_the_stored_login(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    wrong = run_mighty("login", "--network", "emulated", "--client-id", "nobody", "--timeout", "5")
    assert wrong.code != 0 and _stored("access_token") is not None


def test_the_expiry_hint_works_exactly_as_printed(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    with Emulator(
        redirect_uris=(redirect_uri,), access_token_ttl=2, issue_refresh_tokens=False
    ) as emulator:
        login = run_mighty(*login_args(emulator, redirect_uri))
        assert login.code == 0, login.stderr
        # Said once, at login: the consequence of a public application without refresh tokens,
        # in lines that fit a terminal, each command on a line of its own to copy.
        assert login.stderr.count("not renewable") == 1
        notice = login.stderr[login.stderr.index("This login is not renewable") :].splitlines()
        assert notice[0] == (
            "This login is not renewable: the server issued no refresh token, as public "
            "applications get none."
        )
        assert notice[1].startswith("It lasts until the access token expires in ")
        assert notice[1].endswith(" UTC; then run:")
        assert notice[2] == "  mighty login --network emulated"
        assert notice[3] == (
            "For a login that renews itself, use a confidential application and give its "
            "client secret once:"
        )
        assert notice[4] == (
            "  mighty login --network emulated --client-id <id> --client-secret-stdin < secret-file"
        )
        assert all(len(line) <= 100 for line in notice) and not nested_parentheses(login.stderr)
        status = json.loads(run_mighty("status", "--json").stdout)["logins"][0]
        assert status["renewable"] is False and status["refresh_token"] is False
        assert "renewable:      no" in run_mighty("status").stdout
        time.sleep(2.5)
        expired = run_mighty("token")
        assert expired.code == 4 and expired.stdout == ""
        hint = next(line for line in expired.stderr.splitlines() if line.startswith("Run: "))
        assert hint == "Run: mighty login --network emulated"
        again = run_mighty(*hint.split()[2:])  # what follows "Run: mighty"
        assert again.code == 0, again.stderr
        assert emulator.is_token_active(run_mighty("token").stdout.strip())


def _confidential_login(emulator: Emulator, redirect_uri: str, run_mighty, *extra: str):  # type: ignore[no-untyped-def]
    args = login_args(emulator, redirect_uri, *extra)
    args[args.index("emulator-public-client")] = CONFIDENTIAL_CLIENT_ID
    return run_mighty(*args, "--client-secret-stdin", input=CONFIDENTIAL_CLIENT_SECRET + "\n")


def test_confidential_secret_given_once_renews_without_the_environment(  # type: ignore[no-untyped-def]
    redirect_uri, run_mighty, isolated: Path
) -> None:
    with Emulator(redirect_uris=(redirect_uri,), access_token_ttl=2, strict=True) as emulator:
        login = _confidential_login(emulator, redirect_uri, run_mighty)
        assert login.code == 0, login.stderr
        assert "not renewable" not in login.stderr
        assert _stored("client_secret") == CONFIDENTIAL_CLIENT_SECRET
        state_text = (isolated / "config" / "logins.json").read_text()
        assert CONFIDENTIAL_CLIENT_SECRET not in state_text
        assert "renewable:      yes (confidential" in run_mighty("status").stdout
        time.sleep(2.1)
        renewed = run_mighty("--debug", "whoami")  # no MIGHTY_CLIENT_SECRET: the kept one
        assert renewed.code == 0, renewed.stderr
        assert emulator.refresh_count == 1
        assert "grant_type=refresh_token" in renewed.stderr  # the debug log shows the refresh
        assert CONFIDENTIAL_CLIENT_SECRET not in renewed.stderr + renewed.stdout
        # The environment still wins: a wrong secret there is what the server sees.
        time.sleep(2.1)
        wrong = run_mighty("token", env={"MIGHTY_CLIENT_SECRET": "not-the-secret"})
        assert wrong.code == 4 and "could not be renewed" in wrong.stderr
        # Logging in again needs only the network: the kept secret is reused.
        again = run_mighty("login", "--network", "emulated")
        assert again.code == 0, again.stderr
        logout = run_mighty("logout")
        assert logout.code == 0 and "Refresh token: revoked" in logout.stderr
        assert _stored("client_secret") is None


def test_confidential_application_without_a_secret_says_how_to_give_it(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty
) -> None:
    assert _confidential_login(emulator, redirect_uri, run_mighty).code == 0
    keyring.delete_password("mighty-cli:emulated", "client_secret")
    again = run_mighty("login", "--network", "emulated")
    assert again.code == 2
    assert "--client-secret-stdin" in again.stderr and "MIGHTY_CLIENT_SECRET" in again.stderr


def _two_logins(emulator: Emulator, redirect_uri: str, run_mighty) -> None:  # type: ignore[no-untyped-def]
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    second = login_args(emulator, redirect_uri)
    second[second.index("emulated")] = "1001"
    assert run_mighty(*second).code == 0  # the most recent login is the default


def test_switch_makes_a_stored_login_the_default(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    _two_logins(emulator, redirect_uri, run_mighty)
    assert "1001 (default)" in run_mighty("status").stdout
    switched = run_mighty("switch", "emulated", "--json")
    assert switched.code == 0, switched.stderr
    assert json.loads(switched.stdout)["network"] == "emulated"
    assert "is now the default" in switched.stderr
    assert "emulated (default)" in run_mighty("status").stdout
    status = json.loads(run_mighty("status", "--json").stdout)["logins"]
    assert {e["network"]: e["default"] for e in status} == {"1001": False, "emulated": True}
    assert run_mighty("token").stdout == run_mighty("token", "-n", "emulated").stdout
    unknown = run_mighty("switch", "elsewhere")
    assert unknown.code == 2
    assert "no stored login for elsewhere" in unknown.stderr
    assert "Stored logins: 1001, emulated." in unknown.stderr


def test_switch_without_a_network_lists_the_logins_where_it_cannot_ask(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty
) -> None:
    _two_logins(emulator, redirect_uri, run_mighty)
    bare = run_mighty("switch")  # stdin is no terminal here: no question, the choices
    assert (bare.code, bare.stdout) == (2, "")
    assert (
        "mighty: Which login should be the default? Stored logins: 1001 (the default), emulated."
        in bare.stderr
    )
    assert "Run: mighty switch NETWORK, e.g. mighty switch emulated" in bare.stderr
    assert "1001 (default)" in run_mighty("status").stdout  # nothing changed


def test_switch_without_a_network_and_no_login_says_how_to_log_in(run_mighty) -> None:  # type: ignore[no-untyped-def]
    bare = run_mighty("switch")
    assert bare.code == 4
    assert "not logged in to any network" in bare.stderr and "mighty login" in bare.stderr


def test_switch_without_a_network_asks_on_a_terminal(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    _two_logins(emulator, redirect_uri, run_mighty)
    import os

    from test_resource_commands import on_terminal

    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100"}
    prompt = b"Make which login the default? [1-2]: "
    code, text = on_terminal(["switch"], env, answers=[b"3\n", b"soon\n", b"2\n"], prompt=prompt)
    text = text.replace("\r\n", "\n")
    assert code == 0, text
    assert "  1. 1001 (default) - Emulated Network, Ada Lovelace\n" in text
    assert "  2. emulated - Emulated Network, Ada Lovelace\n" in text
    # Answers that name no login are asked again, saying what is expected.
    assert text.count("Answer with a number from 1 to 2.") == 2
    assert "Emulated Network (emulated) is now the default login." in text
    assert "emulated (default)" in run_mighty("status").stdout


def test_status_check_asks_the_server(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from mightycli.emulator import ADMIN_API_TOKEN, PUBLIC_CLIENT_ID

    _two_logins(emulator, redirect_uri, run_mighty)
    admin = ("login", "--with-token", "--network", "emulated")
    assert run_mighty(*admin, input=ADMIN_API_TOKEN + "\n").code == 0
    good = run_mighty("status", "--check")
    assert good.code == 0, good.stdout + good.stderr
    assert "1001 GraphQL: ok, acting as Ada Lovelace" in good.stdout
    assert "emulated (default) Admin API: ok" in good.stdout
    assert "emulated (default) GraphQL: ok" in good.stdout
    # The server ends the grant of one login behind mighty's back.
    refresh = _stored("refresh_token", "1001")
    httpx.post(
        f"{emulator.url}/oauth/revoke", data={"token": refresh, "client_id": PUBLIC_CLIENT_ID}
    )
    bad = run_mighty("status", "--check", "--json")
    assert bad.code == 1
    verdicts = {(c["network"], c["api"]): c for c in json.loads(bad.stdout)}
    assert verdicts[("emulated", "GraphQL")]["ok"] and verdicts[("emulated", "Admin API")]["ok"]
    broken = verdicts[("1001", "GraphQL")]
    assert not broken["ok"] and "mighty login --network 1001" in broken["hint"]
    only = run_mighty("status", "--check", "-n", "emulated")
    assert only.code == 0 and "1001" not in only.stdout
    offline = run_mighty("status", "-n", "1001")  # no --check: what is stored, nothing sent
    assert offline.code == 0 and "emulated" not in offline.stdout
    assert run_mighty("logout", "-n", "1001").code == 0
    assert run_mighty("status", "--check").code == 0


def test_logout_force_forgets_a_login_whose_keyring_cannot_be_read(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, run_mighty_process, isolated: Path
) -> None:
    # The keyring backend comes from PYTHON_KEYRING_BACKEND once, at process start.
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    broken = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    refused = run_mighty_process("logout", env=broken)
    assert refused.code == 2
    assert "mighty logout --network emulated --force" in refused.stderr
    assert "emulated" in json.loads((isolated / "config" / "logins.json").read_text())["logins"]
    forced = run_mighty_process("logout", "--force", env=broken)
    assert forced.code == 0, forced.stderr
    assert "could not be removed" in forced.stderr and "mighty-cli:emulated" in forced.stderr
    assert not nested_parentheses(forced.stderr)
    assert json.loads((isolated / "config" / "logins.json").read_text())["logins"] == {}
    assert _stored("access_token") is not None  # truly left behind, as it said


def _help_examples(command: str) -> list[list[str]]:
    from typer.testing import CliRunner

    from mightycli.cli import app

    page = CliRunner().invoke(app, [command, "--help"]).output
    return [line.split()[1:] for line in page.splitlines() if line.strip().startswith("mighty ")]


def test_strict_emulator_from_the_command_line(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    """The help example starts a strict emulator, which refuses to issue no refresh tokens."""
    import os
    import signal
    import subprocess
    import sys

    import httpx

    (example,) = [a for a in _help_examples("emulator") if "--strict" in a]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mightycli", *example],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/.well-known/oauth-authorization-server").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "Emulator stopped." in err
    refused = run_mighty("emulator", "--strict", "--no-refresh-tokens")
    assert refused.code == 2


def test_status_shows_each_login_as_a_paragraph(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    _two_logins(emulator, redirect_uri, run_mighty)
    shown = run_mighty("status", env={"MIGHTY_TOKEN": "abc"})
    assert shown.code == 0, shown.stderr
    paragraphs = shown.stdout.split("\n\n")
    assert [p.splitlines()[0].split(" ")[0] for p in paragraphs] == [
        "MIGHTY_TOKEN",
        "1001",
        "emulated",
    ]
    assert not shown.stdout.endswith("\n\n") and "\n\n\n" not in shown.stdout


def test_status_names_a_broken_config_file(emulator, redirect_uri, run_mighty, isolated) -> None:  # type: ignore[no-untyped-def]
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    config_file = isolated / "config" / "config.toml"
    config_file.write_text("network = \n")
    for args in (["status"], ["status", "--json"], ["status", "--check"]):
        result = run_mighty(*args)
        assert result.code == 2, (args, result.stdout, result.stderr)
        assert f"The config file {config_file} is not valid TOML" in result.stderr
        assert "Traceback" not in result.stderr
    assert "emulated (default)" in run_mighty("status").stdout  # what is stored, still shown
    assert "GraphQL" not in run_mighty("status", "--check").stdout  # no check can run


def test_status_check_marks_each_verdict_in_colour_on_a_terminal(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty
) -> None:
    import os

    import httpx

    from mightycli.emulator import PUBLIC_CLIENT_ID

    _two_logins(emulator, redirect_uri, run_mighty)
    refresh = _stored("refresh_token", "1001")
    httpx.post(
        f"{emulator.url}/oauth/revoke", data={"token": refresh, "client_id": PUBLIC_CLIENT_ID}
    )
    colour = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    colour.update(TERM="xterm-256color", COLUMNS="200")
    from test_resource_commands import on_terminal

    code, text = on_terminal(["status", "--check"], colour)
    assert code == 1, text
    assert "\x1b[32m✓" in text and "\x1b[31m✗" in text  # green and red
    code, text = on_terminal(["status", "--check"], {**colour, "NO_COLOR": "1"})
    assert "✓ emulated GraphQL: ok" in text and "✗ 1001 (default) GraphQL: FAILED" in text
    assert "\x1b[3" not in text
    piped = run_mighty("status", "--check")  # into a pipe: the marks, no colour
    assert "✓ emulated GraphQL: ok" in piped.stdout and "\x1b" not in piped.stdout
