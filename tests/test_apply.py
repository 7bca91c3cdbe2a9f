"""``mighty apply`` against the emulator: the dry run sends nothing, every kind of invalid row,
--send and its log, a kill mid-run and a rerun that creates nobody twice, Ctrl-C, --limit,
pacing on a real clock, 429s, a refused token, and the CSV spreadsheets write (a BOM, quoted
names with commas and quotes, CRLF).

Most runs are in process with a rate high enough not to pace; kills, Ctrl-C and the progress bar
need a real process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import admin_token_login
from test_resource_commands import on_terminal

from mightycli.emulator.directory import NETWORK_ID
from mightycli.resources.sheet import read_rows

FAST = ("--rate", "1000000")  # no pacing to speak of
HEADER = "email,first_name,last_name,plans,spaces,tags,action"


@pytest.fixture
def admin(run_mighty: Any, emulator: Any) -> Any:
    admin_token_login(run_mighty, emulator)
    return run_mighty


def sheet(tmp_path: Path, *lines: str, name: str = "rows.csv", bom: bool = False) -> str:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "\r\n".join(lines).encode() + b"\r\n")
    return str(path)


def writes(emulator: Any) -> list[tuple[str, str]]:
    return [(m, p) for m, p in emulator.admin_requests() if m != "GET"]


def outcomes(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def member_plans(run_mighty: Any, email: str) -> set[str]:
    listed = run_mighty("members", "plans", email)
    assert listed.code == 0, listed.stderr
    return {line.split("\t")[1] for line in listed.stdout.splitlines()}


# ----------------------------------------------------------------------------- reading the file


def test_the_file_as_spreadsheets_write_it(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "Tags, Email ,ACTION,plans",
        '"Speaker, ""Keynote""; VIP",ada@example.com,,"Founders, ""Inner"" Circle"',
        ",,,",
        '"VIP","grace@example.com",Remove,',
        bom=True,
    )
    text = Path(path).read_bytes().decode("utf-8-sig")
    import io

    rows = read_rows(io.StringIO(text, newline=""), "rows.csv")
    assert [(r.line, r.email, r.action, r.problem) for r in rows] == [
        (2, "ada@example.com", "add", None),
        (4, "grace@example.com", "remove", None),
    ]
    assert rows[0].names("tags") == ('Speaker, "Keynote"', "VIP")
    assert rows[0].names("plans") == ('Founders, "Inner" Circle',)
    assert len({r.key for r in rows}) == 2


def test_a_quoted_field_over_two_lines_keeps_the_line_numbers(tmp_path: Path) -> None:
    import io

    text = f'{HEADER}\n"ada@example.com",Ada,"Love\nlace",,,,\nbad,,,,,,\n'
    rows = read_rows(io.StringIO(text, newline=""), "x.csv")
    assert [(r.line, r.last_name) for r in rows] == [(2, "Love\nlace"), (4, "")]
    assert rows[1].problem == "'bad' is not an e-mail address"


def test_repeated_rows_are_told_apart(tmp_path: Path) -> None:
    import io

    text = f"{HEADER}\nada@example.com,,,Gold,,,\nada@example.com,,,Gold,,,remove\n"
    text += "ADA@example.com,,,Gold,,,\n"
    keys = [r.key for r in read_rows(io.StringIO(text, newline=""), "x.csv")]
    assert keys[0] != keys[2] and keys[0].split(".")[0] == keys[2].split(".")[0]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "is empty"),
        (b"email,plan\r\nada@example.com,Gold\r\n", "unknown column 'plan'"),
        (b"first_name,plans\r\nAda,Gold\r\n", "no email column"),
        (b"email,tags,Email\r\n", "names email more than once"),
        (b"email\r\n\xff\xfe\r\n", "line 2: not UTF-8"),
        (b'email\r\n"ada@example.com\r\n', "not valid CSV"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_usage_error(
    admin: Any, emulator: Any, tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = admin("apply", str(path), "--send")
    assert result.code == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert writes(emulator) == []


def test_no_file_a_folder_and_bad_numbers(admin: Any, tmp_path: Path) -> None:
    assert "There is no file" in admin("apply", str(tmp_path / "none.csv")).stderr
    assert "is a folder" in admin("apply", str(tmp_path)).stderr
    path = sheet(tmp_path, HEADER, "ada@example.com,,,,,,")
    for option in (("--rate", "0"), ("--limit", "0"), ("--rate", "-5")):
        result = admin("apply", path, *option)
        assert result.code == 2 and "must be at least 1" in result.stderr
    for wait in ("-1", "inf", "nan"):
        result = admin("apply", path, "--max-wait", wait)
        assert result.code == 2 and "--max-wait must be zero or more" in result.stderr


def test_a_file_with_only_a_header_has_nothing_to_do(admin: Any, tmp_path: Path) -> None:
    result = admin("apply", sheet(tmp_path, HEADER), "--send")
    assert result.code == 0 and "has no rows" in result.stderr


# ----------------------------------------------------------------------------- the dry run


def cohort(tmp_path: Path) -> str:
    """Rows of every kind: a change, a new member, an add with nothing to add, a removal, and
    each kind of invalid row."""
    return sheet(
        tmp_path,
        HEADER,
        "ada@example.com,,,Community,Welcome,VIP,",  # 2: Ada is in Welcome already
        'kj@example.com,Katherine,Johnson,Community,Announcements,"Speaker, ""Keynote""",add',
        "new@example.com,,,,Welcome,,",  # 4: nobody has it, and no names to create them
        "not-an-address,,,,,,",  # 5
        "grace@example.com,,,Goldd,,Mentor;Nope,",  # 6: an unknown plan and tag
        "alan@example.com,,,,,VIP,remove",  # 7
        "alan@example.com,,,,,,remove",  # 8: a removal of nothing
        "lin@example.com,,,,,,delete",  # 9: an unknown action
        "grace@example.com,,,3999,,,",  # 10: a plan id that is not there
        "zed@example.com,,,,,VIP,remove",  # 11: nobody to take anything from
        "grace@example.com,,,,,,",  # 12: an add with nothing to add
        "ada@example.com,,,,,,,extra",  # 13: more fields than columns
        bom=True,
    )


