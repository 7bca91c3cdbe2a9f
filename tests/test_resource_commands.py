"""The resource commands against the emulator: every command, every output format, names that
hold commas and quotes, --dry-run (the emulator counts what reaches it), the --yes rule,
"already", refusals, and names that are not there or fit twice.

Commands run in process (tests/inprocess.py), so stdout is a pipe: lists come as tab-separated
rows unless a format is asked for. The table and the prompt need a terminal and run in a real
process on a pseudo-terminal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from conftest import admin_token_login

from mightycli.resources.nouns import NOUNS

GOLD, SILVER, COMMUNITY = "Gold", "Silver", "Community"
FOUNDERS = 'Founders, "Inner" Circle'
SPEAKER = 'Speaker, "Keynote"'


@pytest.fixture
def admin(run_mighty: Any, emulator: Any) -> Any:
    """Logged in with the emulator's Admin API token; returns a runner of mighty commands."""
    admin_token_login(run_mighty, emulator)

    def run(*args: str, input: str | None = None) -> Any:
        return run_mighty(*args, input=input)

    return run


def rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


def ids(text: str) -> list[str]:
    return [row[0] for row in rows(text)]


def writes(emulator: Any) -> list[tuple[str, str]]:
    return [(m, p) for m, p in emulator.admin_requests() if m != "GET"]


# ----------------------------------------------------------------------------- lists


def test_members_list_into_a_pipe_is_tab_separated_without_header(admin: Any) -> None:
    result = admin("members", "list")
    assert result.code == 0, result.stderr
    first = rows(result.stdout)[0]
    assert first == ["5000001", "ada@example.com", "Ada Lovelace", "full"]
    assert "email" not in result.stdout.splitlines()[0]


def test_limit_and_all(admin: Any, run_mighty: Any, emulator: Any) -> None:
    assert len(rows(admin("members", "list", "--limit", "2").stdout)) == 2
    everyone = admin("members", "list", "--all")
    assert everyone.code == 0
    assert len(rows(everyone.stdout)) == len(rows(admin("members", "list", "-L", "1000").stdout))
    both = admin("members", "list", "--all", "--limit", "3")
    assert both.code == 2 and "not both" in both.stderr
    assert admin("members", "list", "--limit", "0").code == 2


def test_a_long_roster_is_paged_100_at_a_time(run_mighty: Any) -> None:
    from mightycli.emulator import Emulator

    with Emulator(extra_members=250) as server:
        admin_token_login(run_mighty, server)
        result = run_mighty("members", "list", "--all")
        assert result.code == 0, result.stderr
        assert len(rows(result.stdout)) == 254
        pages = [p for m, p in server.admin_requests() if p.split("?")[0].endswith("/members")]
        assert len(pages) == 3 and all("per_page=100" in p for p in pages)
        thirty = run_mighty("members", "list")
        assert len(rows(thirty.stdout)) == 30


@pytest.mark.parametrize(
    ("args", "noun"),
    [
        (("plans", "list"), "plans"),
        (("spaces", "list"), "spaces"),
        (("tags", "list"), "tags"),
        (("badges", "list"), "badges"),
        (("invites", "list"), "invites"),
        (("events", "list"), "events"),
        (("posts", "list"), "posts"),
        (("subscriptions", "list"), "subscriptions"),
        (("purchases", "list"), "purchases"),
        (("members", "plans", "ada@example.com"), "plans"),
        (("members", "spaces", "ada@example.com"), "spaces"),
        (("members", "tags", "ada@example.com"), "tags"),
        (("plans", "members", GOLD), "members"),
        (("spaces", "members", "Welcome"), "members"),
        (("events", "rsvps", "Office Hours"), "rsvps"),
    ],
)
def test_every_list_in_every_format(admin: Any, args: tuple[str, ...], noun: str) -> None:
    columns = NOUNS[noun].columns
    tsv = admin(*args)
    assert tsv.code == 0, tsv.stderr
    assert all(len(row) == len(columns) for row in rows(tsv.stdout)), tsv.stdout
    listed = admin(*args, "--format", "csv")
    parsed = list(csv.reader(io.StringIO(listed.stdout, newline="")))
    assert parsed[0] == [c.header for c in columns]
    assert len(parsed) - 1 == len(rows(tsv.stdout))
    ndjson = admin(*args, "--format", "ndjson")
    items = [json.loads(line) for line in ndjson.stdout.splitlines()]
    assert len(items) == len(parsed) - 1
    assert all(set(item) <= set(NOUNS[noun].fields) for item in items)
    field = NOUNS[noun].fields[0]
    chosen = admin(*args, "--json", field)
    assert chosen.code == 0, chosen.stderr
    assert json.loads(chosen.stdout) == [{field: item.get(field)} for item in items]


