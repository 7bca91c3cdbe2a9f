"""The emulator's front end: ``mighty emulator`` and ``python -m mightycli.emulator`` are this
one command, with one set of flags. It checks the flags, starts the server, says how to log in
to it and serves until Ctrl-C or SIGTERM.

Like the rest of the emulator it imports nothing from the client: the command line registers
``emulator`` as its ``emulator`` command and turns ``FrontEndError`` into its usage error.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer

from mightycli.emulator.authorization import (
    ADMIN_API_TOKEN,
    CONFIDENTIAL_CLIENT_SECRET,
    DEFAULT_REDIRECT_URI,
)
from mightycli.emulator.directory import NETWORK_ID, title_for

EMULATOR_EXTRA = "pip install 'mighty-cli[emulator]'"
# The secret the emulator's webhook deliveries carry: from the environment only, never from an
# argument, so it stays out of shell history and process listings.
WEBHOOK_SECRET_VARIABLE = "MIGHTY_WEBHOOK_SECRET"
WEBHOOK_EVENT_TYPES = ("pascal", "upper", "hook", "absent")
DEBUG_HELP = "Log every HTTP exchange to stderr, secrets redacted (also MIGHTY_DEBUG=1)."


class FrontEndError(Exception):
    """A flag the emulator cannot start with (a usage error): what is wrong, and what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _import_server() -> Any:
    """The server module, or a usage error naming the extra that provides it."""
    try:
        from mightycli.emulator import server
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "graphql":
            raise
        raise FrontEndError(
            "The emulator is not installed: it needs the emulator extra (graphql-core).",
            hint=f"Install it with: {EMULATOR_EXTRA}",
        ) from None
    return server


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
        typer.Option(
            "--network",
            metavar="SUBDOMAIN",
            help="The network's subdomain; its title follows it (mycommunity: Mycommunity).",
        ),
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
    rate_limit: Annotated[
        int | None,
        typer.Option(
            "--rate-limit",
            metavar="N",
            help="Answer Admin API requests beyond N a minute with 429, as Mighty's documented "
            "stand-in limit of 200 a minute.",
            show_default=False,
        ),
    ] = None,
    rate_limit_retry_after: Annotated[
        bool,
        typer.Option(
            "--rate-limit-retry-after",
            help="Send Retry-After with each 429 (Mighty's were seen without).",
        ),
    ] = False,
    advertise_revocation: Annotated[
        bool,
        typer.Option(
            "--advertise-revocation",
            help="Name the revocation endpoint in the discovery document (Mighty's does not).",
        ),
    ] = False,
    webhook_urls: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook-url",
            metavar="URL",
            help="Deliver webhooks to this URL (repeatable): https, or http to a loopback host. "
            f"Each delivery carries ${WEBHOOK_SECRET_VARIABLE}, if set, as a Bearer token.",
            show_default=False,
        ),
    ] = None,
    webhook_event_type: Annotated[
        str,
        typer.Option(
            "--webhook-event-type",
            metavar="STYLE",
            help="How a delivery's event_type is spelled: pascal (PostCreated), upper "
            "(POST_CREATED), hook (PostCreatedHook) or absent.",
        ),
    ] = "pascal",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not log requests.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Behave as a strict server: real-time expiry, refresh tokens rotated on every "
            "use, a used one presented again revokes the whole grant.",
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Run a local stand-in for Mighty Networks (OAuth, GraphQL and Admin API) until Ctrl-C.

    Prints its base URL on stdout and how to log in to it on stderr. Quirks seen on live
    networks can be switched on to try a script against them.

    \b
    Examples:
      mighty emulator --port 4010 --auto-approve
      mighty emulator --port 0 --network mycommunity --client-id abc123 --member lin@example.com
      mighty emulator --port 0 --strict --token-ttl 3
      mighty emulator --port 4010 --webhook-url http://127.0.0.1:8787/
    """
    server_module = _import_server()
    _check(host, port, token_ttl, members, strict, no_refresh_tokens, rate_limit)
    hooks = _check_webhooks(webhook_urls or [], webhook_event_type)
    secret = os.environ.get(WEBHOOK_SECRET_VARIABLE) or None
    try:
        server = server_module.Emulator(
            host,
            port,
            auto_approve=auto_approve,
            access_token_ttl=token_ttl,
            issue_refresh_tokens=not no_refresh_tokens,
            redirect_uris=tuple(redirect_uris or (DEFAULT_REDIRECT_URI,)),
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
            rate_limit=rate_limit,
            rate_limit_retry_after=rate_limit_retry_after,
            webhook_url=hooks,
            webhook_secret=secret,
            webhook_event_type=webhook_event_type,
        )
    except ValueError as exc:
        raise FrontEndError(f"The emulator cannot start: {exc}.") from None
    clients = (client_id, confidential_client_id)
    limit = _limit_text(rate_limit, rate_limit_retry_after)
    rows = _webhook_rows(hooks, secret is not None)
    serve_until_stopped(
        server,
        host,
        port,
        lambda: _announce(server, subdomain, clients, auto_approve, limit, rows),
    )


def _check(
    host: str,
    port: int,
    token_ttl: float,
    members: int,
    strict: bool,
    no_refresh: bool,
    rate_limit: int | None = None,
) -> None:
    if not _is_loopback(host):
        raise FrontEndError(
            f"The emulator listens on loopback addresses only, not {host!r}.",
            hint="Use --host 127.0.0.1 or --host ::1.",
        )
    if port < 0 or port > 65535:
        raise FrontEndError(f"Port {port} is out of range.")
    if token_ttl <= 0:
        raise FrontEndError("--token-ttl must be positive.")
    if members < 0:
        raise FrontEndError("--members cannot be negative.")
    if strict and no_refresh:
        raise FrontEndError("--strict rotates refresh tokens: it goes without --no-refresh-tokens.")
    if rate_limit is not None and rate_limit < 1:
        raise FrontEndError(
            f"--rate-limit must be at least 1 request a minute, not {rate_limit}.",
            hint="Leave it out for no limit; Mighty's documented stand-in is --rate-limit 200.",
        )


def _check_webhooks(urls: list[str], event_type: str) -> list[str]:
    from mightycli.emulator.webhooks import url_problem  # httpx, only when the command runs

    for url in urls:
        problem = url_problem(url)
        if problem is not None:
            raise FrontEndError(
                f"--webhook-url {url!r}: {problem.removeprefix('url ')}",
                hint="Use an https URL, or http://127.0.0.1:PORT/ for a local receiver.",
            )
    if event_type not in WEBHOOK_EVENT_TYPES:
        raise FrontEndError(
            f"--webhook-event-type must be one of {', '.join(WEBHOOK_EVENT_TYPES)}, "
            f"not {event_type!r}."
        )
    return urls


def _webhook_rows(urls: list[str], with_secret: bool) -> list[tuple[str, str]]:
    """Where the emulator delivers, for the banner; the secret is never shown."""
    how = (
        f"Bearer secret from ${WEBHOOK_SECRET_VARIABLE}"
        if with_secret
        else f"no secret; set ${WEBHOOK_SECRET_VARIABLE} to send one"
    )
    return [("Webhooks", f"{url} ({how})") for url in urls]


def _limit_text(rate_limit: int | None, retry_after: bool) -> str | None:
    if rate_limit is None:
        return None
    return f"{rate_limit} Admin API requests a minute, then 429 " + (
        "with Retry-After" if retry_after else "without Retry-After"
    )


def _announce(
    server: Any,
    subdomain: str,
    clients: tuple[str, str],
    auto_approve: bool,
    rate_limit: str | None = None,
    webhooks: list[tuple[str, str]] | None = None,
) -> None:
    client_id, confidential_id = clients
    url = server.url
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    _say(f"Mighty Networks emulator: {title_for(subdomain)}")
    rows = [
        ("Network", f"id {NETWORK_ID}, subdomain {subdomain}"),
        ("OAuth issuer", server.issuer),
        ("GraphQL", server.graphql_url),
        ("Admin API", f"{url}/admin/v1/networks/{NETWORK_ID}/"),
        ("Public client", client_id),
        ("Confidential", f"{confidential_id}, secret {CONFIDENTIAL_CLIENT_SECRET}"),
        ("Admin API token", ADMIN_API_TOKEN),
        ("Consent", "approved automatically" if auto_approve else "a page with Approve/Deny"),
    ]
    if rate_limit is not None:
        rows.append(("Rate limit", rate_limit))
    rows.extend(webhooks or ())
    width = max(len(label) for label, _ in rows) + 2  # the label, its colon and a space
    for label, value in rows:
        _say(f"  {label + ':':<{width}}{value}")
    _say("Log in to it with:")
    sys.stderr.write(
        f"  mighty login --network {subdomain} --issuer {server.issuer} "
        f"--api-url {server.api_url} --client-id {client_id}\n"
    )
    _say("Press Ctrl-C to stop.")


def serve_until_stopped(server: Any, host: str, port: int, announce: Callable[[], None]) -> None:
    """Start the server, announce it, and serve until Ctrl-C or SIGTERM."""
    try:
        server.start()
    except OSError as exc:
        raise FrontEndError(
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
    _say("Emulator stopped.")
