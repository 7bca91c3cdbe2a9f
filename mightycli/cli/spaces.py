"""``mighty spaces``: the network's spaces, who is in one, and members added and removed."""

from __future__ import annotations

from typing import Annotated

import typer

from mightycli.cli.base import command_group
from mightycli.cli.views import (
    DebugOption,
    DryRunOption,
    FieldsOption,
    JqOption,
    NetworkOption,
    YesOption,
    group_command,
    list_command,
    run_links,
)

spaces = command_group(
    "spaces",
    """List spaces and their members; add members to a space and remove them.

    A SPACE is an id or the space's exact name (any case); a MEMBER a numeric id or an e-mail.

    \b
    Examples:
      mighty spaces list
      mighty spaces add Announcements alan@example.com
    """,
)

SpaceArgument = Annotated[
    str, typer.Argument(metavar="SPACE", help="An id or the space's name.", show_default=False)
]
MembersArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="MEMBER...", help="Numeric ids or e-mail addresses.", show_default=False
    ),
]

list_command(
    spaces,
    "list",
    "spaces",
    "spaces.list",
    """List the network's spaces.

    \b
    Examples:
      mighty spaces list --format csv
    """,
)
list_command(
    spaces,
    "members",
    "members",
    "spaces.members",
    """List the members of a space.

    \b
    Examples:
      mighty spaces members Welcome --all
    """,
    argument=(
        "SPACE",
        "An id or the space's name.",
        lambda names, text: {"space_id": names.one("spaces", text).id},
    ),
)


@group_command(spaces, "add")
def add(
    space: SpaceArgument,
    members: MembersArgument,
    dry_run: DryRunOption = False,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Add members to a space (those in it already are left as they are).

    \b
    Examples:
      mighty spaces add Announcements alan@example.com
    """
    run_links(
        network, "spaces",
        lambda names: [(names.one("spaces", space), names.member(m)) for m in members],
        remove=False, dry_run=dry_run, spec=fields, jq=jq,
    )  # fmt: skip


@group_command(spaces, "remove")
def remove(
    space: SpaceArgument,
    members: MembersArgument,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Remove members from a space.

    \b
    Examples:
      mighty spaces remove Announcements alan@example.com --yes
    """
    run_links(
        network, "spaces",
        lambda names: [(names.one("spaces", space), names.member(m)) for m in members],
        remove=True, dry_run=dry_run, yes=yes,
        action=f"Remove {{n}} member(s) from space {space}",
    )  # fmt: skip
