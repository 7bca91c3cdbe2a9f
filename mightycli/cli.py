"""The command line: each command parses, calls one library function, and renders.

This is the only module that imports typer or rich, and ``main`` is the one place where an error
becomes a message and an exit code.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
from typing import Annotated, Any, NoReturn

import typer

from mightycli import __version__, config
from mightycli.errors import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    MightyError,
    NotLoggedInError,
    UsageError,
)

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
    context_settings={"help_option_names": ["-h", "--help"]},
)

NetworkOption = Annotated[
    str | None,
    typer.Option(
        "--network",
        "-n",
        metavar="NETWORK",
        help="Network subdomain, numeric id or community URL (default: MIGHTY_NETWORK, the config "
        "file, then the most recent login).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


# --------------------------------------------------------------------------- output helpers


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def say(message: str, *, style: str | None = None) -> None:
    """A message for people, on stderr; never markup-interpreted."""
    from rich.text import Text

    _stderr_console().print(Text(message, style=style or ""))


def show_url(url: str) -> None:
    # Written raw, whole on one line: a renderer would wrap it and break copy and paste.
    sys.stderr.write(f"Open this URL in a browser to log in:\n\n    {url}\n\n")
    sys.stderr.flush()


def emit_json(data: Any) -> None:
    pretty = sys.stdout.isatty()
    sys.stdout.write(json.dumps(data, indent=2 if pretty else None, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def emit_lines(lines: list[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def _describe_expiry(expires_at: float | None, now: float) -> str:
    if expires_at is None:
        return "expiry unknown"
    left = expires_at - now
    when = dt.datetime.fromtimestamp(expires_at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if left <= 0:
        return f"expired ({when})"
    if left < 120:
        return f"expires in {int(left)} s ({when})"
    if left < 7200:
        return f"expires in {int(left // 60)} min ({when})"
    return f"expires in {left / 3600:.1f} h ({when})"


def _store() -> Any:
    from mightycli.tokens import KeyringStore

    return KeyringStore()


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
) -> None:
    pass


# --------------------------------------------------------------------------- login


def _setting(
    name: str,
    option: Any,
    env_name: str | None,
    file_config: config.FileConfig,
    network: str | None,
) -> Any:
    if option not in (None, (), []):
        return option
    if env_name and os.environ.get(env_name):
        return os.environ[env_name]
    return file_config.lookup(name, network)


def _ask(what: str, flag: str, env_name: str | None) -> str:
    if not _interactive():
        also = f" or set {env_name}" if env_name else ""
        raise UsageError(f"No {what} given.", hint=f"Pass {flag}{also}.")
    value = str(typer.prompt(what[0].upper() + what[1:], err=True)).strip()
    if not value:
        raise UsageError(f"No {what} given.", hint=f"Pass {flag}.")
    return value


def _parse_scopes(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    scopes: list[str] = []
    for value in values:
        for scope in str(value).replace(",", " ").split():
            if scope not in scopes:
                scopes.append(scope)
    return tuple(scopes)


@app.command()
def login(
    network: NetworkOption = None,
    client_id: Annotated[
        str | None,
        typer.Option(
            "--client-id",
            metavar="ID",
            help="The OAuth application's client id (env MIGHTY_CLIENT_ID). For a confidential "
            "application, set MIGHTY_CLIENT_SECRET in the environment.",
            show_default=False,
        ),
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            "-s",
            metavar="SCOPE",
            help="A scope to request; repeat for more (default: read:userinfo read:network).",
            show_default=False,
        ),
    ] = None,
    redirect_uri: Annotated[
        str | None,
        typer.Option(
            "--redirect-uri",
            metavar="URI",
            help="Redirect URI registered on the application "
            f"(default {config.DEFAULT_REDIRECT_URI}).",
            show_default=False,
        ),
    ] = None,
    issuer: Annotated[
        str | None,
        typer.Option(
            "--issuer",
            metavar="URL",
            help="Authorization server, if not https://<subdomain>.mn.co (env MIGHTY_ISSUER).",
            show_default=False,
        ),
    ] = None,
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            metavar="URL",
            help=f"API base URL (env MIGHTY_API_URL, default {config.DEFAULT_API_URL}).",
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
            help="Seconds to wait for the browser (default 300).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Log in to a network through the browser and keep the tokens in the OS keyring.

    Opens the network's authorization page; after you approve, the browser returns to a one-shot
    server on this machine and mighty stores the tokens.

    Example: mighty login --network mycommunity --client-id abc123

    Example: mighty login -n mycommunity --client-id abc123 -s read:posts -s read:network
    """
    from mightycli import login as login_flow
    from mightycli import oauth

    file_config = config.load_file_config(config.config_file_path())
    raw_network = _setting("network", network, "MIGHTY_NETWORK", file_config, None)
    if not raw_network:
        raw_network = _ask(
            "network (subdomain, id or URL)", "--network <subdomain>", "MIGHTY_NETWORK"
        )
    ref = config.parse_network(str(raw_network))
    key = ref.key
    the_client_id = _setting("client_id", client_id, "MIGHTY_CLIENT_ID", file_config, key)
    if not the_client_id:
        the_client_id = _ask("client id", "--client-id <id>", "MIGHTY_CLIENT_ID")
    the_issuer = _setting("issuer", issuer, "MIGHTY_ISSUER", file_config, key) or ref.issuer
    if not the_issuer:
        raise UsageError(
            f"Cannot derive the community's address from the network id {key}.",
            hint="Pass --issuer https://<subdomain>.mn.co, or use the subdomain as --network.",
        )
    the_api_url = (
        _setting("api_url", api_url, "MIGHTY_API_URL", file_config, key) or config.DEFAULT_API_URL
    )
    the_redirect = (
        _setting("redirect_uri", redirect_uri, "MIGHTY_REDIRECT_URI", file_config, key)
        or config.DEFAULT_REDIRECT_URI
    )
    scopes = _parse_scopes(_setting("scopes", scope, "MIGHTY_SCOPES", file_config, key) or [])
    the_timeout = _setting("timeout", timeout, None, file_config, key)
    try:
        wait = float(the_timeout) if the_timeout is not None else config.DEFAULT_LOGIN_TIMEOUT
    except (TypeError, ValueError):
        raise UsageError(f"The timeout {the_timeout!r} is not a number of seconds.") from None
    if wait <= 0:
        raise UsageError("The timeout must be a positive number of seconds.")
    from mightycli.loopback import parse_redirect_uri

    parse_redirect_uri(str(the_redirect))
    options = login_flow.LoginOptions(
        network=key,
        issuer=config.check_endpoint_url(str(the_issuer), "issuer"),
        api_url=config.check_endpoint_url(str(the_api_url), "API URL"),
        client=oauth.ClientCredentials(
            str(the_client_id).strip(), os.environ.get("MIGHTY_CLIENT_SECRET") or None
        ),
        scopes=scopes or config.DEFAULT_SCOPES,
        redirect_uri=str(the_redirect),
        timeout=wait,
        open_browser=not no_browser,
    )
    try:
        result = login_flow.login(
            options,
            store=_store(),
            state_path=config.state_file_path(),
            notify=say,
            show_url=show_url,
        )
    except KeyboardInterrupt:
        say("\nLogin cancelled; nothing was stored.")
        raise
    record = result.record
    say(
        f"Logged in to {result.identity.network_title or key} as {result.identity.name}.",
        style="green",
    )
    if not record.has_refresh_token:
        say("The server issued no refresh token: you will need to log in again when it expires.")
    if as_json:
        emit_json(_login_json(record))


