from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from hostile import HOSTILE_AUTHORIZATION_ENDPOINTS

from mightycli.errors import UsageError
from mightycli.launcher import check_browser_url, choose_browser


def _choose(env: dict[str, str], **kwargs: object):  # type: ignore[no-untyped-def]
    defaults: dict[str, object] = {
        "platform": "linux",
        "which": lambda name: None,
        "proc_version": lambda: "Linux version 6.1.0-amd64",
        "default_browser": lambda: "firefox",
    }
    defaults.update(kwargs)
    return choose_browser(env, **defaults)  # type: ignore[arg-type]


def test_desktop_with_a_display_opens_the_browser() -> None:
    choice = _choose({"DISPLAY": ":0"})
    assert choice.usable and choice.reason is None


@pytest.mark.parametrize(
    ("env", "kwargs", "reason"),
    [
        ({"SSH_CONNECTION": "1 2 3 4", "DISPLAY": "localhost:10"}, {}, "SSH"),
        ({"SSH_TTY": "/dev/pts/1"}, {}, "SSH"),
        ({}, {}, "no graphical display"),
        (
            {"WAYLAND_DISPLAY": "wayland-0"},
            {"default_browser": lambda: "/usr/bin/w3m"},
            "text-mode",
        ),
        ({"DISPLAY": ":0"}, {"default_browser": lambda: "www-browser"}, "text-mode"),
        ({"DISPLAY": ":0"}, {"default_browser": lambda: None}, "no web browser"),
        ({"WSL_DISTRO_NAME": "Debian"}, {}, "WSL"),
    ],
)
def test_where_no_browser_can_be_used(env, kwargs, reason) -> None:  # type: ignore[no-untyped-def]
    choice = _choose(env, **kwargs)
    assert not choice.usable and reason in (choice.reason or "")


def test_ssh_is_flagged_remote() -> None:
    assert _choose({"SSH_CONNECTION": "1 2 3 4"}).remote


def test_browser_variable_always_wins() -> None:
    for env in ({"BROWSER": "firefox"}, {"BROWSER": "x", "SSH_TTY": "/dev/pts/0"}):
        choice = _choose(env, default_browser=lambda: None)
        assert choice.usable and choice.reason is None


def test_no_browser_flag() -> None:
    choice = _choose({"BROWSER": "firefox", "DISPLAY": ":0"}, no_browser=True)
    assert not choice.usable and "--no-browser" in (choice.reason or "")


def test_wsl_uses_wslview_or_windows() -> None:
    wsl = {"proc_version": lambda: "Linux 5.15.90.1-microsoft-standard-WSL2"}
    via_wslview = _choose({}, which=lambda n: "/usr/bin/wslview" if n == "wslview" else None, **wsl)
    assert via_wslview.usable
    via_powershell = _choose(
        {}, which=lambda n: "/mnt/c/ps/powershell.exe" if n == "powershell.exe" else None, **wsl
    )
    assert via_powershell.usable


def test_macos_and_windows_need_no_display() -> None:
    assert _choose({}, platform="darwin").usable
    assert _choose({}, platform="win32").usable


def _recorder(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """An executable that writes its arguments and environment to a JSON file."""
    record = tmp_path / f"{name}.json"
    script = tmp_path / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'env': dict(os.environ)}}, open({str(record)!r}, 'w'))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


def _wait_for(path: Path) -> dict[str, object]:
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError):
            time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


URL = "https://issuer.example/oauth/authorize?state=abc&scope=read%3Anetwork"


def test_powershell_gets_the_url_from_the_environment_never_the_command(tmp_path: Path) -> None:
    script, record = _recorder(tmp_path, "powershell.exe")
    env = {**os.environ, "MIGHTY_TOKEN": "tok-secret", "MIGHTY_CLIENT_SECRET": "cs-secret"}
    choice = _choose(
        env,
        which=lambda n: str(script) if n == "powershell.exe" else None,
        proc_version=lambda: "Linux 5.15.90.1-microsoft-standard-WSL2",
    )
    assert choice.opener is not None and choice.opener(URL)
    seen = _wait_for(record)
    argv, child_env = seen["argv"], seen["env"]
    assert isinstance(argv, list) and isinstance(child_env, dict)
    assert not any("issuer.example" in arg for arg in argv)
    assert child_env["MIGHTY_BROWSER_URL"] == URL
    assert "MIGHTY_TOKEN" not in child_env and "MIGHTY_CLIENT_SECRET" not in child_env


@pytest.mark.parametrize("url", HOSTILE_AUTHORIZATION_ENDPOINTS)
def test_openers_refuse_hostile_urls(tmp_path: Path, url: str) -> None:
    script, record = _recorder(tmp_path, "powershell.exe")
    choice = _choose(
        dict(os.environ),
        which=lambda n: str(script) if n == "powershell.exe" else None,
        proc_version=lambda: "microsoft",
    )
    assert choice.opener is not None
    with pytest.raises(UsageError):
        choice.opener(url)
    assert not record.exists()


@pytest.mark.parametrize(
    "url",
    [URL, "http://127.0.0.1:4010/oauth/authorize?a=%20b", "http://localhost:1/x", "https://[::1]/"],
)
def test_plain_urls_may_be_opened(url: str) -> None:
    assert check_browser_url(url) == url


def test_the_browser_inherits_no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script, record = _recorder(tmp_path, "browser")
    monkeypatch.setenv("BROWSER", str(script))
    monkeypatch.setenv("MIGHTY_TOKEN", "tok-secret-value")
    monkeypatch.setenv("MIGHTY_CLIENT_SECRET", "client-secret-value")
    monkeypatch.setenv("MIGHTY_NETWORK", "kept")
    choice = choose_browser(os.environ)
    assert choice.opener is not None and choice.opener(URL)
    seen = _wait_for(record)
    assert seen["argv"] == [URL]
    child_env = seen["env"]
    assert isinstance(child_env, dict) and child_env.get("MIGHTY_NETWORK") == "kept"
    assert "MIGHTY_TOKEN" not in child_env and "MIGHTY_CLIENT_SECRET" not in child_env
    assert "secret-value" not in json.dumps(child_env)


def test_why_no_browser_opens_reads_as_one_sentence() -> None:
    from conftest import nested_parentheses

    from mightycli.logins.flow import _explain_manual_login

    said: list[str] = []
    _explain_manual_login(said.append, 3000, _choose({}).reason, None)
    assert said[0] == (
        "Not opening a browser here: there is no graphical display, as neither DISPLAY nor "
        "WAYLAND_DISPLAY is set."
    )
    assert not nested_parentheses("\n".join(said))
