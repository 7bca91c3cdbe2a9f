"""The Headless API: a subset of Mighty's published GraphQL schema, executed by graphql-core."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from dataclasses import dataclass
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
    NETWORK_GLOBAL_ID,
    NETWORK_ID,
    NETWORK_SUBDOMAIN,
    NETWORK_TITLE,
    Member,
    MemberDirectory,
    decode_global_id,
)

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 50
# The API notes: a query costing more than 1,500 fails with a top-level error that has no code.
MAX_QUERY_COST = 1500
# Bounds the parser's work on hostile documents before any validation runs.
_MAX_TOKENS = 20_000

_SDL = '''
"""An object with a globally unique, opaque ID."""
interface Node {
  id: ID!
}

"""A member's role in the network."""
enum NetworkRole {
  CONTRIBUTOR
  HOST
  MODERATOR
}

"""A person in the network."""
type Member implements Node {
  id: ID!
  """The member's id in the Admin API."""
  resourceId: Int!
  name: String!
  firstName: String
  lastName: String
  """Obfuscated unless the token has read:userinfo and this is the token's own member."""
  email: String
  avatarUrl: String
  url: String!
  networkRole: NetworkRole!
  memberType: String
  """Null unless the token has read:userinfo and this is the token's own member."""
  timeZone: String
}

"""Relay pagination state."""
type PageInfo {
  startCursor: String
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
}

type MemberEdge {
  cursor: String!
  node: Member!
}

type MemberConnection {
  edges: [MemberEdge!]!
  nodes: [Member!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

"""A Mighty network."""
type Network implements Node {
  id: ID!
  """The network's numeric id."""
  resourceId: Int!
  title: String!
  subdomain: String!
  url: String!
  """Needs read:network or host:read:network_members. At most 50 per page."""
  members(first: Int, after: String): MemberConnection!
}

type Query {
  """The member who approved the token, or null when the token has none."""
  me: Member
  network: Network!
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
}
'''


@dataclass(frozen=True)
class HeadlessContext:
    """Per-request facts the resolvers need."""

    access: AccessContext
    directory: MemberDirectory
    base_url: str
    page_delay: float


# Resolvers receive the per-request context through info.context.
_Info: TypeAlias = "GraphQLResolveInfo[HeadlessContext]"


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def obfuscate_email(email: str) -> str:
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}"


def _member(member: Member, ctx: HeadlessContext) -> dict[str, object]:
    viewer = ctx.access.member
    scopes = ctx.access.scopes
    # read:userinfo reveals the token owner's own details; only a host's member-reading scope
    # reveals other members' details.
    revealed = (member.position == viewer.position and "read:userinfo" in scopes) or (
        viewer.is_host and "host:read:network_members" in scopes
    )
    return {
        "__typename": "Member",
        "id": member.global_id,
        "resourceId": member.resource_id,
        "name": member.name,
        "firstName": member.first_name,
        "lastName": member.last_name,
        "email": member.email if revealed else obfuscate_email(member.email),
        "avatarUrl": f"{ctx.base_url}/avatars/{member.resource_id}.png",
        "url": f"{ctx.base_url}/members/{member.resource_id}",
        "networkRole": member.network_role,
        "memberType": member.member_type,
        "timeZone": member.time_zone if revealed else None,
    }


def _network(ctx: HeadlessContext) -> dict[str, object]:
    return {
        "__typename": "Network",
        "id": NETWORK_GLOBAL_ID,
        "resourceId": NETWORK_ID,
        "title": NETWORK_TITLE,
        "subdomain": NETWORK_SUBDOMAIN,
        "url": ctx.base_url,
    }


def _node(global_id: str, ctx: HeadlessContext) -> dict[str, object] | None:
    decoded = decode_global_id(global_id)
    if decoded == ("Network", NETWORK_ID):
        return _network(ctx)
    member = ctx.directory.by_global_id(global_id)
    return _member(member, ctx) if member is not None else None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"members:{offset}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        return None
    prefix, _, number = raw.partition(":")
    if prefix != "members" or not number.isdigit() or not number.isascii():
        return None
    return int(number)


def _resolve_me(_source: object, info: _Info) -> dict[str, object]:
    ctx = info.context
    return _member(ctx.access.member, ctx)


def _resolve_network(_source: object, info: _Info) -> dict[str, object]:
    ctx = info.context
    return _network(ctx)


def _resolve_node(_source: object, info: _Info, id: str) -> dict[str, object] | None:
    ctx = info.context
    return _node(id, ctx)


def _resolve_nodes(_source: object, info: _Info, ids: list[str]) -> list[dict[str, object] | None]:
    ctx = info.context
    return [_node(global_id, ctx) for global_id in ids]


def _resolve_members(
    _source: object, info: _Info, first: int | None = None, after: str | None = None
) -> dict[str, object]:
    ctx = info.context
    if not ctx.access.scopes & {"read:network", "host:read:network_members"}:
        raise _error(
            "Listing members needs the read:network or host:read:network_members scope.",
            "FORBIDDEN",
        )
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0 or size > MAX_PAGE_SIZE:
        raise _error(f"first must be between 0 and {MAX_PAGE_SIZE}.", "BAD_USER_INPUT")
    start = 0
    if after is not None:
        offset = decode_cursor(after)
        if offset is None or offset >= ctx.directory.count:
            raise _error("The after cursor is not valid.", "BAD_USER_INPUT")
        start = offset + 1
    if ctx.page_delay > 0:
        time.sleep(ctx.page_delay)
    members = ctx.directory.page(start, size)
    nodes = [_member(member, ctx) for member in members]
    edges = [{"cursor": encode_cursor(start + i), "node": node} for i, node in enumerate(nodes)]
    return {
        "edges": edges,
        "nodes": nodes,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
            "hasNextPage": start + len(nodes) < ctx.directory.count,
            "hasPreviousPage": start > 0,
        },
        "totalCount": ctx.directory.count,
    }


def _resolve_type(value: Any, _info: _Info, _type: Any) -> str | None:
    if isinstance(value, dict):
        name = value.get("__typename")
        return name if isinstance(name, str) else None
    return None


def build_headless_schema() -> GraphQLSchema:
    schema = build_schema(_SDL)
    query = schema.query_type
    network = schema.get_type("Network")
    node = schema.get_type("Node")
    if (
        not isinstance(query, GraphQLObjectType)
        or not isinstance(network, GraphQLObjectType)
        or not isinstance(node, GraphQLInterfaceType)
    ):
        raise RuntimeError("the Headless API schema is missing its root types")
    query.fields["me"].resolve = _resolve_me
    query.fields["network"].resolve = _resolve_network
    query.fields["node"].resolve = _resolve_node
    query.fields["nodes"].resolve = _resolve_nodes
    network.fields["members"].resolve = _resolve_members
    node.resolve_type = _resolve_type
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
