"""Properties of everything that parses outside input.

Whatever arrives (a callback query, raw bytes on the loopback port, a token response, a discovery
document, an API answer), the tool either accepts it or raises a MightyError with a message for
people: never another exception, which would reach the user as a traceback. Well-formed input
keeps working.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mightycli import api, discovery, oauth
from mightycli.discovery import ServerMetadata
from mightycli.errors import MightyError
from mightycli.http import make_http_client
from mightycli.loopback import LoopbackReceiver, render_page
from mightycli.retry import RetryPolicy
from mightycli.tokens import Token

ISSUER = "https://demo.mn.co"
METADATA = ServerMetadata(
    issuer=ISSUER,
    authorization_endpoint=f"{ISSUER}/oauth/authorize",
    token_endpoint=f"{ISSUER}/oauth/token",
    revocation_endpoint=f"{ISSUER}/oauth/revoke",
    iss_parameter_supported=True,
)
SCOPES = ("read:userinfo", "read:network")
FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

T = TypeVar("T")


def outcome(call: Callable[[], T]) -> T | MightyError:
    """The result, or the MightyError raised; any other exception fails the property."""
    try:
        return call()
    except MightyError as error:
        assert error.message.strip(), f"{type(error).__name__} without a message"
        assert str(error) == error.message
        return error


# --------------------------------------------------------------------------- strategies

# Any text, lone surrogates included: a pasted URL read in a C locale can carry them.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
huge_ints = st.integers(min_value=10**300, max_value=10**400) | st.integers(
    min_value=-(10**400), max_value=-(10**300)
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | huge_ints
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def with_extras(fixed: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of the fields that matter, plus unknown ones a server might add."""
    return st.builds(
        lambda known, extra: {**extra, **known},
        fixed,
        st.dictionaries(st.text(max_size=12), json_values, max_size=3),
    )


def deeply_nested(opening: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(min_value=1, max_value=200_000).map(lambda n: opening * n)


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    deeply_nested(b"["),
    deeply_nested(b'{"a":'),
    st.sampled_from(
        [
            b"",
            b"<html><h1>Internal error</h1></html>",
            b'{"access_token": "x", "token_',
            b"null",
            b"\xff\xfe{\x00}\x00",
            b"1" * 5000,
            b'"\\ud800"',
        ]
    ),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/problem+json",
        "text/html; charset=utf-8",
        "text/plain",
        "",
    ]
)
statuses = st.integers(min_value=100, max_value=599)


def mock_client(status: int, body: bytes, content_type: str) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": content_type} if content_type else {}
        return httpx.Response(status, content=body, headers=headers)

    return make_http_client(transport=httpx.MockTransport(handler))


# --------------------------------------------------------------------------- callback queries


def _request(iss_required: bool) -> oauth.AuthorizationRequest:
    meta = ServerMetadata(**{**METADATA.__dict__, "iss_parameter_supported": iss_required})
    return oauth.begin_authorization(
        meta, oauth.ClientCredentials("cid"), "http://localhost:3000/callback", SCOPES
    )


REQUEST = _request(iss_required=True)
LAX_REQUEST = _request(iss_required=False)
callback_keys = st.sampled_from(["state", "code", "iss", "error", "error_description", "x", ""])
callback_values = st.one_of(
    any_text,
    st.sampled_from([REQUEST.state, ISSUER, ISSUER + "/", "access_denied", "invalid_scope"]),
)


@st.composite
def callback_queries(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(st.tuples(callback_keys | any_text, callback_values), max_size=8))
    encoded = "&".join(
        f"{quote(k, safe='', errors='surrogatepass')}={quote(v, safe='', errors='surrogatepass')}"
        if draw(st.booleans())
        else f"{k}={v}"
        for k, v in pairs
    )
    return draw(st.sampled_from([encoded, encoded + "&" * 60, "a=1&" * 60 + encoded]))


