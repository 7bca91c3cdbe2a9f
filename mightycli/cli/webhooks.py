"""``mighty webhooks``: Mighty's webhooks for local development. ``listen`` receives
deliveries as a careful endpoint would, ``trigger`` sends a synthetic one, ``events`` lists
what Mighty publishes, and ``list``/``create``/``delete`` manage a network's callbacks."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Annotated, Any

import typer

from mightycli.cli.base import (
    DebugOption,
    JsonOption,
    NetworkOption,
    command_group,
    group_command,
    read_secret_from_stdin,
)
from mightycli.cli.output import brief, emit_json, for_people, say, stdout_gone
from mightycli.config import check_endpoint_url, is_loopback_host
from mightycli.environment import Env
from mightycli.errors import EXIT_FAILURE, UsageError
from mightycli.webhooks import catalog

SECRET_NOTE = (
    f"The secret is {Env.WEBHOOK_SECRET.value}, or --secret-stdin: Mighty presents it as "
    "Authorization: Bearer (the callback's apiKey)."
)
webhooks = command_group(
    "webhooks",
    f"""Receive, send and manage Mighty's webhooks for local development.

    {SECRET_NOTE}

    \b
    Examples:
      mighty webhooks events
      mighty webhooks listen --port 8787
      mighty webhooks trigger MemberJoined --to http://127.0.0.1:8787/
    """,
)

SecretStdinOption = Annotated[
    bool,
    typer.Option(
        "--secret-stdin",
        help=f"Read the webhook secret from standard input (else {Env.WEBHOOK_SECRET.value}).",
    ),
]


def _secret(from_stdin: bool) -> str | None:
    if from_stdin:
        secret = read_secret_from_stdin("webhook secret").strip()
        if not secret:
            raise UsageError("The webhook secret on standard input is empty.")
        return secret
    return os.environ.get(Env.WEBHOOK_SECRET) or None


def _event_names(text: str | None) -> list[str] | None:
    """--events NAME,...: each a known event in any spelling, as PascalCase."""
    if text is None:
        return None
    names = []
    for word in (part.strip() for part in text.split(",")):
        name = catalog.canonical_name(word) if word else None
        if name is None:
            raise UsageError(
                f"--events: unknown event {word!r}.",
                hint=catalog.did_you_mean(word) + "mighty webhooks events lists them.",
            )
        names.append(name)
    return names


@group_command(webhooks, "events")
def events_command(as_json: JsonOption = False, debug: DebugOption = False) -> None:
    """List the events Mighty publishes a webhook for, one a line.

    The names are the Admin API's (PascalCase); --json adds each one's GraphQL
    WebhookEventType value and its published payload schema.

    \b
    Examples:
      mighty webhooks events
      mighty webhooks events | grep ^Member
    """
    events = sorted(catalog.EVENTS, key=lambda event: event.name)
    if as_json:
        emit_json([{"event": e.name, "graphql": e.enum_name, "payload": e.schema} for e in events])
        return
    try:
        sys.stdout.write("".join(event.name + "\n" for event in events))
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_gone()


# --------------------------------------------------------------------------- listen


def _clock() -> str:
    return time.strftime("%H:%M:%S")


def _tell(outcome: Any) -> None:
    """One readable line on stderr per request."""
    delivery = outcome.delivery
    what = f"{delivery.event_type or '(no event_type)'}  {delivery.event_id}" if delivery else ""
    if outcome.kind == "refused":
        say(f"{_clock()}  {outcome.status}  refused: {outcome.reason}", style="red")
    elif outcome.kind == "repeat":
        say(f"{_clock()}  {outcome.status}  {what}  (a repeat: not printed again)", style="dim")
    elif outcome.kind == "filtered":
        say(f"{_clock()}  {outcome.status}  {what}  (not in --events: skipped)", style="dim")
    else:
        via = f"  handler answered {outcome.forwarded}" if outcome.forwarded is not None else ""
        why = f"  {brief(outcome.reason)}" if outcome.reason else ""
        style = "green" if outcome.kind == "delivered" else "red"
        say(f"{_clock()}  {outcome.status}  {what}{via}{why}", style=style)


@group_command(webhooks, "listen")
def listen_command(
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="The address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", help="The port (0 picks a free one).")
    ] = 8787,
    forward_to: Annotated[
        str | None,
        typer.Option(
            "--forward-to",
            metavar="URL",
            help="Send each delivery on to this handler, and answer with its status.",
            show_default=False,
        ),
    ] = None,
    events: Annotated[
        str | None,
        typer.Option(
            "--events",
            metavar="NAME,...",
            help="Print and forward only these events (others are answered 200).",
            show_default=False,
        ),
    ] = None,
    secret_stdin: SecretStdinOption = False,
    debug: DebugOption = False,
) -> None:
    """Receive webhook deliveries and print each new one as a JSON line.

    Each delivery is checked as Mighty publishes it: 401 without the secret (when
    one is set), 400 for a body that is not an envelope (event_id a uuid,
    event_timestamp, payload an object), else 200. Each new event prints one line
    on stdout, {"event_type", "event_id", "event_timestamp", "payload"}, with the
    event type in PascalCase; a repeated event_id is answered 200 and not printed
    again. People see a line per delivery on stderr. Ctrl-C stops it (exit 0).

    \b
    Examples:
      mighty webhooks listen
      mighty webhooks listen --events MemberJoined | head -1 | jq .payload.member.email
      mighty webhooks listen --forward-to http://127.0.0.1:5000/hooks
    """
    from mightycli.webhooks.listener import Listener, bind, server_url

    names = _event_names(events)
    if forward_to is not None:
        check_endpoint_url(forward_to, "--forward-to URL")
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} is not a port number.", hint="Use 0 to 65535.")
    secret = _secret(secret_stdin)
    stopping = threading.Event()
    server: Any = None

    def emit(line: str) -> None:
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # the reader has what it wanted (| head -1): stop
            stdout_gone()
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    listener = Listener(secret=secret, emit=emit, notify=_tell, events=names, forward_to=forward_to)
    server = bind(host, port, listener)
    try:
        _announce(server_url(server), host, secret, forward_to, names)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:  # the way a listener ends, as the emulator does: not a failure
        say("Stopped listening.")
    finally:
        server.server_close()
        listener.close()


def _announce(url: str, host: str, secret: str | None, forward_to: str | None, names: Any) -> None:
    say(f"Listening for Mighty webhooks at {url} (Ctrl-C stops).")
    if not is_loopback_host(host):
        say(f"{host} is not this machine's loopback address: others can reach it.", style="yellow")
    if secret is None:
        say(
            f"No secret is set ({Env.WEBHOOK_SECRET.value} or --secret-stdin): every delivery "
            "is accepted.",
            style="yellow",
        )
    if forward_to:
        say(f"Forwarding each delivery to {forward_to}.")
    if names:
        say(f"Only {', '.join(names)}.")


# --------------------------------------------------------------------------- trigger


@group_command(webhooks, "trigger")
def trigger_command(
    event: Annotated[
        str,
        typer.Argument(
            metavar="EVENT",
            help="The event, as mighty webhooks events names it.",
            show_default=False,
        ),
    ],
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="URL", help="Where to send it.", show_default=False),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="FIELD=VALUE",
            help="Change a payload field (a dotted path); repeat for more.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the delivery's body; send nothing.")
    ] = False,
    secret_stdin: SecretStdinOption = False,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", help="How long to wait for an answer.")
    ] = 30.0,
    debug: DebugOption = False,
) -> None:
    """Send one synthetic delivery of EVENT, as Mighty would.

    The payload is valid under the event's published schema, with realistic
    values, a fresh event_id and now as the event_timestamp. Exit 0 when the
    endpoint answers 2xx, 1 otherwise.

    \b
    Examples:
      mighty webhooks trigger MemberJoined --to http://127.0.0.1:8787/
      mighty webhooks trigger MemberTagAdded --to http://127.0.0.1:8787/ --set tag.title=Mentor
      mighty webhooks trigger RsvpCreated --dry-run
    """
    from mightycli.config import check_seconds
    from mightycli.webhooks.trigger import build_delivery, published_event, send_delivery

    name = published_event(event)
    if to is None and not dry_run:
        raise UsageError("Where to? trigger needs --to URL.", hint="Or --dry-run to see the body.")
    if to is not None:
        check_endpoint_url(to, "--to URL")
    check_seconds(timeout, "--timeout")
    body = build_delivery(name, overrides or ())
    if dry_run:
        import json

        emit_json(json.loads(body))
        return
    assert to is not None
    sent = send_delivery(to, body, secret=_secret(secret_stdin), timeout=timeout)
    answer = f"{sent.status} {sent.reason}".strip()
    if sent.accepted:
        say(f"Sent {name} ({sent.event_id}) to {to}: {answer}.")
        return
    text = brief(for_people(sent.answer.decode("utf-8", errors="replace")))
    say(f"mighty: {to} answered {answer} to {name} ({sent.event_id}).", style="red")
    if text:
        say(f"Its answer: {text}")
    raise typer.Exit(EXIT_FAILURE)


# --------------------------------------------------------------------------- callbacks


def _connection(network: str | None) -> Any:
    from mightycli.client import connect

    return connect(network, notify=say)


def _events_cell(callback: dict[str, Any]) -> str:
    included = callback.get("includedEvents")
    if included is None:
        return "all"
    names = [catalog.canonical_name(str(name)) or str(name) for name in included]
    return ",".join(names) or "none"


def _show_callbacks(callbacks: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit_json(callbacks)
        return
    rows = [
        [
            for_people(str(cell))
            for cell in (
                c.get("resourceId") or c.get("id") or "",
                c.get("url", ""),
                _events_cell(c),
                "disabled" if c.get("disabled") else "enabled",
                c.get("consecutiveFailures", ""),
            )
        ]
        for c in callbacks
    ]
    if sys.stdout.isatty():
        if not rows:
            say("No webhook callbacks.")
            return
        rows.insert(0, ["ID", "URL", "EVENTS", "STATE", "FAILURES"])
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [
            "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[4]]) for r in rows
        ]
    else:  # tab-separated rows, no header, as the other lists into a pipe
        lines = ["\t".join(row) for row in rows]
    try:
        sys.stdout.write("".join(line + "\n" for line in lines))
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_gone()


@group_command(webhooks, "list")
def list_command(
    network: NetworkOption = None, as_json: JsonOption = False, debug: DebugOption = False
) -> None:
    """List the network's webhook callbacks (a host's OAuth login).

    Shows each callback's id, URL, events (all, or the names), whether Mighty has
    paused it after failures, and its consecutive failures.

    \b
    Examples:
      mighty webhooks list
      mighty webhooks list --json
    """
    from mightycli.webhooks.callbacks import list_callbacks

    with _connection(network) as connection:
        _show_callbacks(list_callbacks(connection), as_json)


@group_command(webhooks, "create")
def create_command(
    url: Annotated[
        str,
        typer.Option("--url", metavar="URL", help="The endpoint (https).", show_default=False),
    ],
    events: Annotated[
        str | None,
        typer.Option(
            "--events",
            metavar="NAME,...",
            help="Only these events.  [default: every event]",
            show_default=False,
        ),
    ] = None,
    secret_stdin: SecretStdinOption = False,
    network: NetworkOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Register a webhook callback: Mighty posts the events to URL.

    The secret (MIGHTY_WEBHOOK_SECRET or --secret-stdin) becomes the callback's
    apiKey, presented with each delivery.

    \b
    Examples:
      mighty webhooks create --url https://localhost:8443/mighty --events MemberJoined,MemberLeft
    """
    from mightycli.webhooks.callbacks import create_callback

    names = _event_names(events)
    if names == []:
        raise UsageError("--events lists no event.", hint="Leave it out for every event.")
    check_endpoint_url(url, "--url")
    secret = _secret(secret_stdin)
    with _connection(network) as connection:
        callback = create_callback(connection, url, names, secret)
    shown = callback.get("resourceId") or callback.get("id")
    say(f"Created webhook callback {shown} for {callback.get('url')}.")
    if as_json:
        emit_json(callback)
    else:
        sys.stdout.write(f"{shown}\n")


@group_command(webhooks, "delete")
def delete_command(
    callback_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="The callback's id (mighty webhooks list).", show_default=False
        ),
    ],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask; needed when no one is at a terminal.")
    ] = False,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Delete a webhook callback: Mighty stops posting to it.

    \b
    Examples:
      mighty webhooks delete 9700001 --yes
    """
    from mightycli.cli.views import confirm
    from mightycli.webhooks.callbacks import delete_callback

    confirm(f"Delete webhook callback {callback_id}", yes=yes, dry_run=False)
    with _connection(network) as connection:
        delete_callback(connection, callback_id)
    say(f"Deleted webhook callback {callback_id}.")
