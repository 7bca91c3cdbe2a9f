"""Start-up guard: the hot paths do not load the heavy modules (a structural fact, not a timing).

`mighty token` and `mighty whoami` run in loops in scripts. `token` and `--version` must not pay
for Typer, rich, httpx, the GraphQL engine or the emulator; `whoami` and plain `api` calls need
httpx but never Typer, and rich only on a terminal. The probe runs the console script's own
entry point, found from the installed package's metadata, as a user's `mighty` does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from mightycli import config
from mightycli.tokens import KeyringStore

HEAVY = ("typer", "httpx", "rich", "graphql", "pydantic", "mightycli.emulator", "click")
# `mighty --help` is drawn from the Typer app's declarations without building it.
NOT_FOR_HELP = ("httpx", "rich", "graphql", "pydantic", "mightycli.emulator", "typer._adapters")
# Never loaded by whoami and plain api calls into a pipe; httpx is theirs to load.
NOT_FOR_CALLS = tuple(h for h in HEAVY if h != "httpx")

PROBE = """
import json, sys
from importlib.metadata import entry_points
(script,) = entry_points(group="console_scripts", name="mighty")
code = script.load()(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _run(*args: str) -> tuple[str, int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc.stdout, report["code"], report["modules"]


def _loaded(modules: list[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in heavy)]


def _store_valid_login(isolated: Path, keyring_backend: str | None = None) -> None:
    record = config.LoginRecord(
        network="demo",
        api_url="https://api.example.invalid",
        issuer="https://demo.example.invalid",
        client_id="cid",
        authorization_endpoint="https://demo.example.invalid/oauth/authorize",
        token_endpoint="https://demo.example.invalid/oauth/token",
        expires_at=time.time() + 3600,
        has_refresh_token=True,
        keyring_backend=keyring_backend,
    )
    config.write_state(isolated / "config" / "logins.json", config.LoginState().with_login(record))
    KeyringStore().save("demo", "stored-access-token", "stored-refresh-token")


def test_token_path_stays_light(isolated: Path) -> None:
    _store_valid_login(isolated)
    stdout, code, modules = _run("token")
    assert (stdout, code) == ("stored-access-token\n", 0)
    assert _loaded(modules) == []
    stdout, code, modules = _run("token", "--network", "demo")
    assert code == 0 and _loaded(modules) == []


# On the Secret Service, `mighty token`, `whoami` and `api` read the login's secrets over D-Bus
# themselves (jeepney): keyring, its backends and what they pull in are not imported at all.
KEYRING_MODULES = ("keyring", "secretstorage", "jaraco", "cryptography", "keyrings")


def test_token_on_the_secret_service_does_not_import_keyring(  # type: ignore[no-untyped-def]
    secret_service, isolated: Path
) -> None:
    _store_valid_login(isolated, keyring_backend="keyring.backends.SecretService.Keyring")
    for args in (("token",), ("token", "--network", "demo")):
        stdout, code, modules = _run(*args)
        assert (stdout, code) == ("stored-access-token\n", 0), args
        assert _loaded(modules, HEAVY + KEYRING_MODULES) == [], args
        assert "jeepney" in modules  # the probe sees the read that was made


def test_whoami_and_api_on_the_secret_service_do_not_import_keyring(  # type: ignore[no-untyped-def]
    secret_service, run_mighty, emulator
) -> None:
    from conftest import admin_token_login

    admin_token_login(run_mighty, emulator)
    for args in (("whoami",), ("token",), ("api", "members/5000001/")):
        stdout, code, modules = _run(*args)
        assert code == 0 and stdout, args
        assert _loaded(modules, NOT_FOR_CALLS + KEYRING_MODULES) == [], args


def test_version_stays_light() -> None:
    stdout, code, modules = _run("--version")
    assert code == 0 and stdout.startswith("mighty ")
    assert _loaded(modules) == []


def test_not_logged_in_token_still_reports_clearly() -> None:
    _, code, _ = _run("token")
    assert code == 4


def test_other_forms_go_through_the_full_command_line(isolated: Path) -> None:
    _store_valid_login(isolated)
    stdout, code, modules = _run("token", "--help")
    assert code == 0 and "Usage" in stdout
    assert "typer._adapters" in modules  # the full command line was built, as expected


def test_the_console_script_is_the_light_entry_point() -> None:
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="mighty")
    assert script.value == "mightycli.entry:main"


def test_whoami_and_plain_api_calls_load_no_typer(run_mighty, emulator) -> None:  # type: ignore[no-untyped-def]
    from conftest import admin_token_login

    admin_token_login(run_mighty, emulator)
    for args in (
        ("whoami",),
        ("whoami", "--json"),
        ("api", "members", "-f", "per_page=2", "--paginate"),
        ("api", "members/5000001/"),
        ("members", "list", "--all"),
        ("plans", "members", "Community", "--json", "id,email"),
    ):
        stdout, code, modules = _run(*args)
        assert code == 0 and stdout, args
        assert _loaded(modules, NOT_FOR_CALLS) == [], args
        assert "httpx" in modules  # the probe sees what was imported


def test_help_stays_light_and_matches_the_full_help(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from mightycli.cli import app, main
    from mightycli.cli.base import GROUP_MODULES, load_groups

    stdout, code, modules = _run("--help")
    assert code == 0 and "Commands:" in stdout and _loaded(modules, NOT_FOR_HELP) == []
    for columns in ("60", "80", "100", "200"):
        monkeypatch.setenv("COLUMNS", columns)
        assert main(["--help"]) == 0
        fast = capsys.readouterr().out
        # The full help, with every group on the app, as a run of `mighty --help` has it.
        app.registered_groups = load_groups(list(GROUP_MODULES))
        try:
            with pytest.raises(SystemExit):
                app(["--help"], prog_name="mighty")
        finally:
            app.registered_groups = []
        assert fast == capsys.readouterr().out, columns
