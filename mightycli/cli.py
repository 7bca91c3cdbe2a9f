"""The full command line (Typer): each command parses, calls one library function, and renders.

The only module that imports typer. The console script starts in ``mightycli.entry``, which
runs ``token``, ``whoami`` and ``api`` without building this app when their arguments read
plainly, and comes here for everything else; the commands both routes run are in
``mightycli.commands``, and what they write goes through ``mightycli.output``. ``main`` is the
error boundary of this route, built from the same pieces as the fast route's.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import signal
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

import typer
from typer._click import _textwrap
from typer.core import TyperArgument, TyperCommand

from mightycli import commands, config
from mightycli import settings as setting
from mightycli.environment import Env
from mightycli.errors import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    NotLoggedInError,
    UsageError,
)
from mightycli.output import (
    LIVE,
    emit_json,
    emit_lines,
    enable_debug,
    guarded,
    interrupted,
    json_key,
    say,
    stderr_console,
    use_jq,
    utf8_text,
)
from mightycli.settings import Settings
from mightycli.version import __version__

EXIT_CODES_HELP = (
    "Exit codes: 0 success, 1 failure, 2 usage or configuration error, "
    "4 authentication required (not logged in, session expired), 130 interrupted."
)

app = typer.Typer(
    name="mighty",
    help=(
        "Command-line client for Mighty Networks: log in through your browser, keep tokens in the "
        "OS keyring, and call the APIs.\n\n"
        "Start with: mighty login --network <subdomain> --client-id <id>\n\n" + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals can hold tokens
    # Plain help and usage errors: identical in `mighty --help` (rendered without building the
    # command line, see _fast_help) and every command's help, and no rich import to pay for.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


class _WholeWords(_textwrap.TextWrapper):
    """Help text wraps at spaces only, so an option name (--client-secret-stdin), a URL or a
    default value is never split, whatever the width: a word longer than the line overflows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(break_on_hyphens=False, break_long_words=False)
        super().__init__(*args, **kwargs)

    def _handle_long_word(
        self, reversed_chunks: list[str], cur_line: list[str], cur_len: int, width: int
    ) -> None:
        # The standard library's own handling, which honours break_long_words=False.
        textwrap.TextWrapper._handle_long_word(self, reversed_chunks, cur_line, cur_len, width)


# Typer's vendored help formatter looks its wrapper up here each time it wraps.
_textwrap.TextWrapper = _WholeWords  # type: ignore[misc]


class _Argument(TyperArgument):
    """An argument shown by its name alone (NETWORK), not as {NETWORK} and NETWORK <str>."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        return name if self.required else f"[{name}]"

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class _Command(TyperCommand):
    """A command whose arguments read as their names, like the options' metavars."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _Argument


def complete_network(incomplete: str) -> list[str]:
    """Shell completion for a network: the stored logins' networks (logins.json, no keyring)."""
    try:
        logins = config.read_state(config.state_file_path()).logins
    except Exception:  # completion must never print an error into the shell
        return []
    return [name for name in sorted(logins) if name.startswith(incomplete)]


NetworkOption = Annotated[
    str | None,
    typer.Option(
        "--network",
        "-n",
        metavar="NETWORK",
        autocompletion=complete_network,
        help=f"Network subdomain, numeric id or community URL (default: {Env.NETWORK}, the "
        "config file, then the most recent login).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def _compile_jq(value: str | None) -> str | None:
    """A bad expression stops the command before it does anything: a usage error (exit 2)."""
    use_jq(value)
    return value


JQ_HELP = (
    "Print the JSON output filtered through a jq expression: strings raw, other values as "
    "JSON, one result per line."
)
JqOption = Annotated[
    str | None,
    typer.Option(
        "--jq", metavar="EXPRESSION", callback=_compile_jq, help=JQ_HELP, show_default=False
    ),
]


DEBUG_HELP = f"Log every HTTP exchange to stderr, secrets redacted (also {Env.DEBUG}=1)."
# Accepted after the command too (mighty whoami --debug), where people type it.
DebugOption = Annotated[
    bool, typer.Option("--debug", callback=enable_debug, is_eager=True, help=DEBUG_HELP)
]


def first_sentence(doc: str | None) -> str:
    """A command's summary for the command list: the first sentence of its docstring."""
    paragraph = " ".join((doc or "").strip().split("\n\n")[0].split())
    end = re.search(r"[.!?](?=\s|$)", paragraph)
    return paragraph[: end.end()] if end else paragraph


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command whose summary is its docstring's first sentence, never a cut line."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        summary = first_sentence(function.__doc__)
        return app.command(name, short_help=summary, cls=_Command)(function)

    return register


# --------------------------------------------------------------------------- output helpers


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


def _minutes(seconds: float) -> str:
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
        text = (
            f"Waiting for the browser: {_minutes(elapsed)} of {_minutes(limit)} (Ctrl-C to cancel)"
        )
        if self.status is not None:
            self.status.update(text)
        elif sys.stderr.isatty():
            from rich.status import Status

            console = stderr_console()
            self.status = Status(text, console=console)
            LIVE["console"] = console
            self.status.start()


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def _describe_expiry(expires_at: float | None, now: float) -> str:
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


def _login_store(insecure: bool, settings: Settings, network: str) -> Any:
    """Where a new login's secrets go: the keyring, unless the user opted in to a file."""
    from mightycli.tokens import STORAGE_FILE, STORAGE_KEYRING, open_store, token_file_path

    kind = STORAGE_FILE if insecure else settings.resolve(setting.STORAGE, network=network)
    kind = str(kind or STORAGE_KEYRING).strip().lower()
    if kind not in (STORAGE_FILE, STORAGE_KEYRING):
        raise UsageError(
            f"Unknown storage {kind!r} (from {Env.STORAGE} or the config file).",
            hint=f"Use {STORAGE_KEYRING} (the default) or {STORAGE_FILE}.",
        )
    store = open_store(kind)
    if kind == STORAGE_FILE:
        say(
            f"Warning: tokens will be kept unencrypted in {token_file_path()}, "
            "readable only by you. Anyone with your account's files can use them.",
            style="yellow",
        )
    return store


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"mighty {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar=Env.DEBUG.value, callback=enable_debug, help=DEBUG_HELP),
    ] = False,
) -> None:
    """The options before the command; each does its work in its callback."""


