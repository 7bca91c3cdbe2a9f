"""The Headless API: a subset of Mighty's published GraphQL schema, executed by graphql-core."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeAlias

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    execute_sync,
    parse,
    print_schema,
    validate,
)

from .authorization import AccessContext
from .directory import (
    NETWORK_DESCRIPTION,
    NETWORK_GLOBAL_ID,
    NETWORK_ID,
    NETWORK_SUBTITLE,
    SPACE_ID_BASE,
    Member,
    MemberDirectory,
    Space,
    decode_global_id,
    parse_id,
    timestamp,
)
from .webhooks import CallbackError, WebhookCallback, Webhooks

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 50
# The API notes: a query costing more than 1,500 fails with a top-level error that has no code.
MAX_QUERY_COST = 1500
# Bounds the parser's work on hostile documents before any validation runs.
_MAX_TOKENS = 20_000


def _load_sdl() -> str:
    # The schema is kept as a file of its own, beside a note of where it comes from.
    return resources.files(__package__).joinpath("schema.graphql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class HeadlessContext:
    """Per-request facts the resolvers need."""

    access: AccessContext
    directory: MemberDirectory
    base_url: str
    page_delay: float
    webhooks: Webhooks


# Resolvers receive the per-request context through info.context.
_Info: TypeAlias = "GraphQLResolveInfo[HeadlessContext]"


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def mask_email(email: str) -> str:
    """Field reports: without read:userinfo the e-mail comes back as ``a***@***.***``."""
    return f"{email[:1]}***@***.***" if email else ""


def _member(member: Member, ctx: HeadlessContext) -> dict[str, object]:
    viewer = ctx.access.member
    scopes = ctx.access.scopes
    # read:userinfo reveals the token owner's own details; only a host's member-reading scope
    # reveals other members' details.
    revealed = (member.position == viewer.position and "read:userinfo" in scopes) or (
        viewer.is_host
        and bool(scopes & {"host:read:network_members", "host:write:network_members"})
    )
    joined = timestamp(member.position)
    return {
        "__typename": "User",
        "id": member.global_id,
        "resourceId": str(member.resource_id),
        "name": member.name,
        "firstName": member.first_name,
        "lastName": member.last_name,
        "email": member.email if revealed else mask_email(member.email),
        "avatarUrl": f"{ctx.base_url}/avatars/{member.resource_id}.png",
        "url": f"{ctx.base_url}/members/{member.resource_id}",
        "networkRole": member.network_role,
        "memberType": member.member_type,
        "isLimitedMember": member.is_limited,
        "timeZone": member.time_zone if revealed else None,
        "shortBio": member.short_bio or None,
        "joinedAt": joined,
        "lastActiveAt": joined,
        "updatedAt": joined,
        "followerCount": 0,
        "followedMemberCount": 0,
        "referralCount": member.referral_count,
    }


def _network(ctx: HeadlessContext) -> dict[str, object]:
    return {
        "__typename": "Network",
        "id": NETWORK_GLOBAL_ID,
        "resourceId": str(NETWORK_ID),
        "title": ctx.directory.title,
        "subtitle": NETWORK_SUBTITLE,
        "description": NETWORK_DESCRIPTION,
        "slug": ctx.directory.subdomain,
        "url": ctx.base_url,
        "avatarUrl": None,
        "discoverable": True,
        "createdAt": timestamp(0),
        "updatedAt": timestamp(0),
    }


def _space(space: Space, ctx: HeadlessContext) -> dict[str, object]:
    return {
        "__typename": "Space",
        "id": space.global_id,
        "resourceId": str(space.resource_id),
        "title": space.name,
        "url": f"{ctx.base_url}/spaces/{space.resource_id}",
        "avatarUrl": None,
        "avatarDarkModeUrl": None,
        "createdAt": timestamp(space.created_minutes),
        "updatedAt": timestamp(space.created_minutes),
        "discoverable": True,
        "explorable": True,
        "memberCount": len(ctx.directory.space_roster(space)),
        "position": space.resource_id - SPACE_ID_BASE,
    }


def _node(global_id: str, ctx: HeadlessContext) -> dict[str, object] | None:
    decoded = decode_global_id(global_id)
    if decoded == ("Network", NETWORK_ID):
        return _network(ctx)
    member = ctx.directory.by_global_id(global_id)
    if member is not None:
        return _member(member, ctx)
    space = ctx.directory.space_by_global_id(global_id)
    if space is not None:
        return _space(space, ctx)
    if decoded is not None and decoded[0] == "WebhookCallback" and _reads_webhooks(ctx):
        callback = ctx.webhooks.callback(decoded[1])
        return _webhook_callback(callback) if callback is not None else None
    return None


def encode_cursor(offset: int, kind: str = "members") -> str:
    return base64.urlsafe_b64encode(f"{kind}:{offset}".encode()).decode("ascii")


def decode_cursor(cursor: str, kind: str = "members") -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        return None
    prefix, _, number = raw.partition(":")
    if prefix != kind or not number.isdigit() or not number.isascii() or len(number) > 12:
        return None
    return int(number)


def _resolve_me(_source: object, info: _Info) -> dict[str, object] | None:
    ctx = info.context
    # A member deleted through the Admin API no longer has a `me`.
    current = ctx.directory.at(ctx.access.member.position)
    return _member(current, ctx) if current is not None else None


def _resolve_network(_source: object, info: _Info) -> dict[str, object]:
    return _network(info.context)


def _resolve_node(_source: object, info: _Info, id: str) -> dict[str, object] | None:
    return _node(id, info.context)


def _resolve_nodes(_source: object, info: _Info, ids: list[str]) -> list[dict[str, object] | None]:
    ctx = info.context
    return [_node(global_id, ctx) for global_id in ids]


# Published scope notes: `members` and `member` need any of these.
MEMBER_READING_SCOPES = frozenset(
    {"read:network", "host:read:network", "host:read:network_members", "host:write:network_members"}
)


def _check_member_scopes(ctx: HeadlessContext) -> None:
    if not ctx.access.scopes & MEMBER_READING_SCOPES:
        raise _error(
            "Reading members needs one of the scopes " + ", ".join(sorted(MEMBER_READING_SCOPES)),
            "FORBIDDEN",
        )


def _page_bounds(first: int | None, after: str | None, total: int, kind: str) -> tuple[int, int]:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0 or size > MAX_PAGE_SIZE:
        raise _error(f"first must be between 0 and {MAX_PAGE_SIZE}.", "BAD_USER_INPUT")
    start = 0
    if after is not None:
        offset = decode_cursor(after, kind)
        if offset is None or offset >= max(total, 1):
            raise _error("The after cursor is not valid.", "BAD_USER_INPUT")
        start = offset + 1
    return start, size


def _connection(
    nodes: list[dict[str, object]], start: int, total: int, kind: str
) -> dict[str, object]:
    edges = [
        {"cursor": encode_cursor(start + i, kind), "node": node} for i, node in enumerate(nodes)
    ]
    return {
        "edges": edges,
        "nodes": nodes,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
            "hasNextPage": start + len(nodes) < total,
            "hasPreviousPage": start > 0,
        },
    }


_SORT_KEYS: dict[str, Callable[[Member], Any]] = {
    "MEMBER_NAME": lambda m: (m.display_name.casefold(), m.position),
    "MEMBER_TYPE": lambda m: (m.member_type, m.position),
    "ROLE": lambda m: (m.network_role or "", m.position),
    "REFERRAL_COUNT": lambda m: (m.referral_count, m.position),
}


def _filtered_members(ctx: HeadlessContext, args: Mapping[str, Any]) -> list[Member] | None:
    """The members a filtered or sorted listing shows, or None for the plain listing order.

    Everyone joined in position order and was last seen in it, so DATE_JOINED, LAST_VISIT and
    RESOURCE_ID ascending are the directory's own order; anything else is worked out in full.
    """
    sort, order = args.get("sort", "LAST_VISIT"), args.get("sortOrder", "ASC")
    filters = ("term", "role", "memberType", "spaceId", "planId", "segmentIds", "customFields")
    if (
        sort not in _SORT_KEYS
        and order == "ASC"
        and not any(args.get(name) is not None for name in (*filters, "ambassador"))
    ):
        return None
    members: Iterable[Member] = ctx.directory.every()
    term = args.get("term")
    if term:
        wanted = str(term).casefold()
        members = [m for m in members if wanted in f"{m.display_name} {m.email}".casefold()]
    if args.get("role") is not None:
        members = [m for m in members if m.network_role == args["role"]]
    if args.get("memberType") is not None:
        members = [m for m in members if m.member_type == args["memberType"]]
    if args.get("spaceId") is not None:
        space = ctx.directory.space_by_global_id(str(args["spaceId"]))
        roster = {m.position for m in ctx.directory.space_roster(space)} if space else set()
        members = [m for m in members if m.position in roster]
    # The emulated network has no plans, segments, custom fields or ambassadors: filtering by
    # any of them finds nobody (ambassador: false finds everyone).
    if any(args.get(name) is not None for name in ("planId", "segmentIds", "customFields")):
        members = []
    if args.get("ambassador") is True:
        members = []
    key = _SORT_KEYS.get(sort, lambda m: m.position)
    return sorted(members, key=key, reverse=order == "DESC")


def _resolve_members(_source: object, info: _Info, **args: Any) -> dict[str, object]:
    ctx = info.context
    _check_member_scopes(ctx)
    if not ctx.access.member.sees_member_list:
        return {**_connection([], 0, 0, "members"), "totalCount": 0}
    chosen = _filtered_members(ctx, args)
    total = ctx.directory.count if chosen is None else len(chosen)
    start, size = _page_bounds(args.get("first"), args.get("after"), total, "members")
    if ctx.page_delay > 0:
        time.sleep(ctx.page_delay)
    if chosen is None:
        members = ctx.directory.page(start, size)
    else:
        members = chosen[start : start + size]
    nodes = [_member(member, ctx) for member in members]
    return {**_connection(nodes, start, total, "members"), "totalCount": total}


def _resolve_member(
    _source: object, info: _Info, id: str, role: str | None = None
) -> dict[str, object] | None:
    ctx = info.context
    _check_member_scopes(ctx)
    member = ctx.directory.by_global_id(id)
    if member is None and parse_id(id) is not None:
        member = ctx.directory.by_resource_id(int(id))
    if member is None or (role is not None and member.network_role != role):
        return None
    return _member(member, ctx)


def _resolve_space(_source: object, info: _Info, idOrSlug: str) -> dict[str, object] | None:
    ctx = info.context
    space = ctx.directory.space_by_global_id(idOrSlug)
    if space is None and parse_id(idOrSlug) is not None:
        space = ctx.directory.space(int(idOrSlug))
    return _space(space, ctx) if space is not None else None


def _resolve_spaces(_source: object, info: _Info, **args: Any) -> dict[str, object]:
    ctx = info.context
    spaces = ctx.directory.spaces()
    if args.get("last") is not None or args.get("before") is not None:
        raise _error(
            "Paging backwards is not supported here; use first and after.", "BAD_USER_INPUT"
        )
    start, size = _page_bounds(args.get("first"), args.get("after"), len(spaces), "spaces")
    nodes = [_space(space, ctx) for space in spaces[start : start + size]]
    return _connection(nodes, start, len(spaces), "spaces")


# -- webhook callbacks ---------------------------------------------------------------------
#
# Published: createWebhookCallback, updateWebhookCallback and deleteWebhookCallback each need
# host:write:network_integrations. Network.webhookCallbacks names no scope; the emulator lets a
# token with host:read:network or that write scope read them (host scopes are for hosts only).
# A token without the scope meets FORBIDDEN, as members do without theirs; a callback that is
# not there, a url that is not https (or http to a loopback host) and an empty includedEvents
# come back in the payload's errors, the field every mutation payload has for them.

WEBHOOK_WRITE_SCOPE = "host:write:network_integrations"
WEBHOOK_READING_SCOPES = frozenset({"host:read:network", WEBHOOK_WRITE_SCOPE})
_NO_CALLBACK = "No webhook callback has this id."


def _reads_webhooks(ctx: HeadlessContext) -> bool:
    return bool(ctx.access.scopes & WEBHOOK_READING_SCOPES)


def _check_webhook_scope(ctx: HeadlessContext, *, write: bool) -> None:
    if write and WEBHOOK_WRITE_SCOPE not in ctx.access.scopes:
        raise _error(
            f"Managing webhook callbacks needs the scope {WEBHOOK_WRITE_SCOPE}", "FORBIDDEN"
        )
    if not write and not _reads_webhooks(ctx):
        raise _error(
            "Reading webhook callbacks needs one of the scopes "
            + ", ".join(sorted(WEBHOOK_READING_SCOPES)),
            "FORBIDDEN",
        )


def _webhook_callback(callback: WebhookCallback) -> dict[str, object]:
    included = callback.included_events
    return {
        "__typename": "WebhookCallback",
        "id": callback.global_id,
        "resourceId": str(callback.resource_id),
        # Published: "Secret sent with each delivery so the endpoint can verify the request".
        "apiKey": callback.api_key,
        "consecutiveFailures": callback.consecutive_failures,
        "createdAt": callback.created_at,
        "disabled": callback.disabled,
        "disabledAt": callback.disabled_at,
        "includedEvents": None if included is None else list(included),
        "updatedAt": callback.updated_at,
        "url": callback.url,
    }


def _resolve_webhook_callbacks(_source: object, info: _Info, **args: Any) -> dict[str, object]:
    ctx = info.context
    _check_webhook_scope(ctx, write=False)
    if args.get("last") is not None or args.get("before") is not None:
        raise _error(
            "Paging backwards is not supported here; use first and after.", "BAD_USER_INPUT"
        )
    callbacks = ctx.webhooks.callbacks()  # newest first, as published
    kind = "webhookCallbacks"
    start, size = _page_bounds(args.get("first"), args.get("after"), len(callbacks), kind)
    nodes = [_webhook_callback(c) for c in callbacks[start : start + size]]
    return _connection(nodes, start, len(callbacks), kind)


def _callback_id(text: str) -> int | None:
    """A callback's resource id from the input's ``id``: "resource ID or GlobalID"."""
    number = parse_id(text)
    if number is not None:
        return number
    decoded = decode_global_id(text)
    return decoded[1] if decoded is not None and decoded[0] == "WebhookCallback" else None


def _payload(input: Mapping[str, Any], **fields: object) -> dict[str, object]:
    return {"clientMutationId": input.get("clientMutationId"), "errors": [], **fields}


def _resolve_create_webhook_callback(
    _source: object, info: _Info, input: dict[str, Any]
) -> dict[str, object]:
    ctx = info.context
    _check_webhook_scope(ctx, write=True)
    try:
        callback = ctx.webhooks.register(
            input["url"], input.get("apiKey"), input.get("includedEvents")
        )
    except CallbackError as exc:
        return _payload(input, errors=[str(exc)], webhookCallback=None)
    return _payload(input, webhookCallback=_webhook_callback(callback))


def _resolve_update_webhook_callback(
    _source: object, info: _Info, input: dict[str, Any]
) -> dict[str, object]:
    """Only the fields given change. ``includedEvents: null`` subscribes to every event (as
    published); ``url: null`` leaves the url as it is; ``apiKey: null`` (or "") removes the
    secret. Any update enables a disabled callback again."""
    ctx = info.context
    _check_webhook_scope(ctx, write=True)
    resource_id = _callback_id(input["id"])
    changes: dict[str, Any] = {}
    if input.get("url") is not None:
        changes["url"] = input["url"]
    if "apiKey" in input:
        changes["api_key"] = input["apiKey"]
    if "includedEvents" in input:
        changes["included_events"] = input["includedEvents"]
    try:
        if resource_id is None:
            raise KeyError(input["id"])
        callback = ctx.webhooks.update(resource_id, changes)
    except CallbackError as exc:
        return _payload(input, errors=[str(exc)], webhookCallback=None)
    except KeyError:
        return _payload(input, errors=[_NO_CALLBACK], webhookCallback=None)
    return _payload(input, webhookCallback=_webhook_callback(callback))


def _resolve_delete_webhook_callback(
    _source: object, info: _Info, input: dict[str, Any]
) -> dict[str, object]:
    ctx = info.context
    _check_webhook_scope(ctx, write=True)
    resource_id = _callback_id(input["id"])
    callback = ctx.webhooks.callback(resource_id) if resource_id is not None else None
    if callback is None or not ctx.webhooks.delete(callback.resource_id):
        return _payload(input, errors=[_NO_CALLBACK], deletedId=None)
    return _payload(input, deletedId=callback.global_id)


def _resolve_type(value: Any, _info: _Info, _type: Any) -> str | None:
    if isinstance(value, dict):
        name = value.get("__typename")
        return name if isinstance(name, str) else None
    return None


def build_headless_schema() -> GraphQLSchema:
    schema = build_schema(_load_sdl())
    resolvers: dict[tuple[str, str], Callable[..., Any]] = {
        ("Query", "me"): _resolve_me,
        ("Query", "network"): _resolve_network,
        ("Query", "node"): _resolve_node,
        ("Query", "nodes"): _resolve_nodes,
        ("Network", "members"): _resolve_members,
        ("Network", "member"): _resolve_member,
        ("Network", "space"): _resolve_space,
        ("Network", "spaces"): _resolve_spaces,
        ("Network", "webhookCallbacks"): _resolve_webhook_callbacks,
        ("Mutation", "createWebhookCallback"): _resolve_create_webhook_callback,
        ("Mutation", "updateWebhookCallback"): _resolve_update_webhook_callback,
        ("Mutation", "deleteWebhookCallback"): _resolve_delete_webhook_callback,
    }
    for (type_name, field_name), resolver in resolvers.items():
        owner = schema.get_type(type_name)
        if not isinstance(owner, GraphQLObjectType):
            raise RuntimeError(f"the Headless API schema has no object type {type_name}")
        owner.fields[field_name].resolve = resolver
    for type_name in ("Node", "DatabaseRecord", "Member", "SpaceInterface"):
        interface = schema.get_type(type_name)
        if not isinstance(interface, GraphQLInterfaceType):
            raise RuntimeError(f"the Headless API schema has no interface {type_name}")
        interface.resolve_type = _resolve_type
    return schema


def schema_sdl(schema: GraphQLSchema) -> str:
    return print_schema(schema) + "\n"


@dataclass(frozen=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


def read_request(body: object) -> GraphQLRequest | str:
    """The GraphQL-over-HTTP request in a decoded JSON body, or why it is not one."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    query = body.get("query")
    variables = body.get("variables")
    operation_name = body.get("operationName")
    if not isinstance(query, str) or not query.strip():
        return "The request must contain a query string."
    if variables is not None and not isinstance(variables, dict):
        return "variables must be a JSON object."
    if operation_name is not None and not isinstance(operation_name, str):
        return "operationName must be a string."
    return GraphQLRequest(query, variables, operation_name)


