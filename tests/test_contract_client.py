"""The client accepts every answer the published contract and the field reports allow."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import admin_token_login, login_args
from localserver import Reply, serve

from mightycli.api import identity_from_graphql
from mightycli.emulator import NETWORK_ID, Emulator


@pytest.fixture
def limited_emulator(redirect_uri: str) -> Iterator[Emulator]:
    with Emulator(redirect_uris=(redirect_uri,), signed_in_member="lin@example.com") as server:
        yield server


def test_a_limited_member_without_a_name_logs_in(  # type: ignore[no-untyped-def]
    limited_emulator, redirect_uri, run_mighty
) -> None:
    login = run_mighty(*login_args(limited_emulator, redirect_uri))
    assert login.code == 0, login.stderr
    assert "as Lin." in login.stderr
    whoami = run_mighty("whoami")
    assert whoami.code == 0, whoami.stderr
    assert whoami.stdout.splitlines()[0] == "Lin"
    assert "role" not in whoami.stdout
    as_json = json.loads(run_mighty("whoami", "--json").stdout)
    assert as_json["name"] is None and as_json["role"] is None and as_json["last_name"] is None
    assert as_json["first_name"] == "Lin" and as_json["display_name"] == "Lin"
    assert as_json["email"] == "lin@example.com"
    assert as_json["network_id"] == str(NETWORK_ID)
    check = run_mighty("status", "--check")
    assert check.code == 0, check.stderr
    assert "acting as Lin" in check.stdout + check.stderr
    assert "None" not in check.stdout + check.stderr


@pytest.mark.parametrize(
    ("me", "expected"),
    [
        ({"id": "VXNlcjox", "name": None, "firstName": None, "lastName": None}, "member VXNlcjox"),
        ({"id": "VXNlcjox", "name": "", "firstName": "Kim", "lastName": None}, "Kim"),
        ({"id": "VXNlcjox", "name": None, "firstName": "Kim", "lastName": "Lee"}, "Kim Lee"),
        ({"id": "VXNlcjox", "name": "Kim Lee", "email": "k***@***.***"}, "Kim Lee"),
        ({"id": "VXNlcjox", "email": "", "networkRole": None}, "member VXNlcjox"),
    ],
)
def test_thin_me_answers_are_accepted(me: dict[str, object], expected: str) -> None:
    identity = identity_from_graphql({"me": me, "network": {"title": None, "resourceId": "77"}})
    assert identity is not None
    assert identity.display_name == expected
    assert identity.network_id == "77"
    assert identity.email == me.get("email")


@pytest.mark.parametrize(
    "data", [None, {}, {"me": None}, {"me": {"name": "x"}}, {"me": {"id": 5}}, {"me": []}]
)
def test_only_a_missing_me_object_is_not_an_identity(data: object) -> None:
    assert identity_from_graphql(data) is None


def test_paging_stops_on_an_empty_page_that_still_has_next(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    with Emulator(redirect_uris=(redirect_uri,), empty_page_with_next=True) as emulator:
        admin_token_login(run_mighty, emulator)
        result = run_mighty("api", "members", "-f", "per_page=3", "--paginate", timeout=30)
    assert result.code == 0, result.stderr
    names = [json.loads(line).get("first_name") for line in result.stdout.splitlines()]
    assert names == ["Ada", "Grace", "Alan", "Lin"]


def test_a_data_meta_page_is_printed_with_a_warning(run_mighty) -> None:  # type: ignore[no-untyped-def]
    page = {"data": [{"id": 1}, {"id": 2}], "meta": {"current_page": 1, "total_pages": 3}}
    routes = {("GET", "/admin/v1/networks/42/members"): Reply(200, page)}
    with serve(routes) as server:
        env = {"MIGHTY_TOKEN": "t0ken", "MIGHTY_API_URL": server.url, "MIGHTY_NETWORK": "42"}
        result = run_mighty("api", "members", "--paginate", env=env)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == page
    assert "no items and no links.next" in result.stderr
    assert "stopped after this page" in result.stderr


def test_an_html_403_on_the_subdomain_path_says_to_use_the_numeric_id(  # type: ignore[no-untyped-def]
    redirect_uri, run_mighty
) -> None:
    with Emulator(redirect_uris=(redirect_uri,), block_subdomain_paths=True) as emulator:
        blocked = run_mighty(*login_args(emulator, redirect_uri))
        args = login_args(emulator, redirect_uri)
        args[args.index("emulated")] = str(NETWORK_ID)
        by_id = run_mighty(*args)
        whoami = run_mighty("whoami", "--json")
    assert blocked.code == 1
    assert "HTML page" in blocked.stderr and "numeric network id" in blocked.stderr
    assert "Traceback" not in blocked.stderr
    assert by_id.code == 0, by_id.stderr
    assert json.loads(whoami.stdout)["display_name"] == "Ada Lovelace"


def test_api_paths_use_the_numeric_id_once_known(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    admin_token_login(run_mighty, emulator)
    # The subdomain path starts meeting the firewall after login: nothing notices.
    emulator.block_subdomain_paths = True
    assert run_mighty("whoami").code == 0
    graphql = run_mighty("api", "graphql", "-f", "query={ me { name } }")
    assert json.loads(graphql.stdout)["data"]["me"]["name"] == "Ada Lovelace"
    members = run_mighty("api", "members", "-f", "per_page=1")
    assert members.code == 0, members.stderr
    assert str(NETWORK_ID) in json.loads(members.stdout)["links"]["self"]


def test_a_404_on_an_admin_path_mentions_trailing_slashes(emulator, run_mighty) -> None:  # type: ignore[no-untyped-def]
    admin_token_login(run_mighty, emulator)
    missing = run_mighty("api", "members/5000003")
    assert missing.code == 1
    assert "HTTP 404" in missing.stderr
    assert "publishes this path as members/5000003/ with a trailing slash" in missing.stderr
    found = run_mighty("api", "members/5000003/")
    assert found.code == 0 and json.loads(found.stdout)["first_name"] == "Alan"


def test_an_html_403_from_mighty_api_names_the_challenge(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty
) -> None:
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    emulator.inject_fault(
        f"/networks/{NETWORK_ID}/graphql", 403, "<html>challenge</html>", content_type="text/html"
    )
    result = run_mighty("api", "graphql", "-f", "query={ me { name } }")
    assert result.code == 1
    assert "bot or firewall challenge" in result.stderr
    assert "User-Agent" in result.stderr