# --------------------------------------------------------------------------- login


def _ask(what: str, flag: str, env_name: Env | None) -> str:
    if not _interactive():
        also = f" or set {env_name}" if env_name else ""
        raise UsageError(f"No {what} given.", hint=f"Pass {flag}{also}.")
    value = str(typer.prompt(what[0].upper() + what[1:], err=True)).strip()
    if not value:
        raise UsageError(f"No {what} given.", hint=f"Pass {flag}.")
    return value


def _read_stdin_line(what: str) -> str:
    return utf8_text(sys.stdin.buffer.readline(), what)


def _read_secret_from_stdin(what: str) -> str:
    """A secret from standard input: typed without echo on a terminal, else read whole."""
    if sys.stdin.isatty():
        if not sys.stderr.isatty():
            raise UsageError(f"No {what} on standard input.", hint="Pipe it in: ... < token-file")
        return str(typer.prompt(f"Paste the {what}", hide_input=True, err=True))
    return utf8_text(sys.stdin.buffer.read(), what)


def _parse_scopes(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    scopes: list[str] = []
    for value in values:
        for scope in str(value).replace(",", " ").split():
            if scope not in scopes:
                scopes.append(scope)
    return tuple(scopes)


@command()
def login(
    network: NetworkOption = None,
    client_id: Annotated[
        str | None,
        typer.Option(
            "--client-id",
            metavar="ID",
            help=f"The OAuth application's client id (env {Env.CLIENT_ID}; logging in again "
            "reuses the stored one). For a confidential application, add --client-secret-stdin "
            f"or set {Env.CLIENT_SECRET}.",
            show_default=False,
        ),
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            "-s",
            metavar="SCOPE",
            help="A scope to request; repeat for more.  [default: read:userinfo read:network]",
            show_default=False,
        ),
    ] = None,
    redirect_uri: Annotated[
        str | None,
        typer.Option(
            "--redirect-uri",
            metavar="URI",
            help="Redirect URI registered on the application, exactly.  "
            f"[default: {config.DEFAULT_REDIRECT_URI}]",
            show_default=False,
        ),
    ] = None,
    issuer: Annotated[
        str | None,
        typer.Option(
            "--issuer",
            metavar="URL",
            help=f"Authorization server, if not https://<subdomain>.mn.co (env {Env.ISSUER}).",
            show_default=False,
        ),
    ] = None,
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            metavar="URL",
            help=f"API base URL (env {Env.API_URL}).  [default: {config.DEFAULT_API_URL}]",
            show_default=False,
        ),
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser; only print the URL.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help=f"Seconds to wait for the browser.  [default: {config.DEFAULT_LOGIN_TIMEOUT:g}]",
            show_default=False,
        ),
    ] = None,
    insecure_storage: Annotated[
        bool,
        typer.Option(
            "--insecure-storage",
            help="Keep the tokens in a plain file (mode 0600) instead of the OS keyring "
            f"(also {Env.STORAGE}=file).",
        ),
    ] = False,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait",
            help="Only print the authorization URL (and, with --json, what to run next); finish "
            "later with --complete.",
        ),
    ] = False,
    complete: Annotated[
        str | None,
        typer.Option(
            "--complete",
            metavar="ADDRESS",
            help="Finish a --no-wait login from the address the browser was sent to after "
            "approving (- reads it from stdin, which keeps it out of shell history).",
            show_default=False,
        ),
    ] = None,
    client_secret_stdin: Annotated[
        bool,
        typer.Option(
            "--client-secret-stdin",
            help="Read a confidential application's client secret from standard input (typed "
            "without echo on a terminal) and keep it in the keyring with the login, so the login "
            f"renews itself. {Env.CLIENT_SECRET}, when set, wins.",
        ),
    ] = False,
    with_token: Annotated[
        bool,
        typer.Option(
            "--with-token",
            help="Read an Admin API token from standard input instead of opening a browser.",
        ),
    ] = False,
    as_json: JsonOption = False,
    jq: JqOption = None,
    debug: DebugOption = False,
) -> None:
    """Log in to a network through the browser and keep the tokens in the OS keyring.

    Opens the network's authorization page; after you approve, the browser returns to a one-shot
    server on this machine and mighty stores the tokens. With --with-token, stores an Admin API
    token (Network Admin > Settings > API Keys) read from standard input, for the REST Admin API.
    Logging in again needs only the network (or nothing, for the default login): the stored
    login's client id, issuer, API URL, scopes and redirect URI are reused, and the login it
    replaces is revoked.

    \b
    Examples:
      mighty login --network mycommunity --client-id abc123
      mighty login -n mycommunity --client-id abc123 -s read:posts -s read:network
      mighty login --with-token --network mycommunity < admin-token.txt
    """
    as_json = as_json or jq is not None
    settings = Settings.load()
    if complete is not None:
        if no_wait or with_token:
            raise UsageError("--complete finishes a login: it goes with no other mode.")
        if complete == "-" and client_secret_stdin:
            raise UsageError("Standard input can carry the address or the client secret, not both.")
        _complete_login(
            complete, network or "", insecure_storage, settings, client_secret_stdin, as_json
        )
        return
    ref = config.parse_network(_login_network(network, settings))
    if with_token:
        oauth_only = (client_id, scope, redirect_uri, issuer, no_browser, client_secret_stdin)
        if any(oauth_only) or timeout is not None:
            raise UsageError(
                "--with-token takes only --network and --api-url: an Admin API token needs no "
                "OAuth application."
            )
        _login_with_token(ref.key, api_url, settings, insecure_storage, as_json)
        return
    given = _LoginFlags(client_id, scope, redirect_uri, issuer, api_url, timeout, no_browser)
    options = _oauth_options(ref, given, settings, client_secret_stdin)
    store = _login_store(insecure_storage, settings, ref.key)
    if no_wait:
        _start_login(options, store, as_json)
    else:
        _browser_login(options, store, no_browser, as_json)