def test_the_dry_run_reads_and_sends_no_write(admin: Any, emulator: Any, tmp_path: Path) -> None:
    result = admin("apply", cohort(tmp_path), *FAST)
    assert result.code == 1  # some rows are invalid
    assert writes(emulator) == []
    lines = dict(line.split("  ", 1) for line in result.stdout.splitlines())
    assert lines["line 2"] == (
        "ada@example.com  would grant plan Community; already in space Welcome; would tag VIP"
    )
    assert lines["line 3"] == (
        "kj@example.com  would create; would grant plan Community; would add to space "
        'Announcements; would tag Speaker, "Keynote"'
    )
    assert lines["line 4"] == (
        "new@example.com  invalid: nobody has this e-mail, and a new member needs first_name "
        "and last_name"
    )
    assert lines["line 5"] == "not-an-address  invalid: 'not-an-address' is not an e-mail address"
    assert lines["line 6"] == (
        "grace@example.com  invalid: no plan is named 'Goldd'; no tag is named 'Nope'"
    )
    assert lines["line 7"] == "alan@example.com  would untag VIP"
    assert "invalid: a remove row must list" in lines["line 8"]
    assert lines["line 9"] == (
        "lin@example.com  invalid: the action must be add or remove, not 'delete'"
    )
    assert lines["line 10"] == "grace@example.com  invalid: no plan has the id 3999"
    assert lines["line 11"] == "zed@example.com  not a member: nothing to remove"
    assert lines["line 12"] == "grace@example.com  already a member"
    assert "invalid: 8 fields, but the header names 7 columns" in lines["line 13"]
    assert result.stderr.splitlines()[-2:] == [
        "Dry run of 12 rows: 3 to change, 1 member to create, 7 writes to send, "
        "2 already as asked, 7 invalid.",
        "Nothing was sent: add --send to apply.",
    ]


