"""``mighty members``: the roster, one member, creating, editing and removing members, and
their plans, spaces and tags."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mightycli.cli.base import command_group
from mightycli.cli.changes import MEMBER_TAGS, link_command
from mightycli.cli.output import say
from mightycli.cli.views import (
    DebugOption,
    DryRunOption,
    FieldsOption,
    FormatOption,
    JqOption,
    NetworkOption,
    YesOption,
    admin_run,
    check_output,
    confirm,
    declare_listings,
    group_command,
    help_text,
    run_write,
    show_item,
)
from mightycli.errors import ApiError, NotFoundError, UsageError

members = command_group(
    "members",
    """List, view, create, edit and remove members, and their plans, spaces and tags.

    A MEMBER is a numeric id or an e-mail address. Uses the Admin API token
    (mighty login --with-token).

    \b
    Examples:
      mighty members list --all --format csv > roster.csv
      mighty members view ada@example.com
      mighty members tag grace@example.com VIP
    """,
)
declare_listings(members)

MemberArgument = Annotated[
    str,
    typer.Argument(metavar="MEMBER", help="A numeric id or an e-mail address.", show_default=False),
]
ROLES = ("host", "moderator", "contributor")


def _role(role: str | None) -> str | None:
    if role is not None and role.lower() not in ROLES:
        raise UsageError(f"Unknown role {role!r}.", hint="Use host, moderator or contributor.")
    return role.lower() if role else None


def _member_item(admin: Any, names: Any, text: str) -> Any:
    member = names.member(text)
    if member.item is not None:
        return member.item
    try:
        return admin.call("members.view", {"id": member.id})
    except ApiError as error:
        if error.status_code == 404:
            raise NotFoundError(f"No member has the id {member.id}.") from None
        raise


@group_command(members, "view")
def view_member(
    member: MemberArgument,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Show one member.

    \b
    Examples:
      mighty members view ada@example.com
      mighty members view 5000002 --json id,email,first_name,last_name
    """
    check_output("members", fmt, fields, jq)
    with admin_run(network) as (admin, names):
        item = _member_item(admin, names, member)
    show_item("members", item, fmt=fmt, spec=fields, jq=jq)


@group_command(members, "create")
def create_member(
    email: Annotated[
        str,
        typer.Option("--email", metavar="EMAIL", help="Their e-mail address.", show_default=False),
    ],
    first_name: Annotated[
        str, typer.Option("--first-name", metavar="NAME", help="First name.", show_default=False)
    ],
    last_name: Annotated[
        str, typer.Option("--last-name", metavar="NAME", help="Last name.", show_default=False)
    ],
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            metavar="ROLE",
            help="host, moderator or contributor.  [default: contributor]",
            show_default=False,
        ),
    ] = None,
    limited: Annotated[
        bool, typer.Option("--limited", help="A limited member, in the --space spaces only.")
    ] = False,
    spaces: Annotated[
        list[str] | None,
        typer.Option(
            "--space",
            metavar="SPACE",
            help="A space of a limited member (repeatable).",
            show_default=False,
        ),
    ] = None,
    welcome_email: Annotated[
        bool | None,
        typer.Option(
            "--welcome-email/--no-welcome-email",
            help="Send the welcome e-mail.  [default: sent]",
            show_default=False,
        ),
    ] = None,
    dry_run: DryRunOption = False,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Add a member to the network.

    \b
    Examples:
      mighty members create --email kj@example.com --first-name Katherine --last-name Johnson
      mighty members create --email lw@example.com --first-name Li --last-name Wu --limited --space Welcome --no-welcome-email
    """  # noqa: E501
    if spaces and not limited:
        raise UsageError("--space is for limited members.", hint="Add --limited.")
    if limited and not spaces:
        raise UsageError(
            "A limited member needs the spaces they may see.", hint="Add --space SPACE."
        )
    values: dict[str, Any] = {
        "email": email, "first_name": first_name, "last_name": last_name,
        "role": _role(role), "send_welcome_email": welcome_email,
    }  # fmt: skip
    if limited:
        values["member_type"] = "limited"

    def resolved(names: Any) -> dict[str, Any]:
        if limited:
            values["space_ids"] = [names.one("spaces", s).id for s in spaces or ()]
        return values

    run_write(
        network, "members", "members.create", resolved, dry_run=dry_run, fields=fields, jq=jq,
        told=lambda answer: f"Created member {answer.get('id')} ({answer.get('email', email)}).",
    )  # fmt: skip


@group_command(members, "edit")
def edit_member(
    member: MemberArgument,
    email: Annotated[
        str | None,
        typer.Option("--email", metavar="EMAIL", help="A new e-mail address.", show_default=False),
    ] = None,
    first_name: Annotated[
        str | None,
        typer.Option("--first-name", metavar="NAME", help="A new first name.", show_default=False),
    ] = None,
    last_name: Annotated[
        str | None,
        typer.Option("--last-name", metavar="NAME", help="A new last name.", show_default=False),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            "--role", metavar="ROLE", help="host, moderator or contributor.", show_default=False
        ),
    ] = None,
    dry_run: DryRunOption = False,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Change a member's e-mail, name or role.

    \b
    Examples:
      mighty members edit alan@example.com --first-name Alan --last-name "Turing, OBE"
      mighty members edit 5000002 --role moderator --dry-run
    """
    changes = {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "role": _role(role),
    }
    if all(value is None for value in changes.values()):
        raise UsageError(
            "Nothing to change.", hint="Give --email, --first-name, --last-name or --role."
        )
    run_write(
        network, "members", "members.edit",
        lambda names: {"id": names.member(member).id, **changes},
        dry_run=dry_run, fields=fields, jq=jq,
        told=lambda answer: f"Updated member {answer.get('id')}.",
    )  # fmt: skip


@group_command(members, "remove")
def remove_member(
    member: MemberArgument,
    cancel_plans: Annotated[
        bool, typer.Option("--cancel-plans", help="Also cancel the plans they bought.")
    ] = False,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Remove a member from the network.

    \b
    Examples:
      mighty members remove alan@example.com --cancel-plans --dry-run
    """
    with admin_run(network, dry_run=dry_run) as (admin, names):
        target = names.member(member)
        confirm(f"Remove {target.label} from the network", yes=yes, dry_run=dry_run)
        values = {"id": target.id, "cancel_plans": True if cancel_plans else None}
        admin.call("members.remove", values)
        if not dry_run:
            say(f"Removed {target.label} from the network.")


link_command(
    members,
    "tag",
    "tags",
    MEMBER_TAGS,
    help_text(
        "Tag a member (a tag they carry already is left as it is).",
        "mighty members tag grace@example.com VIP",
    ),
)
link_command(
    members,
    "untag",
    "tags",
    MEMBER_TAGS,
    help_text("Remove tags from a member.", "mighty members untag grace@example.com VIP --yes"),
    remove=True,
    action="Remove {n} tag(s) from {target}",
)
