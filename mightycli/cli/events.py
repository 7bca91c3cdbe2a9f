"""``mighty events``: the network's events and who answered them."""

from __future__ import annotations

from typing import Annotated

import typer

from mightycli.cli.base import command_group
from mightycli.cli.views import (
    AllOption,
    DebugOption,
    FieldsOption,
    FormatOption,
    JqOption,
    LimitOption,
    NetworkOption,
    group_command,
    list_command,
    run_list,
)
from mightycli.errors import UsageError

events = command_group(
    "events",
    """List events and their RSVPs.

    \b
    Examples:
      mighty events list
      mighty events rsvps "Office Hours"
    """,
)
list_command(
    events,
    "list",
    "events",
    "events.list",
    """List the network's events.

    \b
    Examples:
      mighty events list --json id,title,starts_at
    """,
)


def _instant(text: str | None) -> str | None:
    from datetime import datetime

    if text is None:
        return None
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--instance-at expects a date and time, got {text!r}.",
            hint="Use RFC 3339, e.g. 2026-12-10T17:00:00Z.",
        ) from None
    return text


@group_command(events, "rsvps")
def rsvps(
    event: Annotated[
        str, typer.Argument(metavar="EVENT", help="An id or the event's title.", show_default=False)
    ],
    instance_at: Annotated[
        str | None,
        typer.Option(
            "--instance-at",
            metavar="TIME",
            help="One occurrence of a recurring event, by its start (RFC 3339).",
            show_default=False,
        ),
    ] = None,
    limit: LimitOption = None,
    every: AllOption = False,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """List who answered an event, and how.

    \b
    Examples:
      mighty events rsvps "Office Hours"
      mighty events rsvps "Office Hours" --json status,member --jq '.[].member.email'
    """
    when = _instant(instance_at)
    run_list(
        network, "rsvps", "events.rsvps", limit=limit, every=every, fmt=fmt, spec=fields, jq=jq,
        values=lambda names: {"event_id": names.one("events", event).id, "instance_at": when},
    )  # fmt: skip
