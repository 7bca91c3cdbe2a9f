"""``mighty events``: the network's events and who answered them."""

from __future__ import annotations

from mightycli.cli.base import command_group
from mightycli.cli.views import (
    Choice,
    help_text,
    list_command,
    named_choice,
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


def _instant(text: str) -> str:
    from datetime import datetime

    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--instance-at expects a date and time, got {text!r}.",
            hint="Use RFC 3339, e.g. 2026-12-10T17:00:00Z.",
        ) from None
    return text


list_command(
    events,
    "rsvps",
    "rsvps",
    "events.rsvps",
    help_text(
        "List who answered an event, and how.",
        'mighty events rsvps "Office Hours"',
        "mighty events rsvps \"Office Hours\" --json status,member --jq '.[].member.email'",
    ),
    named_choice("events", "event_id"),
    Choice(
        "instance_at",
        "TIME",
        "One occurrence of a recurring event, by its start (RFC 3339).",
        lambda names, text: {"instance_at": _instant(text)},
        option="--instance-at",
    ),
)
