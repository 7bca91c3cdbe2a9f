"""The list commands (``mighty members list``, ``mighty plans members PLAN``, ...) described once,
as data: their options, their argument, their help, and what each choice resolves to.

``mightycli.grammar`` turns each into the grammar the fast entry point parses (and runs without
Typer: a roster export into a pipe should not pay for building a command line); the Typer
commands of the groups are declared from the same grammar, so both routes mean the same. Plain
data: this module imports nothing.
"""

from __future__ import annotations

__all__ = ["LISTINGS", "Choice", "Listing", "help_text"]


class Choice:
    """An argument (PLAN) or a filter option (--space SPACE) of a list command: what it resolves
    to is ``kind`` (a member, a plan/space/event by id or name, the text itself, or a time)
    sent as the request value ``key``. A filter with an ``operation`` lists through that
    operation instead (members list --space)."""

    __slots__ = ("dest", "metavar", "help", "kind", "key", "option", "operation")

    def __init__(
        self,
        dest: str,
        metavar: str,
        help: str,
        kind: str,
        key: str,
        option: str | None = None,
        operation: str | None = None,
    ) -> None:
        self.dest, self.metavar, self.help, self.kind, self.key = dest, metavar, help, kind, key
        self.option, self.operation = option, operation


class Listing:
    """One list command: the noun it shows, the operation it lists, its choices and help."""

    __slots__ = ("noun", "operation", "choices", "help")

    def __init__(self, noun: str, operation: str, help: str, *choices: Choice) -> None:
        self.noun, self.operation, self.help, self.choices = noun, operation, help, choices


def help_text(summary: str, *examples: str) -> str:
    """A command's help: its summary and its examples (each run in the tests as written)."""
    return summary + "\n\n\b\nExamples:\n" + "".join(f"  {line}\n" for line in examples)


def _member(option: str | None = None) -> Choice:
    if option is None:
        return Choice(
            "member", "MEMBER", "A numeric id or an e-mail address.", "member", "member_id"
        )
    return Choice(
        "member", "MEMBER", "Only this member's (id or e-mail).", "member", "member_id", option
    )


def _named(noun: str, key: str, option: str | None = None, help: str | None = None,
           operation: str | None = None) -> Choice:  # fmt: skip
    singular = noun[:-1]
    label = "title" if noun == "events" else "name"
    text = help or f"An id or the {singular}'s {label}."
    return Choice(singular, singular.upper(), text, noun, key, option, operation)


LISTINGS: dict[str, Listing] = {
    "members list": Listing(
        "members",
        "members.list",
        help_text(
            "List the network's members, or those of one space or plan.",
            "mighty members list",
            "mighty members list --space Welcome --all",
            "mighty members list --plan Gold --json id,email --jq '.[].email'",
        ),
        _named(
            "spaces", "space_id", "--space", "Only the members of this space.", "spaces.members"
        ),
        _named("plans", "plan_id", "--plan", "Only the members on this plan.", "plans.members"),
    ),
    "members plans": Listing(
        "plans",
        "members.plans",
        help_text("List a member's plans.", "mighty members plans ada@example.com"),
        _member(),
    ),
    "members spaces": Listing(
        "spaces",
        "members.spaces",
        help_text(
            "List the spaces a member is in.", "mighty members spaces ada@example.com --format csv"
        ),
        _member(),
    ),
    "members tags": Listing(
        "tags",
        "members.tags",
        help_text("List a member's tags.", "mighty members tags grace@example.com --json id,title"),
        _member(),
    ),
    "plans list": Listing(
        "plans",
        "plans.list",
        help_text(
            "List the network's plans.",
            "mighty plans list",
            "mighty plans list --json id,name,pricing_type",
        ),
    ),
    "plans members": Listing(
        "members",
        "plans.members",
        help_text("List the members on a plan.", "mighty plans members Gold --all"),
        _named("plans", "plan_id"),
    ),
    "spaces list": Listing(
        "spaces",
        "spaces.list",
        help_text("List the network's spaces.", "mighty spaces list --format csv"),
    ),
    "spaces members": Listing(
        "members",
        "spaces.members",
        help_text("List the members of a space.", "mighty spaces members Welcome --all"),
        _named("spaces", "space_id"),
    ),
    "tags list": Listing(
        "tags",
        "tags.list",
        help_text(
            "List the network's tags.", "mighty tags list", "mighty tags list --json id,title,color"
        ),
    ),
    "badges list": Listing(
        "badges",
        "badges.list",
        help_text("List the network's badges.", "mighty badges list --format csv"),
    ),
    "invites list": Listing(
        "invites",
        "invites.list",
        help_text(
            "List the invitations sent.",
            "mighty invites list",
            "mighty invites list --email friend@example.com --json id,recipient_email",
        ),
        Choice("email", "EMAIL", "Only invitations to this address.", "text", "email", "--email"),
    ),
    "events list": Listing(
        "events",
        "events.list",
        help_text("List the network's events.", "mighty events list --json id,title,starts_at"),
    ),
    "events rsvps": Listing(
        "rsvps",
        "events.rsvps",
        help_text(
            "List who answered an event, and how.",
            'mighty events rsvps "Office Hours"',
            "mighty events rsvps \"Office Hours\" --json status,member --jq '.[].member.email'",
        ),
        _named("events", "event_id"),
        Choice(
            "instance_at",
            "TIME",
            "One occurrence of a recurring event, by its start (RFC 3339).",
            "time",
            "instance_at",
            "--instance-at",
        ),
    ),
    "posts list": Listing(
        "posts",
        "posts.list",
        help_text(
            "List the network's posts, or one space's.",
            "mighty posts list",
            "mighty posts list --space Announcements --json id,title",
        ),
        _named("spaces", "space_id", "--space", "Only the posts of this space."),
    ),
    "subscriptions list": Listing(
        "subscriptions",
        "subscriptions.list",
        help_text(
            "List subscriptions, all or one member's.",
            "mighty subscriptions list",
            "mighty subscriptions list --member ada@example.com --json plan,subscription",
        ),
        Choice(
            "status", "STATUS", "canceled for ended subscriptions.", "text", "status", "--status"
        ),
        _member("--member"),
    ),
    "purchases list": Listing(
        "purchases",
        "purchases.list",
        help_text(
            "List purchases, all or one plan's or member's.",
            "mighty purchases list",
            "mighty purchases list --member alan@example.com --format csv",
        ),
        _named("plans", "plan_id", "--plan", "Only this plan's (id or name)."),
        _member("--member"),
    ),
}