@FEW
@given(query=callback_queries() | any_text, lax=st.booleans())
@example(query="state=\ud800&code=c", lax=True)
@example(query="a=1&" * 51, lax=True)
def test_any_callback_query_gives_a_code_or_a_clear_error(query: str, lax: bool) -> None:
    request = LAX_REQUEST if lax else REQUEST
    result = outcome(lambda: oauth.validate_callback(request, oauth.parse_callback_query(query)))
    assert isinstance(result, (str, MightyError))
    if isinstance(result, str):
        assert result  # a code is never empty
        assert request.state in query  # nothing passes without this login's state


@FEW
@given(
    code=st.text(min_size=1, max_size=60),
    iss=st.sampled_from([ISSUER, ISSUER + "/"]),
    extra=st.dictionaries(
        st.text(max_size=8).filter(lambda k: k not in {"state", "code", "iss", "error"}),
        st.text(max_size=20),
        max_size=4,
    ),
)
def test_a_good_callback_always_yields_its_code(code: str, iss: str, extra: dict[str, str]) -> None:
    query = urlencode({**extra, "code": code, "state": REQUEST.state, "iss": iss})
    assert oauth.validate_callback(REQUEST, oauth.parse_callback_query(query)) == code


# --------------------------------------------------------------------------- raw requests


token = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_.~%"), max_size=30)
latin1 = st.text(st.characters(max_codepoint=255), max_size=40)
HOST = "\x00HOST\x00"  # replaced by the receiver's real host and port


