"""`pubflow status` and `pubflow audit verify` on real repositories."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.release_support import (
    PATTERN,
    approved,
    approved_repo,
    live_in,
    new_version,
    promote,
    run_pubflow,
)
from tests.acceptance.tickets_support import create, invoke, setup_repo
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]


def test_status_shows_what_runs_where(repo: Path, write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging", "--notes", "Initial publication")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    code, out, err = invoke("status", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    by_env = {env["name"]: env["patterns"] for env in data["environments"]}
    assert [row["version"] for row in by_env["production"]] == ["1.0.0"]
    row = by_env["staging"][0]
    assert (row["pattern"], row["ticket"], row["notes"]) == (PATTERN, first,
                                                            "Initial publication")
    assert data["tickets"]["byState"] == {"live": 1}
    kinds = [event["kind"] for event in data["recentEvents"]]
    assert kinds[-2:] == ["promote", "promote"]
    code, out, _ = invoke("status")
    assert code == 0
    assert "production: 1 pattern(s)" in out and "Initial publication" in out
    assert "tickets: 1 (live 1)" in out


def test_status_shows_an_interrupted_canary_and_overdue_reviews(
        repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern, (valid_pattern(), valid_pattern(id="second-one")))
    late = create("second-one")
    assert invoke("--actor", "editor", "ticket", "route", late)[0] == 0
    ticket_file = repo / ".pubflow" / "tickets" / f"{late}.yaml"
    text = ticket_file.read_text()
    ticket_file.write_text("\n".join(
        "due: '2000-01-01T00:00:00Z'" if line.startswith("due:") else line
        for line in text.splitlines()) + "\n")
    git(repo, "commit", "-q", "-am", "an old review")
    first = approved()
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    killed = run_pubflow(repo, "--actor", "releng", "promote", second, "--to", "production",
                         "--canary", "25,100", "--health-cmd", "kill -9 $PPID; sleep 5")
    assert killed.returncode != 0
    code, out, err = invoke("status", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    production = {row["pattern"]: row for row in
                  next(e for e in data["environments"] if e["name"] == "production")["patterns"]}
    assert production[PATTERN]["rollout"] == {"stable": "1.0.0", "canary": "1.1.0", "weight": 25,
                                          "held": False}
    assert [item["id"] for item in data["tickets"]["overdue"]] == [late]
    code, out, _ = invoke("status")
    assert "1.1.0 at 25% (stable 1.0.0)" in out
    assert f"overdue: {late} (second-one) with rlee, due 2000-01-01T00:00:00Z" in out
    code, out, err = promote(second, "--to", "production")  # resume: the full rollout
    assert code == 0, out + err
    assert "rollout" not in (live_in(repo, "production") or {"rollout": 1})


def test_audit_log_records_everything_and_detects_edits(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    code, out, err = invoke("audit", "verify")
    assert code == 0, err
    log = repo / ".pubflow" / "audit.jsonl"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert out.strip() == f"audit log verified: {len(entries)} entries"
    assert [e["kind"] for e in entries] == ["ticket"] * (len(entries) - 1) + ["promote"]
    assert [e.get("to") for e in entries[:-1]] == [
        "submission_received", "ready_for_review", "in_review", "approved"]
    entries[1]["actor"] = "mallory"
    lines = log.read_text().splitlines()
    lines[1] = json.dumps(entries[1])
    log.write_text("\n".join(lines) + "\n")
    code, out, _ = invoke("audit", "verify")
    assert code == 1
    assert ".pubflow/audit.jsonl:2: entry 2 was edited after the fact" in out
    lines = log.read_text().splitlines()
    del lines[2]
    git(repo, "checkout", "--", ".pubflow/audit.jsonl")
    original = log.read_text().splitlines()
    log.write_text("\n".join(original[:2] + original[3:]) + "\n")
    code, out, _ = invoke("audit", "verify")
    assert code == 1 and "entry 3 is missing before entry 4" in out


def test_audit_logs_of_two_branches_merge(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern, (valid_pattern(), valid_pattern(id="second-one")))
    create()
    git(repo, "checkout", "-q", "-b", "feature")
    create("second-one")
    git(repo, "checkout", "-q", "main")
    assert invoke("--actor", "editor", "ticket", "route", "PUB-" + _year() + "-001")[0] == 0
    merged = git(repo, "merge", "--no-edit", "feature")
    assert "CONFLICT" not in merged
    code, out, err = invoke("audit", "verify")
    assert code == 0, out + err
    assert invoke("--actor", "editor", "ticket", "route", "PUB-" + _year() + "-002")[0] == 0
    code, out, err = invoke("audit", "verify")
    assert code == 0, out + err


def _year() -> str:
    from datetime import UTC, datetime

    return f"{datetime.now(UTC).year:04d}"