def _login_json(record: config.LoginRecord) -> dict[str, Any]:
    return {
        "network": record.network,
        "network_title": record.network_title,
        "user": record.user_name,
        "user_id": record.user_id,
        "scopes": list(record.scopes),
        "expires_at": _iso(record.expires_at),
        "refresh_token": record.has_refresh_token,
        "storage": record.storage,
    }


# --------------------------------------------------------------------------- whoami, token


@app.command()
def whoami(network: NetworkOption = None, as_json: JsonOption = False) -> None:
    """Show who you are logged in as.

    Example: mighty whoami

    Example: mighty whoami --network mycommunity --json
    """
    from mightycli.api import whoami as fetch_whoami
    from mightycli.session import open_session

    session = open_session(network, store=_store())
    identity = fetch_whoami(session)
    data = {
        "network": session.network,
        "network_title": identity.network_title,
        "id": identity.user_id,
        "name": identity.name,
        "email": identity.email,
        "role": identity.role,
    }
    if as_json:
        emit_json(data)
        return
    network_label = (
        f"{identity.network_title} ({session.network})"
        if identity.network_title
        else session.network
    )
    lines = [identity.name]
    if identity.email:
        lines.append(f"  e-mail:   {identity.email}")
    if identity.role:
        lines.append(f"  role:     {identity.role}")
    lines.append(f"  network:  {network_label}")
    if session.from_environment:
        lines.append("  (credentials from MIGHTY_TOKEN)")
    emit_lines(lines)