def test_names_are_resolved_once_per_run(admin: Any, emulator: Any, tmp_path: Path) -> None:
    lines = [HEADER] + [
        f"{who}@example.com,,,Community;Silver,Welcome,VIP,"
        for who in ("ada", "grace", "alan", "ada", "grace")
    ]
    before = len(emulator.admin_requests())
    assert admin("apply", sheet(tmp_path, *lines), *FAST).code == 0
    paths = [p.split("?")[0] for _, p in emulator.admin_requests()[before:]]
    for listing in ("plans", "spaces", "tags"):
        assert sum(p.endswith(f"/{listing}") for p in paths) == 1, listing
    assert sum(p.endswith("/members/by_email") for p in paths) == 3  # once per member


def test_a_dry_run_with_a_log_writes_no_log(admin: Any, tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    assert admin("apply", cohort(tmp_path), "--log", str(log), *FAST).code == 1
    assert not log.exists()


# ----------------------------------------------------------------------------- --send and the log


def test_send_applies_logs_and_a_rerun_sends_nothing(
    admin: Any, emulator: Any, tmp_path: Path
) -> None:
    rows, log = cohort(tmp_path), tmp_path / "run.log"
    first = admin("apply", rows, "--send", "--log", str(log), *FAST)
    assert first.code == 1, first.stderr
    assert "line 3  kj@example.com  created member " in first.stdout
    assert member_plans(admin, "kj@example.com") == {"Community"}
    assert "Community" in member_plans(admin, "ada@example.com")
    assert len(creates(emulator)) == 1  # kj
    assert os.stat(log).st_mode & 0o777 == 0o600
    records = outcomes(log)
    assert [r["line"] for r in records] == list(range(2, 14))
    assert {r["outcome"] for r in records} == {"applied", "invalid"}
    assert records[0]["did"] == ["granted plan Community", "already in space Welcome", "tagged VIP"]
    # The rerun redoes only the invalid rows (still invalid), and writes nothing.
    sent = len(writes(emulator))
    again = admin("apply", rows, "--send", "--log", str(log), *FAST)
    assert again.code == 1 and len(writes(emulator)) == sent
    assert "Skipped 5 rows the log" in again.stderr
    assert {line.split("  ")[2].split(":")[0] for line in again.stdout.splitlines()} == {"invalid"}


def test_a_clean_file_exits_0_and_a_third_run_sends_no_request(
    admin: Any, emulator: Any, tmp_path: Path
) -> None:
    rows = sheet(
        tmp_path, HEADER,
        "kj@example.com,Katherine,Johnson,Community,Welcome,VIP,",
        "grace@example.com,,,Community,,VIP,",
    )  # fmt: skip
    log = str(tmp_path / "run.log")
    assert admin("apply", rows, "--send", "--log", log, *FAST).code == 0
    second = admin("apply", rows, "--send", "--log", log, *FAST)
    assert second.code == 0 and "nothing to do" in second.stderr
    before = len(emulator.admin_requests())
    third = admin("apply", rows, "--send", "--log", log, *FAST)
    assert third.code == 0 and len(emulator.admin_requests()) == before
    # Without the log, every check says "already" and nothing is written.
    sent = len(writes(emulator))
    plain = admin("apply", rows, "--send", *FAST)
    assert plain.code == 0 and len(writes(emulator)) == sent
    assert "already has plan Community" in plain.stdout


def test_a_new_member_gets_no_welcome_e_mail_unless_asked(
    admin: Any, emulator: Any, tmp_path: Path
) -> None:
    rows = sheet(tmp_path, HEADER, "kj@example.com,Katherine,Johnson,,,,")
    dry = admin("apply", rows, "--send", "--debug", *FAST)
    assert dry.code == 0, dry.stderr
    assert '"send_welcome_email": false' in dry.stderr
    rows = sheet(tmp_path, HEADER, "lw@example.com,Li,Wu,,,,", name="two.csv")
    asked = admin("apply", rows, "--send", "--welcome-email", "--debug", *FAST)
    assert '"send_welcome_email": true' in asked.stderr


def test_remove_takes_away_what_is_there(admin: Any, tmp_path: Path) -> None:
    rows = sheet(tmp_path, HEADER, "alan@example.com,,,Silver;Gold,,VIP,remove")
    result = admin("apply", rows, "--send", *FAST)
    assert result.code == 0, result.stderr
    assert result.stdout == (
        "line 2  alan@example.com  revoked plan Silver; does not have plan Gold; untagged VIP\n"
    )
    assert "Silver" not in member_plans(admin, "alan@example.com")


def test_a_refused_write_fails_its_row_and_the_others_go_on(admin: Any, tmp_path: Path) -> None:
    # Gold is a paid plan: the published API grants only free ones, so the server refuses.
    rows = sheet(tmp_path, HEADER, "alan@example.com,,,Gold,,,", "ada@example.com,,,,,VIP,")
    result = admin("apply", rows, "--send", *FAST)
    assert result.code == 1
    first, second = result.stdout.splitlines()
    assert first.startswith("line 2  alan@example.com  failed: ") and "Gold" not in first[30:40]
    assert second == "line 3  ada@example.com  tagged VIP"
    assert "1 failed" in result.stderr


def test_limit_takes_the_first_rows_not_yet_applied(
    admin: Any, emulator: Any, tmp_path: Path
) -> None:
    people = ("ada", "grace", "alan", "lin")
    rows = sheet(tmp_path, HEADER, *(f"{p}@example.com,,,,,Mentor," for p in people))
    log = str(tmp_path / "run.log")
    canary = admin("apply", rows, "--send", "--log", log, "--limit", "1", *FAST)
    assert canary.code == 0 and canary.stdout == "line 2  ada@example.com  tagged Mentor\n"
    assert "3 rows left beyond --limit." in canary.stderr
    more = admin("apply", rows, "--send", "--log", log, "--limit", "2", *FAST)
    assert [line.split()[1] for line in more.stdout.splitlines()] == ["3", "4"]
    rest = admin("apply", rows, "--send", "--log", log, *FAST)
    assert [line.split()[1] for line in rest.stdout.splitlines()] == ["5"]
    assert len([w for w in writes(emulator) if w[1].endswith("/tags")]) == 4


def test_a_damaged_log_is_named_and_a_cut_last_line_is_not(admin: Any, tmp_path: Path) -> None:
    rows = sheet(tmp_path, HEADER, "ada@example.com,,,,,Mentor,")
    log = tmp_path / "run.log"
    log.write_text('not json\n{"key": "x", "outcome": "applied"}\n')
    damaged = admin("apply", rows, "--send", "--log", str(log), *FAST)
    assert damaged.code == 2 and "is damaged at line 1" in damaged.stderr
    log.write_text('{"key": "x", "outcome": "applied"}\n{"line": 2, "ke')  # killed mid-write
    cut = admin("apply", rows, "--send", "--log", str(log), *FAST)
    assert cut.code == 0, cut.stderr
    lines = log.read_text().splitlines()
    assert lines[1] == '{"line": 2, "ke' and json.loads(lines[2])["outcome"] == "applied"


def test_two_runs_cannot_share_a_log(admin: Any, tmp_path: Path) -> None:
    import filelock

    rows = sheet(tmp_path, HEADER, "ada@example.com,,,,,Mentor,")
    log = tmp_path / "run.log"
    with filelock.FileLock(f"{log}.lock"):
        result = admin("apply", rows, "--send", "--log", str(log), *FAST)
    assert result.code == 2 and "Another mighty apply is using the log" in result.stderr


# ----------------------------------------------------------------------------- kills and Ctrl-C


def new_members(count: int) -> list[str]:
    return [
        f"new{n}@example.com,New,Member {n},Community,Welcome;Announcements,VIP;Mentor,"
        for n in range(count)
    ]


def started(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mightycli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def wait_for(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def creates(emulator: Any) -> list[str]:
    return [p for m, p in emulator.admin_requests() if m == "POST" and p.endswith("/members")
            and "/plans/" not in p and "/spaces/" not in p]  # fmt: skip


def test_a_kill_mid_row_then_a_rerun_creates_nobody_twice(
    admin: Any, emulator: Any, tmp_path: Path
) -> None:
    rows = sheet(tmp_path, HEADER, *new_members(6))
    log = tmp_path / "run.log"
    # Paced at 20 requests a second, so the kill lands just after row 4's member was created
    # and before the rest of that row (and its log record).
    process = started(["apply", rows, "--send", "--log", str(log), "--rate", "1200"])
    wait_for(lambda: len(creates(emulator)) >= 3)
    process.kill()
    process.wait(timeout=10)
    logged = outcomes(log)
    assert 1 <= len(logged) < 6 and all(r["outcome"] == "applied" for r in logged)
    rerun = admin("apply", rows, "--send", "--log", str(log), *FAST)
    assert rerun.code == 0, rerun.stderr
    assert len(creates(emulator)) == 6  # one create per member over both runs
    assert {r["key"] for r in outcomes(log) if r["outcome"] == "applied"} == {
        r.key for r in read_rows(Path(rows).read_text(encoding="utf-8-sig").splitlines(), "x")
    }
    for n in range(6):
        assert member_plans(admin, f"new{n}@example.com") == {"Community"}
    before = len(emulator.admin_requests())
    assert admin("apply", rows, "--send", "--log", str(log), *FAST).code == 0
    assert len(emulator.admin_requests()) == before


def test_ctrl_c_stops_after_the_current_request(admin: Any, emulator: Any, tmp_path: Path) -> None:
    rows = sheet(tmp_path, HEADER, *new_members(8))
    log = tmp_path / "run.log"
    process = started(["apply", rows, "--send", "--log", str(log), "--rate", "600"])
    wait_for(lambda: len(creates(emulator)) >= 2)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Stopping after the current request" in stderr and "Traceback" not in stderr
    assert "rerun with the same --log" in stderr
    records = outcomes(log)  # every line whole
    assert records[-1]["outcome"] == "interrupted" and records[-1]["did"]
    rerun = admin("apply", rows, "--send", "--log", str(log), *FAST)
    assert rerun.code == 0 and len(creates(emulator)) == 8


# ----------------------------------------------------------------------------- on a terminal


def test_a_progress_bar_on_a_terminal(admin: Any, tmp_path: Path) -> None:
    rows = sheet(tmp_path, HEADER, *(f"{p}@example.com,,,,,Mentor," for p in ("ada", "grace")))
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    code, text = on_terminal(["apply", rows, "--send", "--rate", "120"], env)
    assert code == 0, text
    assert "Applying" in text and "2/2" in text or "1/2" in text
    assert "line 2  ada@example.com  tagged Mentor" in text


# ----------------------------------------------------------------------------- pacing, 429, 401


@pytest.fixture
def limited(run_mighty: Any) -> Any:
    """An emulator that answers more than 12 Admin API requests a second with 429 (no
    Retry-After, as on live networks), logged in."""
    from mightycli.emulator import Emulator

    with Emulator(rate_limit=12, rate_window=1.0) as server:
        admin_token_login(run_mighty, server)
        yield server


def tagging(tmp_path: Path, count: int) -> str:
    people = [f"new{n}@example.com,New,Member {n},,,VIP;Mentor," for n in range(count)]
    return sheet(tmp_path, HEADER, *people)


def test_paced_under_the_servers_limit_meets_no_429(
    run_mighty: Any, limited: Any, tmp_path: Path
) -> None:
    result = run_mighty("apply", tagging(tmp_path, 4), "--send", "--rate", "600")
    assert result.code == 0, result.stderr
    assert limited.admin_throttled == 0 and "429" not in result.stderr
    assert len(limited.admin_requests()) > 12  # more than one window's worth


def test_unpaced_429s_are_waited_out(run_mighty: Any, limited: Any, tmp_path: Path) -> None:
    result = run_mighty("apply", tagging(tmp_path, 4), "--send", *FAST)
    assert result.code == 0, result.stderr
    assert limited.admin_throttled > 0
    assert "HTTP 429 Too Many Requests from 127.0.0.1; retrying in" in result.stderr
    assert len(creates(limited)) == 4  # a refused POST was repeated, not lost or doubled


def test_a_retry_after_longer_than_mighty_waits_stops_the_run(
    run_mighty: Any, emulator: Any, tmp_path: Path
) -> None:
    admin_token_login(run_mighty, emulator)
    path = f"/admin/v1/networks/{NETWORK_ID}/members/by_email"
    emulator.inject_fault(path, 429, '{"error": "slow down"}', "application/json",
                          headers={"Retry-After": "3600"})  # fmt: skip
    log = tmp_path / "run.log"
    result = run_mighty("apply", tagging(tmp_path, 3), "--send", "--log", str(log), *FAST)
    assert result.code == 1, result.stderr
    assert "longer than mighty waits" in result.stderr
    assert "Run it again after" in result.stderr and "--max-wait SECONDS" in result.stderr
    assert "Stopped at line 2; rerun with the same --log" in result.stderr
    assert [r["outcome"] for r in outcomes(log)] == ["stopped"]


def test_a_refused_token_stops_at_once_with_exit_4(
    run_mighty: Any, emulator: Any, tmp_path: Path
) -> None:
    admin_token_login(run_mighty, emulator)
    rows, log = tagging(tmp_path, 5), tmp_path / "run.log"
    before = len(emulator.admin_requests())
    # The lists of tags (1 request), then row 2 (lookup, create, 2 x check and tag), then row 3's
    # lookup and create: the token is deleted in Mighty's settings during row 3.
    emulator.revoke_admin_api_token(after=8)
    result = run_mighty("apply", rows, "--send", "--log", str(log), *FAST)
    assert result.code == 4, result.stderr
    assert "mighty login --with-token" in result.stderr
    assert "Stopped at line 3" in result.stderr
    assert len(emulator.admin_requests()) - before == 9  # nothing after the refusal
    assert [r["outcome"] for r in outcomes(log)] == ["applied", "stopped"]
    emulator.restore_admin_api_token()
    rerun = run_mighty("apply", rows, "--send", "--log", str(log), *FAST)
    assert rerun.code == 0, rerun.stderr
    assert len(creates(emulator)) == 6  # row 3's first create was refused with the token
    roster = run_mighty("members", "list", "--all").stdout.split()
    assert sorted(e for e in roster if e.startswith("new")) == [
        f"new{n}@example.com" for n in range(5)
    ]


def test_paced_at_exactly_the_servers_limit_meets_no_429(run_mighty: Any, tmp_path: Path) -> None:
    from mightycli.emulator import Emulator

    # 10 a second is 600 a minute: as many as the server allows, so request 11 must not come
    # within a second of the first however the sliding window counts its ends.
    with Emulator(rate_limit=10, rate_window=1.0) as server:
        admin_token_login(run_mighty, server)
        time.sleep(1.0)  # the login's own request out of the window
        result = run_mighty("apply", tagging(tmp_path, 3), "--send", "--rate", "600")
        assert result.code == 0, result.stderr
        assert server.admin_throttled == 0, result.stderr
