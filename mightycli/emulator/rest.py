"""The Admin API's plumbing, shared by its handlers: a request, the routed call, an answer or a
refusal, list pages, and the renderings many answers hold (MemberResponse, SpaceResponse).

Lists answer ``{"items": [...], "links": {"self": ..., "next": ...}}``, the shape integrations
that ran against live networks read (the published description names a ``*Paged`` schema for
each list but never defines it): ``page`` from 1, ``per_page`` up to 100 (as published), and a
``next`` link on every page but the last.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .directory import NETWORK_ID, Member, MemberDirectory, Space, parse_id, timestamp

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class AdminRequest:
    method: str
    path: str  # still percent-encoded
    query: Mapping[str, Sequence[str]]
    body: bytes
    bearer: str | None


@dataclass(frozen=True)
class AdminResponse:
    status: int
    body: object = None
    allow: str = ""


def error(status: int, message: str) -> AdminResponse:
    """The published ErrorResponse."""
    return AdminResponse(status, {"error": message})


class Refusal(Exception):
    """An error answer, raised from deep inside a handler."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.response = error(status, message)


def not_found() -> Refusal:
    return Refusal(404, "Not Found")


@dataclass(frozen=True)
class Call:
    """One routed request: its path ids, query, body and the page links' base."""

    request: AdminRequest
    ids: tuple[int, ...]
    base_url: str

    def body(self) -> dict[str, Any]:
        """The JSON object body; the published request bodies are all objects."""
        try:
            decoded = json.loads(self.request.body.decode("utf-8")) if self.request.body else None
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Refusal(422, "The request body is not valid JSON.") from None
        if not isinstance(decoded, dict):
            raise Refusal(422, "The request body must be a JSON object.")
        return decoded

    def query_value(self, name: str) -> str | None:
        values = self.request.query.get(name)
        return values[0] if values else None


Handler = Callable[[Call], AdminResponse]

# Tells the network's webhooks that a record changed: the event's PascalCase name (as the Admin
# API description names its webhooks) and its payload, rendered as published.
Publish = Callable[[str, dict[str, Any]], None]


def publish_nothing(event_type: str, payload: dict[str, Any]) -> None:
    """The default when nothing listens for changes."""


def member_event(member: dict[str, object], **fields: object) -> dict[str, Any]:
    """The payload of a member's webhook (MemberJoinPayload, MemberLeavePayload,
    MemberUpdatePayload, MemberTagAddPayload, ...): the member's MemberResponse, the network's
    id, and the event's own ``fields``."""
    return {"member": member, "network_id": NETWORK_ID, **fields}


@dataclass(frozen=True)
class Pager:
    """Cuts lists into pages, with the quirks of live networks as options."""

    delay: float = 0.0
    next_links: str = "url"  # "url" or "path": both have been seen on live networks
    empty_page_with_next: bool = False  # field report: an empty page that still has `next`

    def __post_init__(self) -> None:
        if self.next_links not in ("url", "path"):
            raise ValueError("next_links must be 'url' or 'path'")

    def page(self, call: Call, items: Sequence[Any]) -> AdminResponse:
        return self.page_of(call, lambda offset, limit: items[offset : offset + limit], len(items))

    def page_of(
        self, call: Call, fetch: Callable[[int, int], Sequence[Any]], total: int
    ) -> AdminResponse:
        """A page of a list that ``fetch(offset, limit)`` reads lazily, of ``total`` items."""
        page = _positive_int(call.query_value("page"), 1)
        per_page = _positive_int(call.query_value("per_page"), DEFAULT_PER_PAGE)
        if page is None:
            return error(422, "page must be a whole number of 1 or more.")
        if per_page is None or per_page > MAX_PER_PAGE:
            return error(422, f"per_page must be a whole number from 1 to {MAX_PER_PAGE}.")
        if self.delay > 0:
            time.sleep(self.delay)
        offset = (page - 1) * per_page
        chosen = list(fetch(offset, per_page))
        links = {"self": self._link(call, page, per_page)}
        # The last page is the one without a next link (unless the quirk is on).
        if offset + per_page < total or self.empty_page_with_next:
            links["next"] = self._link(call, page + 1, per_page)
        return AdminResponse(200, {"items": chosen, "links": links})

    def _link(self, call: Call, page: int, per_page: int) -> str:
        path = f"{call.request.path}?{urlencode({'page': page, 'per_page': per_page})}"
        return path if self.next_links == "path" else f"{call.base_url}{path}"


# -- members and spaces -------------------------------------------------------------------


def find_member(directory: MemberDirectory, resource_id: int) -> Member:
    member = directory.by_resource_id(resource_id)
    if member is None:
        raise not_found()
    return member


def find_space(directory: MemberDirectory, resource_id: int) -> Space:
    space = directory.space(resource_id)
    if space is None:
        raise not_found()
    return space


def user_id_member(call: Call, directory: MemberDirectory) -> Member:
    """The member the ``user_id`` query parameter names: 422 without one, 404 for no one."""
    user_id = call.query_value("user_id")
    number = parse_id(user_id) if user_id else None
    if number is None:
        raise Refusal(422, "user_id is required and must be a member id.")
    return find_member(directory, number)


def member_json(member: Member, base_url: str) -> dict[str, object]:
    """The published MemberResponse: exactly its properties; optional ones without a value are
    left out (the schema types them as strings, never null)."""
    data: dict[str, object] = {
        "id": member.resource_id,
        "created_at": timestamp(member.position),
        "updated_at": timestamp(member.position),
        "email": member.email,
        "member_type": "limited" if member.is_limited else "full",
        "time_zone": member.time_zone,
        "bio": member.short_bio,
        "referral_count": member.referral_count,
        "avatar": f"{base_url}/avatars/{member.resource_id}.png",
        "permalink": f"{base_url}/members/{member.resource_id}",
    }
    if member.first_name is not None:
        data["first_name"] = member.first_name
    if member.last_name is not None:
        data["last_name"] = member.last_name
    return data


def space_json(space: Space) -> dict[str, object]:
    """The published SpaceResponse."""
    data: dict[str, object] = {
        "id": space.resource_id,
        "created_at": timestamp(space.created_minutes),
        "updated_at": timestamp(space.created_minutes),
        "name": space.name,
    }
    if space.collection_id is not None:
        data["collection_id"] = space.collection_id
    return data


# -- query parameters ----------------------------------------------------------------------


def filter_id(text: str | None) -> int | None:
    """A list's id filter: None when absent; one that is not an id matches nothing (0)."""
    if text is None or text == "":
        return None
    number = parse_id(text)
    return 0 if number is None else number


def _positive_int(text: str | None, default: int) -> int | None:
    if text is None or text == "":
        return default
    number = parse_id(text)
    return number if number is not None and number >= 1 else None
