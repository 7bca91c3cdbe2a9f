"""`mighty api` end to end: the real command against the emulator or a recording local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from conftest import admin_token_login, login_args
from localserver import Reply, Request, serve

from mightycli.emulator import ADMIN_API_TOKEN, Emulator

# Once logged in, mighty names the network by its numeric id in API paths.
MEMBERS_PATH = "/admin/v1/networks/1001/members"
GRAPHQL_PATH = "/networks/1001/graphql"
MEMBERS_QUERY = (
    "query($endCursor: String) { network { members(first: 50, after: $endCursor) "
    "{ nodes { name } pageInfo { hasNextPage endCursor } } } }"
)


@pytest.fixture
def oauth_login(emulator, redirect_uri, run_mighty):  # type: ignore[no-untyped-def]
    result = run_mighty(*login_args(emulator, redirect_uri))
    assert result.code == 0, result.stderr
    return emulator


def _admin_login(run_mighty, emulator, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    result = admin_token_login(run_mighty, emulator, *extra, env=env)
    assert "Stored the Admin API token for Emulated Network" in result.stderr
    return result


@pytest.fixture
def admin_login(emulator, run_mighty):  # type: ignore[no-untyped-def]
    _admin_login(run_mighty, emulator)
    return emulator


# --------------------------------------------------------------------------- GraphQL


def test_graphql_output_is_the_body_byte_for_byte(oauth_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    # ...and a final newline, which the body lacks.
    result = run_mighty("api", "graphql", "-f", "query={ me { name } network { title } }")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["data"] == {
        "me": {"name": "Ada Lovelace"},
        "network": {"title": "Emulated Network"},
    }
    token = run_mighty("token").stdout.strip()
    direct = httpx.post(
        oauth_login.graphql_url,
        json={"query": "{ me { name } network { title } }", "variables": {}},
        headers={"Authorization": f"Bearer {token}", "User-Agent": "test"},
    )
    assert not direct.content.endswith(b"\n")  # so the newline below is mighty's
    assert result.stdout.encode() == direct.content + b"\n"
    assert result.stderr == ""


def test_graphql_variables_and_query_file(oauth_login, run_mighty, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    query = tmp_path / "q.graphql"
    query.write_text("query($n: Int) { network { members(first: $n) { nodes { name } } } }")
    result = run_mighty("api", "graphql", "--query-file", str(query), "-F", "n=2")
    assert result.code == 0, result.stderr
    names = [n["name"] for n in json.loads(result.stdout)["data"]["network"]["members"]["nodes"]]
    assert names == ["Ada Lovelace", "Grace Hopper"]
    piped = run_mighty("api", "graphql", "--query-file", "-", "-F", "n=1", input=query.read_text())
    assert len(json.loads(piped.stdout)["data"]["network"]["members"]["nodes"]) == 1


def test_graphql_errors_print_data_and_exit_1(oauth_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty("api", "graphql", "-f", "query={ nope }")
    assert result.code == 1
    assert "errors" in json.loads(result.stdout)
    assert "mighty: GraphQL: Cannot query field 'nope'" in result.stderr
    bad_input = run_mighty(
        "api", "graphql", "-f", "query={ network { members(first: 51) { nodes { id } } } }"
    )
    assert bad_input.code == 1 and "50" in bad_input.stderr


def test_graphql_pagination(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    with Emulator(redirect_uris=(redirect_uri,), extra_members=296) as emulator:  # 4 seeded + 296
        assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
        result = run_mighty("api", "graphql", "-f", f"query={MEMBERS_QUERY}", "--paginate")
        assert result.code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 300
        assert json.loads(lines[0]) == {"name": "Ada Lovelace"}
        assert json.loads(lines[-1]) == {"name": "Member 300"}
        slurped = run_mighty("api", "graphql", "-f", f"query={MEMBERS_QUERY}", "--slurp")
        assert [m["name"] for m in json.loads(slurped.stdout)] == [
            json.loads(x)["name"] for x in lines
        ]
        missing = run_mighty("api", "graphql", "-f", "query={ me { name } }", "--paginate")
        assert missing.code == 2 and "$endCursor" in missing.stderr


def test_unauthenticated_is_refreshed_once(oauth_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    oauth_login.expire_access_tokens()
    result = run_mighty("api", "graphql", "-f", "query={ me { name } }")
    assert result.code == 0, result.stderr
    assert oauth_login.refresh_count == 1


def test_http_401_is_refreshed_once_then_exit_4(oauth_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    body = '{"errors": [{"message": "bad token"}]}'
    oauth_login.inject_fault(GRAPHQL_PATH, 401, body, content_type="application/json")
    ok = run_mighty("api", "graphql", "-f", "query={ me { name } }")
    assert ok.code == 0, ok.stderr
    assert oauth_login.refresh_count == 1
    oauth_login.inject_fault(GRAPHQL_PATH, 401, body, content_type="application/json", times=2)
    refused = run_mighty("api", "graphql", "-f", "query={ me { name } }")
    assert refused.code == 4 and "HTTP 401" in refused.stderr
    assert oauth_login.refresh_count == 2  # one refresh per command, no more


def test_throttled_is_retried(oauth_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    throttled = json.dumps(
        {"data": None, "errors": [{"message": "slow down", "extensions": {"code": "THROTTLED"}}]}
    )
    oauth_login.inject_fault(
        GRAPHQL_PATH, 200, throttled, content_type="application/json", headers={"Retry-After": "0"}
    )
    result = run_mighty("api", "graphql", "-f", "query={ me { name } }")
    assert result.code == 0, result.stderr
    assert "GraphQL THROTTLED" in result.stderr and "attempt 2 of 5" in result.stderr


# --------------------------------------------------------------------------- Admin API


def test_admin_token_login_whoami_status_token_logout(admin_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    whoami = json.loads(run_mighty("whoami", "--json").stdout)
    assert whoami["name"] == "Ada Lovelace" and whoami["network_title"] == "Emulated Network"
    assert run_mighty("token").stdout == ADMIN_API_TOKEN + "\n"
    status = json.loads(run_mighty("status", "--json").stdout)["logins"][0]
    assert status["admin_token"] is True and status["oauth"] is False
    assert "Admin API" in run_mighty("status").stdout
    members = run_mighty("api", "members", "-f", "per_page=2")
    assert members.code == 0, members.stderr
    body = json.loads(members.stdout)
    assert [m["first_name"] for m in body["items"]] == ["Ada", "Grace"]
    assert "page=2" in body["links"]["next"]
    logout = run_mighty("logout")
    assert logout.code == 0 and "API Keys" in logout.stderr
    assert run_mighty("api", "members").code == 4


def test_admin_token_errors(emulator, run_mighty) -> None:  # type: ignore[no-untyped-def]
    args = ("login", "--with-token", "--network", "emulated", "--api-url", emulator.url)
    bad = run_mighty(*args, input="not-a-token\n")
    assert bad.code == 4 and "does not accept this token" in bad.stderr
    assert "not-a-token" not in bad.stderr
    empty = run_mighty(*args, input="")
    assert empty.code == 2 and "No Admin API token" in empty.stderr
    mixed = run_mighty(*args, "--client-id", "x", input=ADMIN_API_TOKEN)
    assert mixed.code == 2
    assert run_mighty("status").code == 4


def test_each_api_needs_its_own_login(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    _admin_login(run_mighty, emulator)
    graphql = run_mighty("api", "graphql", "-f", "query={ me { name } }")
    assert graphql.code == 4 and "needs an OAuth login" in graphql.stderr
    assert "mighty login --network emulated --client-id" in graphql.stderr
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    # Both now: each API gets its own credential, and the admin token survived the OAuth login.
    assert run_mighty("api", "graphql", "-f", "query={ me { name } }").code == 0
    assert run_mighty("api", "members").code == 0
    assert run_mighty("token", "--admin").stdout == ADMIN_API_TOKEN + "\n"
    assert run_mighty("token").stdout != ADMIN_API_TOKEN + "\n"
    run_mighty("logout")
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    rest = run_mighty("api", "members")
    assert rest.code == 4 and "needs an Admin API token" in rest.stderr
    assert "--with-token" in rest.stderr


def test_http_errors_print_body_and_exit_1(admin_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty("api", "members/424242")
    assert result.code == 1
    assert json.loads(result.stdout) == {"error": "Not Found"}
    assert "mighty: HTTP 404 Not Found" in result.stderr
    assert "publishes this path as members/424242/ with a trailing slash" in result.stderr
    # Published as sent: the member is not there, and nothing is said of the slash.
    missing = run_mighty("api", "members/424242/")
    assert missing.code == 1 and missing.stderr == "mighty: HTTP 404 Not Found\n"
    over = run_mighty("api", "members", "-F", "per_page=500")
    assert over.code == 1 and "HTTP 422" in over.stderr and "error" in json.loads(over.stdout)


def test_rest_pagination_and_slurp(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    with Emulator(redirect_uris=(redirect_uri,), extra_members=2496) as emulator:
        _admin_login(run_mighty, emulator)
        result = run_mighty("api", "members", "-f", "per_page=100", "--paginate")
        assert result.code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 2500
        ids = [json.loads(line)["id"] for line in lines]
        assert len(set(ids)) == 2500
        slurped = json.loads(run_mighty("api", "members", "-f", "per_page=100", "--slurp").stdout)
        assert [m["id"] for m in slurped] == ids


def test_items_are_written_before_the_last_page_is_fetched(  # type: ignore[no-untyped-def]
    redirect_uri, run_mighty, browser_script
) -> None:
    with Emulator(redirect_uris=(redirect_uri,), extra_members=996, page_delay=0.3) as emulator:
        _admin_login(run_mighty, emulator)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mightycli",
                "api",
                "members",
                "-f",
                "per_page=100",
                "--paginate",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()
        still_running = proc.poll() is None  # ten slow pages: the first item came long before
        rest = proc.stdout.read()
        proc.wait(60)
    assert json.loads(first)["first_name"] == "Ada"
    assert still_running
    assert len(rest.splitlines()) == 999 and proc.returncode == 0


def test_head_stops_the_fetching_early() -> None:
    served: list[int] = []

    def page(request: Request) -> Reply:
        number = int(parse_qs(urlsplit(request.path).query).get("page", ["1"])[0])
        served.append(number)
        time.sleep(0.05)
        items = [{"n": (number - 1) * 10 + i} for i in range(10)]
        return Reply(
            200,
            {
                "items": items,
                "links": {"next": f"/admin/v1/networks/demo/things?page={number + 1}"},
            },
        )

    with serve({("GET", "/admin/v1/networks/demo/things"): page}) as server:
        env = {
            **os.environ,
            "MIGHTY_TOKEN": "t",
            "MIGHTY_NETWORK": "demo",
            "MIGHTY_API_URL": server.url,
        }
        command = f"{sys.executable} -m mightycli api things --paginate | head -n 5"
        proc = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert proc.stdout.splitlines() == [
        json.dumps({"n": i}, separators=(",", ":")) for i in range(5)
    ]
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(served) < 5  # an endless list, abandoned as soon as head had its lines


def test_retry_after_is_honoured_then_succeeds(admin_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    admin_login.inject_fault(
        MEMBERS_PATH,
        429,
        '{"error": "Too Many Requests"}',
        content_type="application/json",
        times=2,
        headers={"Retry-After": "1"},
    )
    started = time.monotonic()
    result = run_mighty("api", "members")
    assert result.code == 0, result.stderr
    assert result.stderr.count("HTTP 429 Too Many Requests") == 2
    assert "retrying in 1.0 s (attempt 2 of 5)" in result.stderr
    assert "attempt 3 of 5" in result.stderr
    assert time.monotonic() - started >= 2  # it waited as asked, not less
    assert json.loads(result.stdout)["items"][0]["first_name"] == "Ada"


def test_retries_give_up_after_five_attempts(admin_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    admin_login.inject_fault(
        MEMBERS_PATH, 503, "<html>busy</html>", times=5, headers={"Retry-After": "0"}
    )
    result = run_mighty("api", "members")
    assert result.code == 1
    assert "attempt 5 of 5" in result.stderr and "mighty: HTTP 503" in result.stderr
    assert result.stdout == "<html>busy</html>\n"  # with the final newline added


# --------------------------------------------------------------------------- what is sent


@pytest.fixture
def recorder():  # type: ignore[no-untyped-def]
    def echo(request: Request) -> Reply:
        return Reply(200, {"ok": True})

    routes = {
        (m, "/admin/v1/networks/demo/things"): echo
        for m in ("GET", "POST", "PATCH", "PUT", "DELETE")
    }
    with serve(routes) as server:
        yield server


def _env(server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"MIGHTY_TOKEN": "tok-123", "MIGHTY_NETWORK": "demo", "MIGHTY_API_URL": server.url}


def test_fields_become_query_for_get_and_json_otherwise(  # type: ignore[no-untyped-def]
    recorder, run_mighty, tmp_path: Path
) -> None:
    env = _env(recorder)
    assert (
        run_mighty("api", "things", "-f", "a=1", "-F", "b=true", "-H", "X-Trace: yes", env=env).code
        == 0
    )
    get = recorder.requests[-1]
    assert parse_qs(urlsplit(get.path).query) == {"a": ["1"], "b": ["true"]}
    assert get.headers["X-Trace"] == "yes"
    assert get.headers["Authorization"] == "Bearer tok-123"
    assert get.headers["User-Agent"].startswith("mighty-cli/")
    note = tmp_path / "note.txt"
    note.write_text("from a file")
    args = [
        "-F",
        "n=5",
        "-F",
        "x=1.5",
        "-F",
        "flag=false",
        "-F",
        "nothing=null",
        "-f",
        "s=5",
        "-F",
        "tags[]=a",
        "-F",
        "tags[]=b",
        "-F",
        "profile[bio]=hi",
        "-F",
        f"text=@{note}",
    ]
    assert run_mighty("api", "-X", "PATCH", "things", *args, env=env).code == 0
    patch = recorder.requests[-1]
    assert patch.method == "PATCH"
    assert json.loads(patch.body) == {
        "n": 5,
        "x": 1.5,
        "flag": False,
        "nothing": None,
        "s": "5",
        "tags": ["a", "b"],
        "profile": {"bio": "hi"},
        "text": "from a file",
    }


def test_input_sends_a_raw_body(recorder, run_mighty) -> None:  # type: ignore[no-untyped-def]
    raw = '{"name": "x",   "kept": "exactly"}'
    result = run_mighty(
        "api", "things", "--input", "-", "-f", "dry_run=1", env=_env(recorder), input=raw
    )
    assert result.code == 0, result.stderr
    sent = recorder.requests[-1]
    assert sent.method == "POST" and sent.body == raw.encode()
    assert sent.headers["Content-Type"] == "application/json"
    assert parse_qs(urlsplit(sent.path).query) == {"dry_run": ["1"]}


def test_include_and_silent(recorder, run_mighty) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty("api", "things", "-i", "--silent", env=_env(recorder))
    assert result.code == 0 and result.stdout == ""
    assert (
        result.stderr.startswith("HTTP/1.1 200 OK\n")
        and "content-type: application/json" in result.stderr.lower()
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["things", "-f", "novalue"], "not key=value"),
        (["things", "-H", "Authorization: Bearer x"], "MIGHTY_TOKEN"),
        (["things", "-H", "bad header"], "Name: value"),
        (["https://elsewhere.example/admin/v1/x"], "not on the API host"),
        (["graphql"], "needs a query"),
        (["graphql", "-X", "GET", "-f", "query={ a }"], "always POST"),
        (["things", "--timeout", "0"], "positive"),
        (["things", "-F", "x=@/no/such/file"], "Cannot read"),
        (["things", "--input", "-", "-F", "x=@-"], "already used"),
    ],
)
def test_bad_input_is_a_usage_error(recorder, run_mighty, args, message) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty("api", *args, env=_env(recorder), input="")
    assert result.code == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert recorder.requests == []


def test_connection_failure_is_reported(run_mighty) -> None:  # type: ignore[no-untyped-def]
    from conftest import free_port

    env = {
        "MIGHTY_TOKEN": "t",
        "MIGHTY_NETWORK": "demo",
        "MIGHTY_API_URL": f"http://127.0.0.1:{free_port()}",
    }
    result = run_mighty("api", "things", env=env)
    assert (
        result.code == 1 and "cannot connect" in result.stderr and "attempt 5 of 5" in result.stderr
    )


def test_admin_token_in_file_storage_without_a_keyring(  # type: ignore[no-untyped-def]
    emulator, run_mighty_process, isolated
) -> None:
    # The keyring backend comes from PYTHON_KEYRING_BACKEND once, at process start.
    no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    login = _admin_login(run_mighty_process, emulator, "--insecure-storage", env=no_keyring)
    assert "unencrypted" in login.stderr
    tokens = json.loads((isolated / "config" / "tokens.json").read_text())
    assert tokens == {"emulated": {"admin_token": ADMIN_API_TOKEN}}
    members = run_mighty_process("api", "members", "-f", "per_page=1", env=no_keyring)
    assert members.code == 0, members.stderr
    status = json.loads(run_mighty_process("status", "--json", env=no_keyring).stdout)["logins"][0]
    assert status["storage"].startswith("plain file") and status["admin_token"] is True
    assert run_mighty_process("logout", env=no_keyring).code == 0
    assert json.loads((isolated / "config" / "tokens.json").read_text()) == {}


def test_a_body_nested_too_deep_is_passed_through_not_a_crash(run_mighty) -> None:  # type: ignore[no-untyped-def]
    deep = "[" * 100_000 + "]" * 100_000
    routes = {("GET", "/admin/v1/networks/demo/things"): Reply(200, deep)}
    with serve(routes) as server:
        env = {"MIGHTY_TOKEN": "t", "MIGHTY_NETWORK": "demo", "MIGHTY_API_URL": server.url}
        plain = run_mighty("api", "things", env=env)
        paged = run_mighty("api", "things", "--paginate", env=env)
        debugged = run_mighty("--debug", "api", "things", env=env)
    assert (plain.code, plain.stdout) == (0, deep + "\n")
    for result in (plain, paged, debugged):
        assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert paged.code == 0 and debugged.code == 0


def test_a_bad_mighty_token_is_a_usage_error_not_shown_nor_retried(emulator, run_mighty) -> None:  # type: ignore[no-untyped-def]
    env = {
        "MIGHTY_TOKEN": "abc\nX-Evil: sekrit",
        "MIGHTY_NETWORK": "emulated",
        "MIGHTY_API_URL": emulator.url,
    }
    for args in (["whoami"], ["api", "members"], ["token"]):
        result = run_mighty(*args, env=env)
        assert result.code == 2, result.stderr
        assert "not a valid bearer token" in result.stderr
        assert "sekrit" not in result.stderr + result.stdout and "retrying" not in result.stderr


def test_a_bad_admin_token_on_stdin_is_refused_unseen(emulator, run_mighty) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty(
        "login",
        "--with-token",
        "-n",
        "emulated",
        "--api-url",
        emulator.url,
        input="ab\u00e9sekrit\n",
    )
    assert result.code == 2 and "not a valid bearer token" in result.stderr
    assert "sekrit" not in result.stderr


def test_debug_hides_custom_secret_headers_and_shows_error_codes(  # type: ignore[no-untyped-def]
    admin_login, oauth_login, run_mighty
) -> None:
    result = run_mighty("--debug", "api", "members", "-H", "X-Api-Key: sekrit-key-value")
    assert result.code == 0, result.stderr
    assert (
        "x-api-key: [redacted]" in result.stderr.lower() and "sekrit-key-value" not in result.stderr
    )
    result = run_mighty("--debug", "api", "graphql", "-f", "query={ nosuchfield }")
    assert result.code == 1
    assert '"code": "[redacted]"' not in result.stderr


def test_a_long_retry_after_ends_the_call_at_once_saying_when(admin_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    admin_login.inject_fault(
        MEMBERS_PATH,
        429,
        "{}",
        times=5,
        headers={"Retry-After": "299"},
        content_type="application/json",
    )
    result = run_mighty("api", "members", timeout=30)
    assert result.code == 1, result.stderr
    assert "asks to wait 299 s" in result.stderr and "Try again after" in result.stderr
    assert "retrying" not in result.stderr


def test_max_wait_bounds_all_waits_together(admin_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    admin_login.inject_fault(
        MEMBERS_PATH, 503, "<html>busy</html>", times=5, headers={"Retry-After": "1"}
    )
    result = run_mighty("api", "members", "--max-wait", "2")
    assert result.code == 1
    assert result.stderr.count("retrying in 1.0 s") == 2  # each wait is shown
    assert "asks to wait 1 s" in result.stderr and "0 s left" in result.stderr
    bad = run_mighty("api", "members", "--max-wait", "-1")
    assert bad.code == 2 and "--max-wait" in bad.stderr


def test_help_example_with_max_wait_runs(admin_login, run_mighty) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty("api", "members", "--max-wait", "10")
    assert result.code == 0 and json.loads(result.stdout)["items"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308, 304])
def test_a_redirect_from_the_api_is_an_error_naming_it(run_mighty, status: int) -> None:  # type: ignore[no-untyped-def]
    routes = {
        ("GET", "/admin/v1/networks/demo/things"): Reply(
            status, "", "text/html", headers={"Location": "https://elsewhere.example/x"}
        ),
        ("POST", "/networks/demo/graphql"): Reply(
            status, "", "text/html", headers={"Location": "https://elsewhere.example/g"}
        ),
    }
    with serve(routes) as server:
        result = run_mighty("api", "things", env=_env(server))
        assert result.code == 1, result.stderr
        assert f"HTTP {status}" in result.stderr
        assert "https://elsewhere.example/x" in result.stderr or status == 304
        graphql = run_mighty("api", "graphql", "-f", "query={ me { name } }", env=_env(server))
        assert graphql.code == 1 and f"HTTP {status}" in graphql.stderr
        whoami = run_mighty("whoami", env=_env(server))
        assert whoami.code == 1 and "redirect" in whoami.stderr
        assert len([r for r in server.requests if "elsewhere" in r.path]) == 0


@pytest.mark.parametrize(
    "args",
    [
        ("whoami",),
        ("api", "graphql", "-f", "query={ me { name } }", "--max-wait", "0"),
        ("api", "members", "--max-wait", "0"),
        ("api", "me", "--timeout", "5", "--max-wait", "0"),
        ("login", "--network", "emulated"),  # the authorization server is gone too
    ],
)
def test_a_lost_connection_ends_with_what_to_do(redirect_uri, run_mighty, args) -> None:  # type: ignore[no-untyped-def]
    with Emulator(redirect_uris=(redirect_uri,)) as emulator:
        assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
        admin_token_login(run_mighty, emulator)
        host = emulator.url.split("//", 1)[1]
    gone = run_mighty(*args)  # nothing listens there any more
    assert gone.code == 1, gone.stderr
    also = "the network name or --issuer, " if args[0] == "login" else ""
    last = gone.stderr.splitlines()[-1]
    assert last == f"Check {also}your connection and that {host} is up, then run the command again."


def test_a_lost_connection_in_status_check_says_what_to_do(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    with Emulator(redirect_uris=(redirect_uri,)) as emulator:
        assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
        host = emulator.url.split("//", 1)[1]
    check = run_mighty("status", "--check")
    assert check.code == 1
    failed, hint = check.stdout.splitlines()
    assert failed.startswith("✗ emulated (default) GraphQL: FAILED, Cannot reach the GraphQL API")
    assert hint == f"  Check your connection and that {host} is up, then run the command again."


# --------------------------------------------------------------------------- habits from gh


def test_a_page_filter_under_paginate_says_the_filter_runs_on_each_item(  # type: ignore[no-untyped-def]
    admin_login, run_mighty
) -> None:
    result = run_mighty("api", "members", "-f", "per_page=2", "--paginate", "--jq", ".items[]")
    assert result.code == 1
    assert "Cannot iterate over null" in result.stderr  # jq's own words, then what they mean
    assert "With --paginate the filter runs on each item" in result.stderr
    assert "--slurp" in result.stderr
    # The same filter on one page (no --paginate) is jq's failure alone.
    one = run_mighty("api", "members", "--jq", ".[0]")
    assert one.code == 1 and "--paginate" not in one.stderr


@pytest.fixture
def members_recorder():  # type: ignore[no-untyped-def]
    def echo(request: Request) -> Reply:
        return Reply(200, {"items": [], "links": {}})

    paths = (
        "members",
        "members/",
        "members/by_email",
        "posts",
        "members/5/tags",
        "spaces/7/members",
    )
    routes = {(m, f"/admin/v1/networks/demo/{p}"): echo for m in ("GET", "POST") for p in paths}
    with serve(routes) as server:
        yield server


WARNING = "warning: -f/-F fields go into the query string of this GET"


@pytest.mark.parametrize(
    ("args", "warned"),
    [
        (["members", "-f", "email=ada@example.com", "-f", "first_name=Ada"], True),
        (["members/", "-F", "send_welcome_email=true"], True),
        (["members/5/tags", "-f", "tag_id=3"], True),
        (["members", "-f", "per_page=2"], False),  # a list's own parameter
        (["members/by_email", "-f", "email=ada@example.com"], False),  # a GET that takes it
        (["posts", "-f", "space_id=7"], False),  # GET posts filters by space_id too
        (["posts", "-f", "title=Hello"], True),
        (["spaces/7/members", "-f", "user_id=5"], False),  # POST takes it in the query as well
        (["-X", "GET", "members", "-f", "email=ada@example.com"], False),  # GET asked for
        (["-X", "POST", "members", "-f", "email=ada@example.com"], False),
    ],
)
def test_fields_of_a_get_that_a_post_takes_as_a_body_are_warned_about(  # type: ignore[no-untyped-def]
    members_recorder, run_mighty, args, warned
) -> None:
    result = run_mighty("api", *args, env=_env(members_recorder))
    assert result.code == 0, result.stderr
    assert (WARNING in result.stderr) == warned, result.stderr
    sent = members_recorder.requests[-1]
    if "-X" not in args:  # the documented behaviour stays: a GET with the fields as its query
        assert sent.method == "GET" and "?" in sent.path
    if warned:
        assert "-X POST" in result.stderr
