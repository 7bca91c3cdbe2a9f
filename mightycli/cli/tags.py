"""``mighty tags`` and ``mighty badges``: the network's tags and badges. Members are tagged
with ``mighty members tag``."""

from __future__ import annotations

from mightycli.cli.base import command_group
from mightycli.cli.views import list_command

tags = command_group(
    "tags",
    """List the network's tags (tag members with mighty members tag).

    \b
    Examples:
      mighty tags list
    """,
)
badges = command_group(
    "badges",
    """List the network's badges.

    \b
    Examples:
      mighty badges list
    """,
)
list_command(
    tags,
    "list",
    "tags",
    "tags.list",
    """List the network's tags.

    \b
    Examples:
      mighty tags list
      mighty tags list --json id,title,color
    """,
)
list_command(
    badges,
    "list",
    "badges",
    "badges.list",
    """List the network's badges.

    \b
    Examples:
      mighty badges list --format csv
    """,
)
