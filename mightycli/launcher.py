"""Whether a browser can be opened here, and how.

A browser opened on the wrong machine (over SSH), on no screen at all, or in a text-mode browser
is worse than none: the login then waits for a page nobody sees. In those cases mighty prints
the URL and offers the other ways to finish the login instead.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

TEXT_BROWSERS = frozenset({"www-browser", "lynx", "w3m", "links", "links2", "elinks", "browsh"})


@dataclass(frozen=True)
class BrowserChoice:
    opener: Callable[[str], bool] | None  # None: do not open a browser
    reason: str | None = None  # why not, for the user
    remote: bool = False  # an SSH session: the browser is on another machine

    @property
    def usable(self) -> bool:
        return self.opener is not None


def _is_wsl(env: Mapping[str, str], proc_version: Callable[[], str]) -> bool:
    if env.get("WSL_DISTRO_NAME") or env.get("WSL_INTEROP"):
        return True
    return "microsoft" in proc_version().lower()


def _read_proc_version() -> str:
    try:
        return Path("/proc/version").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _run_opener(command: list[str]) -> bool:
    try:
        subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    except OSError:
        return False
    return True


def _windows_from_wsl(which: Callable[[str], str | None]) -> Callable[[str], bool] | None:
    if which("wslview"):
        return lambda url: _run_opener(["wslview", url])
    powershell = which("powershell.exe")
    if powershell:
        # Start-Process hands the URL to Windows' default browser; single quotes are doubled so
        # the URL stays one literal string.
        def open_windows(url: str) -> bool:
            literal = url.replace("'", "''")
            return _run_opener([powershell, "-NoProfile", "-Command", f"Start-Process '{literal}'"])

        return open_windows
    return None


def choose_browser(
    env: Mapping[str, str],
    *,
    no_browser: bool = False,
    platform: str = sys.platform,
    which: Callable[[str], str | None] = shutil.which,
    proc_version: Callable[[], str] = _read_proc_version,
    default_browser: Callable[[], str | None] | None = None,
) -> BrowserChoice:
    """Decide how to open the authorization page, or explain why not."""
    remote = bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY") or env.get("SSH_CLIENT"))
    if no_browser:
        return BrowserChoice(None, "--no-browser was given", remote)
    if env.get("BROWSER"):
        # The user's explicit choice always wins (Python's webbrowser reads it).
        return BrowserChoice(webbrowser.open, None, remote)
    if platform.startswith("linux") and _is_wsl(env, proc_version):
        opener = _windows_from_wsl(which)
        if opener is not None:
            return BrowserChoice(opener, None, remote)
        return BrowserChoice(None, "this is WSL without wslview or powershell.exe", remote)
    if remote:
        return BrowserChoice(
            None, "this is an SSH session; a browser here would not reach you", True
        )
    if platform not in ("darwin", "win32", "cygwin") and not (
        env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    ):
        return BrowserChoice(None, "there is no graphical display (DISPLAY is not set)")
    name = (default_browser or _default_browser_name)()
    if name is None:
        return BrowserChoice(None, "no web browser was found")
    if Path(name).name.lower() in TEXT_BROWSERS:
        return BrowserChoice(None, f"the only browser found is the text-mode {name}")
    return BrowserChoice(webbrowser.open, None)


def _default_browser_name() -> str | None:
    try:
        controller = webbrowser.get()
    except webbrowser.Error:
        return None
    return str(getattr(controller, "name", "") or type(controller).__name__)
