"""The Admin API: REST over JSON, authenticated by a long-lived API token made by an admin.

Paths, methods, status codes and bodies follow Mighty's published OpenAPI description
(``https://api.mn.co/admin/v1/spec.json``): trailing slashes exactly as published, members as
``MemberResponse``, ``me`` as ``UserResponse`` + ``NetworkResponse``, errors as
``{"error": "..."}``, lists paged as ``rest.Pager`` describes. Members, spaces and space rosters
live in the directory; posts, events, tags, badges and invites in the record store; what members
hold and answer (plans, tags, RSVPs, subscriptions, purchases) is served by ``holdings``. The
state is shared, so what one operation changes the next one sees.

Each change a webhook exists for is told to ``publish`` (the network's webhooks) once it is
made, with the published payload:

- a member put in a space (``POST spaces/{space_id}/members``, and ``POST members``, which puts
  the new member in the Welcome space and in any ``space_ids``): MemberJoined, once a space and
  only when they were not in it already;
- a member out of a space (``DELETE spaces/{space_id}/members/{user_id}/`` and ``.../ban``):
  MemberLeft; removed from the network (``DELETE members/{id}/`` or ``.../network_membership``):
  MemberLeft for each space they were in, since that is how their rosters change;
- a member's fields changed (``PATCH``/``PUT members/{id}/``, without ``space_id``, as the
  payload describes a network-level update; through ``spaces/{space_id}/members/{user_id}/``,
  with it): MemberUpdated, only when something changed;
- a post created or changed: ArticleCreated/ArticleUpdated when its ``post_type`` is
  ``article``, QuestionCreated/QuestionUpdated when it is ``question``, PostCreated/PostUpdated
  otherwise (one event a change, the most specific; the payload is the PostResponse);
- an event created or changed: EventCreated/EventUpdated (EventCreatePayload).

Deleting a post, an event or a space has no published webhook (EVENT_CANCELED is in the GraphQL
enum without a payload schema), and tags, badges and invites made by the host are not member
events, so those changes publish nothing.
"""

from __future__ import annotations

import hmac
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .authorization import ADMIN_API_TOKEN
from .directory import (
    LIMITED_MEMBER,
    NETWORK_DESCRIPTION,
    NETWORK_ID,
    NETWORK_PURPOSE,
    NETWORK_SUBTITLE,
    Member,
    MemberDirectory,
    Space,
    parse_id,
    timestamp,
    title_for,
)
from .holdings import Holdings, event_payload_of
from .records import EVENTS, POSTS, RECORD_KINDS, Context, RecordError, RecordKind, RecordStore
from .rest import (
    AdminRequest,
    AdminResponse,
    Call,
    Handler,
    Pager,
    Publish,
    Refusal,
    error,
    find_member,
    find_space,
    member_event,
    member_json,
    not_found,
    publish_nothing,
    space_json,
    user_id_member,
)

PREFIX = "/admin/v1/networks/"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# MemberCreateRequest.role and MemberUpdateRequest.role, and the network role each stands for.
ROLES = {"host": "HOST", "moderator": "MODERATOR", "contributor": "CONTRIBUTOR"}
MEMBER_TYPES_FOR_ROLE = {"HOST": "NETWORK_HOST", "MODERATOR": "NETWORK_MODERATOR"}


