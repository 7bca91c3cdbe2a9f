from __future__ import annotations

from mightycli.http import same_origin
from mightycli.pagination import (
    GraphQLCall,
    find_connection,
    graphql_items,
    rest_items,
)


def test_connection_items_from_nodes_or_edges() -> None:
    nodes = {"data": {"network": {"members": {"nodes": [{"id": 1}], "pageInfo": {}}}}}
    edges = {"data": {"a": [{"b": {"edges": [{"node": {"id": 2}}], "pageInfo": {}}}]}}
    assert graphql_items(nodes) == [{"id": 1}]
    assert graphql_items(edges) == [{"id": 2}]
    assert graphql_items({"data": {"me": {"id": 3}}}) == [{"me": {"id": 3}}]
    assert find_connection(None) is None


def test_rest_items() -> None:
    assert rest_items({"items": [1, 2], "links": {}}) == [1, 2]
    assert rest_items({"user": {}}) == [{"user": {}}]


def test_mutations_are_recognised() -> None:
    assert GraphQLCall("u", "mutation { a }").is_mutation
    assert GraphQLCall("u", "fragment F on X { id }\nmutation M { a }").is_mutation
    assert not GraphQLCall("u", "{ me { name } }").is_mutation
    assert not GraphQLCall("u", "# mutation\nquery Q { a }").is_mutation


def test_same_origin() -> None:
    assert same_origin("https://api.mn.co/x?page=2", "https://api.mn.co")
    assert not same_origin("https://api.mn.co.evil.example/x", "https://api.mn.co")
    assert not same_origin("http://api.mn.co/x", "https://api.mn.co")
