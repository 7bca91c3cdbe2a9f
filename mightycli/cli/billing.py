"""``mighty subscriptions`` and ``mighty purchases``: who pays for which plan."""

from __future__ import annotations

from typing import Annotated, Any

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
    run_list,
)

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
MemberOption = Annotated[
    str | None,
    typer.Option(
        "--member", metavar="MEMBER", help="Only this member's (id or e-mail).", show_default=False
    ),
]


@group_command(subscriptions, "list")
def list_subscriptions(
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="canceled for ended subscriptions.",
            show_default=False,
        ),
    ] = None,
    member: MemberOption = None,
    limit: LimitOption = None,
    every: AllOption = False,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """List subscriptions, all or one member's.

    \b
    Examples:
      mighty subscriptions list
      mighty subscriptions list --member ada@example.com --json plan,subscription
    """

    def values(names: Any) -> dict[str, Any]:
        return {"status": status, "member_id": names.member(member).id if member else None}

    run_list(
        network, "subscriptions", "subscriptions.list", limit=limit, every=every, fmt=fmt,
        spec=fields, jq=jq, values=values,
    )  # fmt: skip


@group_command(purchases, "list")
def list_purchases(
    plan: Annotated[
        str | None,
        typer.Option(
            "--plan", metavar="PLAN", help="Only this plan's (id or name).", show_default=False
        ),
    ] = None,
    member: MemberOption = None,
    limit: LimitOption = None,
    every: AllOption = False,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """List purchases, all or one plan's or member's.

    \b
    Examples:
      mighty purchases list
      mighty purchases list --member alan@example.com --format csv
    """

    def values(names: Any) -> dict[str, Any]:
        return {
            "plan_id": names.one("plans", plan).id if plan else None,
            "member_id": names.member(member).id if member else None,
        }

    run_list(
        network, "purchases", "purchases.list", limit=limit, every=every, fmt=fmt, spec=fields,
        jq=jq, values=values,
    )  # fmt: skip
