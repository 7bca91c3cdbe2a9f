from __future__ import annotations

import webbrowser

import pytest

from mightycli.launcher import choose_browser


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
    assert choice.usable and choice.opener is webbrowser.open


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
        assert _choose(env).opener is webbrowser.open


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
