"""Posts, events, tags and invites of the Admin API, kept in memory as they are created.

Each kind lists the fields of its published request schemas (PostRequest, EventCreateRequest,
TagRequest, InviteRequest and their update forms) with their published types, and renders the
published response schema. Fields a request schema does not name are ignored, as strong-params
APIs do; the published description does not say otherwise.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .directory import timestamp

# A published field type: "string", "integer" (uint64), "boolean" or "date-time".
FieldTypes = Mapping[str, str]


class RecordError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Context:
    """What a rendering needs from the rest of the network."""

    admin: dict[str, Any]  # the API token's user, as a UserResponse
    admin_id: int
    base_url: str
    space_exists: Callable[[int], bool]


@dataclass(frozen=True)
class RecordKind:
    name: str
    create_status: int
    has_show: bool
    required: tuple[str, ...]
    create_fields: FieldTypes
    update_fields: FieldTypes
    render: Callable[[int, dict[str, Any], Context], dict[str, Any]]
    # Query parameters a list filters on, and the stored field each compares.
    filters: Mapping[str, str] = field(default_factory=dict)


def _render_post(resource_id: int, item: dict[str, Any], ctx: Context) -> dict[str, Any]:
    description = item.get("description", "")
    return {
        "id": resource_id,
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "creator_id": ctx.admin_id,
        "space_id": item["space_id"],
        "summary": re.sub(r"<[^>]*>", "", description)[:140],
        "description": description,
        "post_type": item.get("post_type", "post"),
        "images": [],
        "title": item["title"],
        "status": "published",
        "published_at": item["created_at"],
        "last_activity_at": item["updated_at"],
        "content_type": "text/html",
        "comments_enabled": True,
        "permalink": f"{ctx.base_url}/posts/{resource_id}",
    }


_EVENT_COPIED = (
    "title",
    "description",
    "event_type",
    "starts_at",
    "ends_at",
    "time_zone",
    "location",
    "link",
    "frequency",
    "interval",
    "rsvp_enabled",
    "rsvp_closed",
    "restricted_event",
    "post_in_feed",
)


def _render_event(resource_id: int, item: dict[str, Any], ctx: Context) -> dict[str, Any]:
    data = {
        "id": resource_id,
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "post_type": "event",
        "creator": ctx.admin,
        "images": [],
        "permalink": f"{ctx.base_url}/events/{resource_id}",
    }
    data.update({k: item[k] for k in _EVENT_COPIED if k in item})
    return data


def _render_tag(resource_id: int, item: dict[str, Any], ctx: Context) -> dict[str, Any]:
    data = {
        "id": resource_id,
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "title": item["title"],
        # Tags live in the network's tag custom field.
        "custom_field_id": TAG_FIELD_ID,
    }
    data.update({k: item[k] for k in ("description", "color") if k in item})
    return data


def _render_invite(resource_id: int, item: dict[str, Any], ctx: Context) -> dict[str, Any]:
    data = {
        "id": resource_id,
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "recipient_email": item["recipient_email"],
        "recipient_first_name": item.get("recipient_first_name", ""),
        "recipient_last_name": item.get("recipient_last_name", ""),
        "sender_id": ctx.admin_id,
    }
    if "user_id" in item:
        data["user_id"] = item["user_id"]
    return data


TAG_FIELD_ID = 8_001
_EVENT_FIELDS: dict[str, str] = {
    "title": "string",
    "description": "string",
    "link": "string",
    "starts_at": "date-time",
    "ends_at": "date-time",
    "event_type": "string",
    "location": "string",
    "time_zone": "string",
    "rsvp_enabled": "boolean",
    "rsvp_closed": "boolean",
    "restricted_event": "boolean",
    "post_in_feed": "boolean",
    "frequency": "string",
    "interval": "integer",
    "recurrence_count": "integer",
    "recur_until": "date-time",
}
_INVITE_FIELDS = {
    "recipient_email": "string",
    "recipient_first_name": "string",
    "recipient_last_name": "string",
    "user_id": "integer",
}
_TAG_FIELDS = {"title": "string", "description": "string", "color": "string"}

POSTS = RecordKind(
    name="posts",
    create_status=201,
    has_show=True,
    required=("space_id", "title"),
    create_fields={
        "space_id": "integer",
        "title": "string",
        "description": "string",
        "post_type": "string",
    },
    update_fields={"title": "string", "description": "string"},
    render=_render_post,
    filters={"space_id": "space_id"},
)
EVENTS = RecordKind(
    name="events",
    create_status=200,
    has_show=True,
    required=("ends_at", "event_type", "space_id", "starts_at", "title"),
    # Published as integers in EventCreateRequest, as strings in EventUpdateRequest.
    create_fields={
        **_EVENT_FIELDS,
        "space_id": "integer",
        "by_days": "integer",
        "by_month_days": "integer",
    },
    update_fields={**_EVENT_FIELDS, "by_days": "string", "by_month_days": "string"},
    render=_render_event,
)
TAGS = RecordKind(
    name="tags",
    create_status=201,
    has_show=True,
    required=("title",),
    create_fields=_TAG_FIELDS,
    update_fields=_TAG_FIELDS,
    render=_render_tag,
)
INVITES = RecordKind(
    name="invites",
    create_status=200,
    has_show=False,  # the published invites/{id}/ has PATCH, PUT and DELETE, no GET
    required=("recipient_email",),
    create_fields=_INVITE_FIELDS,
    update_fields=_INVITE_FIELDS,
    render=_render_invite,
    filters={"email": "recipient_email"},
)
RECORD_KINDS: tuple[RecordKind, ...] = (POSTS, EVENTS, TAGS, INVITES)


def _checked(body: Mapping[str, Any], fields: FieldTypes) -> dict[str, Any]:
    """The body's known fields, each of its published type; a wrong type is a 422."""
    out: dict[str, Any] = {}
    for name, kind in fields.items():
        if name not in body:
            continue
        value = body[name]
        if kind == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        elif kind == "boolean":
            ok = isinstance(value, bool)
        elif kind == "date-time":
            ok = isinstance(value, str) and _is_date_time(value)
        else:
            ok = isinstance(value, str)
        if not ok:
            article = "an" if kind[0] in "aeiou" else "a"
            raise RecordError(422, f"{name} must be {article} {kind}.")
        out[name] = value
    return out