@dataclass
class AdminSite:
    directory: MemberDirectory
    admin: Member
    page_delay: float = 0.0
    next_links: str = "url"  # "url" or "path": both have been seen on live networks
    empty_page_with_next: bool = False  # field report: an empty page that still has `next`
    records: RecordStore = field(default_factory=RecordStore)
    publish: Publish = publish_nothing
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _base_url: str = ""

    def __post_init__(self) -> None:
        self._pager = Pager(self.page_delay, self.next_links, self.empty_page_with_next)
        self.holdings = Holdings(
            self.directory, self.records, self._pager, self._context, self.admin, self.publish
        )
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = []
        self._route("me", GET=lambda c: AdminResponse(200, self._me_json()))
        self._route("", GET=lambda c: AdminResponse(200, _network_json(self.directory.subdomain)))
        self._route("members", GET=self._list_members, POST=self._create_member)
        self._route("members/by_email", GET=self._member_by_email)
        self._route(
            r"members/(\d+)/",
            GET=lambda c: AdminResponse(200, self._member_json(self._member(c.ids[0]))),
            PATCH=self._update_member,
            PUT=self._update_member,
            DELETE=self._delete_member,
        )
        self._route(r"members/(\d+)/network_membership", DELETE=self._delete_member)
        self._route("spaces", GET=self._list_spaces, POST=self._create_space)
        self._route(
            r"spaces/(\d+)",
            GET=lambda c: AdminResponse(200, space_json(self._space(c.ids[0]))),
            PATCH=self._update_space,
            PUT=self._update_space,
            DELETE=self._delete_space,
        )
        self._route(r"spaces/(\d+)/members", GET=self._list_space, POST=self._join_space)
        self._route(
            r"spaces/(\d+)/members/(\d+)/",
            GET=lambda c: AdminResponse(200, self._member_json(self._space_member(c)[1])),
            PATCH=self._update_space_member,
            PUT=self._update_space_member,
            DELETE=self._leave_space,
        )
        self._route(r"spaces/(\d+)/members/(\d+)/ban", POST=self._ban_from_space)
        for kind in RECORD_KINDS:
            self._records_routes(kind)
        for pattern, handlers in self.holdings.routes():
            self._route(pattern, **handlers)

    def _route(self, pattern: str, **handlers: Handler) -> None:
        self._routes.append((re.compile(pattern + r"\Z"), handlers))

    def _records_routes(self, kind: RecordKind) -> None:
        records = self.records

        def listing(c: Call) -> AdminResponse:
            query = {name: c.query_value(name) for name in kind.filters}
            return self._pager.page(c, records.every(kind, self._context(), query))

        def create(c: Call) -> AdminResponse:
            created = records.create(kind, c.body(), self._context())
            self._publish_record(kind, created, "Created")
            return AdminResponse(kind.create_status, created)

        def update(c: Call) -> AdminResponse:
            updated = records.update(kind, c.ids[0], c.body(), self._context())
            self._publish_record(kind, updated, "Updated")
            return AdminResponse(200, updated)

        def delete(c: Call) -> AdminResponse:
            records.delete(kind, c.ids[0])
            return AdminResponse(204)

        item: dict[str, Handler] = {"PATCH": update, "PUT": update, "DELETE": delete}
        if kind.has_show:
            item["GET"] = lambda c: AdminResponse(200, records.get(kind, c.ids[0], self._context()))
        self._route(kind.name, GET=listing, POST=create)
        self._route(kind.name + r"/(\d+)/", **item)

    def _publish_record(self, kind: RecordKind, rendered: dict[str, Any], change: str) -> None:
        """The webhook of a post or an event created or updated ("Created" or "Updated")."""
        if kind is POSTS:
            noun = {"article": "Article", "question": "Question"}.get(rendered["post_type"], "Post")
            self.publish(noun + change, rendered)
        elif kind is EVENTS:
            payload = event_payload_of(
                self.records, self.directory, self.admin, rendered["id"], self._context()
            )
            if payload is not None:
                self.publish("Event" + change, payload)

    def _context(self) -> Context:
        me = self._me_json()["user"]
        assert isinstance(me, dict)
        return Context(
            admin=me,
            admin_id=self.admin.resource_id,
            base_url=self._base_url,
            space_exists=lambda i: self.directory.space(i) is not None,
        )

    # -- dispatch ------------------------------------------------------------------------

    def handle(self, request: AdminRequest, base_url: str) -> AdminResponse:
        # The token is checked before the path, so an unauthenticated caller learns nothing
        # about which resources exist.
        if request.bearer is None:
            return error(401, "Missing API token. Send Authorization: Bearer <token>.")
        if not hmac.compare_digest(request.bearer.encode(), ADMIN_API_TOKEN.encode()):
            return error(401, "Invalid API token.")
        if not request.path.startswith(PREFIX):
            return error(404, "Not Found")
        network, slash, rest = request.path[len(PREFIX) :].partition("/")
        if unquote(network) not in self.directory.network_keys or not slash:
            return error(404, "Not Found")
        for pattern, handlers in self._routes:
            match = pattern.match(rest)
            if match is None:
                continue
            method = "GET" if request.method == "HEAD" else request.method
            handler = handlers.get(method)
            if handler is None:
                allow = ", ".join(sorted(handlers))
                return AdminResponse(405, {"error": "Method Not Allowed"}, allow)
            ids = tuple(parse_id(g) for g in match.groups())
            if any(i is None for i in ids):
                return error(404, "Not Found")
            try:
                with self._lock:
                    self._base_url = base_url
                    return handler(Call(request, tuple(i for i in ids if i is not None), base_url))
            except Refusal as refusal:
                return refusal.response
            except RecordError as exc:
                return error(exc.status, str(exc))
        return error(404, "Not Found")

    # -- members -------------------------------------------------------------------------

    def _member(self, resource_id: int) -> Member:
        return find_member(self.directory, resource_id)

    def _list_members(self, call: Call) -> AdminResponse:
        def fetch(offset: int, limit: int) -> list[dict[str, object]]:
            return [self._member_json(m) for m in self.directory.page(offset, limit)]

        return self._pager.page_of(call, fetch, self.directory.count)

    def _member_by_email(self, call: Call) -> AdminResponse:
        email = call.query_value("email")
        if not email or not EMAIL_PATTERN.match(email):
            return error(422, "email must be an e-mail address.")
        member = self.directory.by_email(email)
        if member is None:
            raise not_found()
        return AdminResponse(200, self._member_json(member))

    def _create_member(self, call: Call) -> AdminResponse:
        body = call.body()
        missing = [k for k in ("email", "first_name", "last_name") if not body.get(k)]
        if missing:
            return error(422, f"Missing required fields: {', '.join(missing)}.")
        fields = _member_changes(body)
        member_type = body.get("member_type", "full")
        if member_type not in ("full", "limited"):
            return error(422, "member_type must be 'full' or 'limited'.")
        space_ids = body.get("space_ids")
        if member_type == "limited" and not space_ids:
            return error(422, "A limited member needs space_ids.")
        spaces = [self._space(_id(i, "space_ids")) for i in _list(space_ids, "space_ids")]
        if self.directory.by_email(fields["email"]) is not None:
            return error(422, "Email has already been taken.")
        role = fields.pop("network_role", "CONTRIBUTOR")
        if member_type == "limited":
            role, kind = None, LIMITED_MEMBER
        else:
            kind = MEMBER_TYPES_FOR_ROLE.get(role, "FULL_MEMBER")
        member = self.directory.create(
            network_role=role,
            member_type=kind,
            time_zone="UTC",
            short_bio="",
            **fields,
        )
        for space in spaces:
            self.directory.join_space(space, member)
        rendered = self._member_json(member)
        for space in self.directory.spaces_of(member):
            self.publish("MemberJoined", member_event(rendered, space_id=space.resource_id))
        return AdminResponse(201, rendered)

    def _update_member(self, call: Call) -> AdminResponse:
        member = self._member(call.ids[0])
        return AdminResponse(200, self._updated(member, call.body(), None))

    def _updated(self, member: Member, body: dict[str, Any], space: Space | None) -> dict[str, Any]:
        """Apply a MemberUpdateRequest and render the member; MemberUpdated when it changed
        something (with the space the update came through, if any)."""
        updated = self._apply_update(member, body)
        rendered = self._member_json(updated)
        if updated != member:
            fields = {} if space is None else {"space_id": space.resource_id}
            self.publish("MemberUpdated", member_event(rendered, **fields))
        return rendered

    def _apply_update(self, member: Member, body: dict[str, Any]) -> Member:
        changes = _member_changes(body)
        email = changes.get("email")
        if email is not None:
            other = self.directory.by_email(email)
            if other is not None and other.position != member.position:
                raise Refusal(422, "Email has already been taken.")
        if "network_role" in changes:
            if member.is_limited:
                raise Refusal(422, "A limited member has no network role.")
            changes["member_type"] = MEMBER_TYPES_FOR_ROLE.get(
                changes["network_role"], "FULL_MEMBER"
            )
        if "first_name" in changes or "last_name" in changes:
            first = changes.get("first_name", member.first_name)
            last = changes.get("last_name", member.last_name)
            changes["name"] = " ".join(p for p in (first, last) if p) or None
        return self.directory.update(member, **changes)

    def _delete_member(self, call: Call) -> AdminResponse:
        member = self._member(call.ids[0])
        if member.position == self.admin.position:
            return error(422, "The API token's own member cannot be removed.")
        cancel = call.query_value("cancel_plans")
        if cancel is not None and cancel not in ("true", "false"):
            return error(422, "cancel_plans must be true or false.")
        rendered = self._member_json(member)
        spaces = self.directory.spaces_of(member)
        self.directory.delete(member)
        for space in spaces:
            self.publish("MemberLeft", member_event(rendered, space_id=space.resource_id))
        return AdminResponse(204)

    def _member_json(self, member: Member) -> dict[str, object]:
        return member_json(member, self._base_url)

    def _me_json(self) -> dict[str, dict[str, object]]:
        admin = self.directory.at(self.admin.position) or self.admin
        user = {
            "id": admin.resource_id,
            "created_at": timestamp(admin.position),
            "updated_at": timestamp(admin.position),
            "name": admin.display_name,
            "email": admin.email,
            "short_bio": admin.short_bio,
            "admin": True,
        }
        return {"user": user, "network": _network_json(self.directory.subdomain)}

    # -- spaces --------------------------------------------------------------------------

    def _space(self, resource_id: int) -> Space:
        return find_space(self.directory, resource_id)

    def _list_spaces(self, call: Call) -> AdminResponse:
        return self._pager.page(call, [space_json(s) for s in self.directory.spaces()])

    def _create_space(self, call: Call) -> AdminResponse:
        body = call.body()
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            return error(422, "name is required.")
        collection = body.get("collection_id")
        collection_id = None if collection is None else _id(collection, "collection_id")
        minutes = 100 + len(self.directory.spaces())
        space = self.directory.create_space(name.strip(), collection_id, minutes)
        return AdminResponse(201, space_json(space))

    def _update_space(self, call: Call) -> AdminResponse:
        space = self._space(call.ids[0])
        body = call.body()
        changes: dict[str, object] = {}
        if "name" in body:
            name = body["name"]
            if not isinstance(name, str) or not name.strip():
                return error(422, "name must be a non-empty string.")
            changes["name"] = name.strip()
        if "collection_id" in body:
            collection = body["collection_id"]
            changes["collection_id"] = (
                None if collection is None else _id(collection, "collection_id")
            )
        return AdminResponse(200, space_json(self.directory.update_space(space, **changes)))

    def _delete_space(self, call: Call) -> AdminResponse:
        self.directory.delete_space(self._space(call.ids[0]))
        return AdminResponse(204)

    def _list_space(self, call: Call) -> AdminResponse:
        roster = self.directory.space_roster(self._space(call.ids[0]))
        return self._pager.page(call, [self._member_json(m) for m in roster])

    def _join_space(self, call: Call) -> AdminResponse:
        space = self._space(call.ids[0])
        member = user_id_member(call, self.directory)
        joined = not self.directory.in_space(space, member)
        self.directory.join_space(space, member)
        rendered = self._member_json(member)
        if joined:
            self.publish("MemberJoined", member_event(rendered, space_id=space.resource_id))
        return AdminResponse(200, rendered)

    def _space_member(self, call: Call) -> tuple[Space, Member]:
        space = self._space(call.ids[0])
        member = self._member(call.ids[1])
        if not self.directory.in_space(space, member):
            raise not_found()
        return space, member

    def _update_space_member(self, call: Call) -> AdminResponse:
        space, member = self._space_member(call)
        return AdminResponse(200, self._updated(member, call.body(), space))

    def _leave_space(self, call: Call) -> AdminResponse:
        space, member = self._space_member(call)
        self._leave(space, member)
        return AdminResponse(200, {})

    def _leave(self, space: Space, member: Member) -> None:
        self.directory.leave_space(space, member)
        rendered = self._member_json(member)
        self.publish("MemberLeft", member_event(rendered, space_id=space.resource_id))

    def _ban_from_space(self, call: Call) -> AdminResponse:
        space, member = self._space_member(call)
        body = call.body() if call.request.body else {}
        reason = body.get("ban_reason")
        if reason is not None and not isinstance(reason, str):
            return error(422, "ban_reason must be a string.")
        self._leave(space, member)
        return AdminResponse(200, {})