@st.composite
def raw_requests(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=2000))
    method = draw(st.sampled_from(["GET", "POST", "HEAD", "get", "G T", ""]) | latin1)
    path = draw(
        st.sampled_from(["/callback", "/", "/favicon.ico", "*", "//callback", "/callback/"])
        | st.just("http://localhost/callback")
        | latin1
    )
    query = draw(st.none() | token | latin1)
    target = path if query is None else f"{path}?{query}"
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2", "", "http/1.1"]) | latin1)
    sep = draw(st.sampled_from([" ", "  ", "\t"]))
    eol = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    headers = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["Host", "host", "HOST", "User-Agent", "Accept", " Host", "Host "])
                | latin1,
                st.sampled_from([HOST, "evil.example", "localhost", "", "127.0.0.1:1"]) | latin1,
            ),
            max_size=6,
        )
    )
    padding = draw(st.sampled_from([0, 0, 0, 900, 5000]))
    lines = [f"{method}{sep}{target}{sep}{version}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if padding:
        lines.append("X-Padding: " + "p" * padding)
    body = draw(st.sampled_from(["", "code=1", "\x00" * 10]))
    terminator = draw(st.sampled_from([eol + eol, eol, ""]))
    return (eol.join(lines) + terminator + body).encode("latin-1")


def _exchange(port: int, data: bytes, shut: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(data)
            if shut:
                sock.shutdown(socket.SHUT_WR)  # no more is coming: the receiver sees EOF
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError:
            # Refused and closed while bytes were still unread: the kernel resets the connection.
            return b"<reset>"
    return b"".join(chunks)


MARKER = "marker=1"


def test_raw_bytes_never_crash_the_receiver(callback_port: int) -> None:
    redirect_uri = f"http://localhost:{callback_port}/callback"
    host = f"localhost:{callback_port}"
    good = f"GET /callback?{MARKER} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    with LoopbackReceiver(redirect_uri, max_request_bytes=1024, connection_timeout=2) as receiver:

        @FEW
        @given(raw=raw_requests())
        def check(raw: bytes) -> None:
            raw = raw.replace(HOST.encode("latin-1"), host.encode())
            answers: list[bytes] = []

            def client() -> None:
                answers.append(_exchange(callback_port, raw))
                if not answers[0].startswith(b"HTTP/1.1 200"):
                    answers.append(_exchange(callback_port, good))

            thread = threading.Thread(target=client, daemon=True)
            thread.start()
            query = receiver.wait(timeout=10)
            receiver.respond(200, render_page("Logged in", "ok", success=True))
            thread.join(10)
            assert not thread.is_alive()
            first = answers[0]
            if query == MARKER and len(answers) == 2:
                assert answers[1].startswith(b"HTTP/1.1 200")
                status = first[:12]
                assert first in (b"", b"<reset>") or status in {
                    b"HTTP/1.1 400",
                    b"HTTP/1.1 404",
                    b"HTTP/1.1 405",
                    b"HTTP/1.1 421",
                    b"HTTP/1.1 431",
                }, first[:80]
            else:
                # The hostile bytes were a well-formed callback after all.
                assert raw.startswith(b"GET /callback") and first.startswith(b"HTTP/1.1 200")
            if first.startswith(b"HTTP/"):
                assert b"\r\nCache-Control: no-store\r\n" in first
                assert b"\r\nReferrer-Policy: no-referrer\r\n" in first

        check()


def test_well_formed_callbacks_are_received_whole(callback_port: int) -> None:
    redirect_uri = f"http://localhost:{callback_port}/callback"
    with LoopbackReceiver(redirect_uri) as receiver:

        @SOME
        @given(
            query=token,
            headers=st.lists(
                st.tuples(
                    st.sampled_from(["User-Agent", "Accept", "Cookie", "Sec-Fetch-Mode"]),
                    st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
                ),
                max_size=5,
            ),
            eol=st.sampled_from(["\r\n", "\n"]),
        )
        def check(query: str, headers: list[tuple[str, str]], eol: str) -> None:
            lines = [f"GET /callback?{query} HTTP/1.1", f"Host: localhost:{callback_port}"]
            lines += [f"{name}: {value}" for name, value in headers]
            raw = (eol.join(lines) + eol + eol).encode()
            answers: list[bytes] = []
            thread = threading.Thread(
                target=lambda: answers.append(_exchange(callback_port, raw, shut=False)),
                daemon=True,
            )
            thread.start()
            assert receiver.wait(timeout=10) == query
            receiver.respond(200, render_page("Logged in", "ok", success=True))
            thread.join(10)
            assert answers[0].startswith(b"HTTP/1.1 200")

        check()
    assert receiver.stray_requests == 0


# --------------------------------------------------------------------------- token responses

token_fields = st.fixed_dictionaries(
    {},
    optional={
        "access_token": st.text(max_size=20) | json_values,
        "token_type": st.sampled_from(["Bearer", "bearer", "BEARER", "mac", ""]) | json_values,
        "expires_in": st.sampled_from(["3600", "1e999", "nan", "-1", "inf", "", "0x10"])
        | json_values,
        "refresh_token": st.text(max_size=20) | json_values,
        "scope": st.text(max_size=30) | json_values,
    },
)


@FEW
@given(body=with_extras(token_fields), now=st.floats(0, 2e9))
@example(body={"access_token": "a", "token_type": "Bearer", "expires_in": 10**400}, now=0.0)
def test_any_token_response_gives_a_token_or_a_clear_error(
    body: dict[str, Any], now: float
) -> None:
    result = outcome(lambda: oauth.parse_token_response(body, now, SCOPES))
    if isinstance(result, Token):
        assert result.access_token and result.token_type == "Bearer"
        assert result.expires_at is None or result.expires_at >= now


# RFC 6750 b64token: what a bearer token may be made of.
b64tokens = st.from_regex(r"[A-Za-z0-9\-._~+/]{1,40}={0,2}", fullmatch=True)


@FEW
@given(
    access=b64tokens,
    refresh=st.none() | b64tokens,
    expires_in=st.none() | st.integers(0, 10**7) | st.floats(0, 1e7),
    scope=st.none() | st.lists(st.sampled_from(SCOPES + ("read:posts",)), unique=True),
)
def test_a_good_token_response_is_read_faithfully(
    access: str, refresh: str | None, expires_in: float | None, scope: list[str] | None
) -> None:
    body: dict[str, Any] = {"access_token": access, "token_type": "bearer"}
    if refresh is not None:
        body["refresh_token"] = refresh
    if expires_in is not None:
        body["expires_in"] = expires_in
    if scope is not None:
        body["scope"] = " ".join(scope)
    token = oauth.parse_token_response(body, 1000.0, SCOPES)
    assert (token.access_token, token.refresh_token) == (access, refresh)
    assert token.expires_at == (None if expires_in is None else 1000.0 + float(expires_in))
    assert token.scopes == (SCOPES if scope is None else tuple(scope))


@FEW
@given(status=statuses, body=bodies, content_type=content_types)
def test_any_token_endpoint_answer_gives_a_token_or_a_clear_error(
    status: int, body: bytes, content_type: str
) -> None:
    request = REQUEST
    with mock_client(status, body, content_type) as http:
        result = outcome(
            lambda: oauth.exchange_code(
                http, METADATA, oauth.ClientCredentials("cid"), request, "code", 0.0
            )
        )
        refreshed = outcome(
            lambda: oauth.refresh_access_token(
                http, METADATA.token_endpoint, oauth.ClientCredentials("cid"), "rt", 0.0
            )
        )
        revoked = oauth.revoke_token(
            http, f"{ISSUER}/oauth/revoke", oauth.ClientCredentials("cid"), "t", "access_token"
        )
    assert isinstance(result, (Token, MightyError))
    assert isinstance(refreshed, (Token, MightyError))
    assert isinstance(revoked, oauth.RevocationOutcome)
    if isinstance(result, Token):
        assert status < 400


# --------------------------------------------------------------------------- discovery documents

endpoint_values = (
    st.sampled_from(
        [
            f"{ISSUER}/oauth/authorize",
            "http://127.0.0.1:3000/token",
            "http://evil.example/token",
            "ftp://demo.mn.co/x",
            "http://[::1/x",
            "https://[bad",
            "https://user:pw@demo.mn.co/x",
            "",
            "//demo.mn.co/x",
        ]
    )
    | any_text
    | json_values
)
discovery_fields = st.fixed_dictionaries(
    {},
    optional={
        "issuer": st.sampled_from([ISSUER, ISSUER + "/", "https://evil.example"]) | json_values,
        "authorization_endpoint": endpoint_values,
        "token_endpoint": endpoint_values,
        "revocation_endpoint": endpoint_values,
        "code_challenge_methods_supported": st.sampled_from([["S256"], ["plain"], [], "S256"])
        | json_values,
        "response_types_supported": st.sampled_from([["code"], ["token"], "code"]) | json_values,
        "scopes_supported": st.lists(st.text(max_size=12), max_size=4) | json_values,
        "authorization_response_iss_parameter_supported": json_values,
    },
)


@FEW
@given(document=with_extras(discovery_fields))
@example(
    document={
        "issuer": ISSUER,
        "authorization_endpoint": "http://[::1/x",
        "token_endpoint": f"{ISSUER}/t",
    }
)
def test_any_discovery_document_gives_metadata_or_a_clear_error(document: dict[str, Any]) -> None:
    result = outcome(lambda: discovery.parse_metadata(document, ISSUER, discovery.SOURCE_RFC8414))
    if isinstance(result, ServerMetadata):
        assert discovery.same_issuer(result.issuer, ISSUER)
        assert result.token_endpoint.startswith(("https://", "http://127.0.0.1"))


@FEW
@given(status=statuses, body=bodies, content_type=content_types)
def test_any_discovery_answer_gives_metadata_or_a_clear_error(
    status: int, body: bytes, content_type: str
) -> None:
    with mock_client(status, body, content_type) as http:
        # Retried answers (429, 5xx) are not waited for here: what matters is the outcome.
        no_waiting = RetryPolicy(sleep=lambda _: None)
        result = outcome(lambda: discovery.discover(http, ISSUER, policy=no_waiting))
    assert isinstance(result, (ServerMetadata, MightyError))


@SOME
@given(
    scopes=st.none() | st.lists(st.text(min_size=1, max_size=12), max_size=4),
    revocation=st.booleans(),
    iss=st.booleans(),
)
def test_a_good_discovery_document_is_read_faithfully(
    scopes: list[str] | None, revocation: bool, iss: bool
) -> None:
    document: dict[str, Any] = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/oauth/authorize",
        "token_endpoint": f"{ISSUER}/oauth/token",
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": iss,
    }
    if scopes is not None:
        document["scopes_supported"] = scopes
    if revocation:
        document["revocation_endpoint"] = f"{ISSUER}/oauth/revoke"
    meta = discovery.parse_metadata(document, ISSUER, discovery.SOURCE_RFC8414)
    assert meta.token_endpoint == f"{ISSUER}/oauth/token"
    assert meta.revocation_endpoint == (f"{ISSUER}/oauth/revoke" if revocation else None)
    assert meta.scopes_supported == (None if scopes is None else tuple(scopes))
    assert meta.iss_parameter_supported is iss


# --------------------------------------------------------------------------- API answers

graphql_bodies = bodies | with_extras(
    st.fixed_dictionaries(
        {},
        optional={
            "data": json_values
            | st.fixed_dictionaries(
                {},
                optional={
                    "me": json_values
                    | st.fixed_dictionaries(
                        {},
                        optional={"id": json_values, "name": json_values, "email": json_values},
                    ),
                    "network": json_values,
                },
            ),
            "errors": json_values
            | st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "message": json_values,
                        "extensions": json_values
                        | st.fixed_dictionaries(
                            {"code": st.sampled_from(["UNAUTHENTICATED", "X"])}
                        ),
                    },
                ),
                max_size=3,
            ),
            "error": json_values,
            "message": json_values,
        },
    )
).map(lambda v: json.dumps(v).encode())