def _is_date_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@dataclass
class RecordStore:
    _items: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _next_id: int = 9_000_001
    _tick: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _now(self) -> str:
        # Reproducible times that still move forward with each change.
        self._tick += 1
        return timestamp(1_000 + self._tick)

    def every(
        self, kind: RecordKind, ctx: Context, query: Mapping[str, str | None]
    ) -> list[dict[str, Any]]:
        with self._lock:
            items = dict(self._items.get(kind.name, {}))
        chosen = []
        for resource_id in sorted(items):
            item = items[resource_id]
            if all(
                value is None or str(item.get(stored)) == value
                for param, stored in kind.filters.items()
                for value in (query.get(param),)
            ):
                chosen.append(kind.render(resource_id, item, ctx))
        return chosen

    def get(self, kind: RecordKind, resource_id: int, ctx: Context) -> dict[str, Any]:
        with self._lock:
            item = self._items.get(kind.name, {}).get(resource_id)
        if item is None:
            raise RecordError(404, "Not Found")
        return kind.render(resource_id, item, ctx)

    def create(self, kind: RecordKind, body: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        values = _checked(body, kind.create_fields)
        missing = [name for name in kind.required if name not in values or values[name] == ""]
        if missing:
            raise RecordError(422, f"Missing required fields: {', '.join(missing)}.")
        if "space_id" in values and not ctx.space_exists(values["space_id"]):
            raise RecordError(404, "Space not found.")
        with self._lock:
            resource_id = self._next_id
            self._next_id += 1
            now = self._now()
            item = {**values, "created_at": now, "updated_at": now}
            self._items.setdefault(kind.name, {})[resource_id] = item
        return kind.render(resource_id, item, ctx)

    def update(
        self, kind: RecordKind, resource_id: int, body: Mapping[str, Any], ctx: Context
    ) -> dict[str, Any]:
        values = _checked(body, kind.update_fields)
        with self._lock:
            item = self._items.get(kind.name, {}).get(resource_id)
            if item is None:
                raise RecordError(404, "Not Found")
            if any(values.get(name) == "" for name in kind.required if name in values):
                raise RecordError(422, "Required fields cannot be emptied.")
            item.update(values, updated_at=self._now())
            updated = dict(item)
        return kind.render(resource_id, updated, ctx)

    def delete(self, kind: RecordKind, resource_id: int) -> None:
        with self._lock:
            if self._items.get(kind.name, {}).pop(resource_id, None) is None:
                raise RecordError(404, "Not Found")
