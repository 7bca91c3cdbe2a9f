"""RSVPs to events (``events/{event_id}/rsvps``), kept in memory.

Published: ``POST`` "Create or update an RSVP for an event", so a member has one RSVP per event
(and per instance, for a recurring event) and answering again changes its status and its
``updated`` time (RsvpResponse has ``updated`` and no ``created_at``). ``instance_at`` names an
"instance of a recurring event": for an event that does not recur, or an instant that is not
one of its occurrences, it is "Invalid RSVP status or instance" (422). An RSVP to an instance
shows it as ``event_instance`` (EventInstanceResponse), indexed from 0. Two RSVPs to the seeded
Office Hours event are seeded.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .access import ADA, GRACE
from .directory import timestamp
from .records import OFFICE_HOURS_EVENT, RecordError, checked, parse_date_time

# RsvpRequest.status: "Must be one of: yes, maybe, no".
RSVP_STATUSES = ("yes", "maybe", "no")
_RSVP_FIELDS = {"member_id": "integer", "status": "string", "instance_at": "date-time"}


@dataclass(frozen=True)
class Rsvp:
    resource_id: int
    event_id: int
    member_id: int
    status: str
    updated: str
    instance_at: datetime | None = None


SEEDED_RSVPS: tuple[Rsvp, ...] = (
    Rsvp(3_501, OFFICE_HOURS_EVENT, ADA, "yes", timestamp(50)),
    Rsvp(3_502, OFFICE_HOURS_EVENT, GRACE, "maybe", timestamp(51)),
)


def read_rsvp_request(body: Mapping[str, Any]) -> tuple[int, str, datetime | None]:
    """The member, status and instance of a published RsvpRequest; anything else is a 422."""
    values = checked(body, _RSVP_FIELDS)
    missing = [name for name in ("member_id", "status") if name not in values]
    if missing:
        raise RecordError(422, f"Missing required fields: {', '.join(missing)}.")
    if values["status"] not in RSVP_STATUSES:
        raise RecordError(422, "status must be one of: yes, maybe, no.")
    instance = values.get("instance_at")
    return (
        values["member_id"],
        values["status"],
        None if instance is None else parse_date_time(instance),
    )


def instance_index(event: Mapping[str, Any], instance: datetime) -> int | None:
    """Which occurrence of a recurring event (0 for the first) starts at ``instance``, counted
    in the event's own time zone (a weekly event keeps its wall-clock time across summer time);
    None when the event does not recur or no occurrence starts then."""
    frequency = event.get("frequency")
    start = parse_date_time(event["starts_at"])
    if frequency not in ("daily", "weekly", "monthly", "yearly") or start is None:
        return None
    zone = _zone(event.get("time_zone"))
    first, when = start.astimezone(zone), instance.astimezone(zone)
    step = max(event.get("interval") or 1, 1)
    if frequency in ("daily", "weekly"):
        days = step * (7 if frequency == "weekly" else 1)
        elapsed = when.replace(tzinfo=None) - first.replace(tzinfo=None)
        index, rest = divmod(elapsed.total_seconds(), days * 86_400)
    else:
        months = (when.year - first.year) * 12 + when.month - first.month
        index, rest = divmod(months, step * (12 if frequency == "yearly" else 1))
        rest = rest or ((when.day, when.time()) != (first.day, first.time()))
    until = parse_date_time(event.get("recur_until") or "")
    count = event.get("recurrence_count")
    if rest or index < 0 or (count and index >= count) or (until and instance > until):
        return None
    return int(index)


def _zone(name: object) -> tzinfo:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def event_instance(event_id: int, event: Mapping[str, Any], instance: datetime) -> dict[str, Any]:
    """The published EventInstanceResponse of one occurrence."""
    start, end = parse_date_time(event["starts_at"]), parse_date_time(event.get("ends_at") or "")
    length = end - start if start is not None and end is not None else None
    return {
        "post_id": event_id,
        "starts_at": _rfc3339(instance),
        "ends_at": _rfc3339(instance + length if length is not None else instance),
        "instance_index": instance_index(event, instance) or 0,
    }


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class RsvpStore:
    _rsvps: dict[int, Rsvp] = field(default_factory=dict)
    _next_id: int = 9_500_001
    _tick: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rsvps = {rsvp.resource_id: rsvp for rsvp in SEEDED_RSVPS}

    def of_event(self, event_id: int, instance_at: datetime | None = None) -> list[Rsvp]:
        """An event's RSVPs in the order they were made; with ``instance_at``, only the RSVPs
        to that instance."""
        with self._lock:
            rsvps = sorted(self._rsvps.values(), key=lambda r: r.resource_id)
        return [
            r
            for r in rsvps
            if r.event_id == event_id and (instance_at is None or r.instance_at == instance_at)
        ]

    def answer(
        self, event_id: int, member_id: int, status: str, instance_at: datetime | None
    ) -> tuple[Rsvp, Rsvp | None]:
        """Record a member's answer: a new RSVP, or a change to the one they gave before. The
        RSVP as it now stands, and as it stood before (None when it is new)."""
        with self._lock:
            self._tick += 1
            now = timestamp(2_000 + self._tick)
            for rsvp in self._rsvps.values():
                if (rsvp.event_id, rsvp.member_id, rsvp.instance_at) == (
                    event_id,
                    member_id,
                    instance_at,
                ):
                    changed = replace(rsvp, status=status, updated=now)
                    self._rsvps[rsvp.resource_id] = changed
                    return changed, rsvp
            created = Rsvp(self._next_id, event_id, member_id, status, now, instance_at)
            self._next_id += 1
            self._rsvps[created.resource_id] = created
            return created, None


def rsvp_json(
    rsvp: Rsvp, event: Mapping[str, Any], payload: dict[str, Any], member: dict[str, Any]
) -> dict[str, Any]:
    """The published RsvpResponse: ``event`` the EventCreatePayload (``payload``), ``member`` a
    MemberResponse, ``event_instance`` when the RSVP is to one instance."""
    data = {
        "id": rsvp.resource_id,
        "updated": rsvp.updated,
        "status": rsvp.status,
        "event": payload,
        "member": member,
    }
    if rsvp.instance_at is not None:
        data["event_instance"] = event_instance(rsvp.event_id, event, rsvp.instance_at)
    return data
