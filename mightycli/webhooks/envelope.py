"""A delivery's body: the published envelope ``{event_id, event_timestamp, payload}`` (plus
the ``event_type`` a maintained client library reads from it), made and checked."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mightycli.http import decode_json
from mightycli.webhooks.catalog import canonical_name


@dataclass(frozen=True)
class Delivery:
    """A delivery that passed the envelope's checks. ``event_type`` is the PascalCase name
    when the body names a known event, the body's own text for an unknown one, else None."""

    event_id: str
    event_timestamp: str
    event_type: str | None
    payload: dict[str, Any]

    def line(self) -> str:
        """The delivery as one JSON line (no newline), keys in a fixed order."""
        return json.dumps(
            {
                "event_type": self.event_type,
                "event_id": self.event_id,
                "event_timestamp": self.event_timestamp,
                "payload": self.payload,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


class EnvelopeError(ValueError):
    """The body is not a published envelope; the message says what is wrong."""


def make_envelope(event: str, payload: dict[str, Any], now: datetime | None = None) -> bytes:
    """A delivery's body: a fresh uuid, ``now`` (UTC, RFC 3339) and the payload."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    body = {
        "event_id": str(uuid.uuid4()),
        "event_timestamp": moment.isoformat(timespec="seconds"),
        "event_type": event,
        "payload": payload,
    }
    return json.dumps(body, ensure_ascii=False).encode()


_NOT_JSON = object()


def read_envelope(body: bytes) -> Delivery:
    """The delivery in ``body``, or EnvelopeError naming the first thing that is not as
    published: a JSON object, ``event_id`` a uuid, ``event_timestamp`` a date and time,
    ``payload`` an object."""
    data = decode_json(body, invalid=_NOT_JSON)
    if data is _NOT_JSON:
        raise EnvelopeError("the body is not JSON")
    if not isinstance(data, dict):
        raise EnvelopeError("the body is not a JSON object")
    event_id = data.get("event_id")
    if not isinstance(event_id, str) or not _is_uuid(event_id):
        raise EnvelopeError("event_id is missing or not a uuid")
    stamp = data.get("event_timestamp")
    if not isinstance(stamp, str) or not _is_date_time(stamp):
        raise EnvelopeError("event_timestamp is missing or not a date and time")
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise EnvelopeError("payload is missing or not an object")
    named = data.get("event_type")
    event_type = (canonical_name(named) or named) if isinstance(named, str) and named else None
    return Delivery(event_id, stamp, event_type, payload)


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()  # the hyphenated form only, as JSON Schema
    except ValueError:
        return False


def _is_date_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "T" in text.upper() or " " in text
