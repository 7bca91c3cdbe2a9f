"""Every Admin API operation the resource commands send, as data: one entry per operation.

Each entry is the published path template (under ``/admin/v1/networks/{network_id}/``, trailing
slash exactly as Mighty's OpenAPI description has it), its method, the query parameters it takes
beyond ``page``/``per_page``, and the fields of its JSON body. ``tests/test_resource_contract.py``
holds every entry against the published description, so nothing here can drift from it.

A request is built from one mapping of values: the path's ``{placeholders}``, the query
parameters and the body fields each take what they name from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

__all__ = ["OPERATIONS", "PUBLISHED_PATHS", "Operation", "operation", "published_form"]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # published template under the network, e.g. "plans/{plan_id}/members"
    query: tuple[str, ...] = ()  # published query parameters (page and per_page aside)
    body: tuple[str, ...] = ()  # published JSON body fields
    paged: bool = False  # a list answered page by page ({items, links})

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def path_for(self, values: dict[str, Any]) -> str:
        """The path with its placeholders filled from ``values`` (each percent-encoded)."""
        missing = [name for name in self.path_params if values.get(name) is None]
        if missing:
            raise ValueError(f"{self.path} needs {', '.join(missing)}")
        return re.sub(r"\{(\w+)\}", lambda m: quote(str(values[m.group(1)]), safe=""), self.path)

    def query_for(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        return [
            (name, _query_text(values[name])) for name in self.query if values.get(name) is not None
        ]

    def body_for(self, values: dict[str, Any]) -> dict[str, Any] | None:
        if not self.body:
            return None
        return {name: values[name] for name in self.body if values.get(name) is not None}


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_MEMBER_FIELDS = ("email", "first_name", "last_name", "role")

OPERATIONS: dict[str, Operation] = {
    # Members (MemberResponse)
    "members.list": Operation("GET", "members", paged=True),
    "members.by_email": Operation("GET", "members/by_email", query=("email",)),
    "members.view": Operation("GET", "members/{id}/"),
    "members.create": Operation(
        "POST",
        "members",
        body=(*_MEMBER_FIELDS, "member_type", "space_ids", "send_welcome_email"),
    ),
    "members.edit": Operation("PATCH", "members/{id}/", body=_MEMBER_FIELDS),
    "members.remove": Operation(
        "DELETE", "members/{id}/network_membership", query=("cancel_plans",)
    ),
    "members.plans": Operation("GET", "members/{member_id}/plans", paged=True),
    "members.spaces": Operation("GET", "members/{member_id}/spaces", paged=True),
    "members.tags": Operation("GET", "members/{member_id}/tags", paged=True),
    "members.tag": Operation("POST", "members/{member_id}/tags", body=("tag_id",)),
    "members.has_tag": Operation("GET", "members/{member_id}/tags/{tag_id}/"),
    "members.untag": Operation("DELETE", "members/{member_id}/tags/{tag_id}/"),
    # Plans (PlanResponse)
    "plans.list": Operation("GET", "plans", paged=True),
    "plans.members": Operation("GET", "plans/{plan_id}/members", paged=True),
    "plans.has_member": Operation("GET", "plans/{plan_id}/members/{member_id}/"),
    "plans.grant": Operation("POST", "plans/{plan_id}/members", query=("user_id",)),
    "plans.revoke": Operation("DELETE", "plans/{plan_id}/members/{id}/"),
    "plans.invite": Operation(
        "POST", "plans/{plan_id}/invites", query=("email", "user_id", "message")
    ),
    # Spaces (SpaceResponse)
    "spaces.list": Operation("GET", "spaces", paged=True),
    "spaces.members": Operation("GET", "spaces/{space_id}/members", paged=True),
    "spaces.has_member": Operation("GET", "spaces/{space_id}/members/{user_id}/"),
    "spaces.add": Operation("POST", "spaces/{space_id}/members", query=("user_id",)),
    "spaces.remove": Operation("DELETE", "spaces/{space_id}/members/{user_id}/"),
    # Tags and badges (TagResponse, BadgeResponse)
    "tags.list": Operation("GET", "tags", paged=True),
    "badges.list": Operation("GET", "badges", paged=True),
    # Invites (InviteResponse)
    "invites.list": Operation("GET", "invites", query=("email",), paged=True),
    "invites.create": Operation(
        "POST",
        "invites",
        body=("recipient_email", "recipient_first_name", "recipient_last_name"),
    ),
    "invites.revoke": Operation("DELETE", "invites/{id}/"),
    # Events and RSVPs (EventResponse, RsvpResponse)
    "events.list": Operation("GET", "events", paged=True),
    "events.rsvps": Operation("GET", "events/{event_id}/rsvps", query=("instance_at",), paged=True),
    # Posts (PostResponse)
    "posts.list": Operation("GET", "posts", query=("space_id",), paged=True),
    "posts.create": Operation(
        "POST", "posts", query=("notify",), body=("space_id", "title", "description")
    ),
    # Subscriptions and purchases (SubscriptionResponse, PurchaseResponse: no top-level id)
    "subscriptions.list": Operation(
        "GET", "subscriptions", query=("status", "member_id"), paged=True
    ),
    "purchases.list": Operation("GET", "purchases", query=("plan_id", "member_id"), paged=True),
}


def operation(name: str) -> Operation:
    return OPERATIONS[name]


# Every path Mighty's Admin API description publishes, under /admin/v1/networks/{network_id}/,
# trailing slashes as published (tests/test_resource_contract.py holds it to the description).
PUBLISHED_PATHS = (
    "", "me", "badges", "badges/{id}/", "events", "events/{id}/", "events/{event_id}/rsvps",
    "events/{event_id}/rsvps/{id}/", "invites", "invites/{id}/", "members", "members/by_email",
    "members/{id}/", "members/{id}/network_membership", "members/{member_id}/badges",
    "members/{member_id}/badges/{badge_id}/", "members/{member_id}/plans",
    "members/{member_id}/spaces", "members/{member_id}/tags", "members/{member_id}/tags/{tag_id}/",
    "plans", "plans/{id}/", "plans/{plan_id}/invites", "plans/{plan_id}/invites/{id}/",
    "plans/{plan_id}/members", "plans/{plan_id}/members/{id}/",
    "plans/{plan_id}/members/{member_id}/", "posts", "posts/{id}/", "purchases", "purchases/{id}/",
    "spaces", "spaces/{id}", "spaces/{space_id}/members", "spaces/{space_id}/members/{user_id}/",
    "spaces/{space_id}/members/{user_id}/ban", "subscriptions", "subscriptions/{id}", "tags",
    "tags/{id}/",
)  # fmt: skip


def _fit(path: str) -> int:
    """How well ``path`` matches a published path: the most named segments any template
    shares with it (a placeholder takes any one segment; the empty one after a trailing slash
    names nothing), or -1 when none matches."""
    parts = path.split("/")
    best = -1
    for template in PUBLISHED_PATHS:
        pattern = template.split("/")
        if len(pattern) == len(parts) and all(
            p == s or (p.startswith("{") and s) for p, s in zip(pattern, parts, strict=True)
        ):
            best = max(best, sum(bool(p) and not p.startswith("{") for p in pattern))
    return best


def published_form(path: str) -> str | None:
    """The path with its trailing slash added or taken away, when that form matches a published
    path better than the path as given (which a 404 then most likely owes to the slash)."""
    if not path or path == "/":
        return None
    other = path[:-1] if path.endswith("/") else path + "/"
    return other if _fit(other) > _fit(path) else None


def fields_for_a_body(path: str) -> frozenset[str]:
    """The fields a POST to ``path`` (relative to the network, as ``mighty api`` is given it)
    takes in its JSON body and a GET there does not take as its query: sent as the query of a
    GET, they are most likely meant for the POST."""
    wanted = path.strip("/")
    body: set[str] = set()
    query: set[str] = {"page", "per_page"}
    for entry in OPERATIONS.values():
        template = re.escape(entry.path.strip("/")).replace(r"\{", "{").replace(r"\}", "}")
        if not re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template), wanted):
            continue
        if entry.method == "POST":
            body.update(entry.body)
        elif entry.method == "GET":
            query.update(entry.query)
    return frozenset(body - query)
