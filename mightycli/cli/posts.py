"""``mighty posts``: the network's posts, listed and written."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mightycli.cli.base import command_group
from mightycli.cli.output import utf8_text
from mightycli.cli.views import (
    DebugOption,
    DryRunOption,
    FieldsOption,
    JqOption,
    NetworkOption,
    declare_listings,
    group_command,
    run_write,
)
from mightycli.errors import UsageError

posts = command_group(
    "posts",
    """List posts and write new ones.

    \b
    Examples:
      mighty posts list --space Announcements
      mighty posts create --space Announcements --title "Office hours moved" --body-file notes.html
    """,
)
declare_listings(posts)
SpaceOption = Annotated[
    str | None,
    typer.Option("--space", metavar="SPACE", help="An id or the space's name.", show_default=False),
]


def _body(source: str | None) -> str | None:
    if source is None:
        return None
    if source == "-":
        return utf8_text(sys.stdin.buffer.read(), "post body")
    try:
        with open(source, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise UsageError(f"Cannot read {source!r}: {exc.strerror}.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{source} is not UTF-8 text.") from None


@group_command(posts, "create")
def create_post(
    space: Annotated[
        str,
        typer.Option(
            "--space", metavar="SPACE", help="An id or the space's name.", show_default=False
        ),
    ],
    title: Annotated[
        str, typer.Option("--title", metavar="TITLE", help="The post's title.", show_default=False)
    ],
    body_file: Annotated[
        str | None,
        typer.Option(
            "--body-file",
            metavar="FILE",
            help="The post's body (HTML or text) from FILE, or - for standard input.",
            show_default=False,
        ),
    ] = None,
    notify: Annotated[bool, typer.Option("--notify", help="Notify the space's members.")] = False,
    dry_run: DryRunOption = False,
    fields: FieldsOption = None,
    jq: JqOption = None,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Write a post in a space.

    \b
    Examples:
      mighty posts create --space Announcements --title "Office hours moved" --body-file notes.html
      echo "See you Friday." | mighty posts create --space Welcome --title Reminder --body-file - --notify
    """  # noqa: E501
    if not title.strip():
        raise UsageError("A post needs a title.")
    description = _body(body_file)
    run_write(
        network, "posts", "posts.create",
        lambda names: {
            "space_id": names.one("spaces", space).id, "title": title,
            "description": description, "notify": True if notify else None,
        },
        dry_run=dry_run, fields=fields, jq=jq,
        told=lambda answer: f"Posted {title!r} (post {answer.get('id')}).",
    )  # fmt: skip