def _formatted(errors: list[GraphQLError], default_code: str | None) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for error in errors:
        entry: dict[str, object] = dict(error.formatted)
        extensions = dict(error.extensions or {})
        # Errors without a path are about the request itself (syntax, validation, variables).
        if default_code is not None and "code" not in extensions and error.path is None:
            extensions["code"] = default_code
        if extensions:
            entry["extensions"] = extensions
        out.append(entry)
    return out


def execute_request(
    schema: GraphQLSchema, request: GraphQLRequest, ctx: HeadlessContext
) -> dict[str, object]:
    """Run one request; every failure becomes a GraphQL error list, answered with HTTP 200."""
    try:
        document = parse(request.query, max_tokens=_MAX_TOKENS)
    except GraphQLError as exc:
        return {"errors": _formatted([exc], "BAD_USER_INPUT")}
    except RecursionError:
        return {
            "errors": [
                {
                    "message": "The query is nested too deeply.",
                    "extensions": {"code": "BAD_USER_INPUT"},
                }
            ]
        }
    validation_errors = validate(schema, document)
    if validation_errors:
        return {"errors": _formatted(list(validation_errors), "BAD_USER_INPUT")}
    cost = query_cost(document, request.operation_name, request.variables or {})
    if cost > MAX_QUERY_COST:
        return {
            "errors": [{"message": f"Query cost {cost} exceeds the maximum of {MAX_QUERY_COST}."}]
        }
    result = execute_sync(
        schema,
        document,
        context_value=ctx,
        variable_values=request.variables,
        operation_name=request.operation_name,
    )
    response: dict[str, object] = {"data": result.data}
    if result.errors:
        response["errors"] = _formatted(list(result.errors), "BAD_USER_INPUT")
    # Field reports: responses carry extensions.cost. Its inner shape is not published; this
    # one names the emulator's estimate and the documented limit.
    response["extensions"] = {"cost": {"requestedQueryCost": cost, "maxQueryCost": MAX_QUERY_COST}}
    return response


