"""The login commands: login, status, switch, logout. Each reads its options, makes one call
into ``mightycli.logins`` and renders what comes back."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from mightycli import config, logins
from mightycli.cli import render
from mightycli.cli.base import (
    DebugOption,
    JqOption,
    JsonOption,
    NetworkOption,
    command,
    complete_network,
    read_secret_from_stdin,
)
from mightycli.cli.output import emit_json, say, utf8_text
from mightycli.environment import Env
from mightycli.errors import ConfigError, NotLoggedInError, UsageError
from mightycli.logins import settings as login_options
from mightycli.logins.settings import LoginFlags, Prompts
from mightycli.settings import Settings

if TYPE_CHECKING:
    from mightycli.tokens import TokenStore


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
    prompts = _prompts()
    if complete is not None:
        if no_wait or with_token:
            raise UsageError("--complete finishes a login: it goes with no other mode.")
        if complete == "-" and client_secret_stdin:
            raise UsageError("Standard input can carry the address or the client secret, not both.")
        _complete_login(complete, network or "", insecure_storage, client_secret_stdin, as_json)
        return
    ref = config.parse_network(login_options.login_network(network, settings, prompts))
    if with_token:
        oauth_only = (client_id, scope, redirect_uri, issuer, no_browser, client_secret_stdin)
        if any(oauth_only) or timeout is not None:
            raise UsageError(
                "--with-token takes only --network and --api-url: an Admin API token needs no "
                "OAuth application."
            )
        _login_with_token(ref.key, api_url, insecure_storage, as_json)
        return
    given = LoginFlags(client_id, scope, redirect_uri, issuer, api_url, timeout, no_browser)
    options = login_options.oauth_options(ref, given, settings, prompts, client_secret_stdin)
    store = _store(insecure_storage, settings, ref.key)
    if no_wait:
        pending = logins.start_login(
            options, store=store, state_path=config.state_file_path(), notify=say
        )
        render.report_pending(pending, as_json)
    else:
        _browser_login(options, store, no_browser, as_json)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _ask(what: str, hide: bool) -> str:
    return str(typer.prompt(what, hide_input=hide, err=True))


def _prompts() -> Prompts:
    """A person answers questions only where both a keyboard and a screen are there."""
    return Prompts(
        ask=_ask if _interactive() else None, read_secret=read_secret_from_stdin, notify=say
    )


def _warn(message: str) -> None:
    say(message, style="yellow")


def _store(insecure: bool, settings: Settings, network: str) -> TokenStore:
    return login_options.login_store(insecure, settings, network, _warn)


def _complete_login(
    complete: str, network: str, insecure: bool, client_secret_stdin: bool, as_json: bool
) -> None:
    """--complete: finish a --no-wait login from the address the browser was sent to."""
    settings = Settings.load()
    address = utf8_text(sys.stdin.buffer.readline(), "address") if complete == "-" else complete
    secret, keep = login_options.client_secret(
        network, "", None, client_secret_stdin, settings, _prompts()
    )
    result = logins.complete_login(
        address,
        store=_store(insecure, settings, network),
        state_path=config.state_file_path(),
        notify=say,
        client_secret=secret,
        keep_secret=keep,
    )
    render.report_login(result, as_json)


def _login_with_token(key: str, api_url: str | None, insecure: bool, as_json: bool) -> None:
    settings = Settings.load()
    record, identity = logins.login_with_token(
        key,
        login_options.admin_api_url(key, api_url, settings),
        read_secret_from_stdin("Admin API token"),
        store=_store(insecure, settings, key),
        state_path=config.state_file_path(),
    )
    say(
        f"Stored the Admin API token for {identity.network_title or key} "
        f"(acting as {identity.display_name}).",
        style="green",
    )
    if as_json:
        emit_json(render.login_json(record))


def _browser_login(
    options: logins.LoginOptions, store: TokenStore, no_browser: bool, as_json: bool
) -> None:
    from mightycli.launcher import choose_browser

    choice = choose_browser(os.environ, no_browser=no_browser)
    paste = not choice.usable and sys.stdin.isatty() and os.name == "posix"
    waiting = render.WaitLine()
    try:
        with _paste_input(paste, waiting) as terminal:
            result = logins.login(
                options,
                store=store,
                state_path=config.state_file_path(),
                notify=say,
                show_url=render.show_url,
                browser=choice.opener,
                no_browser_reason=choice.reason,
                terminal=terminal,
                waiting=waiting,
            )
    except KeyboardInterrupt:
        say("\nLogin cancelled; nothing was stored.")
        raise
    render.report_login(result, as_json)


@contextlib.contextmanager
def _paste_input(paste: bool, waiting: render.WaitLine) -> Iterator[int | render.PasteInput | None]:
    """Where the person may paste the redirect address, if anywhere: with the live line on the
    same terminal, a ``PasteInput`` that keeps the two apart; with no live line (stderr is not
    the terminal), standard input as the terminal reads it."""
    if not paste:
        yield None
    elif not sys.stderr.isatty():
        yield sys.stdin.fileno()
    else:
        with render.PasteInput(sys.stdin.fileno(), waiting) as terminal:
            yield terminal


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
    # Every other command reads the config file first: a broken one is named here too.
    config_problem = _config_problem()
    if check:
        if config_problem is not None:
            raise config_problem  # no check could run: each would fail on it
        state = config.read_state(config.state_file_path())
        targets = login_options.chosen_logins(network, state)
        checks = [c for target in targets for c in logins.check_login(target, env=os.environ)]
        render.report_checks(checks, state.default, as_json)
        if not all(c.ok for c in checks):
            raise typer.Exit(1)
        return
    statuses = logins.list_logins(state_path=config.state_file_path())
    if network:
        key = config.parse_network(network).key
        statuses = [s for s in statuses if s.record.network == key]
        if not statuses:
            raise login_options.not_logged_in(key)
    env_token = bool(os.environ.get(Env.TOKEN))
    render.report_statuses(statuses, env_token, str(config.state_file_path()), as_json)
    if config_problem is not None:
        raise config_problem
    if not statuses and not env_token:
        raise NotLoggedInError(
            "You are not logged in to any network.", hint=login_options.NOT_LOGGED_IN_HINT
        )


def _config_problem() -> ConfigError | None:
    try:
        Settings.load()
    except ConfigError as exc:
        return exc
    return None


@command()
def switch(
    network: Annotated[
        str | None,
        typer.Argument(
            metavar="NETWORK",
            help="A stored login's network (subdomain, id or community URL); without one, "
            "pick from the stored logins on a terminal.",
            autocompletion=complete_network,
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    jq: JqOption = None,
    debug: DebugOption = False,
) -> None:
    """Make a stored login the default one, used when no --network is given.

    Without NETWORK it shows the stored logins, numbered, and asks which one (on a terminal
    only; elsewhere it exits 2 listing them).

    \b
    Examples:
      mighty switch mycommunity
      mighty switch mycommunity --json
    """
    as_json = as_json or jq is not None
    if network is None:
        network = _pick_login(config.read_state(config.state_file_path()))
    record = logins.switch_default(network, state_path=config.state_file_path())
    say(f"{record.network_title or record.network} ({record.network}) is now the default login.")
    if as_json:
        emit_json({**render.login_json(record), "default": True})


# Wrong answers to the switch question before it gives up (exit 2).
PICK_ATTEMPTS = 3


def _pick_login(state: config.LoginState) -> str:
    """The network of the login a person picks by number; elsewhere a usage error that lists
    the stored logins and the command to run."""
    networks = sorted(state.logins)
    if not networks:
        raise NotLoggedInError(
            "You are not logged in to any network.", hint=login_options.NOT_LOGGED_IN_HINT
        )
    if not _interactive():
        listed = ", ".join(f"{n} (the default)" if n == state.default else n for n in networks)
        example = next((n for n in networks if n != state.default), networks[0])
        raise UsageError(
            f"Which login should be the default? Stored logins: {listed}.",
            hint=f"Run: mighty switch NETWORK, e.g. mighty switch {example}",
        )
    for line in render.login_choices([state.logins[n] for n in networks], state.default):
        say(line)
    question = f"Make which login the default? [1-{len(networks)}]"
    for _ in range(PICK_ATTEMPTS):
        answer = _ask(question, hide=False).strip()
        if answer.isdigit() and 1 <= int(answer) <= len(networks):
            return networks[int(answer) - 1]
        say(f"Answer with a number from 1 to {len(networks)}.")
    raise UsageError(
        "No login was picked, so the default is unchanged.",
        hint="Run: mighty switch NETWORK, naming one of: " + ", ".join(networks),
    )


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
    plan = login_options.logout_plan(network, all_networks, os.environ)
    if not plan.targets:
        say("Not logged in to any network; nothing to do.")
        if as_json:
            emit_json([])
        return
    results = []
    for target in plan.targets:
        result = logins.logout(
            target, state_path=plan.state_path, client_secret=plan.client_secret, force=force
        )
        results.append(result)
        render.report_logout(target, result)
    if as_json:
        render.logouts_json(results)