def _login_network(option: str | None, settings: Settings) -> str:
    """The network to log in to; logging in again needs none (the default login's)."""
    default_login = config.read_state(config.state_file_path()).default
    value = settings.resolve(setting.NETWORK, option, stored=default_login, default=False)
    if not value:
        value = _ask("network (subdomain, id or URL)", "--network <subdomain>", Env.NETWORK)
    return str(value)


def _complete_login(
    complete: str,
    network: str,
    insecure: bool,
    settings: Settings,
    client_secret_stdin: bool,
    as_json: bool,
) -> None:
    """--complete: finish a --no-wait login from the address the browser was sent to."""
    from mightycli import logins as login_flow

    address = _read_stdin_line("address") if complete == "-" else complete
    secret, keep = _client_secret(network, "", None, client_secret_stdin, settings)
    result = login_flow.complete_login(
        address,
        store=_login_store(insecure, settings, network),
        state_path=config.state_file_path(),
        notify=say,
        client_secret=secret,
        keep_secret=keep,
    )
    _report_login(result, as_json)


def _login_with_token(
    key: str, api_url: str | None, settings: Settings, insecure: bool, as_json: bool
) -> None:
    from mightycli import logins as login_flow

    stored = config.read_state(config.state_file_path()).logins.get(key)
    the_api_url = settings.text(
        setting.API_URL, api_url, network=key, stored=stored.api_url if stored else None
    )
    record, identity = login_flow.login_with_token(
        key,
        config.check_endpoint_url(str(the_api_url), "API URL"),
        _read_secret_from_stdin("Admin API token"),
        store=_login_store(insecure, settings, key),
        state_path=config.state_file_path(),
    )
    say(
        f"Stored the Admin API token for {identity.network_title or key} "
        f"(acting as {identity.display_name}).",
        style="green",
    )
    if as_json:
        emit_json(_login_json(record))


