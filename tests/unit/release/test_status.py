"""The dashboard as `pubflow status` builds it from a real repository: environment files,
packages, tickets and the audit log, made through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pubflow.config import load_config
from pubflow.records.environments import load_environment
from pubflow.release.status import (
    Dashboard,
    EnvironmentStatus,
    OverdueReview,
    TicketsStatus,
    collect_status,
)
from pubflow.release.status_html import render
from tests.acceptance.release_support import (
    PATTERN,
    approved,
    approved_repo,
    new_version,
    promote,
)
from tests.acceptance.tickets_support import create, invoke, setup_repo
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
NOW = datetime(2030, 1, 1, tzinfo=UTC)
ROW_KEYS = ["pattern", "version", "ticket", "release", "by", "at", "rollout", "notes",
            "earlierVersions", "name", "health", "watch"]


def dashboard(repo: Path) -> Dashboard:
    return collect_status(load_config(repo), NOW)


def test_a_repository_where_nothing_happened_yet(repo: Path,
                                                 write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    status = dashboard(repo)
    assert status == Dashboard(
        environments=(EnvironmentStatus("staging", ()), EnvironmentStatus("production", ())),
        tickets=TicketsStatus(0, {}, ()), recent_events=(), timeline=(), recovered=None)
    assert status.to_json() == {
        "environments": [{"name": "staging", "patterns": []},
                         {"name": "production", "patterns": []}],
        "tickets": {"total": 0, "byState": {}, "overdue": []},
        "recentEvents": [], "timeline": [], "recovered": None}
    page = render(status, "2030-01-01 00:00 UTC")
    assert page.count('<p class="empty">Nothing is live here yet.</p>') == 2
    assert "<h2>Tickets: 0</h2>" in page and "<span>none yet</span>" in page
    assert "No review is past its due date." in page
    assert "No publication or rollback yet." in page and "No events yet." in page


def test_what_runs_where_with_its_release_notes(repo: Path,
                                                write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging", "--notes", "First <b>publication</b>\nDetails")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    status = dashboard(repo)
    assert [env.name for env in status.environments] == ["staging", "production"]
    production = status.environments[1].patterns
    assert len(production) == 1
    row = production[0]
    live = load_environment(repo, "production").live(PATTERN)
    assert live is not None
    assert (row.pattern, row.version, row.ticket, row.release, row.by, row.at, row.rollout,
            row.earlier_versions) == (PATTERN, "1.0.0", first, "initial", "releng", live.at,
                                      None, 0)
    assert row.notes == "First <b>publication</b>\nDetails"
    data = status.to_json()
    assert list(data) == ["environments", "tickets", "recentEvents", "timeline", "recovered"]
    assert list(data["environments"][1]["patterns"][0]) == ROW_KEYS
    assert status.tickets == TicketsStatus(1, {"live": 1}, ())
    assert [e["kind"] for e in status.recent_events][-2:] == ["promote", "promote"]
    assert [e.get("environment") for e in status.recent_events][-2:] == ["staging",
                                                                         "production"]
    # only a promotion to the last environment counts as a publication
    assert sum(d.published for d in status.timeline) == 1
    assert sum(d.rolled_back for d in status.timeline) == 0
    assert data["timeline"][0] == {"day": live.at[:10], "published": 1, "rolledBack": 0}
    page = render(status, "2030-01-01 00:00 UTC")
    assert '<h2 id="env-production">production: 1 pattern(s)</h2>' in page
    assert "<td>First &lt;b&gt;publication&lt;/b&gt;</td>" in page  # first line, escaped
    assert "Details" not in page


def test_a_rollback_and_a_canary_under_way(repo: Path, write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    assert promote(second, "--to", "production")[0] == 0
    code, out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "production",
                            "--reason", "broken step")
    assert code == 0, out + err
    status = dashboard(repo)
    row = status.environments[1].patterns[0]
    assert (row.version, row.ticket, row.earlier_versions) == ("1.0.0", first, 2)
    assert sum(d.published for d in status.timeline) == 2
    assert sum(d.rolled_back for d in status.timeline) == 1
    assert status.recent_events[-1]["kind"] == "rollback"
    # a canary of 1.1.0 at 25 %, as an interrupted `promote --canary` leaves it
    path = repo / ".pubflow" / "environments" / "production.yaml"
    doc = json.loads("".join(x for x in path.read_text().splitlines(keepends=True)
                             if not x.startswith("#")))
    doc["patterns"][PATTERN]["rollout"] = {"stable": "1.0.0", "canary": "1.1.0", "weight": 25,
                                           "ticket": second, "digest": "d" * 64}
    path.write_text(json.dumps(doc))
    row = dashboard(repo).environments[1].patterns[0]
    assert row.rollout is not None
    assert (row.rollout.stable, row.rollout.canary, row.rollout.weight) == ("1.0.0", "1.1.0",
                                                                          25)
    assert row.to_json()["rollout"] == {"stable": "1.0.0", "canary": "1.1.0", "weight": 25,
                                        "held": False}
    page = render(dashboard(repo), "2030-01-01 00:00 UTC")
    assert ('<td>1.1.0 at 25% <span class="bar" style="width:25px"></span> (stable 1.0.0)'
            '</td>') in page
    assert page.count('fill="#cf222e"><title>') >= 1  # a rollback bar in the chart


def test_overdue_reviews(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern, (valid_pattern(), valid_pattern(id="second-one")))
    late = create("second-one")
    assert invoke("--actor", "editor", "ticket", "route", late, "--reviewer", "rlee")[0] == 0
    ticket_file = repo / ".pubflow" / "tickets" / f"{late}.yaml"
    ticket_file.write_text("\n".join(
        "due: '2029-12-31T00:00:00Z'" if line.startswith("due:") else line
        for line in ticket_file.read_text().splitlines()) + "\n")
    git(repo, "commit", "-q", "-am", "an old review")
    approved()
    status = dashboard(repo)
    assert status.tickets == TicketsStatus(
        2, {"approved": 1, "in_review": 1},
        (OverdueReview(late, "second-one", "rlee", "2029-12-31T00:00:00Z"),))
    assert status.tickets.to_json()["overdue"] == [
        {"id": late, "pattern": "second-one", "reviewer": "rlee",
         "due": "2029-12-31T00:00:00Z"}]
    page = render(status, "2030-01-01 00:00 UTC")
    assert (f'<tr class="warn"><td>{late}</td><td>second-one</td><td>rlee</td>'
            '<td>2029-12-31T00:00:00Z</td></tr>') in page
    assert "<span>approved: 1</span><span>in_review: 1</span>" in page
    # not overdue yet a day before it is due
    early = collect_status(load_config(repo), datetime(2029, 12, 30, tzinfo=UTC))
    assert early.tickets.overdue == ()