@FEW
@given(status=statuses, body=graphql_bodies, content_type=content_types)
def test_any_api_answer_gives_data_or_a_clear_error(
    status: int, body: bytes, content_type: str
) -> None:
    url = "https://api.mn.co/networks/demo/graphql"
    with mock_client(status, body, content_type) as http:
        result = outcome(lambda: api.post_graphql(http, url, api.WHOAMI_QUERY))
        identity = outcome(lambda: api.fetch_identity(http, url))
    assert isinstance(result, (api.GraphQLResponse, MightyError))
    assert isinstance(identity, (api.Identity, MightyError))
    if isinstance(result, MightyError) and status >= 400:
        assert str(status) in result.message


@SOME
@given(
    name=st.text(max_size=30),
    email=st.none() | st.text(max_size=30),
    title=st.none() | st.text(max_size=30),
)
def test_a_good_api_answer_is_read_faithfully(
    name: str, email: str | None, title: str | None
) -> None:
    payload = {
        "data": {
            "me": {"id": "m1", "name": name, "email": email, "networkRole": "HOST"},
            "network": {"title": title},
        }
    }
    with mock_client(200, json.dumps(payload).encode(), "application/json") as http:
        identity = api.fetch_identity(http, "https://api.mn.co/networks/demo/graphql")
    assert (identity.name, identity.email, identity.network_title) == (name, email, title)