def _start_login(options: Any, store: Any, as_json: bool) -> None:
    """--no-wait: print the authorization URL and what to run once the browser has been."""
    from mightycli import logins as login_flow

    pending = login_flow.start_login(
        options, store=store, state_path=config.state_file_path(), notify=say
    )
    next_step = "mighty login --complete '<the address your browser shows after approving>'"
    if as_json:
        emit_json(
            {
                "authorization_url": pending.authorization_url,
                "redirect_uri": pending.redirect_uri,
                "network": pending.network,
                "expires_at": _iso(pending.expires_at),
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


def _browser_login(options: Any, store: Any, no_browser: bool, as_json: bool) -> None:
    from mightycli import logins as login_flow
    from mightycli.launcher import choose_browser

    choice = choose_browser(os.environ, no_browser=no_browser)
    paste = not choice.usable and sys.stdin.isatty() and os.name == "posix"
    try:
        result = login_flow.login(
            options,
            store=store,
            state_path=config.state_file_path(),
            notify=say,
            show_url=show_url,
            browser=choice.opener,
            no_browser_reason=choice.reason,
            terminal=sys.stdin.fileno() if paste else None,
            waiting=WaitLine(),
        )
    except KeyboardInterrupt:
        say("\nLogin cancelled; nothing was stored.")
        raise
    _report_login(result, as_json)


@dataclass(frozen=True)
class _LoginFlags:
    client_id: str | None
    scope: list[str] | None
    redirect_uri: str | None
    issuer: str | None
    api_url: str | None
    timeout: float | None
    no_browser: bool


def _oauth_options(
    ref: config.NetworkRef,
    given: _LoginFlags,
    settings: Settings,
    client_secret_stdin: bool,
) -> Any:
    """Each setting from the flag, the environment, the config file, then the stored login
    for this network (logging in again needs no more than --network), then the default."""
    from mightycli import logins as login_flow
    from mightycli import oauth
    from mightycli.loopback import parse_redirect_uri

    key = ref.key
    stored = config.read_state(config.state_file_path()).logins.get(key)
    known = stored if stored is not None and stored.has_oauth else None

    def pick(which: setting.Setting, flag: Any, remembered: Any) -> Any:
        return settings.resolve(which, flag, network=key, stored=remembered)

    the_client_id = pick(setting.CLIENT_ID, given.client_id, known and known.client_id)
    if not the_client_id:
        the_client_id = _ask("client id", "--client-id <id>", Env.CLIENT_ID)
    the_client_id = str(the_client_id).strip()
    the_issuer = pick(setting.ISSUER, given.issuer, known and known.issuer) or ref.issuer
    if not the_issuer:
        raise UsageError(
            f"Cannot derive the community's address from the network id {key}.",
            hint="Pass --issuer https://<subdomain>.mn.co, or use the subdomain as --network.",
        )
    the_api_url = pick(setting.API_URL, given.api_url, stored and stored.api_url)
    the_redirect = str(pick(setting.REDIRECT_URI, given.redirect_uri, known and known.redirect_uri))
    scopes = _parse_scopes(pick(setting.SCOPES, given.scope, None) or [])
    if not scopes and known is not None:
        scopes = known.scopes
    the_timeout = pick(setting.TIMEOUT, given.timeout, None)
    try:
        wait = float(the_timeout)
    except (TypeError, ValueError):
        raise UsageError(f"The timeout {the_timeout!r} is not a number of seconds.") from None
    if wait <= 0:
        raise UsageError("The timeout must be a positive number of seconds.")
    parse_redirect_uri(the_redirect)
    secret, keep = _client_secret(key, the_client_id, known, client_secret_stdin, settings)
    return login_flow.LoginOptions(
        network=key,
        issuer=config.check_endpoint_url(str(the_issuer), "issuer"),
        api_url=config.check_endpoint_url(str(the_api_url), "API URL"),
        client=oauth.ClientCredentials(the_client_id, secret),
        scopes=scopes or config.DEFAULT_SCOPES,
        redirect_uri=the_redirect,
        timeout=wait,
        open_browser=not given.no_browser,
        keep_secret=keep,
    )


def _client_secret(
    network: str,
    client_id: str,
    known: config.LoginRecord | None,
    from_stdin: bool,
    settings: Settings,
) -> tuple[str | None, bool]:
    """A confidential application's secret, and whether to keep it in the keyring.

    The environment's secret wins (and stays there); then --client-secret-stdin; then
    the secret kept with the stored login of the same application.
    """
    from mightycli import debug

    env_secret = settings.environ(Env.CLIENT_SECRET)
    if env_secret:
        return env_secret, False
    if from_stdin:
        secret = _read_secret_from_stdin("client secret").strip()
        if not secret or any(c.isspace() for c in secret):
            raise UsageError("Pass only the client secret on standard input, nothing else.")
        debug.register_secret(secret)
        return secret, True
    if known is None or not known.confidential or known.client_id != client_id:
        return None, False
    from mightycli.tokens import open_store

    kept = (
        open_store(known.storage)
        .load(network, access=False, refresh=False, admin=False, client_secret=True)
        .client_secret
    )
    if kept:
        debug.register_secret(kept)
        return kept, True
    if _interactive():
        typed = str(typer.prompt("Client secret", hide_input=True, err=True)).strip()
        debug.register_secret(typed)
        return typed, True
    raise UsageError(
        f"The application {client_id} is confidential and no client secret is kept for it.",
        hint=f"Run: mighty login --network {network} --client-secret-stdin < secret-file "
        f"(or set {Env.CLIENT_SECRET}).",
    )


def _report_login(result: Any, as_json: bool) -> None:
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
        say(_not_renewable(record, time.time()), style="yellow")
    if as_json:
        replaced_json = {json_key(label): value for label, value in replaced.items()}
        emit_json({**_login_json(record), "replaced_login": replaced_json or None})


def _not_renewable(record: config.LoginRecord, now: float) -> str:
    until = _describe_expiry(record.expires_at, now)
    return (
        "This login is not renewable: the server issued no refresh token (public applications "
        f"get none), so it lasts until the access token expires ({until}); "
        f"then run: mighty login --network {record.network}. For logins that renew themselves, "
        "use a confidential application and give its client secret once: mighty login "
        f"--network {record.network} --client-id <id> --client-secret-stdin < secret-file"
    )


def _login_json(record: config.LoginRecord) -> dict[str, Any]:
    return {
        "network": record.network,
        "network_title": record.network_title,
        "network_id": record.network_id,
        "oauth": record.has_oauth,
        "user": record.user_name,
        "user_id": record.user_id,
        "scopes": list(record.scopes),
        "expires_at": _iso(record.expires_at),
        "refresh_token": record.has_refresh_token,
        "renewable": record.has_refresh_token if record.has_oauth else None,
        "confidential": record.confidential if record.has_oauth else None,
        "admin_token": record.has_admin_token,
        "admin_user": record.admin_user_name,
        "storage": record.storage,
    }


# --------------------------------------------------------------------------- whoami, token


@command()
def whoami(
    network: NetworkOption = None,
    as_json: JsonOption = False,
    jq: JqOption = None,
    debug: DebugOption = False,
) -> None:
    """Show who you are logged in as.

    \b
    Examples:
      mighty whoami
      mighty whoami --network mycommunity --json
    """
    commands.show_whoami(network=network, as_json=as_json, jq=jq)


@command()
def token(
    network: NetworkOption = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="Print the Admin API token rather than the OAuth one.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Print the access token (renewed first if it is about to expire), for other tools.

    Prints the token and a newline on stdout, nothing else. Without --admin it is the OAuth
    access token when there is an OAuth login, else the Admin API token.

    \b
    Examples:
      TOKEN=$(mighty token)
      mighty token --admin --network mycommunity
    """
    commands.print_token(network=network, admin=admin)


# --------------------------------------------------------------------------- status, logout


@command()
def status(
    network: NetworkOption = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Ask the server whether each login still works (GraphQL me, Admin API me), "
            "renewing tokens if needed; exit 1 when any does not.",
        ),
    ] = False,
    as_json: JsonOption = False,
    jq: JqOption = None,
    debug: DebugOption = False,
) -> None:
    """Show every stored login: network, user, scopes, expiry, refresh token, storage.

    Without --check, nothing is sent anywhere: it answers at once from what is stored.

    \b
    Examples:
      mighty status --json
      mighty status --check
      mighty status --check -n mycommunity --json
    """
    as_json = as_json or jq is not None
    from mightycli.logins import list_logins

    if check:
        _check_logins(network, as_json)
        return
    statuses = list_logins(state_path=config.state_file_path())
    if network:
        key = config.parse_network(network).key
        statuses = [s for s in statuses if s.record.network == key]
        if not statuses:
            raise NotLoggedInError(f"You are not logged in to {key}.", hint=_login_hint(key))
    env_token = bool(os.environ.get(Env.TOKEN))
    now = time.time()
    if as_json:
        emit_json(
            {
                "mighty_token_env": env_token,
                "state_file": str(config.state_file_path()),
                "logins": [_status_json(s, now) for s in statuses],
            }
        )
    else:
        lines: list[str] = []
        if env_token:
            lines.append(
                f"{Env.TOKEN} is set: it overrides stored logins for token, whoami and api."
            )
        for s in statuses:
            lines += _status_lines(s, now)
        emit_lines(lines)
    if not statuses and not env_token:
        raise NotLoggedInError(
            "You are not logged in to any network.",
            hint="Run: mighty login --network <subdomain> --client-id <id>",
        )


def _status_json(s: Any, now: float) -> dict[str, Any]:
    return {
        **_login_json(s.record),
        "default": s.is_default,
        "expired": s.record.expires_at is not None and s.record.expires_at <= now,
        "access_token": s.has_access_token,
        "refresh_token": s.has_refresh_token,
        "admin_token": s.has_admin_token,
        "storage": s.storage,
        "problem": s.problem,
    }


def _status_lines(s: Any, now: float) -> list[str]:
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
            lines.append(f"  access token:   {_describe_expiry(r.expires_at, now)}")
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


def _login_hint(network: str) -> str:
    from mightycli.session import login_hint

    return login_hint(network)


def _check_logins(network: str | None, as_json: bool) -> None:
    from mightycli.logins import check_login

    state = config.read_state(config.state_file_path())
    if network:
        targets = [config.parse_network(network).key]
        if targets[0] not in state.logins:
            raise NotLoggedInError(
                f"You are not logged in to {targets[0]}.", hint=_login_hint(targets[0])
            )
    else:
        targets = sorted(state.logins)
    if not targets:
        raise NotLoggedInError(
            "You are not logged in to any network.",
            hint="Run: mighty login --network <subdomain> --client-id <id>",
        )
    checks = [c for target in targets for c in check_login(target, env=os.environ)]
    if as_json:
        emit_json(
            [
                {
                    "network": c.network,
                    "api": c.api,
                    "ok": c.ok,
                    "default": c.network == state.default,
                    "detail": c.detail,
                    "hint": c.hint,
                }
                for c in checks
            ]
        )
    else:
        lines = []
        for c in checks:
            mark = " (default)" if c.network == state.default else ""
            verdict = "ok" if c.ok else "FAILED"
            lines.append(f"{c.network}{mark} {c.api}: {verdict}, {c.detail}")
            if c.hint and not c.ok:
                lines.append(f"  {c.hint}")
        emit_lines(lines)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@command()
def switch(
    network: Annotated[
        str,
        typer.Argument(
            metavar="NETWORK",
            help="A stored login's network (subdomain, id or community URL).",
            autocompletion=complete_network,
        ),
    ],
    as_json: JsonOption = False,
    jq: JqOption = None,
    debug: DebugOption = False,
) -> None:
    """Make a stored login the default one, used when no --network is given.

    \b
    Examples:
      mighty switch mycommunity
      mighty switch mycommunity --json
    """
    as_json = as_json or jq is not None
    from mightycli.logins import switch_default

    record = switch_default(network, state_path=config.state_file_path())
    say(f"{record.network_title or record.network} ({record.network}) is now the default login.")
    if as_json:
        emit_json({**_login_json(record), "default": True})


@command()
def logout(
    network: NetworkOption = None,
    all_networks: Annotated[bool, typer.Option("--all", help="Log out of every network.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Forget the login even when its keyring entries can no longer be read or "
            "deleted, saying what was left behind.",
        ),
    ] = False,
    as_json: JsonOption = False,
    jq: JqOption = None,
    debug: DebugOption = False,
) -> None:
    """Revoke the tokens and forget the login. Safe to run twice.

    \b
    Examples:
      mighty logout
      mighty logout --all
      mighty logout --network mycommunity --force
    """
    as_json = as_json or jq is not None
    from mightycli.logins import logout as do_logout

    if os.environ.get(Env.TOKEN):
        raise UsageError(
            f"{Env.TOKEN} is set; mighty did not create that token and will not revoke it.",
            hint=f"Unset {Env.TOKEN} to log out of stored logins.",
        )
    if all_networks and network:
        raise UsageError("Use either --network or --all, not both.")
    state_path = config.state_file_path()
    state = config.read_state(state_path)
    if all_networks:
        targets = sorted(state.logins)
    else:
        chosen = Settings.load().network(network, state.default)
        targets = [chosen] if chosen else []
    if not targets:
        say("Not logged in to any network; nothing to do.")
        if as_json:
            emit_json([])
        return
    secret = os.environ.get(Env.CLIENT_SECRET) or None
    results = []
    for target in targets:
        result = do_logout(target, state_path=state_path, client_secret=secret, force=force)
        results.append(result)
        _report_logout(target, result)
    if as_json:
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


def _report_logout(target: str, result: Any) -> None:
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


# --------------------------------------------------------------------------- api


@command()
def api(
    endpoint: Annotated[
        str,
        typer.Argument(
            metavar="ENDPOINT",
            help="graphql, an Admin API path under /admin/v1/networks/<network>/ (members, "
            "members/<id>/, spaces/<id>/members), or a full URL on the API host.",
            show_default=False,
        ),
    ],
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            "-X",
            metavar="METHOD",
            help="HTTP method: GET, or POST with --input; always POST for graphql.",
            show_default=False,
        ),
    ] = None,
    raw_field: Annotated[
        list[str] | None,
        typer.Option(
            "--raw-field",
            "-f",
            metavar="KEY=VALUE",
            help="A string parameter; for graphql, query= or a variable.",
            show_default=False,
        ),
    ] = None,
    typed_field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            "-F",
            metavar="KEY=VALUE",
            help="A typed parameter: true, false, null, numbers, @file (@- for stdin).",
            show_default=False,
        ),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            "-H",
            metavar="'NAME: VALUE'",
            help="An extra request header.",
            show_default=False,
        ),
    ] = None,
    query_file: Annotated[
        str | None,
        typer.Option(
            "--query-file",
            metavar="FILE",
            help="Read the GraphQL query from FILE (- for stdin).",
            show_default=False,
        ),
    ] = None,
    input_file: Annotated[
        str | None,
        typer.Option(
            "--input",
            metavar="FILE",
            help="Send FILE (- for stdin) as the request body.",
            show_default=False,
        ),
    ] = None,
    include: Annotated[
        bool, typer.Option("--include", "-i", help="Print status and headers to stderr.")
    ] = False,
    silent: Annotated[bool, typer.Option("--silent", help="Print no response body.")] = False,
    paginate: Annotated[
        bool,
        typer.Option(
            "--paginate", help="Fetch every page; print one JSON item per line as pages arrive."
        ),
    ] = False,
    slurp: Annotated[
        bool, typer.Option("--slurp", help="With pages, print all items as one JSON array.")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", help="Per-request timeout.")
    ] = 30,
    max_wait: Annotated[
        float,
        typer.Option(
            "--max-wait",
            metavar="SECONDS",
            help="Most time to spend waiting to retry, all waits together; a server asking for "
            "longer ends the call at once (exit 1) saying when to retry.",
        ),
    ] = 60,
    network: NetworkOption = None,
    jq: JqOption = None,
    debug: DebugOption = False,
) -> None:
    """Make an authenticated GraphQL or Admin API call and print the response.

    GraphQL calls use your OAuth login; Admin API (REST) calls use an Admin API token stored with
    mighty login --with-token. 429, 502, 503, 504 and THROTTLED answers are retried with backoff.

    \b
    Examples:
      mighty api graphql -f query='{ me { name } }'
      mighty api graphql --query-file members.graphql --paginate
      mighty api members -f per_page=100 --paginate | head -n 5
      mighty api -X PATCH members/5000003/ -f first_name=Alan
      mighty api spaces/7001/members --slurp > members.json
      mighty api members --max-wait 10
    """
    commands.call_api(
        endpoint=endpoint,
        method=method,
        raw_field=raw_field,
        typed_field=typed_field,
        header=header,
        query_file=query_file,
        input_file=input_file,
        include=include,
        silent=silent,
        paginate=paginate,
        slurp=slurp,
        timeout=timeout,
        max_wait=max_wait,
        network=network,
        jq=jq,
    )


# --------------------------------------------------------------------------- help, completion

SHELLS = ("bash", "zsh", "fish")


@command()
def completion(
    shell: Annotated[
        str, typer.Argument(metavar="SHELL", help="bash, zsh or fish.", show_default=False)
    ],
) -> None:
    """Print the shell completion script for bash, zsh or fish.

    It completes commands, options, and network names from your stored logins. To install it,
    bash: add eval "$(mighty completion bash)" to ~/.bashrc; zsh: add
    source <(mighty completion zsh) to ~/.zshrc after compinit; fish: save it as
    ~/.config/fish/completions/mighty.fish.

    \b
    Examples:
      mighty completion bash
      mighty completion fish
    """
    from typer._completion_shared import get_completion_script

    if shell not in SHELLS:
        raise UsageError(f"No completion for {shell!r}.", hint="Use bash, zsh or fish.")
    script = get_completion_script(prog_name="mighty", complete_var=Env.COMPLETE.value, shell=shell)
    sys.stdout.write(script.strip() + "\n")


@command("help")
def help_command(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="COMMAND",
            help="The command to explain; without one, the list of commands.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show the help of mighty or of one command: the same as --help.

    \b
    Examples:
      mighty help
      mighty help login
    """
    args = [name, "--help"] if name else ["--help"]
    raise typer.Exit(_run(args, args))


# --------------------------------------------------------------------------- emulator


EMULATOR_EXTRA = "pip install 'mighty-cli[emulator]'"


def _import_emulator() -> Any:
    """The emulator package, or a usage error naming the extra that provides it."""
    try:
        import mightycli.emulator as package
        import mightycli.emulator.server  # noqa: F401  (needs the extra's graphql-core)
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "graphql":
            raise
        raise UsageError(
            "The emulator is not installed: it needs the emulator extra (graphql-core).",
            hint=f"Install it with: {EMULATOR_EXTRA}",
        ) from None
    return package


def _announce_emulator(
    server: Any, subdomain: str, clients: tuple[str, str], auto_approve: bool
) -> None:
    from mightycli.emulator import (
        ADMIN_API_TOKEN,
        CONFIDENTIAL_CLIENT_SECRET,
        NETWORK_ID,
        NETWORK_TITLE,
    )

    client_id, confidential_id = clients
    url = server.url
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    say(f"Mighty Networks emulator: {NETWORK_TITLE}")
    say(f"  Network:        id {NETWORK_ID}, subdomain {subdomain}")
    say(f"  OAuth issuer:   {server.issuer}")
    say(f"  GraphQL:        {server.graphql_url}")
    say(f"  Admin API:      {url}/admin/v1/networks/{NETWORK_ID}/")
    say(f"  Public client:  {client_id}")
    say(f"  Confidential:   {confidential_id} (secret {CONFIDENTIAL_CLIENT_SECRET})")
    say(f"  Admin API token: {ADMIN_API_TOKEN}")
    say("  Consent: " + ("approved automatically" if auto_approve else "a page with Approve/Deny"))
    say("Log in to it with:")
    sys.stderr.write(
        f"  mighty login --network {subdomain} --issuer {server.issuer} "
        f"--api-url {server.api_url} --client-id {client_id}\n"
    )
    say("Press Ctrl-C to stop.")


@command()
def emulator(
    host: Annotated[
        str, typer.Option("--host", metavar="ADDRESS", help="Loopback address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", "-p", metavar="PORT", help="Port (0 picks a free one).")
    ] = 4010,
    auto_approve: Annotated[
        bool,
        typer.Option("--auto-approve", help="Approve every authorization without a consent page."),
    ] = False,
    token_ttl: Annotated[
        float,
        typer.Option("--token-ttl", metavar="SECONDS", help="Access token lifetime in seconds."),
    ] = 3600,
    members: Annotated[
        int,
        typer.Option(
            "--members", metavar="COUNT", help="Generated members beyond the seeded ones."
        ),
    ] = 0,
    no_refresh_tokens: Annotated[
        bool, typer.Option("--no-refresh-tokens", help="Issue no refresh tokens.")
    ] = False,
    subdomain: Annotated[
        str,
        typer.Option("--network", metavar="SUBDOMAIN", help="The network's subdomain."),
    ] = "emulated",
    client_id: Annotated[
        str,
        typer.Option("--client-id", metavar="ID", help="The public OAuth application's id."),
    ] = "emulator-public-client",
    confidential_client_id: Annotated[
        str,
        typer.Option(
            "--confidential-client-id",
            metavar="ID",
            help="The confidential OAuth application's id (its secret is printed at start).",
        ),
    ] = "emulator-confidential-client",
    redirect_uris: Annotated[
        list[str] | None,
        typer.Option(
            "--redirect-uri",
            metavar="URI",
            help="A registered redirect URI (repeatable).  [default: http://localhost:3000/callback]",
            show_default=False,
        ),
    ] = None,
    member: Annotated[
        str | None,
        typer.Option(
            "--member",
            metavar="WHO",
            help="Who is signed in at the consent page: a seeded member's name or e-mail "
            "(Ada Lovelace, the host; Grace Hopper; Alan Turing; lin@example.com, limited).",
            show_default=False,
        ),
    ] = None,
    auth_failure: Annotated[
        str,
        typer.Option(
            "--auth-failure",
            metavar="STYLE",
            help="How GraphQL refuses a token: graphql (UNAUTHENTICATED at HTTP 200), "
            "http401-html or http401-empty.",
        ),
    ] = "graphql",
    block_subdomain_paths: Annotated[
        bool,
        typer.Option(
            "--block-subdomain-paths",
            help="Answer API paths that name the network by subdomain with an HTML 403.",
        ),
    ] = False,
    next_links: Annotated[
        str,
        typer.Option("--next-links", metavar="FORM", help="Admin API links.next as url or path."),
    ] = "url",
    empty_page_with_next: Annotated[
        bool,
        typer.Option(
            "--empty-page-with-next", help="Admin API lists end with an empty page that has next."
        ),
    ] = False,
    advertise_revocation: Annotated[
        bool,
        typer.Option(
            "--advertise-revocation",
            help="Name the revocation endpoint in the discovery document (Mighty's does not).",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not log requests.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Behave as a strict server: real-time expiry, refresh tokens rotated on every "
            "use, a used one presented again revokes the whole grant.",
        ),
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Run a local stand-in for Mighty Networks (OAuth, GraphQL and Admin API) until Ctrl-C.

    Prints its base URL on stdout and how to log in to it on stderr. Quirks seen on live
    networks can be switched on to try a script against them.

    \b
    Examples:
      mighty emulator --port 4010 --auto-approve
      mighty emulator --port 0 --network mycommunity --client-id abc123 --member lin@example.com
      mighty emulator --port 0 --strict --token-ttl 3
    """
    from mightycli.config import is_loopback_host

    emulation = _import_emulator()
    if not is_loopback_host(host):
        raise UsageError(
            f"The emulator listens on loopback addresses only, not {host!r}.",
            hint="Use --host 127.0.0.1 or --host ::1.",
        )
    if port < 0 or port > 65535:
        raise UsageError(f"Port {port} is out of range.")
    if token_ttl <= 0:
        raise UsageError("--token-ttl must be positive.")
    if members < 0:
        raise UsageError("--members cannot be negative.")
    if strict and no_refresh_tokens:
        raise UsageError("--strict rotates refresh tokens: it goes without --no-refresh-tokens.")
    try:
        server = emulation.Emulator(
            host,
            port,
            auto_approve=auto_approve,
            access_token_ttl=token_ttl,
            issue_refresh_tokens=not no_refresh_tokens,
            redirect_uris=tuple(redirect_uris or (emulation.DEFAULT_REDIRECT_URI,)),
            advertise_revocation=advertise_revocation,
            extra_members=members,
            network_subdomain=subdomain,
            public_client_id=client_id,
            confidential_client_id=confidential_client_id,
            signed_in_member=member,
            auth_failure=auth_failure,
            block_subdomain_paths=block_subdomain_paths,
            admin_next_links=next_links,
            empty_page_with_next=empty_page_with_next,
            quiet=quiet,
            strict=strict,
        )
    except ValueError as exc:
        raise UsageError(f"The emulator cannot start: {exc}.") from None
    announce = functools.partial(
        _announce_emulator, server, subdomain, (client_id, confidential_client_id), auto_approve
    )
    _serve_until_stopped(server, host, port, announce)


def _serve_until_stopped(server: Any, host: str, port: int, announce: Callable[[], None]) -> None:
    """Start the server, announce it, and serve until Ctrl-C or SIGTERM."""
    try:
        server.start()
    except OSError as exc:
        raise UsageError(
            f"The emulator cannot listen on {host} port {port}: {exc.strerror}.",
            hint="Pick another --port (0 picks a free one).",
        ) from exc

    def _terminate(signum: int, frame: object) -> NoReturn:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    # From here on, Ctrl-C (or SIGTERM) at any moment stops the server cleanly.
    try:
        announce()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    say("Emulator stopped.")


# --------------------------------------------------------------------------- entry point


def _fast_help(args: list[str]) -> int | None:
    """``mighty --help`` drawn from the same docstrings and options, without building every
    command's parameters first (Typer's full build costs more than the rest of the process)."""
    if args not in (["--help"], ["-h"]):
        return None
    import shutil
    import typing

    width = max(min(shutil.get_terminal_size().columns, 100) - 2, 50)

    def wrap(text: str, room: int, indent: str = "") -> list[str]:
        return textwrap.wrap(
            text,
            room,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )

    lines = ["Usage: mighty [OPTIONS] COMMAND [ARGS]...", ""]
    for paragraph in (app.info.help or "").split("\n\n"):
        lines += wrap(" ".join(paragraph.split()), width, "  ") + [""]
    rows: list[tuple[str, str]] = []
    hints = typing.get_type_hints(_root, include_extras=True)
    for name in ("version", "debug"):
        info = next(m for m in hints[name].__metadata__ if hasattr(m, "param_decls"))
        # With Annotated, Typer keeps the first declaration in ``default``.
        decls = [d for d in (info.default, *info.param_decls) if isinstance(d, str)]
        text = str(info.help)
        if info.envvar:
            text += f"  [env var: {info.envvar}]"
        rows.append((", ".join(decls), text))
    rows.append(("-h, --help", "Show this message and exit."))
    commands = [
        (info.name or info.callback.__name__, info.short_help or "")
        for info in app.registered_commands
        if info.callback is not None
    ]
    for title, entries in (("Options", rows), ("Commands", commands)):
        lines.append(f"{title}:")
        column = max(len(left) for left, _ in entries) + 4
        for left, text in entries:
            room = width - column
            body = wrap(text, max(room, 20)) or [""]
            lines.append(f"  {left.ljust(column - 2)}{body[0]}")
            lines += [" " * column + more for more in body[1:]]
        lines.append("")
    sys.stdout.write("\n".join(lines[:-1]) + "\n")
    return 0


def _run(args: list[str], argv: list[str] | None) -> int:
    if args == ["help"]:  # the same as mighty --help, from the fast path
        args = argv = ["--help"]
    if os.environ.get(Env.COMPLETE):  # the shell asks for completions: Typer answers
        from typer._completion_classes import completion_init

        completion_init()
    else:
        fast = _fast_help(args)
        if fast is not None:
            return fast
    # Not standalone: Typer then hands every outcome back here instead of exiting.
    outcome = app(args=argv, prog_name="mighty", standalone_mode=False)
    code = outcome if isinstance(outcome, int) else 0
    if code == EXIT_INTERRUPTED:  # Typer turns KeyboardInterrupt into this exit code
        return interrupted()
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status instead of exiting.

    The one error boundary: a MightyError becomes its message and exit code, Ctrl-C exit 130,
    a usage mistake exit 2, and anything else an internal error (exit 1), never a traceback
    unless --debug asks for one.
    """

    args = sys.argv[1:] if argv is None else list(argv)
    # A context of its own: --debug set by one run must not leak into the next in this process.
    return contextvars.copy_context().run(_boundary, args, argv)


NUMBER_KINDS = {"int_parsing": "a whole number", "float_parsing": "a number"}


def _explain_usage_error(error: typer.TyperException, args: list[str]) -> None:
    """Typer's usage errors said plainly: a bad number names the option and what it expects
    (not the validator's wording), and an error found before the command's context existed
    (an option without its value) still shows the command's usage line."""
    param = getattr(error, "param", None)
    details = getattr(error.__cause__, "errors", None)
    if param is not None and callable(details):
        first = (details() or [{}])[0]
        kind = NUMBER_KINDS.get(first.get("type", ""))
        if kind:
            name = max(param.opts, key=len) if param.opts else param.name
            message = f"{name} expects {kind}, got {first.get('input')!r}."
            setattr(error, "format_message", lambda: message)  # noqa: B010
    if hasattr(error, "ctx") and error.ctx is None:
        error.ctx = _usage_context(args)


def _usage_context(args: list[str]) -> Any:
    """The context of the command named in ``args`` (or of mighty itself), for its usage line."""
    group = typer.main.get_command(app)
    root = typer.Context(group, info_name="mighty", **group.context_settings)
    name = next((arg for arg in args if not arg.startswith("-")), None)
    sub = group.get_command(root, name) if name and hasattr(group, "get_command") else None
    return typer.Context(sub, info_name=name, parent=root) if sub is not None else root


def _boundary(args: list[str], argv: list[str] | None) -> int:
    return guarded(functools.partial(_typer_outcome, args, argv), args)


def _typer_outcome(args: list[str], argv: list[str] | None) -> int:
    """The exit status of a run through Typer, with Typer's own ways of ending as statuses."""
    try:
        return _run(args, argv)
    except typer.Abort:
        return interrupted()
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except typer.TyperException as error:  # a usage mistake Typer found: bad option, no command
        _explain_usage_error(error, args)
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"Error: {error.format_message()}\n")
        return int(error.exit_code)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