def test_names_with_commas_and_quotes_survive_every_format(admin: Any) -> None:
    tsv = admin("plans", "list")
    assert FOUNDERS in [row[1] for row in rows(tsv.stdout)]
    parsed = list(csv.reader(io.StringIO(admin("plans", "list", "--format", "csv").stdout)))
    assert FOUNDERS in [row[1] for row in parsed]
    raw = admin("plans", "list", "--format", "csv").stdout
    assert '"Founders, ""Inner"" Circle"' in raw  # the CRLF line ends: tests/test_resources.py
    names = json.loads(admin("plans", "list", "--json", "name").stdout)
    assert {"name": FOUNDERS} in names
    tags = admin("tags", "list", "--json", "title", "--jq", ".[].title")
    assert SPEAKER in tags.stdout.splitlines()


def test_tsv_escapes_what_would_split_a_row(admin: Any) -> None:
    created = admin(
        "members", "create", "--email", "tab@example.com", "--first-name", "Tab\there",
        "--last-name", "New\nline", "--no-welcome-email",
    )  # fmt: skip
    assert created.code == 0, created.stderr
    line = [r for r in admin("members", "list", "--all").stdout.splitlines() if "tab@" in r]
    assert line == ["\t".join(["5000005", "tab@example.com", "Tab\\there New\\nline", "full"])]


def test_json_fields_and_jq(admin: Any) -> None:
    result = admin("members", "list", "--json", "id,email", "--jq", ".[].email")
    assert result.code == 0
    assert result.stdout.splitlines()[:2] == ["ada@example.com", "grace@example.com"]
    unknown = admin("members", "list", "--json", "id,name")
    assert unknown.code == 2
    assert "Unknown field for members: name." in unknown.stderr
    assert "first_name" in unknown.stderr  # the fields there are
    assert admin("members", "list", "--jq", ".").code == 2
    assert admin("members", "list", "--json", "id", "--format", "csv").code == 2
    nd = admin("members", "list", "--json", "id", "--format", "ndjson", "--limit", "2")
    assert nd.stdout == '{"id": 5000001}\n{"id": 5000002}\n'
    assert admin("members", "list", "--format", "xml").code == 2


def test_view_by_id_and_by_email(admin: Any) -> None:
    by_email = admin("members", "view", "grace@example.com", "--json", "id,email")
    assert json.loads(by_email.stdout) == {"id": 5000002, "email": "grace@example.com"}
    by_id = admin("members", "view", "5000002")
    assert rows(by_id.stdout) == [["5000002", "grace@example.com", "Grace Hopper", "full"]]
    missing = admin("members", "view", "nobody@example.com")
    assert missing.code == 1 and "No member has the e-mail nobody@example.com." in missing.stderr
    assert admin("members", "view", "4999999").code == 1
    bad = admin("members", "view", "not-a-member")
    assert bad.code == 2 and "neither a member id nor an e-mail" in bad.stderr


# ----------------------------------------------------------------------------- names