@app.command()
def token(network: NetworkOption = None) -> None:
    """Print the access token (renewed first if it is about to expire), for other tools.

    Prints the token and a newline on stdout, nothing else.

    Example: curl -H "Authorization: Bearer $(mighty token)" ...
    """
    from mightycli.session import open_session

    session = open_session(network, store=_store())
    sys.stdout.write(session.valid_token().access_token + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------- status, logout


@app.command()
def status(as_json: JsonOption = False) -> None:
    """Show every stored login: network, user, scopes, expiry, refresh token, storage.

    Example: mighty status --json
    """
    from mightycli.login import list_logins

    statuses = list_logins(store=_store(), state_path=config.state_file_path())
    env_token = bool(os.environ.get("MIGHTY_TOKEN"))
    now = time.time()
    if as_json:
        emit_json(
            {
                "mighty_token_env": env_token,
                "state_file": str(config.state_file_path()),
                "logins": [
                    {
                        **_login_json(s.record),
                        "default": s.is_default,
                        "expired": s.record.expires_at is not None and s.record.expires_at <= now,
                        "access_token": s.has_access_token,
                        "refresh_token": s.has_refresh_token,
                        "storage": s.storage,
                        "problem": s.problem,
                    }
                    for s in statuses
                ],
            }
        )
    else:
        lines: list[str] = []
        if env_token:
            lines.append(
                "MIGHTY_TOKEN is set: it overrides stored logins for token, whoami and api."
            )
        for s in statuses:
            r = s.record
            title = f" - {r.network_title}" if r.network_title else ""
            lines.append(f"{r.network}{' (default)' if s.is_default else ''}{title}")
            lines.append(f"  user:           {r.user_name or 'unknown'}")
            lines.append(f"  scopes:         {' '.join(r.scopes) or '(none)'}")
            if s.problem:
                lines.append(f"  tokens:         cannot be read: {s.problem}")
            elif not s.has_access_token:
                lines.append("  access token:   missing from the keyring (run mighty login)")
            else:
                lines.append(f"  access token:   {_describe_expiry(r.expires_at, now)}")
            refresh = {True: "yes", False: "no", None: "unknown"}[s.has_refresh_token]
            lines.append(f"  refresh token:  {refresh}")
            lines.append(f"  stored in:      {s.storage}")
        emit_lines(lines)
    if not statuses and not env_token:
        raise NotLoggedInError(
            "You are not logged in to any network.",
            hint="Run: mighty login --network <subdomain> --client-id <id>",
        )


@app.command()
def logout(
    network: NetworkOption = None,
    all_networks: Annotated[bool, typer.Option("--all", help="Log out of every network.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Revoke the tokens and forget the login. Safe to run twice.

    Example: mighty logout

    Example: mighty logout --all
    """
    from mightycli.login import logout as do_logout
    from mightycli.session import choose_network

    if os.environ.get("MIGHTY_TOKEN"):
        raise UsageError(
            "MIGHTY_TOKEN is set; mighty did not create that token and will not revoke it.",
            hint="Unset MIGHTY_TOKEN to log out of stored logins.",
        )
    if all_networks and network:
        raise UsageError("Use either --network or --all, not both.")
    state_path = config.state_file_path()
    state = config.read_state(state_path)
    if all_networks:
        targets = sorted(state.logins)
    else:
        chosen = choose_network(
            network, os.environ, config.load_file_config(config.config_file_path()), state
        )
        targets = [chosen] if chosen else []
    if not targets:
        say("Not logged in to any network; nothing to do.")
        if as_json:
            emit_json([])
        return
    store = _store()
    secret = os.environ.get("MIGHTY_CLIENT_SECRET") or None
    results = []
    for target in targets:
        result = do_logout(target, store=store, state_path=state_path, client_secret=secret)
        results.append(result)
        if not result.was_logged_in:
            say(f"Not logged in to {target}; nothing to do.")
            continue
        for label, outcome in result.revocations.items():
            say(f"{label[0].upper()}{label[1:]}: {outcome.value}.")
        say(f"Logged out of {target}.", style="green")
    if as_json:
        emit_json(
            [
                {
                    "network": r.network,
                    "was_logged_in": r.was_logged_in,
                    "revocations": {k: v.value for k, v in r.revocations.items()},
                }
                for r in results
            ]
        )


# --------------------------------------------------------------------------- emulator


@app.command()
def emulator(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port (0 picks a free one).")] = 4010,
    auto_approve: Annotated[
        bool,
        typer.Option("--auto-approve", help="Approve every authorization without a consent page."),
    ] = False,
    token_ttl: Annotated[
        float, typer.Option("--token-ttl", help="Access token lifetime in seconds.")
    ] = 3600.0,
    members: Annotated[
        int, typer.Option("--members", help="Generated members beyond the seeded ones.")
    ] = 0,
    no_refresh_tokens: Annotated[
        bool, typer.Option("--no-refresh-tokens", help="Issue no refresh tokens.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not log requests.")] = False,
) -> None:
    """Run a local stand-in for Mighty Networks (OAuth, GraphQL and Admin API) until Ctrl-C.

    Prints its base URL on stdout and how to log in to it on stderr.

    Example: mighty emulator --port 4010 --auto-approve
    """
    from mightycli.config import is_loopback_host
    from mightycli.emulator import (
        ADMIN_API_TOKEN,
        CONFIDENTIAL_CLIENT_ID,
        CONFIDENTIAL_CLIENT_SECRET,
        NETWORK_ID,
        NETWORK_SUBDOMAIN,
        NETWORK_TITLE,
        PUBLIC_CLIENT_ID,
        Emulator,
    )

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
    server = Emulator(
        host,
        port,
        auto_approve=auto_approve,
        access_token_ttl=token_ttl,
        issue_refresh_tokens=not no_refresh_tokens,
        extra_members=members,
        quiet=quiet,
    )
    try:
        server.start()
    except OSError as exc:
        raise UsageError(
            f"The emulator cannot listen on {host} port {port}: {exc.strerror}.",
            hint="Pick another --port (0 picks a free one).",
        ) from exc
    url = server.url
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    say(f"Mighty Networks emulator: {NETWORK_TITLE}")
    say(f"  Network:        id {NETWORK_ID}, subdomain {NETWORK_SUBDOMAIN}")
    say(f"  OAuth issuer:   {server.issuer}")
    say(f"  GraphQL:        {server.graphql_url}")
    say(f"  Admin API:      {url}/admin/v1/networks/{NETWORK_ID}/")
    say(f"  Public client:  {PUBLIC_CLIENT_ID}")
    say(f"  Confidential:   {CONFIDENTIAL_CLIENT_ID} (secret {CONFIDENTIAL_CLIENT_SECRET})")
    say(f"  Admin API token: {ADMIN_API_TOKEN}")
    say("  Consent: " + ("approved automatically" if auto_approve else "a page with Approve/Deny"))
    say("Log in to it with:")
    sys.stderr.write(
        f"  mighty login --network {NETWORK_SUBDOMAIN} --issuer {server.issuer} "
        f"--api-url {server.api_url} --client-id {PUBLIC_CLIENT_ID}\n"
    )
    say("Press Ctrl-C to stop.")

    def _terminate(signum: int, frame: object) -> NoReturn:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    say("Emulator stopped.")


# --------------------------------------------------------------------------- entry point


def render_error(error: MightyError) -> None:
    from rich.text import Text

    console = _stderr_console()
    console.print(Text("mighty: ", style="bold red") + Text(error.message))
    if error.hint:
        console.print(Text(error.hint, style="yellow"))


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status instead of exiting."""
    try:
        app(args=argv, prog_name="mighty", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        if code is None:
            return 0
        return code if isinstance(code, int) else EXIT_USAGE
    except MightyError as error:
        render_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("\nmighty: interrupted\n")
        return EXIT_INTERRUPTED
    return 0
