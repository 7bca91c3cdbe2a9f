"""Whether a browser can be opened here, and how.

A browser opened on the wrong machine (over SSH), on no screen at all, or in a text-mode browser
is worse than none: the login then waits for a page nobody sees. In those cases mighty prints
the URL and offers the other ways to finish the login instead.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mightycli.environment import Env
from mightycli.errors import UsageError

TEXT_BROWSERS = frozenset({"www-browser", "lynx", "w3m", "links", "links2", "elinks", "browsh"})
# Never handed to a browser process: it has no use for them, and may pass its environment on.
SECRET_ENVIRONMENT = frozenset({Env.CLIENT_SECRET.value, Env.TOKEN.value})
# The variable through which the PowerShell opener receives the URL: a value read from the
# environment is never parsed as PowerShell, whatever quote characters it holds.
URL_VARIABLE = Env.BROWSER_URL.value
# RFC 3986 characters (unreserved, reserved, and % for escapes) without the apostrophe: a URL
# made of these is plain ASCII with nothing a shell or PowerShell reads as a quote or a space.
_URL_TEXT = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Runs webbrowser in a child with a cleaned environment: the browser it starts inherits that.
_OPEN_IN_CHILD = "import sys, webbrowser; sys.exit(0 if webbrowser.open(sys.argv[1]) else 1)"


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


def check_browser_url(url: str) -> str:
    """Refuse a URL no browser opener should be given: anything but https (or http to a
    loopback address), and anything but percent-encoded ASCII without quotes or spaces."""
    from mightycli.config import is_loopback_host

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if (
        parts is None
        or not _URL_TEXT.fullmatch(url)
        or _BAD_ESCAPE.search(url)
        or not host
        or not (parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(host)))
    ):
        raise UsageError(
            "Refusing to open an authorization URL that is not a plain https address.",
            hint="The authorization server's metadata may be hostile; check --issuer.",
        )
    return url


def browser_environment(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without the secrets a browser process must not inherit."""
    return {k: v for k, v in env.items() if k not in SECRET_ENVIRONMENT}


def _run_opener(command: list[str], env: Mapping[str, str], *, wait: bool = False) -> bool:
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(env),
        )
    except OSError:
        return False
    return process.wait() == 0 if wait else True


def _checked(opener: Callable[[str], bool]) -> Callable[[str], bool]:
    def open_url(url: str) -> bool:
        return opener(check_browser_url(url))

    return open_url


def python_webbrowser(env: Mapping[str, str]) -> Callable[[str], bool]:
    """Python's webbrowser rules (BROWSER, then the desktop's default), run in a child process
    whose environment holds no secrets; it returns once the opener has."""
    clean = browser_environment(env)
    return _checked(
        lambda url: _run_opener([sys.executable, "-I", "-c", _OPEN_IN_CHILD, url], clean, wait=True)
    )


def open_browser(url: str) -> bool:
    """Open ``url`` by Python's webbrowser rules, without this process's secrets."""
    import os

    return python_webbrowser(os.environ)(url)


def _windows_from_wsl(
    which: Callable[[str], str | None], env: Mapping[str, str]
) -> Callable[[str], bool] | None:
    clean = browser_environment(env)
    if which("wslview"):
        return _checked(lambda url: _run_opener(["wslview", url], clean))
    powershell = which("powershell.exe")
    if powershell:
        # Start-Process hands the URL to Windows' default browser. The URL travels in the
        # environment, never inside the command text: PowerShell treats the typographic quotes
        # as quotes too, so no escaping of a string literal can be trusted.
        command = [
            powershell,
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            f"Start-Process -FilePath $env:{URL_VARIABLE}",
        ]
        return _checked(lambda url: _run_opener(command, {**clean, URL_VARIABLE: url}))
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
        return BrowserChoice(python_webbrowser(env), None, remote)
    if platform.startswith("linux") and _is_wsl(env, proc_version):
        opener = _windows_from_wsl(which, env)
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
        return BrowserChoice(
            None, "there is no graphical display, as neither DISPLAY nor WAYLAND_DISPLAY is set"
        )
    name = (default_browser or _default_browser_name)()
    if name is None:
        return BrowserChoice(None, "no web browser was found")
    if Path(name).name.lower() in TEXT_BROWSERS:
        return BrowserChoice(None, f"the only browser found is the text-mode {name}")
    return BrowserChoice(python_webbrowser(env), None)


def _default_browser_name() -> str | None:
    try:
        controller = webbrowser.get()
    except webbrowser.Error:
        return None
    return str(getattr(controller, "name", "") or type(controller).__name__)
