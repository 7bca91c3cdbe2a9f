"""``mighty tags`` and ``mighty badges``: the network's tags and badges. Members are tagged
with ``mighty members tag``."""

from __future__ import annotations

from mightycli.cli.base import command_group
from mightycli.cli.views import declare_listings

tags = command_group(
    "tags",
    """List the network's tags (tag members with mighty members tag).

    \b
    Examples:
      mighty tags list
    """,
)
declare_listings(tags)
badges = command_group(
    "badges",
    """List the network's badges.

    \b
    Examples:
      mighty badges list
    """,
)
declare_listings(badges)