def test_a_name_is_matched_whole_and_in_any_case(admin: Any) -> None:
    assert admin("plans", "members", "gold").code == 0
    assert admin("plans", "members", FOUNDERS.upper()).code == 0
    missing = admin("plans", "members", "Platinum")
    assert missing.code == 1
    assert "No plan is named 'Platinum'." in missing.stderr
    assert GOLD in missing.stderr and FOUNDERS in missing.stderr  # what there is
    assert admin("plans", "members", "Gol").code == 1


def test_two_things_with_one_name_are_named_by_id(admin: Any, emulator: Any) -> None:
    import httpx

    from mightycli.emulator import ADMIN_API_TOKEN

    headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}", "User-Agent": "test"}
    made = [
        httpx.post(
            f"{emulator.url}/admin/v1/networks/emulated/tags",
            json={"title": title},
            headers=headers,
        ).json()["id"]
        for title in ("Alumni", "alumni")
    ]
    both = admin("members", "tag", "ada@example.com", "ALUMNI")
    assert both.code == 1
    assert f"2 tags are named 'ALUMNI': ids {made[0]}, {made[1]}." in both.stderr
    assert admin("members", "tag", "ada@example.com", str(made[1])).code == 0


def test_names_resolve_once_per_run(admin: Any, emulator: Any) -> None:
    before = len(emulator.admin_requests())
    result = admin("plans", "grant", COMMUNITY, "alan@example.com", "alan@example.com", "--dry-run")
    assert result.code == 0, result.stderr
    seen = [p for _, p in emulator.admin_requests()[before:]]
    assert sum(1 for p in seen if p.split("?")[0].endswith("/plans")) == 1
    assert sum(1 for p in seen if "by_email" in p) == 1


# ----------------------------------------------------------------------------- writes


def test_grant_then_revoke_a_plan(admin: Any) -> None:
    # Seeded: Lin is on Community (the free plan), Ada on no plan.
    granted = admin("plans", "grant", COMMUNITY, "ada@example.com")
    assert granted.code == 0, granted.stderr
    assert f"Granted plan {COMMUNITY} to ada@example.com." in granted.stderr
    held = [row[1] for row in rows(admin("members", "plans", "ada@example.com").stdout)]
    assert held == [COMMUNITY]
    assert "ada@example.com" in admin("plans", "members", COMMUNITY).stdout
    again = admin("plans", "grant", COMMUNITY, "ada@example.com")
    assert again.code == 0 and "already has plan Community" in again.stderr
    revoked = admin("plans", "revoke", COMMUNITY, "ada@example.com", "--yes")
    assert revoked.code == 0 and "Revoked plan Community" in revoked.stderr
    assert COMMUNITY not in admin("members", "plans", "ada@example.com").stdout
    gone = admin("plans", "revoke", COMMUNITY, "ada@example.com", "--yes")
    assert gone.code == 0 and "does not have plan Community" in gone.stderr


def test_a_paid_plan_is_refused_with_the_servers_reason(admin: Any) -> None:
    # Published: plans/{plan_id}/members adds a member "directly to a free/nonpaid plan".
    result = admin("plans", "grant", GOLD, "ada@example.com")
    assert result.code == 1
    assert "mighty: The Admin API answered HTTP 422" in result.stderr
    assert GOLD not in admin("members", "plans", "ada@example.com").stdout


def test_already_sends_no_write(admin: Any, emulator: Any) -> None:
    assert admin("spaces", "add", "Welcome", "alan@example.com").code == 0
    before = writes(emulator)
    result = admin("spaces", "add", "Welcome", "alan@example.com")
    assert result.code == 0 and "already in space Welcome" in result.stderr
    assert writes(emulator) == before


