"""The emulator's GraphQL schema is a faithful subset of Mighty's published schema.

`tests/data/published_headless_subset.graphql` is a reduced copy of the published SDL (its header
names the source). Every type the emulator serves must exist there with the same kind; every
field with the same type (nullability included) and exactly the published arguments, types and
defaults; every enum with exactly the published values; every interface it implements must be
published for it. So a guessed field, a wrong nullability or an invented enum value fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    TypeDefinitionNode,
    build_schema,
    parse,
    print_ast,
)

from mightycli.emulator.headless import build_headless_schema

PUBLISHED = Path(__file__).parent / "data" / "published_headless_subset.graphql"
BUILT_IN_SCALARS = {"ID", "String", "Int", "Float", "Boolean"}


def published_types(document: DocumentNode) -> dict[str, TypeDefinitionNode]:
    return {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode) and not isinstance(d, DirectiveDefinitionNode)
    }


def _args(nodes: tuple[InputValueDefinitionNode, ...] | None) -> dict[str, tuple[str, str | None]]:
    return {
        a.name.value: (print_ast(a.type), print_ast(a.default_value) if a.default_value else None)
        for a in nodes or ()
    }


def _served_args(field: object) -> dict[str, tuple[str, str | None]]:
    node = getattr(field, "ast_node", None)
    return _args(node.arguments if node is not None else ())


def contract_violations(schema: GraphQLSchema, published: DocumentNode) -> list[str]:
    """Every way the served schema departs from the published one; empty when it is a subset."""
    known = published_types(published)
    problems: list[str] = []
    for name, served in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        definition = known.get(name)
        if definition is None:
            problems.append(f"type {name} is not published")
            continue
        problems.extend(_type_violations(name, served, definition))
    return problems


def _type_violations(name: str, served: object, definition: TypeDefinitionNode) -> list[str]:
    kinds = {
        GraphQLObjectType: ObjectTypeDefinitionNode,
        GraphQLInterfaceType: InterfaceTypeDefinitionNode,
        GraphQLEnumType: EnumTypeDefinitionNode,
        GraphQLInputObjectType: InputObjectTypeDefinitionNode,
        GraphQLScalarType: ScalarTypeDefinitionNode,
    }
    expected_kind = next(v for k, v in kinds.items() if isinstance(served, k))
    if not isinstance(definition, expected_kind):
        return [f"{name} is a {type(definition).__name__} in the published schema"]
    if isinstance(served, GraphQLEnumType):
        assert isinstance(definition, EnumTypeDefinitionNode)
        published_values = {v.name.value for v in definition.values or ()}
        if set(served.values) != published_values:
            return [
                f"enum {name} has {sorted(served.values)}, published {sorted(published_values)}"
            ]
        return []
    if isinstance(served, GraphQLInputObjectType):
        assert isinstance(definition, InputObjectTypeDefinitionNode)
        fields = _args(definition.fields)
        return [
            f"input {name}.{f} differs from the published definition"
            for f, value in served.fields.items()
            if value.ast_node is None or fields.get(f) != _args((value.ast_node,)).get(f)
        ]
    if isinstance(served, GraphQLObjectType | GraphQLInterfaceType):
        assert isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode)
        return _field_violations(name, served, definition)
    return []


def _field_violations(
    name: str,
    served: GraphQLObjectType | GraphQLInterfaceType,
    definition: ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode,
) -> list[str]:
    problems = []
    published_interfaces = {i.name.value for i in definition.interfaces or ()}
    for interface in served.interfaces:
        if interface.name not in published_interfaces:
            problems.append(f"{name} implements {interface.name}, which is not published for it")
    published_fields = {f.name.value: f for f in definition.fields or ()}
    for field_name, field in served.fields.items():
        published = published_fields.get(field_name)
        if published is None:
            problems.append(f"{name}.{field_name} is not published")
            continue
        if str(field.type) != print_ast(published.type):
            problems.append(
                f"{name}.{field_name} is {field.type}, published {print_ast(published.type)}"
            )
        if _served_args(field) != _args(published.arguments):
            problems.append(f"{name}.{field_name} arguments differ from the published ones")
    return problems


@pytest.fixture(scope="module")
def published() -> DocumentNode:
    return parse(PUBLISHED.read_text(encoding="utf-8"))


def test_the_emulator_schema_is_a_published_subset(published: DocumentNode) -> None:
    assert contract_violations(build_headless_schema(), published) == []


def test_the_published_copy_holds_the_types_the_emulator_serves(published: DocumentNode) -> None:
    # Guards the guard: an empty or truncated copy would let anything pass above.
    known = published_types(published)
    served = {n for n in build_headless_schema().type_map if not n.startswith("__")}
    assert served - BUILT_IN_SCALARS <= set(known)
    assert len(known["Network"].fields or ()) > 100  # type: ignore[attr-defined]


def _emulator_sdl() -> str:
    from importlib import resources

    return resources.files("mightycli.emulator").joinpath("schema.graphql").read_text("utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # An invented field.
        (
            ("  title: String\n", "  title: String\n  subdomain: String!\n"),
            "Network.subdomain is not published",
        ),
        # A wrong nullability.
        (
            ("  networkRole: MembershipRole\n", "  networkRole: MembershipRole!\n"),
            "networkRole is MembershipRole!",
        ),
        # An invented enum value.
        (("  CONTRIBUTOR\n", "  CONTRIBUTOR\n  ADMIN\n"), "enum MembershipRole"),
        # A wrong id type.
        (
            (
                "  resourceId: ID!\n  title: String!\n  updatedAt",
                "  resourceId: Int!\n  title: String!\n  updatedAt",
            ),
            "resourceId is Int!",
        ),
        # A changed default.
        (("first: Int = 25,", "first: Int = 50,"), "Network.members arguments differ"),
        # An invented type.
        (
            ("type PageInfo {", "type Viewer {\n  id: ID!\n}\n\ntype PageInfo {"),
            "type Viewer is not published",
        ),
    ],
)
def test_the_check_fails_when_the_emulator_invents(
    published: DocumentNode, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    sdl = _emulator_sdl()
    assert old in sdl
    invented = build_schema(sdl.replace(old, new, 1))
    problems = contract_violations(invented, published)
    assert any(expected in p for p in problems), problems
