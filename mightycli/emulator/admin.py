"""The Admin API: REST over JSON, authenticated by a long-lived API token made by an admin."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlencode

from .authorization import ADMIN_API_TOKEN
from .directory import NETWORK_ID, NETWORK_SUBDOMAIN, NETWORK_TITLE, Member, MemberDirectory

PREFIX = "/admin/v1/networks/"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
NETWORK_KEYS = frozenset({str(NETWORK_ID), NETWORK_SUBDOMAIN})

# Fixed timestamps keep every response reproducible between runs.
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AdminResponse:
    status: int
    body: dict[str, object]


@dataclass(frozen=True)
class AdminSite:
    directory: MemberDirectory
    admin: Member
    base_url: str
    page_delay: float

    def handle(
        self, method: str, path: str, query: Mapping[str, Sequence[str]], bearer: str | None
    ) -> AdminResponse:
        # The token is checked before the path, so an unauthenticated caller learns nothing
        # about which resources exist.
        if bearer is None:
            return _error(401, "Missing API token. Send Authorization: Bearer <token>.")
        if not hmac.compare_digest(bearer.encode(), ADMIN_API_TOKEN.encode()):
            return _error(401, "Invalid API token.")
        if not path.startswith(PREFIX):
            return _error(404, "Not Found")
        network, _, rest = path[len(PREFIX) :].partition("/")
        if unquote(network) not in NETWORK_KEYS:
            return _error(404, "Not Found")
        if rest == "me":
            return self._only_get(method) or AdminResponse(200, self._me())
        if rest in ("members", "members/"):
            return self._only_get(method) or self._members(path, query)
        head, _, member_id = rest.partition("/")
        member_id = member_id.removesuffix("/")
        if head == "members" and member_id and "/" not in member_id:
            return self._only_get(method) or self._member(member_id)
        return _error(404, "Not Found")

    @staticmethod
    def _only_get(method: str) -> AdminResponse | None:
        if method in ("GET", "HEAD"):
            return None
        return _error(405, "Method Not Allowed")

    def _me(self) -> dict[str, object]:
        user = self._member_json(self.admin)
        user["admin"] = True
        return {"user": user, "network": self._network_json()}

    def _members(self, path: str, query: Mapping[str, Sequence[str]]) -> AdminResponse:
        page = _positive_int(query, "page", 1)
        per_page = _positive_int(query, "per_page", DEFAULT_PER_PAGE)
        if page is None:
            return _error(422, "page must be a whole number of 1 or more.")
        if per_page is None or per_page > MAX_PER_PAGE:
            return _error(422, f"per_page must be a whole number from 1 to {MAX_PER_PAGE}.")
        if self.page_delay > 0:
            time.sleep(self.page_delay)
        offset = (page - 1) * per_page
        items = [self._member_json(m) for m in self.directory.page(offset, per_page)]
        links = {"self": self._page_url(path, page, per_page)}
        # The last page is the one without a next link.
        if offset + per_page < self.directory.count:
            links["next"] = self._page_url(path, page + 1, per_page)
        return AdminResponse(200, {"items": items, "links": links})

    def _member(self, member_id: str) -> AdminResponse:
        member = None
        if member_id.isdigit() and member_id.isascii() and len(member_id) < 20:
            member = self.directory.by_resource_id(int(member_id))
        if member is None:
            return _error(404, "Not Found")
        return AdminResponse(200, self._member_json(member))

    def _page_url(self, path: str, page: int, per_page: int) -> str:
        return f"{self.base_url}{path}?{urlencode({'page': page, 'per_page': per_page})}"

    def _member_json(self, member: Member) -> dict[str, object]:
        joined = (_EPOCH + timedelta(minutes=member.position)).isoformat().replace("+00:00", "Z")
        return {
            "id": member.resource_id,
            "name": member.name,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "email": member.email,
            "short_bio": member.short_bio,
            "avatar_url": f"{self.base_url}/avatars/{member.resource_id}.png",
            "profile_url": f"{self.base_url}/members/{member.resource_id}",
            "role": member.network_role.lower(),
            "time_zone": member.time_zone,
            "admin": member.is_host,
            "created_at": joined,
            "updated_at": joined,
        }

    def _network_json(self) -> dict[str, object]:
        return {
            "id": NETWORK_ID,
            "subdomain": NETWORK_SUBDOMAIN,
            "title": NETWORK_TITLE,
            "url": self.base_url,
            "member_count": self.directory.count,
        }


def _error(status: int, message: str) -> AdminResponse:
    return AdminResponse(status, {"error": message})


def _positive_int(query: Mapping[str, Sequence[str]], name: str, default: int) -> int | None:
    values = query.get(name)
    if not values:
        return default
    text = values[0]
    # Bounded length: a huge number is out of range anyway, and int() on it would be slow.
    if not text.isdigit() or not text.isascii() or len(text) > 12:
        return None
    number = int(text)
    return number if number >= 1 else None
