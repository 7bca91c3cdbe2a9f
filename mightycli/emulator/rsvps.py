"""RSVPs to events (``events/{event_id}/rsvps``), kept in memory.

A member has one RSVP per event (and per instance, for a recurring event): answering again
changes its status and its ``updated`` time, which fits RsvpResponse having ``updated`` and no
``created_at``. Two RSVPs to the seeded Office Hours event are seeded.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

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
    ) -> Rsvp:
        """Record a member's answer: a new RSVP, or a change to the one they gave before."""
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
                    return changed
            created = Rsvp(self._next_id, event_id, member_id, status, now, instance_at)
            self._next_id += 1
            self._rsvps[created.resource_id] = created
            return created


def rsvp_json(rsvp: Rsvp, event: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
    """The published RsvpResponse: ``event`` an EventCreatePayload, ``member`` a
    MemberResponse."""
    return {
        "id": rsvp.resource_id,
        "updated": rsvp.updated,
        "status": rsvp.status,
        "event": event,
        "member": member,
    }
