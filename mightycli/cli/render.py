"""What the command line draws by hand for people and for --json: the login URL, the live wait
line, logins and their expiry, and the outcome of logging in and out. Free of Typer; rich only
for the live line on a terminal (through ``mightycli.cli.output``)."""

from __future__ import annotations

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
    and the time limit. Elsewhere the plain lines mighty prints say the same."""

    def __init__(self) -> None:
        self.status: Any = None

    def __call__(self, elapsed: float | None, limit: float) -> None:
        if elapsed is None:
            if self.status is not None:
                self.status.stop()
                self.status = None
                LIVE.clear()
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


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def describe_expiry(expires_at: float | None, now: float) -> str:
    if expires_at is None:
        return "expiry unknown"
    import datetime as dt

    left = expires_at - now
    when = dt.datetime.fromtimestamp(expires_at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if left <= 0:
        return f"expired ({when})"
    if left < 120:
        return f"expires in {int(left)} s ({when})"
    if left < 7200:
        return f"expires in {int(left // 60)} min ({when})"
    return f"expires in {left / 3600:.1f} h ({when})"


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
    until = describe_expiry(record.expires_at, now)
    return (
        "This login is not renewable: the server issued no refresh token (public applications "
        f"get none), so it lasts until the access token expires ({until}); "
        f"then run: mighty login --network {record.network}. For logins that renew themselves, "
        "use a confidential application and give its client secret once: mighty login "
        f"--network {record.network} --client-id <id> --client-secret-stdin < secret-file"
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
