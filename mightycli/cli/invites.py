"""``mighty invites``: invitations to the network, listed, sent and revoked."""

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
    confirm,
    declare_listings,
    group_command,
    run_write,
)
from mightycli.errors import UsageError

invites = command_group(
    "invites",
    """List, send and revoke invitations to the network.

    \b
    Examples:
      mighty invites create --email friend@example.com --first-name Mary --last-name Jackson
      mighty invites list --email friend@example.com
    """,
)
declare_listings(invites)


@group_command(invites, "create")
def create_invite(
    email: Annotated[
        str, typer.Option("--email", metavar="EMAIL", help="Who to invite.", show_default=False)
    ],
    first_name: Annotated[
        str | None,
        typer.Option("--first-name", metavar="NAME", help="Their first name.", show_default=False),
    ] = None,
    last_name: Annotated[
        str | None,
        typer.Option("--last-name", metavar="NAME", help="Their last name.", show_default=False),
    ] = None,
    dry_run: DryRunOption = False,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Invite someone to the network by e-mail.

    \b
    Examples:
      mighty invites create --email friend@example.com --first-name Mary --last-name Jackson
    """
    if "@" not in email:
        raise UsageError(f"{email!r} is not an e-mail address.")
    values = {
        "recipient_email": email, "recipient_first_name": first_name,
        "recipient_last_name": last_name,
    }  # fmt: skip
    run_write(
        network, "invites", "invites.create", lambda names: values,
        dry_run=dry_run, fields=fields, jq=jq,
        told=lambda answer: f"Invited {email} (invitation {answer.get('id')}).",
    )  # fmt: skip


@group_command(invites, "revoke")
def revoke_invite(
    invite_id: Annotated[
        str, typer.Argument(metavar="ID", help="The invitation's id.", show_default=False)
    ],
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Revoke an invitation.

    \b
    Examples:
      mighty invites revoke 9000001 --dry-run
    """
    if not (invite_id.isascii() and invite_id.isdigit()):
        raise UsageError(f"{invite_id!r} is not an invitation id.", hint="See: mighty invites list")
    with admin_run(network, dry_run=dry_run) as (admin, _):
        confirm(f"Revoke invitation {invite_id}", yes=yes, dry_run=dry_run)
        admin.call("invites.revoke", {"id": int(invite_id)})
    if not dry_run:
        say(f"Revoked invitation {invite_id}.")