def query_cost(
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, object]
) -> int:
    """A simple cost model: one point per object field, times the page sizes above it.

    It is only meant to make the documented limit reachable; nested connections and many
    aliased pages are what push a query past it.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        op
        for op in operations
        if operation_name is None or (op.name is not None and op.name.value == operation_name)
    ]
    if not chosen:
        return 0
    return _selection_cost(chosen[0].selection_set, fragments, variables, 1, frozenset())


def _page_size(field: FieldNode, variables: Mapping[str, object]) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(int(value.value), 0)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            if isinstance(given, int):
                return max(given, 0)
        return DEFAULT_PAGE_SIZE
    return 1 if field.name.value != "members" else DEFAULT_PAGE_SIZE


def _selection_cost(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, object],
    multiplier: int,
    seen: frozenset[str],
) -> int:
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.selection_set is None:
                continue
            total += multiplier
            total += _selection_cost(
                selection.selection_set,
                fragments,
                variables,
                multiplier * _page_size(selection, variables),
                seen,
            )
        elif isinstance(selection, InlineFragmentNode):
            total += _selection_cost(
                selection.selection_set, fragments, variables, multiplier, seen
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                total += _selection_cost(
                    fragment.selection_set, fragments, variables, multiplier, seen | {name}
                )
    return total