def test_dry_run_prints_the_requests_and_sends_no_write(admin: Any, emulator: Any) -> None:
    before = writes(emulator)
    cases = [
        ("plans", "grant", COMMUNITY, "alan@example.com", "5000001"),
        ("spaces", "add", "Announcements", "alan@example.com"),
        ("members", "tag", "ada@example.com", "VIP"),
        ("members", "create", "--email", "n@example.com", "--first-name", "N", "--last-name", "M"),
        ("members", "edit", "alan@example.com", "--last-name", "T"),
        ("members", "remove", "alan@example.com", "--cancel-plans"),
        ("plans", "invite", GOLD, "--email", "f@example.com", "--message", "Hi, there"),
        ("invites", "create", "--email", "f@example.com"),
        ("invites", "revoke", "9000001"),
        ("posts", "create", "--space", "Welcome", "--title", "Hi", "--notify"),
    ]
    outputs = []
    for args in cases:
        result = admin(*args, "--dry-run")
        assert result.code == 0, (args, result.stderr)
        assert "not sent" in result.stderr
        outputs.append(result.stdout)
    assert writes(emulator) == before
    assert outputs[0].splitlines() == [
        "POST /admin/v1/networks/1001/plans/3004/members?user_id=5000003",
        "POST /admin/v1/networks/1001/plans/3004/members?user_id=5000001",
    ]
    assert outputs[3].splitlines() == [
        "POST /admin/v1/networks/1001/members",
        '{"email": "n@example.com", "first_name": "N", "last_name": "M"}',
    ]
    assert (
        outputs[5]
        == "DELETE /admin/v1/networks/1001/members/5000003/network_membership?cancel_plans=true\n"
    )
    assert "message=Hi%2C+there" in outputs[6]
    assert outputs[9].splitlines()[0] == "POST /admin/v1/networks/1001/posts?notify=true"


def test_destructive_verbs_need_yes_without_a_terminal(admin: Any, emulator: Any) -> None:
    before = writes(emulator)
    for args in (
        ("plans", "revoke", GOLD, "ada@example.com"),
        ("spaces", "remove", "Welcome", "ada@example.com"),
        ("members", "untag", "ada@example.com", "VIP"),
        ("members", "remove", "grace@example.com"),
        ("invites", "revoke", "9000001"),
    ):
        result = admin(*args)
        assert result.code == 2, (args, result.stderr)
        assert "--yes" in result.stderr
    assert writes(emulator) == before


def test_tag_and_untag(admin: Any) -> None:
    # Seeded: Alan carries VIP and Speaker, Ada no tag.
    tagged = admin("members", "tag", "ada@example.com", "VIP", SPEAKER, "--json", "id,title")
    assert tagged.code == 0, tagged.stderr
    assert [t["title"] for t in json.loads(tagged.stdout)] == ["VIP", SPEAKER]
    assert "Tagged ada@example.com with VIP." in tagged.stderr
    listed = json.loads(admin("members", "tags", "ada@example.com", "--json", "title").stdout)
    assert {"title": SPEAKER} in listed
    already = admin("members", "tag", "alan@example.com", "VIP")
    assert already.code == 0 and "already tagged VIP" in already.stderr
    untagged = admin("members", "untag", "ada@example.com", "VIP", "--yes")
    assert untagged.code == 0 and "Removed tag VIP" in untagged.stderr
    assert "VIP" not in admin("members", "tags", "ada@example.com").stdout


def test_a_refusal_shows_the_servers_reason(admin: Any) -> None:
    taken = admin(
        "members", "create", "--email", "ada@example.com", "--first-name", "A", "--last-name", "L"
    )
    assert taken.code == 1
    assert taken.stderr.startswith("mighty: The Admin API answered HTTP 422")
    assert admin("members", "create", "--email", "x@example.com", "--first-name", "X").code == 2


def test_one_failure_among_many_exits_1_after_the_rest(admin: Any) -> None:
    result = admin("spaces", "add", "Announcements", "4999999", "alan@example.com")
    assert result.code == 1
    assert "Added alan@example.com to space Announcements." in result.stderr
    assert "1 of 2 failed." in result.stderr


