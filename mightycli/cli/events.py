"""``mighty events``: the network's events and who answered them."""

from __future__ import annotations

from mightycli.cli.base import command_group
from mightycli.cli.views import (
    declare_listings,
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
declare_listings(events)


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