# --------------------------------------------------------------------------- files on disk
#
# The state, config and pending files may be damaged by anything: a crash in another program,
# a hand edit, a disk error. Reading one gives its content or a MightyError, and never changes it.

RECORD_FIELDS = {
    "network": st.just("demo"),
    "api_url": st.just("https://api.mn.co"),
    "issuer": st.just(ISSUER),
    "client_id": st.just("cid"),
    "token_endpoint": st.just(f"{ISSUER}/oauth/token"),
    "scopes": st.just(["read:network"]),
    "expires_at": st.just(4102444800.0),
    "has_refresh_token": st.booleans(),
    "storage": st.just("keyring"),
}
records = st.fixed_dictionaries({}, optional={k: v | json_values for k, v in RECORD_FIELDS.items()})
state_documents = st.fixed_dictionaries(
    {
        "version": st.just(1) | json_values,
        "logins": st.dictionaries(st.just("demo") | st.text(max_size=8), records, max_size=2)
        | json_values,
    },
    optional={"default": st.just("demo") | json_values},
)


def damaged(documents: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Documents as written, cut short anywhere, or random bytes."""
    truncated = st.tuples(documents, st.floats(0, 1)).map(lambda p: p[0][: int(len(p[0]) * p[1])])
    return documents | truncated | st.binary(max_size=200)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")


def _in_temp_file(name: str, content: bytes, check: Callable[[Any], None]) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        check(path)
        assert path.read_bytes() == content, "reading changed the file"


@FEW
@given(content=damaged(state_documents.map(_json_bytes)))
def test_any_state_file_gives_logins_or_a_clear_error(content: bytes) -> None:
    from mightycli import config

    def check(path: Any) -> None:
        result = outcome(lambda: config.read_state(path))
        if isinstance(result, MightyError):
            assert str(path) in result.message
            return
        for key, record in result.logins.items():
            assert record.network == key and isinstance(record.api_url, str)
            assert record.expires_at is None or isinstance(record.expires_at, (int, float))
            assert all(isinstance(scope, str) for scope in record.scopes)

    _in_temp_file("logins.json", content, check)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"


toml_scalars = st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | st.text(max_size=20)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=2)
    ),
    max_leaves=6,
)
setting_names = st.sampled_from(
    ["network", "client_id", "scopes", "redirect_uri", "issuer", "api_url", "timeout", "storage"]
)
config_documents = st.tuples(
    st.dictionaries(setting_names, toml_values, max_size=4),
    st.dictionaries(setting_names, toml_values, max_size=3),
).map(
    lambda tables: (
        "".join(f"{k} = {_toml_value(v)}\n" for k, v in tables[0].items())
        + "[networks.demo]\n"
        + "".join(f"{k} = {_toml_value(v)}\n" for k, v in tables[1].items())
    ).encode("utf-8", "surrogatepass")
)


@FEW
@given(content=damaged(config_documents))
def test_any_config_file_gives_settings_or_a_clear_error(content: bytes) -> None:
    from mightycli import config
    from mightycli.logins.settings import parse_scopes

    def check(path: Any) -> None:
        result = outcome(lambda: config.load_file_config(path))
        if isinstance(result, MightyError):
            assert str(path) in result.message
            return
        # What the commands do with each setting works for every value that was accepted.
        for network in (None, "demo"):
            scopes = result.lookup("scopes", network)
            if scopes is not None:
                assert all(isinstance(s, str) for s in parse_scopes(scopes))
            timeout = result.lookup("timeout", network)
            if timeout is not None:
                assert float(timeout) > 0
            for name in ("network", "client_id", "redirect_uri", "issuer", "api_url", "storage"):
                value = result.lookup(name, network)
                assert value is None or isinstance(value, str)

    _in_temp_file("config.toml", content, check)


PENDING_FIELDS = {
    "network": st.just("demo"),
    "issuer": st.just(ISSUER),
    "api_url": st.just("https://api.mn.co"),
    "client_id": st.just("cid"),
    "confidential": st.booleans(),
    "scopes": st.just(["read:network"]),
    "redirect_uri": st.just("http://localhost:3000/callback"),
    "state": st.just("s"),
    "verifier": st.just("v"),
    "metadata": st.just(
        {"issuer": ISSUER, "authorization_endpoint": ISSUER, "token_endpoint": ISSUER}
    ),
    "created_at": st.just(1.0),
    "expires_at": st.just(2.0) | st.just(4102444800.0),
}
pending_documents = st.fixed_dictionaries(
    {}, optional={k: v | json_values for k, v in PENDING_FIELDS.items()}
)


@FEW
@given(content=damaged(pending_documents.map(_json_bytes)))
def test_any_pending_file_is_read_or_ignored_with_a_warning(content: bytes) -> None:
    import tempfile
    import time
    from pathlib import Path

    from mightycli.logins import pending

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pending.json"
        path.write_bytes(content)
        try:
            data = pending.read_pending(path)
        except ValueError:  # damaged: pruning leaves it alone, and says so
            notes: list[str] = []
            pending._prune_pending(Path(folder), time.time(), notes.append)
            assert path.read_bytes() == content
            assert len(notes) == 1 and str(path) in notes[0]
            return
        assert isinstance(data["expires_at"], (int, float)) and isinstance(data["scopes"], list)
        notes = []
        pending._prune_pending(Path(folder), time.time(), notes.append)
        assert notes == []
        assert path.exists() is (data["expires_at"] >= time.time())
