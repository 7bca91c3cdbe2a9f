"""``mighty spaces``: the network's spaces, who is in one, and members added and removed."""

from __future__ import annotations

from mightycli.cli.base import command_group
from mightycli.cli.changes import SPACE_MEMBERS, link_command
from mightycli.cli.views import (
    declare_listings,
    help_text,
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
declare_listings(spaces)


link_command(
    spaces,
    "add",
    "spaces",
    SPACE_MEMBERS,
    help_text(
        "Add members to a space (those in it already are left as they are).",
        "mighty spaces add Announcements alan@example.com",
    ),
)
link_command(
    spaces,
    "remove",
    "spaces",
    SPACE_MEMBERS,
    help_text(
        "Remove members from a space.", "mighty spaces remove Announcements alan@example.com --yes"
    ),
    remove=True,
    action="Remove {n} member(s) from space {target}",
)
