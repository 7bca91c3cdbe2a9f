"""``mighty subscriptions`` and ``mighty purchases``: who pays for which plan."""

from __future__ import annotations

from mightycli.cli.base import command_group
from mightycli.cli.views import Choice, help_text, list_command, member_choice, named_choice

subscriptions = command_group(
    "subscriptions",
    """List subscriptions to the network's plans.

    \b
    Examples:
      mighty subscriptions list --status canceled
    """,
)
purchases = command_group(
    "purchases",
    """List one-time purchases of the network's plans.

    \b
    Examples:
      mighty purchases list --plan "Founders, \\"Inner\\" Circle"
    """,
)
list_command(
    subscriptions,
    "list",
    "subscriptions",
    "subscriptions.list",
    help_text(
        "List subscriptions, all or one member's.",
        "mighty subscriptions list",
        "mighty subscriptions list --member ada@example.com --json plan,subscription",
    ),
    Choice(
        "status",
        "STATUS",
        "canceled for ended subscriptions.",
        lambda names, text: {"status": text},
        option="--status",
    ),
    member_choice(option="--member"),
)
list_command(
    purchases,
    "list",
    "purchases",
    "purchases.list",
    help_text(
        "List purchases, all or one plan's or member's.",
        "mighty purchases list",
        "mighty purchases list --member alan@example.com --format csv",
    ),
    named_choice("plans", "plan_id", "--plan", "Only this plan's (id or name)."),
    member_choice(option="--member"),
)
