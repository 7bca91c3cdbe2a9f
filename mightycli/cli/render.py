"""What the command line draws by hand for people and for --json: the login URL, the live wait
line, logins and their expiry, and the outcome of logging in and out. Free of Typer; rich only
for the live line on a terminal (through ``mightycli.cli.output``)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from mightycli import config
from mightycli.cli.output import (
    LIVE,
    emit_json,
    emit_lines,
    emit_marked_lines,
    json_key,
    say,
    stderr_console,
)
from mightycli.environment import Env


def show_url(url: str, opening: bool = False) -> None:
    from urllib.parse import urlsplit

    lead = (
        f"Opening your browser at {urlsplit(url).netloc}. If it does not open, visit:"
        if opening
        else "Open this URL in a browser to log in:"
    )
    # Written raw, whole on one line: a renderer would wrap it and break copy and paste.
    sys.stderr.write(f"{lead}\n\n    {url}\n\n")
    sys.stderr.flush()


def minutes(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class WaitLine:
    """The live line while the browser is away, on a terminal only: a spinner, the time waited
    and the time limit. Elsewhere the plain lines mighty prints say the same. While a person
    types (``hold``) it is taken away, and it comes back at the next tick after ``resume``."""

    def __init__(self) -> None:
        self.status: Any = None
        self.held = False

    def hold(self) -> None:
        self.held = True
        self._stop()

    def resume(self) -> None:
        self.held = False

    def _stop(self) -> None:
        if self.status is not None:
            self.status.stop()  # rich erases the line it drew, leaving the cursor at its start
            self.status = None
            LIVE.clear()

    def __call__(self, elapsed: float | None, limit: float) -> None:
        if elapsed is None or self.held:
            if elapsed is None:
                self._stop()
            return
        text = f"Waiting for the browser: {minutes(elapsed)} of {minutes(limit)} (Ctrl-C to cancel)"
        if self.status is not None:
            self.status.update(text)
        elif sys.stderr.isatty():
            from rich.status import Status

            console = stderr_console()
            self.status = Status(text, console=console)
            LIVE["console"] = console
            self.status.start()


# What a terminal sends that is not typed text: escape sequences (arrow keys, the marks of a
# bracketed paste) and control characters other than the few the paste line understands.
_NOT_TEXT = r"\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?|[\x00-\x07\x09\x0b\x0c\x0e-\x14\x16-\x1f]"


class PasteInput:
    """The terminal a redirect address may be pasted on while the live line runs.

    For the wait the terminal reads key by key without echo, so that the first key takes the
    live line away and what is typed or pasted is echoed here, on a line of its own, instead of
    on the live line (which would draw over it). Backspace and Ctrl-U edit it; Enter hands the
    line over. The terminal's own settings come back when the wait ends, and on SIGTERM."""

    def __init__(self, fd: int, line: WaitLine, out: Any = None) -> None:
        import codecs

        self.fd, self.line, self.out = fd, line, out or sys.stderr
        self.typed = ""
        self.saved: Any = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._signals: dict[int, Any] = {}

    def fileno(self) -> int:
        return self.fd

    def _key_by_key(self) -> None:
        import termios

        mode = termios.tcgetattr(self.fd)
        mode[3] &= ~(termios.ICANON | termios.ECHO)
        mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        termios.tcsetattr(self.fd, termios.TCSANOW, mode)

    def __enter__(self) -> PasteInput:
        import signal
        import termios
        import threading

        self.saved = termios.tcgetattr(self.fd)
        self._key_by_key()
        if threading.current_thread() is threading.main_thread():
            self._signals = {
                signal.SIGTERM: signal.signal(signal.SIGTERM, self._terminated),
                signal.SIGCONT: signal.signal(signal.SIGCONT, lambda *_: self._key_by_key()),
            }
        return self

    def __exit__(self, *exc: object) -> None:
        import signal
        import termios

        for signum, handler in self._signals.items():
            signal.signal(signum, handler)
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def _terminated(self, signum: int, frame: object) -> None:
        """Leave the terminal as it was found, then end as SIGTERM would have."""
        import signal
        import termios

        termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def read(self) -> bytes | None:
        """The lines completed by what the terminal sent, echoing it as it comes."""
        import re

        try:
            chunk = os.read(self.fd, 4096)
        except OSError:
            return None
        if not chunk:
            return None
        lines, echo = [], []
        for char in re.sub(_NOT_TEXT, "", self._decoder.decode(chunk)):
            if char in "\r\n":
                if self.typed:
                    lines.append(self.typed + "\n")
                    echo.append("\n")
                    self.typed = ""
            elif char in "\x7f\b":
                if self.typed:
                    self.typed = self.typed[:-1]
                    echo.append("\b \b")
            elif char == "\x15":  # Ctrl-U: the whole line
                echo.append("\b \b" * len(self.typed))
                self.typed = ""
            else:
                if not self.typed:
                    self.line.hold()
                self.typed += char
                echo.append(char)
        self.out.write("".join(echo))
        self.out.flush()
        if not self.typed:
            self.line.resume()
        return "".join(lines).encode()


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def _utc(timestamp: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _time_left(left: float) -> str:
    if left < 120:
        return f"{int(left)} s"
    if left < 7200:
        return f"{int(left // 60)} min"
    return f"{left / 3600:.1f} h"


def describe_expiry(expires_at: float | None, now: float) -> str:
    if expires_at is None:
        return "expiry unknown"
    left, when = expires_at - now, _utc(expires_at)
    if left <= 0:
        return f"expired ({when})"
    return f"expires in {_time_left(left)} ({when})"


def report_login(result: Any, as_json: bool) -> None:
    record = result.record
    say(
        f"Logged in to {result.identity.network_title or record.network} as "
        f"{result.identity.display_name}.",
        style="green",
    )
    replaced = {label: outcome.value for label, outcome in result.replaced.items()}
    if replaced:
        if all(value == "revoked" for value in replaced.values()):
            say("The login this one replaces was revoked at the server.")
        else:
            say(
                "The login this one replaces: "
                + "; ".join(f"{label}: {value}" for label, value in replaced.items())
                + ". It stays valid until it expires.",
                style="yellow",
            )
    if record.has_oauth and not record.has_refresh_token:
        say(not_renewable(record, time.time()), style="yellow")
    if as_json:
        replaced_json = {json_key(label): value for label, value in replaced.items()}
        emit_json({**login_json(record), "replaced_login": replaced_json or None})


def not_renewable(record: config.LoginRecord, now: float) -> str:
    """Why this login ends with its access token, in lines that fit a terminal, each command
    on a line of its own to copy."""
    expires_at = record.expires_at
    if expires_at is None:
        until = "It lasts until the access token expires; then run:"
    elif expires_at <= now:
        until = f"Its access token expired at {_utc(expires_at)}; run:"
    else:
        left = _time_left(expires_at - now)
        until = (
            f"It lasts until the access token expires in {left}, at {_utc(expires_at)}; then run:"
        )
    return "\n".join(
        (
            "This login is not renewable: the server issued no refresh token, as public "
            "applications get none.",
            until,
            f"  mighty login --network {record.network}",
            "For a login that renews itself, use a confidential application and give its client "
            "secret once:",
            f"  mighty login --network {record.network} --client-id <id> --client-secret-stdin "
            "< secret-file",
        )
    )


def login_json(record: config.LoginRecord) -> dict[str, Any]:
    return {
        "network": record.network,
        "network_title": record.network_title,
        "network_id": record.network_id,
        "oauth": record.has_oauth,
        "user": record.user_name,
        "user_id": record.user_id,
        "scopes": list(record.scopes),
        "expires_at": iso(record.expires_at),
        "refresh_token": record.has_refresh_token,
        "renewable": record.has_refresh_token if record.has_oauth else None,
        "confidential": record.confidential if record.has_oauth else None,
        "admin_token": record.has_admin_token,
        "admin_user": record.admin_user_name,
        "storage": record.storage,
    }


def status_json(s: Any, now: float) -> dict[str, Any]:
    return {
        **login_json(s.record),
        "default": s.is_default,
        "expired": s.record.expires_at is not None and s.record.expires_at <= now,
        "access_token": s.has_access_token,
        "refresh_token": s.has_refresh_token,
        "admin_token": s.has_admin_token,
        "storage": s.storage,
        "encrypted": s.encrypted,
        "problem": s.problem,
    }


def status_lines(s: Any, now: float) -> list[str]:
    """One stored login, for people."""
    r = s.record
    title = f" - {r.network_title}" if r.network_title else ""
    lines = [f"{r.network}{' (default)' if s.is_default else ''}{title}"]
    if s.problem:
        lines.append(f"  tokens:         cannot be read: {s.problem}")
    if r.has_oauth:
        lines.append(f"  user:           {r.user_name or 'unknown'} (OAuth, GraphQL API)")
        lines.append(f"  scopes:         {' '.join(r.scopes) or '(none)'}")
        if s.has_access_token is False:
            lines.append("  access token:   missing from the keyring (run mighty login)")
        elif s.has_access_token:
            lines.append(f"  access token:   {describe_expiry(r.expires_at, now)}")
        refresh = {True: "yes", False: "no", None: "unknown"}[s.has_refresh_token]
        lines.append(f"  refresh token:  {refresh}")
        if not r.has_refresh_token:
            lines.append(
                "  renewable:      no - lasts until the access token expires, then: "
                f"mighty login --network {r.network}"
            )
        elif r.confidential:
            lines.append("  renewable:      yes (confidential application)")
    if r.has_admin_token:
        state_text = " (missing from the keyring)" if s.has_admin_token is False else ""
        lines.append(
            f"  admin token:    acting as {r.admin_user_name or 'unknown'} (Admin API){state_text}"
        )
    lines.append(f"  stored in:      {s.storage}")
    return lines


def login_choices(records: list[config.LoginRecord], default: str | None) -> list[str]:
    """The stored logins, numbered for a person to pick one: network, title and user."""
    lines = ["Stored logins:"]
    for number, r in enumerate(records, 1):
        mark = " (default)" if r.network == default else ""
        user = r.user_name or r.admin_user_name
        about = ", ".join(part for part in (r.network_title, user) if part)
        lines.append(f"  {number}. {r.network}{mark}" + (f" - {about}" if about else ""))
    return lines


def report_logout(target: str, result: Any) -> None:
    if result.left_behind:
        say(result.left_behind, style="yellow")
    if not result.was_logged_in:
        say(f"Not logged in to {target}; nothing to do.")
        return
    for label, outcome in result.revocations.items():
        say(f"{label[0].upper()}{label[1:]}: {outcome.value}.")
    if result.had_admin_token:
        say(
            "Admin API token: forgotten here; it stays valid until you delete it in "
            "Network Admin > Settings > API Keys."
        )
    say(f"Logged out of {target}.", style="green")


def report_pending(pending: Any, as_json: bool) -> None:
    """--no-wait: the authorization URL and what to run once the browser has been."""
    next_step = "mighty login --complete '<the address your browser shows after approving>'"
    if as_json:
        emit_json(
            {
                "authorization_url": pending.authorization_url,
                "redirect_uri": pending.redirect_uri,
                "network": pending.network,
                "expires_at": iso(pending.expires_at),
                "next": next_step,
            }
        )
        return
    show_url(pending.authorization_url)
    say(
        f"After approving, the browser goes to {pending.redirect_uri}?... (the page will "
        "not load; nothing listens there). Within ten minutes, run:"
    )
    sys.stderr.write(f"  {next_step}\n")


def report_statuses(statuses: list[Any], env_token: bool, state_file: str, as_json: bool) -> None:
    """Every stored login, as JSON or as lines for people."""
    now = time.time()
    if as_json:
        emit_json(
            {
                "mighty_token_env": env_token,
                "state_file": state_file,
                "logins": [status_json(s, now) for s in statuses],
            }
        )
        return
    paragraphs: list[list[str]] = []
    if env_token:
        paragraphs.append(
            [f"{Env.TOKEN} is set: it overrides stored logins for token, whoami and api."]
        )
    paragraphs += [status_lines(s, now) for s in statuses]
    # One paragraph per login, a blank line between them.
    emit_lines([line for i, p in enumerate(paragraphs) for line in ([""] if i else []) + p])


def report_checks(checks: list[Any], default: str | None, as_json: bool) -> None:
    """What the server said about each stored credential."""
    if as_json:
        emit_json(
            [
                {
                    "network": c.network,
                    "api": c.api,
                    "ok": c.ok,
                    "default": c.network == default,
                    "detail": c.detail,
                    "hint": c.hint,
                }
                for c in checks
            ]
        )
        return
    good, bad = check_marks()
    lines: list[tuple[tuple[str, str] | None, str]] = []
    for c in checks:
        label = " (default)" if c.network == default else ""
        verdict = "ok" if c.ok else "FAILED"
        mark = (good, "green") if c.ok else (bad, "red")
        lines.append((mark, f" {c.network}{label} {c.api}: {verdict}, {c.detail}"))
        if c.hint and not c.ok:
            lines.append((None, f"  {c.hint}"))
    emit_marked_lines(lines)


def check_marks() -> tuple[str, str]:
    """✓ and ✗, where stdout can carry them (else + and x)."""
    try:
        "\u2713\u2717".encode(sys.stdout.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return "+", "x"
    return "\u2713", "\u2717"


def logouts_json(results: list[Any]) -> None:
    emit_json(
        [
            {
                "network": r.network,
                "was_logged_in": r.was_logged_in,
                "revocations": {json_key(k): v.value for k, v in r.revocations.items()},
                "admin_token_forgotten": r.had_admin_token,
                "left_behind": r.left_behind,
            }
            for r in results
        ]
    )
