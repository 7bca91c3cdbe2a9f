"""``mighty subscriptions`` and ``mighty purchases``: who pays for which plan."""

from __future__ import annotations

from mightycli.cli.base import command_group
from mightycli.cli.views import declare_listings

subscriptions = command_group(
    "subscriptions",
    """List subscriptions to the network's plans.

    \b
    Examples:
      mighty subscriptions list --status canceled
    """,
)
declare_listings(subscriptions)
purchases = command_group(
    "purchases",
    """List one-time purchases of the network's plans.

    \b
    Examples:
      mighty purchases list --plan "Founders, \\"Inner\\" Circle"
    """,
)
declare_listings(purchases)
