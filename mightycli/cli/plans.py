"""``mighty plans``: the network's plans, who is on one, and access granted, revoked and
offered by invitation."""

from __future__ import annotations

from typing import Annotated

import typer

from mightycli.cli.base import command_group
from mightycli.cli.output import say
from mightycli.cli.views import (
    DebugOption,
    DryRunOption,
    FieldsOption,
    JqOption,
    NetworkOption,
    YesOption,
    admin_run,
    check_output,
    group_command,
    list_command,
    run_links,
    show_answer,
)
from mightycli.errors import UsageError

plans = command_group(
    "plans",
    """List plans and their members; grant, revoke and offer plans.

    A PLAN is an id or the plan's exact name (any case); a MEMBER a numeric id or an e-mail.

    \b
    Examples:
      mighty plans list
      mighty plans grant Gold alan@example.com
    """,
)

PlanArgument = Annotated[
    str, typer.Argument(metavar="PLAN", help="An id or the plan's name.", show_default=False)
]
MembersArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="MEMBER...", help="Numeric ids or e-mail addresses.", show_default=False
    ),
]

list_command(
    plans,
    "list",
    "plans",
    "plans.list",
    """List the network's plans.

    \b
    Examples:
      mighty plans list
      mighty plans list --json id,name,pricing_type
    """,
)
list_command(
    plans,
    "members",
    "members",
    "plans.members",
    """List the members on a plan.

    \b
    Examples:
      mighty plans members Gold --all
    """,
    argument=(
        "PLAN",
        "An id or the plan's name.",
        lambda names, text: {"plan_id": names.one("plans", text).id},
    ),
)


@group_command(plans, "grant")
def grant(
    plan: PlanArgument,
    members: MembersArgument,
    dry_run: DryRunOption = False,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Put members on a plan (those on it already are left as they are).

    \b
    Examples:
      mighty plans grant Gold alan@example.com
      mighty plans grant Silver ada@example.com 5000003 --dry-run
    """
    run_links(
        network, "plans",
        lambda names: [(names.one("plans", plan), names.member(m)) for m in members],
        remove=False, dry_run=dry_run, spec=fields, jq=jq,
    )  # fmt: skip


@group_command(plans, "revoke")
def revoke(
    plan: PlanArgument,
    members: MembersArgument,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Take members off a plan.

    \b
    Examples:
      mighty plans revoke Silver grace@example.com --yes
    """
    run_links(
        network, "plans",
        lambda names: [(names.one("plans", plan), names.member(m)) for m in members],
        remove=True, dry_run=dry_run, yes=yes,
        action=f"Revoke plan {plan} from {{n}} member(s)",
    )  # fmt: skip


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
    if fields is not None:
        check_output("invites", None, fields, jq)
    if "@" not in email:
        raise UsageError(f"{email!r} is not an e-mail address.")
    with admin_run(network, dry_run=dry_run) as (admin, names):
        target = names.one("plans", plan)
        values = {"plan_id": target.id, "email": email, "message": message}
        answer = admin.call("plans.invite", values)
    if answer is not None:
        say(f"Invited {email} to plan {target.label}.")
        show_answer("invites", [answer], fields, jq)
