"""`pubflow monitor` over real event files in a repository with live patterns."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.acceptance.release_support import (
    PATTERN,
    approved_repo,
    live_in,
    new_version,
    promote,
    ticket_state,
)
from tests.acceptance.tickets_support import invoke

WritePattern = Callable[..., Path]


def live_pattern(repo: Path, write_pattern: WritePattern) -> str:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    return first


def event(kind: str, visitor: str, at: str, **extra: Any) -> str:
    return json.dumps({"type": kind, "pattern": PATTERN, "version": "1.0.0",
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
                     "averageRating": 3.5, "reports": 1}
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
    lines = [event("report", "a", "2030-01-01T10:00:00Z"),
             event("report", "a", "2030-01-01T10:10:00Z"),
             event("report", "b", "2030-01-01T12:00:00Z"),   # a's report is too old by now
             event("report", "c", "2030-01-01T12:20:00Z"),
             event("report", "d", "2030-01-01T12:40:00Z")]
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
