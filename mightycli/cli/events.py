"""``mighty events``: the network's events and who answered them (both list commands, described
in ``mightycli.listings``)."""

from __future__ import annotations

from mightycli.cli.base import command_group
from mightycli.cli.views import declare_listings

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
