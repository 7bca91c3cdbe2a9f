"""Posts, events, tags, badges and invites of the Admin API, kept in memory as they are created.

Each kind lists the fields of its published request schemas (PostRequest, EventCreateRequest,
TagRequest, BadgeRequest, InviteRequest and their update forms) with their published types, and
renders the published response schema. Fields a request schema does not name are ignored, as
strong-params APIs do; the published description does not say otherwise.

A few records are seeded (``SEEDED_RECORDS``, ids 3_201 and up) so that a fresh network has tags,
badges and an event to show; what the API creates gets ids from 9_000_001.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .directory import SEEDED_SPACES, timestamp

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


def _head(resource_id: int, item: Mapping[str, Any]) -> dict[str, Any]:
    """The properties every record's response schema starts with."""
    return {"id": resource_id, "created_at": item["created_at"], "updated_at": item["updated_at"]}


def _render_post(resource_id: int, item: dict[str, Any], ctx: Context) -> dict[str, Any]:
    description = item.get("description", "")
    return {
        **_head(resource_id, item),
        "creator_id": ctx.admin_id,
        "space_id": item["space_id"],
        "summary": _plain(description),
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
        **_head(resource_id, item),
        "post_type": "event",
        "creator": ctx.admin,
        "images": [],
        "permalink": f"{ctx.base_url}/events/{resource_id}",
    }
    data.update({k: item[k] for k in _EVENT_COPIED if k in item})
    return data


def event_payload(
    resource_id: int,
    item: Mapping[str, Any],
    ctx: Context,
    creator: dict[str, Any],
    space: dict[str, Any],
) -> dict[str, Any]:
    """A stored event as the published EventCreatePayload (``RsvpResponse.event``): its creator
    a MemberResponse, its space a SpaceResponse, its description as ``summary``; the flags it
    requires take EventCreateRequest's published defaults when the event was made without them."""
    data = {
        **_head(resource_id, item),
        "post_type": "event",
        "space_id": item["space_id"],
        "creator_id": creator["id"],
        "title": item["title"],
        "summary": _plain(item.get("description", "")),
        "event_type": item["event_type"],
        "starts_at": item["starts_at"],
        "time_zone": item.get("time_zone", "UTC"),
        "rsvp_enabled": item.get("rsvp_enabled", True),
        "rsvp_closed": item.get("rsvp_closed", False),
        "restricted_event": item.get("restricted_event", False),
        "post_in_feed": item.get("post_in_feed", True),
        "creator": creator,
        "space": space,
        "images": [],
        "permalink": f"{ctx.base_url}/events/{resource_id}",
    }
    data.update({k: item[k] for k in ("ends_at", "location", "frequency", "interval") if k in item})
    return data


def _plain(html: str) -> str:
    return re.sub(r"<[^>]*>", "", html)[:140]


def _render_label(field_id: int) -> Callable[[int, dict[str, Any], Context], dict[str, Any]]:
    """TagResponse and BadgeResponse: both are values of one of the network's custom fields."""

    def render(resource_id: int, item: dict[str, Any], ctx: Context) -> dict[str, Any]:
        data = {
            **_head(resource_id, item),
            "title": item["title"],
            "custom_field_id": field_id,
        }
        data.update({k: item[k] for k in ("description", "color") if k in item})
        if "avatar_id" in item:
            data["avatar_url"] = f"{ctx.base_url}/assets/{item['avatar_id']}.png"
        return data

    return render


def _render_invite(resource_id: int, item: dict[str, Any], ctx: Context) -> dict[str, Any]:
    data = {
        **_head(resource_id, item),
        "recipient_email": item["recipient_email"],
        "recipient_first_name": item.get("recipient_first_name", ""),
        "recipient_last_name": item.get("recipient_last_name", ""),
        "sender_id": ctx.admin_id,
    }
    if "user_id" in item:
        data["user_id"] = item["user_id"]
    return data