def test_members_create_edit_remove(admin: Any) -> None:
    made = admin(
        "members", "create", "--email", "kj@example.com", "--first-name", "Katherine",
        "--last-name", 'Johnson, "KJ"', "--role", "moderator", "--no-welcome-email",
        "--json", "id,email,last_name",
    )  # fmt: skip
    assert made.code == 0, made.stderr
    answer = json.loads(made.stdout)
    assert answer["last_name"] == 'Johnson, "KJ"'
    edited = admin(
        "members", "edit", "kj@example.com", "--first-name", "Kate", "--json", "first_name"
    )
    assert json.loads(edited.stdout) == {"first_name": "Kate"}
    assert admin("members", "edit", "kj@example.com").code == 2  # nothing to change
    assert admin("members", "edit", "kj@example.com", "--role", "owner").code == 2
    removed = admin("members", "remove", "kj@example.com", "--yes")
    assert removed.code == 0, removed.stderr
    assert admin("members", "view", "kj@example.com").code == 1


def test_limited_member_needs_spaces(admin: Any) -> None:
    args = (
        "members",
        "create",
        "--email",
        "l@example.com",
        "--first-name",
        "L",
        "--last-name",
        "M",
    )
    assert admin(*args, "--limited").code == 2
    assert admin(*args, "--space", "Welcome").code == 2
    made = admin(*args, "--limited", "--space", "Welcome", "--json", "member_type")
    assert made.code == 0, made.stderr
    assert json.loads(made.stdout) == {"member_type": "limited"}


def test_invites(admin: Any) -> None:
    made = admin(
        "invites", "create", "--email", "mj@example.com", "--first-name", "Mary",
        "--last-name", "Jackson", "--json", "id,recipient_email",
    )  # fmt: skip
    assert made.code == 0, made.stderr
    invite = json.loads(made.stdout)
    listed = admin("invites", "list", "--email", "mj@example.com")
    assert ids(listed.stdout) == [str(invite["id"])]
    offered = admin(
        "plans", "invite", GOLD, "--email", "pj@example.com", "--json", "recipient_email"
    )
    assert offered.code == 0, offered.stderr
    assert json.loads(offered.stdout) == {"recipient_email": "pj@example.com"}
    revoked = admin("invites", "revoke", str(invite["id"]), "--yes")
    assert revoked.code == 0, revoked.stderr
    assert admin("invites", "list", "--email", "mj@example.com").stdout == ""
    assert admin("invites", "revoke", "abc", "--yes").code == 2


def test_posts(admin: Any, tmp_path: Any) -> None:
    body = tmp_path / "notes.html"
    body.write_text("<p>Moved to <b>Friday</b>.</p>")
    made = admin(
        "posts", "create", "--space", "Announcements", "--title", "Office hours, moved",
        "--body-file", str(body), "--json", "id,title,description",
    )  # fmt: skip
    assert made.code == 0, made.stderr
    post = json.loads(made.stdout)
    assert post["description"] == "<p>Moved to <b>Friday</b>.</p>"
    piped = admin(
        "posts", "create", "--space", "Welcome", "--title", "Reminder", "--body-file", "-",
        input="See you.",
    )  # fmt: skip
    assert piped.code == 0, piped.stderr
    listed = admin("posts", "list", "--space", "Announcements", "--json", "title")
    assert json.loads(listed.stdout) == [{"title": "Office hours, moved"}]
    assert (
        admin(
            "posts",
            "create",
            "--space",
            "Welcome",
            "--title",
            "x",
            "--body-file",
            str(tmp_path / "none"),
        ).code
        == 2
    )


def test_rsvps_and_subscriptions_and_purchases(admin: Any) -> None:
    rsvps = admin("events", "rsvps", "Office Hours", "--json", "id,updated,status")
    assert rsvps.code == 0, rsvps.stderr
    assert rsvps.stdout and all("updated" in r for r in json.loads(rsvps.stdout))
    assert admin("events", "rsvps", "Office Hours", "--instance-at", "soon").code == 2
    assert admin("events", "rsvps", "Nothing Here").code == 1
    subs = json.loads(admin("subscriptions", "list", "--json", "member_id,plan").stdout)
    assert subs and all("id" not in s for s in subs)
    canceled = admin("subscriptions", "list", "--status", "canceled", "--json", "subscription")
    assert all(s["subscription"].get("canceled_at") for s in json.loads(canceled.stdout))
    bought = admin("purchases", "list", "--plan", FOUNDERS, "--json", "member_id,plan")
    assert bought.code == 0, bought.stderr
    assert json.loads(bought.stdout) and all(
        p["plan"].get("name") == FOUNDERS for p in json.loads(bought.stdout)
    )


