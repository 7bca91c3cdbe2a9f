"""What each Admin API noun looks like to the commands: the fields of its published response
schema (what ``--json`` may name), the default columns of a table, and how a name finds it.

Fields are the properties of the published response schema, in its order; a test holds each
list against the published description. Columns are paths into an item (``plan.name`` reaches
into a nested object), some of them joined from two fields (a member's name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["NOUNS", "Column", "Noun", "full_name"]


def _dig(item: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


def full_name(first: Any, last: Any) -> str:
    """First and last name joined, either or both missing (the names are optional)."""
    has_first = isinstance(first, str) and not first.isspace() and first != ""
    has_last = isinstance(last, str) and not last.isspace() and last != ""
    if has_first and has_last:
        return f"{first} {last}"
    return first if has_first else (last if has_last else "")


@dataclass(frozen=True)
class Column:
    header: str
    path: str = ""  # dotted path into the item; empty when ``value`` computes it
    value: Callable[[Any], Any] | None = None

    def of(self, item: Any) -> Any:
        return self.value(item) if self.value is not None else _dig(item, self.path)


def _path(*names: str) -> tuple[Column, ...]:
    return tuple(Column(name, name) for name in names)


def _joined(header: str, first: str, last: str) -> Column:
    if "." in first or "." in last:
        return Column(header, value=lambda item: full_name(_dig(item, first), _dig(item, last)))

    def top_level(item: Any) -> str:  # the common case, read without walking a path
        if not isinstance(item, dict):
            return ""
        return full_name(item.get(first), item.get(last))

    return Column(header, value=top_level)


@dataclass(frozen=True)
class Noun:
    name: str  # plural, as the command group: members
    singular: str  # member
    schema: str  # the published response schema of one item
    fields: tuple[str, ...]  # its properties: what --json may name
    columns: tuple[Column, ...]  # the default columns
    label: str | None = None  # the field a name matches (name, title), for resolving

    def check_fields(self, wanted: list[str]) -> list[str] | None:
        """The unknown ones among ``wanted``, or None when all are fields of this noun."""
        unknown = [f for f in wanted if f not in self.fields]
        return unknown or None


_TIMES = ("created_at", "updated_at")
MEMBER_FIELDS = (
    "id", *_TIMES, "email", "member_type", "first_name", "last_name", "time_zone", "location",
    "bio", "referral_count", "avatar", "categories", "permalink", "ambassador_level",
)  # fmt: skip

NOUNS: dict[str, Noun] = {
    noun.name: noun
    for noun in (
        Noun(
            "members",
            "member",
            "MemberResponse",
            MEMBER_FIELDS,
            (
                Column("id", "id"),
                Column("email", "email"),
                _joined("name", "first_name", "last_name"),
                Column("type", "member_type"),
            ),
        ),
        Noun(
            "plans",
            "plan",
            "PlanResponse",
            (
                "id",
                *_TIMES,
                "name",
                "description",
                "status",
                "pricing_type",
                "visible_to_members",
                "external",
                "multiple",
                "permalink",
            ),  # fmt: skip
            _path("id", "name", "pricing_type", "status"),
            label="name",
        ),
        Noun(
            "spaces",
            "space",
            "SpaceResponse",
            ("id", *_TIMES, "name", "collection_id"),
            _path("id", "name", "collection_id", "created_at"),
            label="name",
        ),
        Noun(
            "tags",
            "tag",
            "TagResponse",
            ("id", *_TIMES, "title", "description", "color", "custom_field_id"),
            _path("id", "title", "color", "description"),
            label="title",
        ),
        Noun(
            "badges",
            "badge",
            "BadgeResponse",
            ("id", *_TIMES, "title", "description", "color", "custom_field_id", "avatar_url"),
            _path("id", "title", "color", "description"),
            label="title",
        ),
        Noun(
            "invites",
            "invite",
            "InviteResponse",
            (
                "id",
                *_TIMES,
                "recipient_email",
                "recipient_first_name",
                "recipient_last_name",
                "sender_id",
                "user_id",
            ),  # fmt: skip
            (
                Column("id", "id"),
                Column("email", "recipient_email"),
                _joined("name", "recipient_first_name", "recipient_last_name"),
                Column("created_at", "created_at"),
            ),
        ),
        Noun(
            "events",
            "event",
            "EventResponse",
            (
                "id",
                *_TIMES,
                "post_type",
                "creator",
                "images",
                "permalink",
                "title",
                "description",
                "recurrence_rule",
                "rsvp_enabled",
                "rsvp_closed",
                "restricted_event",
                "post_in_feed",
                "event_type",
                "starts_at",
                "ends_at",
                "time_zone",
                "location",
                "link",
                "frequency",
                "interval",
            ),  # fmt: skip
            _path("id", "title", "starts_at", "event_type"),
            label="title",
        ),
        Noun(
            "rsvps",
            "rsvp",
            "RsvpResponse",
            ("id", "updated", "status", "event", "member", "event_instance"),
            (
                Column("id", "id"),
                Column("member_id", "member.id"),
                Column("email", "member.email"),
                _joined("name", "member.first_name", "member.last_name"),
                Column("status", "status"),
                Column("updated", "updated"),
            ),
        ),
        Noun(
            "posts",
            "post",
            "PostResponse",
            (
                "id",
                "creator_id",
                "space_id",
                *_TIMES,
                "published_at",
                "last_activity_at",
                "summary",
                "description",
                "post_type",
                "title",
                "status",
                "content_type",
                "images",
                "comments_enabled",
                "permalink",
            ),  # fmt: skip
            _path("id", "title", "space_id", "published_at"),
        ),
        Noun(
            "subscriptions",
            "subscription",
            "SubscriptionResponse",
            (
                "member_id",
                *_TIMES,
                "email",
                "first_name",
                "last_name",
                "time_zone",
                "location",
                "referral_count",
                "avatar",
                "categories",
                "permalink",
                "ambassador_level",
                "plan",
                "subscription",
            ),  # fmt: skip
            (
                Column("member_id", "member_id"),
                Column("email", "email"),
                Column("plan", "plan.name"),
                Column("purchased_at", "subscription.purchased_at"),
                Column("canceled_at", "subscription.canceled_at"),
            ),
        ),
        Noun(
            "purchases",
            "purchase",
            "PurchaseResponse",
            (
                "member_id",
                "member_email",
                "member_first_name",
                "member_last_name",
                "member_time_zone",
                "member_location",
                "member_referral_count",
                "member_avatar",
                "member_categories",
                "member_permalink",
                "member_ambassador_level",
                "plan",
                "purchase",
            ),  # fmt: skip
            (
                Column("member_id", "member_id"),
                Column("email", "member_email"),
                Column("plan", "plan.name"),
                Column("purchased_at", "purchase.purchased_at"),
            ),
        ),
    )
}