def _network_json(subdomain: str) -> dict[str, object]:
    return {
        "id": NETWORK_ID,
        "created_at": timestamp(0),
        "updated_at": timestamp(0),
        "subdomain": subdomain,
        "title": title_for(subdomain),
        "subtitle": NETWORK_SUBTITLE,
        "purpose": NETWORK_PURPOSE,
        "description": NETWORK_DESCRIPTION,
    }


def _member_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """The MemberUpdateRequest (and MemberCreateRequest) fields, checked, as Member fields."""
    changes: dict[str, Any] = {}
    for key in ("first_name", "last_name"):
        if key in body:
            value = body[key]
            if not isinstance(value, str) or not value.strip():
                raise Refusal(422, f"{key} must be a non-empty string.")
            changes[key] = value.strip()
    if "email" in body:
        email = body["email"]
        if not isinstance(email, str) or not EMAIL_PATTERN.match(email):
            raise Refusal(422, "email must be an e-mail address.")
        changes["email"] = email
    if "role" in body:
        role = body["role"]
        if role not in ROLES:
            raise Refusal(422, "role must be one of host, moderator, contributor.")
        changes["network_role"] = ROLES[role]
    if "send_welcome_email" in body and not isinstance(body["send_welcome_email"], bool):
        raise Refusal(422, "send_welcome_email must be true or false.")
    if "first_name" in changes or "last_name" in changes:
        parts = (changes.get("first_name"), changes.get("last_name"))
        changes.setdefault("name", " ".join(p for p in parts if p) or None)
    return changes


def _list(value: object, name: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Refusal(422, f"{name} must be a list.")
    return value


def _id(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Refusal(422, f"{name} must hold whole numbers.")
    return value