# The network's custom fields that hold its tags and its badges.
TAG_FIELD_ID = 8_001
BADGE_FIELD_ID = 8_002
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
_BADGE_FIELDS = {**_TAG_FIELDS, "avatar_id": "integer"}

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
    render=_render_label(TAG_FIELD_ID),
)
BADGES = RecordKind(
    name="badges",
    create_status=201,
    has_show=True,
    required=("avatar_id", "title"),
    create_fields=_BADGE_FIELDS,
    update_fields=_BADGE_FIELDS,
    render=_render_label(BADGE_FIELD_ID),
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
RECORD_KINDS: tuple[RecordKind, ...] = (POSTS, EVENTS, TAGS, BADGES, INVITES)

# Ids of the seeded records, for the other seeds and for tests.
VIP_TAG, SPEAKER_TAG, MENTOR_TAG = 3_201, 3_202, 3_203
EARLY_ADOPTER_BADGE, TOP_CONTRIBUTOR_BADGE = 3_301, 3_302
OFFICE_HOURS_EVENT = 3_401

SEEDED_RECORDS: Mapping[str, Mapping[int, Mapping[str, Any]]] = {
    "tags": {
        VIP_TAG: {"title": "VIP", "color": "#D4AF37", "description": "Members we look after."},
        # A title with a comma and double quotes, for the CSV and name-matching paths.
        SPEAKER_TAG: {"title": 'Speaker, "Keynote"', "color": "#3366FF"},
        MENTOR_TAG: {"title": "Mentor", "description": "Offers to help newcomers."},
    },
    "badges": {
        EARLY_ADOPTER_BADGE: {"title": "Early Adopter", "color": "#22AA66", "avatar_id": 3_351},
        TOP_CONTRIBUTOR_BADGE: {
            "title": "Top Contributor",
            "description": "Answered fifty questions.",
            "avatar_id": 3_352,
        },
    },
    "events": {
        OFFICE_HOURS_EVENT: {
            "title": "Office Hours",
            "description": "<p>Bring your questions about the network.</p>",
            "event_type": "online_meeting",
            "space_id": SEEDED_SPACES[0].resource_id,
            "starts_at": "2026-01-15T17:00:00Z",
            "ends_at": "2026-01-15T18:00:00Z",
            "time_zone": "Europe/London",
            "link": "https://meet.example.com/office-hours",
            "frequency": "weekly",
            "interval": 1,
            "rsvp_enabled": True,
        },
    },
}


def checked(body: Mapping[str, Any], fields: FieldTypes) -> dict[str, Any]:
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
            ok = isinstance(value, str) and parse_date_time(value) is not None
        else:
            ok = isinstance(value, str)
        if not ok:
            article = "an" if kind[0] in "aeiou" else "a"
            raise RecordError(422, f"{name} must be {article} {kind}.")
        out[name] = value
    return out


def parse_date_time(text: str) -> datetime | None:
    """An RFC 3339 date-time (``Z`` or an offset; UTC when it has none), or None when the text
    is not one."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass
class RecordStore:
    _items: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _next_id: int = 9_000_001
    _tick: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for minutes, (kind, seeded) in enumerate(SEEDED_RECORDS.items(), start=40):
            self._items[kind] = {
                resource_id: {
                    **values,
                    "created_at": timestamp(minutes),
                    "updated_at": timestamp(minutes),
                }
                for resource_id, values in seeded.items()
            }

    def _now(self) -> str:
        # Reproducible times that still move forward with each change.
        self._tick += 1
        return timestamp(1_000 + self._tick)

    def every(
        self,
        kind: RecordKind,
        ctx: Context,
        query: Mapping[str, str | None],
        where: Mapping[str, object] | None = None,
    ) -> list[dict[str, Any]]:
        """The records a list shows: those matching the query's filters and, field by stored
        field, ``where`` (for lists under another resource, such as a plan's invites)."""
        with self._lock:
            items = dict(self._items.get(kind.name, {}))
        wanted: dict[str, object] = {s: query.get(p) for p, s in kind.filters.items()}
        wanted.update(where or {})
        return [
            kind.render(resource_id, items[resource_id], ctx)
            for resource_id in sorted(items)
            if all(
                value is None or str(items[resource_id].get(stored)) == str(value)
                for stored, value in wanted.items()
            )
        ]

    def item(self, kind: RecordKind, resource_id: int) -> dict[str, Any]:
        """A copy of one record as stored, for renderings other than the kind's own."""
        with self._lock:
            item = self._items.get(kind.name, {}).get(resource_id)
        if item is None:
            raise RecordError(404, "Not Found")
        return dict(item)

    def get(self, kind: RecordKind, resource_id: int, ctx: Context) -> dict[str, Any]:
        return kind.render(resource_id, self.item(kind, resource_id), ctx)

    def create(self, kind: RecordKind, body: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        values = checked(body, kind.create_fields)
        missing = [name for name in kind.required if name not in values or values[name] == ""]
        if missing:
            raise RecordError(422, f"Missing required fields: {', '.join(missing)}.")
        if "space_id" in values and not ctx.space_exists(values["space_id"]):
            raise RecordError(404, "Space not found.")
        return self.add(kind, values, ctx)

    def add(self, kind: RecordKind, values: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        """Store checked values as a new record and render it."""
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
        values = checked(body, kind.update_fields)
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
