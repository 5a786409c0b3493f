"""`pubflow monitor` over real event files in a repository with live patterns."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.release_support import (
    PATTERN,
    approved,
    approved_repo,
    live_in,
    new_version,
    promote,
    ticket_state,
)
from tests.acceptance.tickets_support import REVIEWERS, invoke, setup_repo
from tests.conftest import git

WritePattern = Callable[..., Path]


def live_pattern(repo: Path, write_pattern: WritePattern) -> str:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    return first


def event(kind: str, visitor: str, at: str, version: str = "1.0.0", **extra: Any) -> str:
    return json.dumps({"type": kind, "pattern": PATTERN, "version": version,
                       "visitor": visitor, "at": at, **extra})


def write_events(repo: Path, lines: list[str]) -> Path:
    path = repo.parent / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(*args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = invoke("--actor", "monitor-bot", "monitor", *args, "--format", "json")
    assert out, err
    return code, json.loads(out), err


def test_figures_and_bad_lines(repo: Path, write_pattern: WritePattern) -> None:
    live_pattern(repo, write_pattern)
    lines = [
        event("view", "v1", "2030-01-01T10:00:00Z"),
        event("view", "v1", "2030-01-01T10:01:00Z"),
        event("view", "v2", "2030-01-01T10:02:00Z"),
        event("download", "v2", "2030-01-01T10:03:00Z"),
        event("rating", "v1", "2030-01-01T10:04:00Z", rating=5, comment="Clear"),
        event("rating", "v2", "2030-01-01T10:05:00Z", rating=2),
        "{not json",
        json.dumps({"type": "view", "pattern": "nobody-knows", "visitor": "v3",
                    "at": "2030-01-01T10:06:00Z"}),
        event("rating", "v3", "2030-01-01T10:07:00Z", rating=9),
        event("view", "v4", "2030-01-01T09:00:00Z"),
        event("teleport", "v4", "2030-01-01T10:08:00Z"),
        event("report", "v5", "2030-01-01T10:09:00Z", comment="typo"),
    ]
    code, data, _ = run("--events", str(write_events(repo, lines)))
    assert code == 0, data
    stats = data["patterns"][PATTERN]
    assert stats == {"views": 3, "uniqueVisitors": 2, "downloads": 1, "ratings": 2,
                     "averageRating": 3.5, "reports": 1,
                     "ratingsByVersion": {"1.0.0": {"ratings": 2, "averageRating": 3.5,
                                                    "comments": ["Clear"]}}}
    assert data["events"] == 7 and data["badEvents"] == 5
    assert data["badByReason"] == {"clock out of order": 1, "not JSON": 1,
                                   "rating not 1-5": 1, "unknown pattern": 1,
                                   "unknown type": 1}
    assert [b["line"] for b in data["badLines"]] == [7, 8, 9, 10, 11]


def test_a_pattern_nobody_views_raises_an_alert(repo: Path, write_pattern: WritePattern) -> None:
    live_pattern(repo, write_pattern)
    code, data, _ = run("--events", str(write_events(repo, [])), "--now", "2099-01-01T00:00:00Z")
    assert code == 1
    assert data["alerts"][0]["pattern"] == PATTERN
    assert "with no views" in data["alerts"][0]["message"]
    code, _out, err = invoke("monitor", "--events", str(repo.parent / "missing.jsonl"))
    assert code == 2 and "cannot read the events" in err


def test_three_reporters_in_an_hour_escalate_and_roll_back(
        repo: Path, write_pattern: WritePattern) -> None:
    first = live_pattern(repo, write_pattern)
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    assert promote(second, "--to", "production")[0] == 0
    lines = [event("report", "a", "2030-01-01T10:00:00Z", "1.1.0"),
             event("report", "a", "2030-01-01T10:10:00Z", "1.1.0"),
             event("report", "b", "2030-01-01T12:00:00Z", "1.1.0"),  # a's is too old by now
             event("report", "c", "2030-01-01T12:20:00Z", "1.1.0"),
             event("report", "d", "2030-01-01T12:40:00Z", "1.1.0")]
    code, data, _ = run("--events", str(write_events(repo, lines)), "--auto-rollback")
    assert code == 1
    assert [e["reporters"] for e in data["escalations"]] == [["b", "c", "d"]]
    action = data["escalationActions"][0]
    assert action["rollback"] == "rolled back 1.1.0 -> 1.0.0" and action["problems"] == []
    live = live_in(repo, "production")
    assert live is not None and (live["version"], live["ticket"]) == ("1.0.0", first)
    assert ticket_state(second) == "rolled_back"
    code, out, _ = invoke("ticket", "history", second, "--format", "json")
    assert json.loads(out)["history"][-1]["event"] == "escalated"
    outbox = sorted((repo / ".pubflow" / "outbox").glob("*escalation*.json"))
    assert len(outbox) == 1
    message = json.loads(outbox[0].read_text())["message"]
    assert message["kind"] == "escalation"
    assert message["data"]["reporters"] == ["b", "c", "d"]
    assert "rolled back 1.1.0 -> 1.0.0" in message["data"]["action"]
    assert invoke("verify")[0] == 0


def test_impact_report_in_markdown_and_json(repo: Path, write_pattern: WritePattern) -> None:
    live_pattern(repo, write_pattern)
    lines = [event("view", "old", "2030-01-01T10:00:00Z"),          # outside the 7-day window
             event("view", "v1", "2030-01-25T10:00:00Z"),
             event("view", "v2", "2030-01-29T10:00:00Z"),
             event("view", "v3", "2030-01-30T10:00:00Z"),
             event("rating", "v1", "2030-01-30T11:00:00Z", rating=4, comment="Saved us a week")]
    path = write_events(repo, lines)
    code, out, err = invoke("report", "impact", "--events", str(path), "--days", "7",
                            "--now", "2030-01-31T00:00:00Z", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    row = data["patterns"][0]
    assert (row["pattern"], row["views"], row["uniqueUsers"]) == (PATTERN, 3, 3)
    assert row["averageRating"] == 4.0 and row["comments"] == ["Saved us a week"]
    assert row["trend"] == "+100%" and row["versusSimilar"] == 1.0
    code, out, err = invoke("report", "impact", "--events", str(path), "--days", "7",
                            "--now", "2030-01-31T00:00:00Z")
    assert code == 0, err
    assert out.startswith("# Impact report: production, last 7 days")
    assert f"| {PATTERN} | 1.0.0 | 3 | 3 | 0 | 4.00 (1) | 0 | 1.00× | +100% |" in out
    assert "- **incident-escalation**: Saved us a week" in out


def test_bad_monitor_and_report_options(repo: Path, write_pattern: WritePattern) -> None:
    live_pattern(repo, write_pattern)
    events = str(write_events(repo, []))
    code, _out, err = invoke("monitor", "--events", events, "--now", "yesterday")
    assert code == 2 and "--now yesterday: give an ISO-8601 time" in err
    code, _out, err = invoke("monitor", "--events", events, "--env", "moon")
    assert code == 2 and "unknown environment 'moon'" in err
    code, _out, err = invoke("report", "impact", "--events", events, "--format", "pdf")
    assert code == 2 and "choose markdown or json" in err


# --- issue 15, item 7: monitoring is idempotent and honest ----------------------------------

TEAM_CONFIG = REVIEWERS + "notifications:\n  team: [editors@example.org]\n"
AUTHOR = "jane.doe@example.org"


def reports(visitors: str, start: str = "2030-01-01T10:", version: str = "1.0.0",
            step: int = 5) -> list[str]:
    """One report per visitor letter, `step` minutes apart from minute 00."""
    return [event("report", who, f"{start}{n * step:02d}:00Z", version)
            for n, who in enumerate(visitors)]


def escalated_events(ticket_id: str) -> list[dict[str, Any]]:
    code, out, err = invoke("ticket", "history", ticket_id, "--format", "json")
    assert code == 0, err
    return [e for e in json.loads(out)["history"] if e["event"] == "escalated"]


def escalation_messages(repo: Path) -> list[dict[str, Any]]:
    files = sorted((repo / ".pubflow" / "outbox").glob("*-escalation-*.json"))
    return [json.loads(path.read_text())["message"] for path in files]


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def test_running_again_over_the_same_events_escalates_once(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket = live_pattern(repo, write_pattern)
    path = write_events(repo, reports("abc"))
    code, data, _ = run("--events", str(path))
    assert code == 1
    before = commits(repo)
    later = [run("--events", str(path)) for _ in range(2)]
    assert commits(repo) == before
    assert len(escalated_events(ticket)) == 1 and len(escalation_messages(repo)) == 1
    [first] = data["escalationActions"]
    assert (first["ticketEvent"], first["alreadyEscalated"]) == (ticket, None)
    for code, data, _ in later:
        assert code == 1  # the escalation is still reported ...
        [again] = data["escalationActions"]
        assert again["ticketEvent"] is None  # ... but nothing is done again
        assert again["alreadyEscalated"]["ticket"] == ticket
        assert again["alreadyEscalated"]["incident"] == first["incident"]
        assert again["notifications"] == []
    code, out, _ = invoke("--actor", "monitor-bot", "monitor", "--events", str(path))
    assert code == 1
    assert f"already escalated on {ticket}" in out and "nothing done again" in out
    assert commits(repo) == before
    [recorded] = escalated_events(ticket)
    assert recorded["incident"] == first["incident"]
    assert (recorded["environment"], recorded["reportedVersion"]) == ("production", "1.0.0")
    assert (recorded["reportsFrom"], recorded["reportsUntil"]) == ("2030-01-01T10:00:00Z",
                                                                   "2030-01-01T10:10:00Z")
    assert len(escalation_messages(repo)) == 1
    assert git(repo, "status", "--porcelain") == ""
    assert invoke("verify")[0] == 0


def test_a_rerun_with_auto_rollback_does_not_roll_back_twice(
        repo: Path, write_pattern: WritePattern) -> None:
    first = live_pattern(repo, write_pattern)
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    assert promote(second, "--to", "production")[0] == 0
    path = write_events(repo, reports("abc", version="1.1.0"))
    code, data, _ = run("--events", str(path), "--auto-rollback")
    assert data["escalationActions"][0]["rollback"] == "rolled back 1.1.0 -> 1.0.0"
    code, data, _ = run("--events", str(path), "--auto-rollback")
    assert code == 1 and data["escalationActions"][0]["rollback"] is None
    live = live_in(repo, "production")
    assert live is not None and (live["version"], live["ticket"]) == ("1.0.0", first)
    assert len(escalated_events(second)) == 1 and escalated_events(first) == []


def test_overlapping_event_files_escalate_one_incident_once(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket = live_pattern(repo, write_pattern)
    # 150 events a minute apart; every third a report by a new visitor: one long incident
    lines = [event("report", f"r{n}", f"2030-01-01T{10 + n // 60:02d}:{n % 60:02d}:00Z")
             if n % 3 == 0 else event("view", f"v{n}", f"2030-01-01T{10 + n // 60:02d}:"
                                                     f"{n % 60:02d}:00Z")
             for n in range(150)]
    code, data, _ = run("--events", str(write_events(repo, lines[:100])))
    assert code == 1 and data["escalationActions"][0]["ticketEvent"] == ticket
    code, data, _ = run("--events", str(write_events(repo, lines[50:150])))
    assert len(escalated_events(ticket)) == 1 and len(escalation_messages(repo)) == 1
    [escalation] = data["escalations"]
    assert escalation["reporters"] != ["r0", "r3", "r6"]  # seen from another first report
    assert data["escalationActions"][0]["alreadyEscalated"]["ticket"] == ticket
    code, data, _ = run("--events", str(write_events(repo, lines[99:150])))  # adjoining
    assert data["escalationActions"][0]["alreadyEscalated"]["ticket"] == ticket
    assert len(escalated_events(ticket)) == 1 and len(escalation_messages(repo)) == 1
    # after more than an hour without reports, it is a new incident
    later = reports("xyz", start="2030-01-01T14:")
    code, data, _ = run("--events", str(write_events(repo, lines[50:150] + later)))
    actions = data["escalationActions"]
    assert [a["alreadyEscalated"] is None for a in actions] == [False, True]
    assert len(escalated_events(ticket)) == 2 and len(escalation_messages(repo)) == 2


def test_reports_about_an_old_version_escalate_that_versions_ticket(
        repo: Path, write_pattern: WritePattern) -> None:
    first = live_pattern(repo, write_pattern)
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    assert promote(second, "--to", "production")[0] == 0
    path = write_events(repo, reports("abc", version="1.0.0"))
    code, data, _ = run("--events", str(path), "--auto-rollback")
    assert code == 1
    assert len(escalated_events(first)) == 1 and escalated_events(second) == []
    [action] = data["escalationActions"]
    assert (action["ticket"], action["ticketEvent"]) == (first, first)
    assert "released it in production" in action["ticketFound"]
    assert action["rollback"] == ("not rolled back: incident-escalation 1.0.0 is no longer live "
                                  "in production (1.1.0 is)")
    assert len(escalated_events(first)) == 1 and escalated_events(second) == []
    live = live_in(repo, "production")
    assert live is not None and (live["version"], live["ticket"]) == ("1.1.0", second)
    assert ticket_state(second) == "live"
    [message] = escalation_messages(repo)
    assert (message["data"]["ticket"], message["data"]["version"]) == (first, "1.0.0")
    # the live version's own reports escalate its own ticket
    code, data, _ = run("--events", str(write_events(repo, reports("def", version="1.1.0"))))
    assert data["escalationActions"][0]["ticketEvent"] == second
    assert len(escalated_events(first)) == 1 and len(escalated_events(second)) == 1


def test_the_author_and_the_team_are_told(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern, config=TEAM_CONFIG)
    ticket = approved()
    assert promote(ticket, "--to", "staging")[0] == 0
    code, data, _ = run("--events", str(write_events(repo, reports("abc"))), "--env", "staging")
    assert code == 1
    [message] = escalation_messages(repo)
    assert message["to"] == [AUTHOR, "editors@example.org"]
    assert message["data"]["ticket"] == ticket
    assert f"Recorded on ticket {ticket}." in message["body"]
    [notice] = data["escalationActions"][0]["notifications"]
    assert notice["to"] == [AUTHOR, "editors@example.org"]


def test_the_output_says_what_was_delivered_and_what_waits(
        repo: Path, write_pattern: WritePattern, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBFLOW_WEBHOOK_SECRET", "s3cret")
    port = free_port()  # nothing listens here
    config = TEAM_CONFIG + (f"  webhook:\n    url: http://127.0.0.1:{port}/hook\n"
                            "    secret_env: PUBFLOW_WEBHOOK_SECRET\n    timeout_seconds: 1\n"
                            "    retries: 0\n")
    setup_repo(repo, write_pattern, config=config)
    ticket = approved()
    assert promote(ticket, "--to", "staging")[0] == 0
    path = write_events(repo, reports("abc"))
    code, out, err = invoke("--actor", "monitor-bot", "monitor", "--events", str(path),
                            "--env", "staging")
    assert code == 1, err
    assert "team notified" not in out
    assert "NOT delivered by webhook" in out and "waits in the outbox as" in out
    assert "pubflow notify flush" in out
    code, pending, _ = invoke("notify", "pending")
    assert "-escalation-" in pending and ": webhook" in pending
    with Hook(port) as hook:
        assert invoke("notify", "flush")[0] == 0
    kinds = [json.loads(body)["kind"] for body in hook.bodies]
    assert kinds.count("escalation") == 1  # with the ticket messages that waited too
    assert invoke("notify", "pending")[1].strip() == "0 pending"


def test_without_a_channel_the_output_says_nothing_was_sent(
        repo: Path, write_pattern: WritePattern) -> None:
    live_pattern(repo, write_pattern)
    code, out, _ = invoke("--actor", "monitor-bot", "monitor", "--events",
                          str(write_events(repo, reports("abc"))))
    assert code == 1
    assert "team notified" not in out
    assert (f"escalation message for {AUTHOR} written to the outbox only: no webhook or smtp "
            "is configured in pubflow.yaml, so nothing was sent") in out


def test_a_delivered_message_is_said_to_be_sent(repo: Path,
                                                write_pattern: WritePattern) -> None:
    with Hook() as hook:
        config = TEAM_CONFIG + f"  webhook:\n    url: http://127.0.0.1:{hook.port}/hook\n"
        setup_repo(repo, write_pattern, config=config)
        ticket = approved()
        assert promote(ticket, "--to", "staging")[0] == 0
        code, data, _ = run("--events", str(write_events(repo, reports("abc"))),
                            "--env", "staging")
    assert code == 1
    [notice] = data["escalationActions"][0]["notifications"]
    assert (notice["sent"], notice["waiting"]) == (["webhook"], [])
    assert json.loads(hook.bodies[-1])["kind"] == "escalation"


def test_escalations_do_not_read_like_a_transition(repo: Path,
                                                   write_pattern: WritePattern) -> None:
    ticket = live_pattern(repo, write_pattern)
    run("--events", str(write_events(repo, reports("abc"))))
    code, out, err = invoke("ticket", "history", ticket)
    assert code == 0, err
    [row] = [line for line in out.splitlines() if "escalated" in line]
    cells = [cell.strip() for cell in row.split("│")]
    assert "live" in cells and "(unchanged)" in cells
    assert cells.count("live") == 1
    # stored as the specification has it
    [recorded] = escalated_events(ticket)
    assert (recorded["from"], recorded["to"]) == ("live", "live")
    code, out, err = invoke("status")
    assert code == 0, err
    assert f"{ticket} escalated (state: live)" in out and "live -> live" not in out
    assert f"{ticket} reviewed: in_review -> approved" in out  # a move still reads as one
    page = repo.parent / "status.html"
    code, _out, err = invoke("status", "--format", "html", "--output", str(page))
    assert code == 0, err
    html = page.read_text()
    assert f"ticket={ticket}, event=escalated, state=live" in html
    assert "from=live, to=live" not in html and "from=in_review, to=approved" in html


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Hook:
    """A real HTTP server on loopback that takes every POST."""

    def __init__(self, port: int = 0) -> None:
        bodies: list[bytes] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.bodies = bodies
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> Hook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_daily_digest_tells_each_author_how_their_patterns_did(
        repo: Path, write_pattern: WritePattern) -> None:
    """Beats 19-21: `notify digest` sends the author the day's figures, ratings per version
    with their comments, and leaves yesterday out."""
    live_pattern(repo, write_pattern)
    lines = [
        event("view", "old", "2030-01-01T08:00:00Z"),  # more than a day before: left out
        event("view", "v1", "2030-01-02T09:00:00Z"),
        event("view", "v2", "2030-01-02T09:05:00Z"),
        event("view", "v1", "2030-01-02T09:06:00Z"),
        event("download", "v2", "2030-01-02T09:07:00Z"),
        event("rating", "v1", "2030-01-02T09:10:00Z", rating=4, comment="Clear steps"),
        event("rating", "v2", "2030-01-02T09:11:00Z", rating=2, comment="Step 3 is vague"),
        event("rating", "v3", "2030-01-02T09:12:00Z", version="0.9.0", rating=5),
    ]
    path = write_events(repo, lines)
    code, out, err = invoke("notify", "digest", "--events", str(path), "--now",
                            "2030-01-02T10:00:00Z", "--format", "json")
    assert code == 0, out + err
    [digest] = json.loads(out)["digests"]
    assert digest["author"] == "jane.doe@example.org"
    [row] = digest["patterns"]
    figures = row["figures"]
    assert (figures["views"], figures["uniqueVisitors"], figures["downloads"],
            figures["ratings"]) == (3, 2, 1, 3)
    assert figures["ratingsByVersion"]["1.0.0"] == {
        "ratings": 2, "averageRating": 3.0, "comments": ["Clear steps", "Step 3 is vague"]}
    assert figures["ratingsByVersion"]["0.9.0"]["ratings"] == 1
    messages = [json.loads(p.read_text())["message"]
                for p in (repo / ".pubflow" / "outbox").glob("*.json")]
    [message] = [m for m in messages if m["kind"] == "digest"]
    assert message["to"] == ["jane.doe@example.org"]
    assert "3 views, 2 unique visitors, 1 downloads" in message["body"]
    assert '"Step 3 is vague"' in message["body"]
    code, out, _err = invoke("notify", "digest", "--events", str(path), "--now",
                             "2030-01-02T10:00:00Z")
    assert code == 0 and out.startswith("jane.doe@example.org: 1 pattern(s) (")


def test_two_monitor_runs_at_once_escalate_one_incident_once(
        repo: Path, write_pattern: WritePattern) -> None:
    """The monitor's lock: the second run waits, then finds the incident recorded."""
    import subprocess
    import sys

    ticket = live_pattern(repo, write_pattern)
    path = write_events(repo, reports("abc"))
    runs = [subprocess.Popen([sys.executable, "-m", "pubflow", "--actor", "monitor-bot",
                              "monitor", "--events", str(path), "--auto-rollback"], cwd=repo,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [1, 1, 1], outputs
    assert len(escalated_events(ticket)) == 1 and len(escalation_messages(repo)) == 1
    assert sum("nothing done again" in out for out, _err in outputs) == 2
    assert git(repo, "status", "--porcelain") == ""