def test_without_any_login(run_mighty: Any) -> None:
    result = run_mighty("members", "list")
    assert result.code == 4
    assert "mighty login" in result.stderr


# ----------------------------------------------------------------------------- a terminal


def on_terminal(
    args: list[str],
    env: dict[str, str],
    answer: bytes | None = None,
    *,
    answers: Sequence[bytes] = (),
    prompt: bytes = b"[y/N]",
) -> tuple[int, str]:
    """Run mighty in a real process whose stdin, stdout and stderr are a pseudo-terminal,
    typing ``answer`` (or each of ``answers`` in turn) once ``prompt`` has been shown."""
    pending = [answer] if answer is not None else list(answers)
    typed = 0
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mightycli", *args],
        stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    output = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            process.kill()
            raise AssertionError(output)
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if pending and output.count(prompt) > typed:
            os.write(leader, pending.pop(0))
            typed += 1
    os.close(leader)
    return process.wait(timeout=30), output.decode(errors="replace")


def test_a_table_and_a_question_on_a_terminal(admin: Any) -> None:
    env = {**os.environ, "COLUMNS": "60", "NO_COLOR": "1", "TERM": "dumb"}
    code, text = on_terminal(["members", "list"], env)
    assert code == 0, text
    lines = text.splitlines()
    assert lines[0].split() == ["ID", "EMAIL", "NAME", "TYPE"]
    assert "Ada Lovelace" in text and all(len(line) <= 60 for line in lines)
    # Seeded: Grace is on Gold.
    code, text = on_terminal(["plans", "revoke", GOLD, "grace@example.com"], env, answer=b"n\n")
    assert code == 1 and "Nothing was changed." in text
    code, text = on_terminal(["plans", "revoke", GOLD, "grace@example.com"], env, answer=b"y\n")
    assert code == 0 and "Revoked plan Gold from grace@example.com." in text


def test_spaces_add_and_remove(admin: Any) -> None:
    # Seeded: Announcements holds Ada and Grace.
    added = admin("spaces", "add", "announcements", "alan@example.com", "--json", "id,email")
    assert added.code == 0, added.stderr
    assert json.loads(added.stdout) == {"id": 5000003, "email": "alan@example.com"}
    assert "alan@example.com" in admin("spaces", "members", "Announcements").stdout
    spaces = [row[1] for row in rows(admin("members", "spaces", "alan@example.com").stdout)]
    assert "Announcements" in spaces
    removed = admin("spaces", "remove", "Announcements", "alan@example.com", "--yes")
    assert (
        removed.code == 0 and "Removed alan@example.com from space Announcements." in removed.stderr
    )
    assert "alan@example.com" not in admin("spaces", "members", "Announcements").stdout


def test_an_id_that_is_not_there_is_named(admin: Any) -> None:
    result = admin("plans", "members", "1")
    assert result.code == 1 and result.stderr == "mighty: No plan has the id 1.\n"
    assert admin("events", "rsvps", "99999").stderr == "mighty: No event has the id 99999.\n"


def test_a_usage_error_shows_the_commands_own_usage_line(admin: Any) -> None:
    result = admin("members", "list", "--json")
    assert result.code == 2
    assert result.stderr.splitlines()[0] == "Usage: mighty members list [OPTIONS]"
    assert "requires an argument" in result.stderr


def test_not_logged_in_says_which_login(run_mighty: Any) -> None:
    result = run_mighty("plans", "list")
    assert result.code == 4
    assert "mighty login --with-token" in result.stderr
