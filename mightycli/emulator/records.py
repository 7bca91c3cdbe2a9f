"""Posts, events, tags and invites of the Admin API: stored as they were created, in memory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class RecordError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RecordKind:
    name: str
    create_status: int
    has_show: bool
    required: tuple[str, ...]
    # Request fields and the JSON types each may have.
    fields: Mapping[str, tuple[type, ...]]
    render: Callable[[int, dict[str, Any]], dict[str, Any]]


RECORD_KINDS: tuple[RecordKind, ...] = ()


@dataclass
class RecordStore:
    _items: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _next_id: int = 9_000_001

    def every(self, kind: RecordKind) -> list[dict[str, Any]]:
        items = self._items.get(kind.name, {})
        return [kind.render(i, items[i]) for i in sorted(items)]

    def get(self, kind: RecordKind, resource_id: int) -> dict[str, Any]:
        item = self._items.get(kind.name, {}).get(resource_id)
        if item is None:
            raise RecordError(404, "Not Found")
        return kind.render(resource_id, item)

    def create(self, kind: RecordKind, body: dict[str, Any]) -> dict[str, Any]:
        raise RecordError(422, "unsupported")

    def update(self, kind: RecordKind, resource_id: int, body: dict[str, Any]) -> dict[str, Any]:
        raise RecordError(422, "unsupported")

    def delete(self, kind: RecordKind, resource_id: int) -> None:
        if self._items.get(kind.name, {}).pop(resource_id, None) is None:
            raise RecordError(404, "Not Found")
