"""The one response classifier, on real httpx responses built here: every branch, in the
words of both its callers (the checked requests of ``api`` and the ``mighty api`` call)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mightycli.api import server_wording
from mightycli.call import call_wording, response_failure
from mightycli.errors import EXIT_AUTH_REQUIRED, EXIT_FAILURE, ApiAuthError, ApiError
from mightycli.responses import Wording, classify_response
from mightycli.session import Kind, Session
from mightycli.tokens import Token

ADMIN_URL = "https://api.example/admin/v1/networks/acme/members/"
GRAPHQL_URL = "https://api.example/networks/acme/graphql"
NUMERIC_URL = "https://api.example/networks/123/graphql"
SUBDOMAIN_HINT = (
    "Mighty's API has been seen to block a network's subdomain path while its numeric id "
    "worked: log in with the numeric network id, e.g. mighty login --network <id> "
    "--issuer https://acme.mn.co"
)
USER_AGENT_HINT = (
    "A User-Agent header is required; if a proxy sits in between, check that it keeps it. "
    "Otherwise wait a while and try again."
)
HTML = "text/html; charset=utf-8"


def _response(
    status: int,
    body: Any = None,
    *,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    url: str = ADMIN_URL,
) -> httpx.Response:
    """A response as a client returns it: with its request, and a body already read."""
    if body is None:
        content = b""
    elif isinstance(body, bytes | str):
        content = body.encode() if isinstance(body, str) else body
    else:
        content = json.dumps(body).encode()
    return httpx.Response(
        status,
        content=content,
        headers={"content-type": content_type, **(headers or {})},
        request=httpx.Request("GET", url),
    )


def _session(kind: Kind = Kind.OAUTH) -> Session:
    return Session("acme", "https://api.example", Token("secret"), kind=kind)


def _call(graphql: bool = False, kind: Kind = Kind.OAUTH) -> Wording:
    return call_wording(_session(kind), graphql)


def _failure(response: httpx.Response, wording: Wording) -> ApiError:
    failure = classify_response(response, wording)
    assert failure is not None
    return failure


@pytest.mark.parametrize("status", [200, 201, 204, 299])
@pytest.mark.parametrize("wording", [server_wording("Admin API"), _call(), _call(graphql=True)])
def test_a_2xx_answer_is_no_failure(status: int, wording: Wording) -> None:
    # Even one whose body reads like an error: a 2xx body is the caller's to judge.
    body = {"error": "nope", "errors": [{"message": "no"}]}
    assert classify_response(_response(status, body), wording) is None
    assert classify_response(_response(status, "<html/>", content_type=HTML), wording) is None


# 401: the token refused. The checked requests name the server and the GraphQL code; the call
# shows the status and the server's detail, and the hint that logs in again.


@pytest.mark.parametrize("server", ["GraphQL API", "Admin API"])
def test_401_in_the_words_of_a_checked_request(server: str) -> None:
    failure = _failure(_response(401, {"error": "expired"}), server_wording(server))
    assert type(failure) is ApiAuthError and failure.exit_code == EXIT_AUTH_REQUIRED
    assert failure.message == f"The {server} refused the token (HTTP 401)."
    assert (failure.hint, failure.status_code, failure.code) == (None, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        (Kind.OAUTH, "Run: mighty login --network acme"),
        (Kind.ENV, "Set a valid MIGHTY_TOKEN, or unset it to use the stored login."),
        (
            Kind.ADMIN,
            "Create an API token in Network Admin > Settings > API Keys, then run: "
            "mighty login --with-token --network acme < token-file",
        ),
    ],
)
def test_401_in_the_words_of_a_call(kind: Kind, hint: str) -> None:
    failure = _failure(_response(401, {"error": "expired"}), _call(kind=kind))
    assert type(failure) is ApiAuthError and failure.exit_code == EXIT_AUTH_REQUIRED
    assert failure.message == "HTTP 401 Unauthorized (expired)"
    assert (failure.hint, failure.status_code, failure.code) == (hint, 401, None)


def test_401_without_a_detail() -> None:
    assert _failure(_response(401), _call()).message == "HTTP 401 Unauthorized"
    checked = _failure(_response(401), server_wording("Admin API"))
    assert checked.message == "The Admin API refused the token (HTTP 401)."


# 3xx: never followed, so that the token cannot travel to another host.


@pytest.mark.parametrize("status", [301, 302, 307, 308, 399])
def test_a_redirect_in_the_words_of_a_checked_request(status: int) -> None:
    response = _response(status, headers={"location": "https://elsewhere.example/"})
    failure = _failure(response, server_wording("GraphQL API"))
    assert type(failure) is ApiError and failure.exit_code == EXIT_FAILURE
    status_text = f"HTTP {status} {response.reason_phrase}".rstrip()
    assert failure.message == (
        f"The GraphQL API answered {status_text}, a redirect mighty does not follow."
    )
    assert (failure.hint, failure.status_code, failure.code) == (None, status, None)


def test_a_redirect_in_the_words_of_a_call() -> None:
    response = _response(302, headers={"location": "https://elsewhere.example/"})
    failure = _failure(response, _call())
    assert type(failure) is ApiError and failure.exit_code == EXIT_FAILURE
    assert failure.message == (
        "HTTP 302 Found: the API redirects to https://elsewhere.example/; mighty does not "
        "follow redirects."
    )
    assert failure.hint == "Call the address it names directly if it is on the API host."
    assert (failure.status_code, failure.code) == (302, None)


def test_a_call_shows_the_location_printable_and_short() -> None:
    response = _response(301, headers={"location": "/x\x1by" + "z" * 400})
    message = _failure(response, _call()).message
    assert "redirects to /x?y" + "z" * 296 + "; mighty" in message
    assert "(no Location given)" in _failure(_response(308), _call()).message


# An HTML 403: a bot or firewall challenge, with the hint that fits the address.


@pytest.mark.parametrize(
    ("url", "hint"), [(ADMIN_URL, SUBDOMAIN_HINT), (NUMERIC_URL, USER_AGENT_HINT)]
)
def test_an_html_403_in_the_words_of_a_checked_request(url: str, hint: str) -> None:
    response = _response(403, "<html>bot check</html>", content_type=HTML, url=url)
    failure = _failure(response, server_wording("Admin API"))
    assert type(failure) is ApiError and failure.exit_code == EXIT_FAILURE
    assert failure.message == (
        "The Admin API answered HTTP 403 with an HTML page (a bot or firewall challenge) "
        "instead of JSON."
    )
    assert (failure.hint, failure.status_code, failure.code) == (hint, 403, None)


@pytest.mark.parametrize(
    ("url", "hint"), [(GRAPHQL_URL, SUBDOMAIN_HINT), (NUMERIC_URL, USER_AGENT_HINT)]
)
def test_an_html_403_in_the_words_of_a_call(url: str, hint: str) -> None:
    response = _response(403, "<html>bot check</html>", content_type=HTML, url=url)
    failure = _failure(response, _call(graphql=True))
    assert type(failure) is ApiError and failure.exit_code == EXIT_FAILURE
    assert failure.message == "HTTP 403 Forbidden (an HTML page): a bot or firewall challenge"
    assert (failure.hint, failure.status_code, failure.code) == (hint, 403, None)


def test_a_json_403_is_an_ordinary_error() -> None:
    response = _response(403, {"error": "not an admin"})
    assert _failure(response, server_wording("Admin API")).message == (
        "The Admin API answered HTTP 403 Forbidden: not an admin"
    )
    failure = _failure(response, _call())
    assert (failure.message, failure.hint) == ("HTTP 403 Forbidden (not an admin)", None)


# Any other status from 400 up: the server's detail, framed as each caller frames it.


@pytest.mark.parametrize(
    ("response", "checked", "called"),
    [
        (_response(429, {"error": "slow down"}), ": slow down", " (slow down)"),
        (_response(400, {"message": "bad {field}"}), ": bad {field}", " (bad {field})"),
        (_response(422, {"errors": [{"message": "no"}]}), ": no", " (no)"),
        (_response(500), ".", ""),
        (_response(500, {"error": ""}), ".", ""),
        (
            _response(502, "<html>down</html>", content_type=HTML),
            ": an HTML page instead of JSON",
            " (an HTML page)",
        ),
        # A JSON object without a detail, labelled HTML: only the checked request names HTML.
        (_response(500, {}, content_type=HTML), ": an HTML page instead of JSON", ""),
        # A detail that repeats the reason phrase: only the call leaves it out.
        (_response(500, {"error": "internal server error"}), ": internal server error", ""),
    ],
)
def test_an_error_with_the_server_detail(
    response: httpx.Response, checked: str, called: str
) -> None:
    status = f"HTTP {response.status_code} {response.reason_phrase}"
    for wording, message in (
        (server_wording("GraphQL API"), f"The GraphQL API answered {status}{checked}"),
        (_call(), f"{status}{called}"),
    ):
        failure = _failure(response, wording)
        assert type(failure) is ApiError and failure.exit_code == EXIT_FAILURE
        assert failure.message == message
        assert (failure.status_code, failure.code) == (response.status_code, None)


def test_a_status_without_a_reason_phrase() -> None:
    assert _failure(_response(599), server_wording("Admin API")).message == (
        "The Admin API answered HTTP 599."
    )
    assert _failure(_response(599), _call()).message == "HTTP 599"


def _api_failure(status: int, url: str, graphql: bool = False) -> ApiError | None:
    response = _response(status, {"error": "Not Found"}, url=url)
    failure = response_failure(response, response.json(), _session(), graphql)
    assert failure is None or isinstance(failure, ApiError)
    return failure


NETWORK_URL = "https://api.example/admin/v1/networks/acme/"


@pytest.mark.parametrize(
    ("path", "published"),
    [
        ("members/5000003", "members/5000003/ with a trailing slash"),
        ("members/5000003?fields=email", "members/5000003/ with a trailing slash"),
        ("plans/9/members/5000003", "plans/9/members/5000003/ with a trailing slash"),
        ("spaces/7001/", "spaces/7001 without a trailing slash"),
        # members/{id}/ would take it too, but members/by_email names more of it.
        ("members/by_email/", "members/by_email without a trailing slash"),
    ],
)
def test_a_404_hints_at_the_slash_where_the_other_form_is_the_published_one(
    path: str, published: str
) -> None:
    failure = _api_failure(404, NETWORK_URL + path)
    assert failure is not None and failure.message == "HTTP 404 Not Found"
    assert failure.hint == (
        f"Mighty publishes this path as {published}; mighty api sends paths exactly as given."
    )


@pytest.mark.parametrize(
    "path",
    [
        "members/424242/",  # published as it is: no such member, the slash is not the cause
        "spaces/7001",
        "members",
        "nonsense",  # neither form is published
        "nonsense/",
        "members/1/2/3",
    ],
)
def test_no_slash_hint_where_the_slash_is_not_the_likely_cause(path: str) -> None:
    failure = _api_failure(404, NETWORK_URL + path)
    assert failure is not None and failure.hint is None


def test_the_slash_hint_only_on_an_admin_api_404() -> None:
    assert _api_failure(404, GRAPHQL_URL, graphql=True).hint is None  # type: ignore[union-attr]
    assert _api_failure(422, NETWORK_URL + "members/5").hint is None  # type: ignore[union-attr]
    assert _api_failure(404, "https://api.example/elsewhere/members/5").hint is None  # type: ignore[union-attr]
    assert _failure(_response(404), server_wording("Admin API")).hint is None


def test_a_wording_of_its_own() -> None:
    wording = Wording(
        server="test server",
        refused="{server}: {status} refused{detail}",
        redirected="{server}: {status} to {location}",
        blocked="{server}: {status} blocked{detail}",
        failed="{server}: {status} failed{detail}",
        detail=" [{}]",
        no_detail="!",
        html_detail="HTML",
        refused_hint="log in",
        refused_code="CODE",
        redirect_hint="go there",
        not_found_hint="check it",
    )
    refused = _failure(_response(401, {"error": "old"}), wording)
    assert (refused.message, refused.hint, refused.code) == (
        "test server: HTTP 401 Unauthorized refused [old]",
        "log in",
        "CODE",
    )
    moved = _failure(_response(301, headers={"location": "/new"}), wording)
    assert (moved.message, moved.hint) == (
        "test server: HTTP 301 Moved Permanently to /new",
        "go there",
    )
    blocked = _failure(_response(403, "<p>", content_type=HTML), wording)
    assert blocked.message == "test server: HTTP 403 Forbidden blocked [HTML]"
    missing = _failure(_response(404), wording)
    assert (missing.message, missing.hint) == (
        "test server: HTTP 404 Not Found failed!",
        "check it",
    )
