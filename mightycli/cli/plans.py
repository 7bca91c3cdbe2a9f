"""``mighty plans``: the network's plans, who is on one, and access granted, revoked and
offered by invitation."""

from __future__ import annotations

from typing import Annotated

import typer

from mightycli.cli.base import command_group
from mightycli.cli.changes import PLAN_MEMBERS, link_command
from mightycli.cli.views import (
    DebugOption,
    DryRunOption,
    FieldsOption,
    JqOption,
    NetworkOption,
    declare_listings,
    group_command,
    help_text,
    run_write,
)
from mightycli.errors import UsageError

plans = command_group(
    "plans",
    """List plans and their members; grant, revoke and offer plans.

    A PLAN is an id or the plan's exact name (any case); a MEMBER a numeric id or an e-mail.

    \b
    Examples:
      mighty plans list
      mighty plans grant Community alan@example.com
    """,
)
declare_listings(plans)

PlanArgument = Annotated[
    str, typer.Argument(metavar="PLAN", help="An id or the plan's name.", show_default=False)
]


link_command(
    plans,
    "grant",
    "plans",
    PLAN_MEMBERS,
    help_text(
        "Put members on a plan (those on it already are left as they are).",
        "mighty plans grant Community alan@example.com",
        "mighty plans grant Community ada@example.com 5000003 --dry-run",
    ),
)
link_command(
    plans,
    "revoke",
    "plans",
    PLAN_MEMBERS,
    help_text("Take members off a plan.", "mighty plans revoke Silver grace@example.com --yes"),
    remove=True,
    action="Revoke plan {target} from {n} member(s)",
)


@group_command(plans, "invite")
def invite(
    plan: PlanArgument,
    email: Annotated[
        str,
        typer.Option("--email", metavar="EMAIL", help="Who to invite.", show_default=False),
    ],
    message: Annotated[
        str | None,
        typer.Option(
            "--message", metavar="TEXT", help="A note in the invitation.", show_default=False
        ),
    ] = None,
    dry_run: DryRunOption = False,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Invite someone to a plan by e-mail.

    \b
    Examples:
      mighty plans invite Gold --email friend@example.com --message "Welcome aboard"
    """
    if "@" not in email:
        raise UsageError(f"{email!r} is not an e-mail address.")
    run_write(
        network, "invites", "plans.invite",
        lambda names: {"plan_id": names.one("plans", plan).id, "email": email, "message": message},
        dry_run=dry_run, fields=fields, jq=jq,
        told=lambda answer: f"Invited {email} to plan {plan}.",
    )  # fmt: skip
