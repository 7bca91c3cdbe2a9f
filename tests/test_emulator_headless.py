"""The emulator's Headless API behaves as the published schema and the field reports say."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from test_emulator import error_code, graphql, http_client, login

from mightycli.emulator import NETWORK_ID, Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as server:
        yield server


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with http_client(emu.url) as http:
        yield http


def host_token(client: httpx.Client, scope: str = "read:userinfo read:network") -> str:
    token: str = login(client, scope=scope)["access_token"]
    return token


def test_a_limited_member_has_no_name_and_no_role() -> None:
    with Emulator(signed_in_member="lin@example.com") as server:
        with http_client(server.url) as http:
            token = host_token(http)
            me = graphql(
                http,
                token,
                "{ me { name firstName lastName networkRole memberType isLimitedMember } }",
            ).json()["data"]["me"]
            members = graphql(http, token, "{ network { members { totalCount nodes { id } } } }")
    assert me == {
        "name": None,
        "firstName": "Lin",
        "lastName": None,
        "networkRole": None,
        "memberType": "LIMITED_MEMBER",
        "isLimitedMember": True,
    }
    # Field reports: members is empty, not an error, for anyone but hosts and moderators.
    assert members.json()["data"]["network"]["members"] == {"totalCount": 0, "nodes": []}


def test_a_contributor_sees_no_members() -> None:
    with Emulator(signed_in_member="Alan Turing") as server:
        with http_client(server.url) as http:
            body = graphql(http, host_token(http), "{ network { members { nodes { id } } } }")
    assert "errors" not in body.json()
    assert body.json()["data"]["network"]["members"]["nodes"] == []


def test_emails_are_masked_without_read_userinfo(client: httpx.Client) -> None:
    token = host_token(client, scope="read:network")
    body = graphql(client, token, "{ me { email } network { members { nodes { email } } } }")
    data = body.json()["data"]
    assert data["me"]["email"] == "a***@***.***"
    assert {n["email"] for n in data["network"]["members"]["nodes"]} == {
        "a***@***.***",
        "g***@***.***",
        "l***@***.***",
    }


def test_responses_carry_extensions_cost(client: httpx.Client) -> None:
    body = graphql(
        client, host_token(client), "{ network { members(first: 10) { nodes { id } } } }"
    )
    cost = body.json()["extensions"]["cost"]
    assert cost["maxQueryCost"] == 1500
    assert cost["requestedQueryCost"] >= 10


def test_members_sorted_by_resource_id_in_both_orders(client: httpx.Client) -> None:
    token = host_token(client)
    query = "query($o: SortOrder) { network { members(sort: RESOURCE_ID, sortOrder: $o) { nodes { resourceId } } } }"
    ascending = graphql(client, token, query, {"o": "ASC"}).json()["data"]["network"]["members"]
    descending = graphql(client, token, query, {"o": "DESC"}).json()["data"]["network"]["members"]
    ids = [n["resourceId"] for n in ascending["nodes"]]
    assert ids == sorted(ids, key=int)
    assert [n["resourceId"] for n in descending["nodes"]] == ids[::-1]


def test_member_filters(client: httpx.Client) -> None:
    token = host_token(client)

    def names(arguments: str) -> list[str | None]:
        call = f"members({arguments})" if arguments else "members"
        query = f"{{ network {{ {call} {{ totalCount nodes {{ name }} }} }} }}"
        body = graphql(client, token, query).json()
        assert "errors" not in body, body
        members = body["data"]["network"]["members"]
        assert members["totalCount"] == len(members["nodes"])
        return [n["name"] for n in members["nodes"]]

    assert names("role: HOST") == ["Ada Lovelace"]
    assert names("memberType: LIMITED_MEMBER") == [None]
    assert names('term: "grace"') == ["Grace Hopper"]
    assert names("sort: MEMBER_NAME") == ["Ada Lovelace", "Alan Turing", "Grace Hopper", None]
    assert names('planId: "1"') == []
    assert names("ambassador: false") == names("")


def test_member_space_and_spaces(client: httpx.Client) -> None:
    token = host_token(client)
    spaces = graphql(
        client, token, "{ network { spaces { nodes { id resourceId title memberCount } } } }"
    ).json()["data"]["network"]["spaces"]["nodes"]
    assert [s["title"] for s in spaces] == ["Welcome", "Announcements"]
    assert [s["memberCount"] for s in spaces] == [4, 2]
    one = graphql(
        client,
        token,
        "query($s: String!) { network { space(idOrSlug: $s) { title } } }",
        {"s": spaces[1]["resourceId"]},
    ).json()["data"]["network"]["space"]
    assert one == {"title": "Announcements"}
    in_space = graphql(
        client,
        token,
        "query($s: ID) { network { members(spaceId: $s) { nodes { name } } } }",
        {"s": spaces[1]["id"]},
    ).json()["data"]["network"]["members"]["nodes"]
    assert [m["name"] for m in in_space] == ["Ada Lovelace", "Grace Hopper"]
    me = graphql(client, token, "{ me { id } }").json()["data"]["me"]
    found = graphql(
        client, token, "query($id: ID!) { network { member(id: $id) { name } } }", {"id": me["id"]}
    ).json()["data"]["network"]["member"]
    assert found == {"name": "Ada Lovelace"}


def test_nodes_answers_null_for_unknown_ids(client: httpx.Client) -> None:
    token = host_token(client)
    me = graphql(client, token, "{ me { id } }").json()["data"]["me"]
    nodes = graphql(
        client,
        token,
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { name } } }",
        {"ids": [me["id"], "bm90aGluZzox"]},
    ).json()["data"]["nodes"]
    assert nodes == [{"id": me["id"], "name": "Ada Lovelace"}, None]


@pytest.mark.parametrize(
    ("style", "content_type", "body_check"),
    [
        ("http401-html", "text/html", lambda text: "<html" in text),
        ("http401-empty", None, lambda text: text == ""),
    ],
)
def test_auth_failures_can_be_http_401(
    style: str, content_type: str | None, body_check: object
) -> None:
    with Emulator(auth_failure=style) as server, http_client(server.url) as http:
        response = graphql(http, "not-a-token", "{ me { name } }")
    assert response.status_code == 401
    assert (response.headers.get("content-type") or "").startswith(content_type or "")
    assert body_check(response.text)  # type: ignore[operator]


def test_unknown_auth_failure_style_is_refused() -> None:
    with pytest.raises(ValueError, match="auth_failure"):
        Emulator(auth_failure="teapot")


def test_a_blocked_subdomain_path_gets_an_html_403() -> None:
    with Emulator(block_subdomain_paths=True) as server:
        with http_client(server.url) as http:
            token = host_token(http)
            blocked = graphql(http, token, "{ me { name } }", network="emulated")
            by_id = graphql(http, token, "{ me { name } }", network=str(NETWORK_ID))
    assert blocked.status_code == 403
    assert blocked.headers["content-type"].startswith("text/html")
    assert by_id.json()["data"]["me"]["name"] == "Ada Lovelace"


def test_forbidden_without_a_member_scope(client: httpx.Client) -> None:
    token = host_token(client, scope="read:userinfo")
    response = graphql(client, token, '{ network { member(id: "x") { name } } }')
    assert error_code(response) == "FORBIDDEN"


def test_whose_emails_each_scope_reveals(client: httpx.Client) -> None:
    """read:userinfo reveals the token owner's own e-mail; other members' need a host's
    host:read:network_members (field reports and the published scope descriptions)."""
    query = "{ me { email } network { members { nodes { email } } } }"

    def emails(scope: str) -> tuple[str, set[str]]:
        data = graphql(client, host_token(client, scope=scope), query).json()["data"]
        return data["me"]["email"], {n["email"] for n in data["network"]["members"]["nodes"]}

    own, others = emails("read:userinfo read:network")
    assert own == "ada@example.com" and "g***@***.***" in others
    own, others = emails("read:network host:read:network_members")
    assert own == "ada@example.com" and "grace@example.com" in others
    assert not any("***" in e for e in others)


def test_the_readme_says_whose_emails_are_masked() -> None:
    from pathlib import Path

    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    start = readme.index("In GraphQL, `name`, `email`")
    statement = readme[start : readme.index("- `-f key=value`", start)]
    assert "masked (`a***@***.***`)" in statement
    assert "`read:userinfo`" in statement and "`host:read:network_members`" in statement
    assert "as a host" in statement
