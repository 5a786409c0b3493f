"""The governance metrics from audit entries, escalated tickets and events: each definition
on a timeline whose answers are known, the weekly buckets, no data as None, `--since`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pubflow.errors import UsageError
from pubflow.monitoring.engagement import UniqueCounter
from pubflow.monitoring.metrics import (
    DEFINITIONS,
    MetricsReport,
    Rate,
    Times,
    compute,
    metrics_markdown,
    parse_since,
)

UNTIL = datetime(2030, 3, 1, tzinfo=UTC)  # a Friday
SINCE = UNTIL - timedelta(days=28)  # Friday 2030-02-01: weeks from Monday 2030-01-28
T0 = datetime(2030, 2, 4, 9, 0, tzinfo=UTC)  # Monday of the second week
H = timedelta(hours=1)


def utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def tick(at: datetime, ticket: str, event: str, frm: str | None, to: str,
         pattern: str = "alpha") -> dict[str, Any]:
    return {"at": utc(at), "actor": "x", "kind": "ticket", "ticket": ticket,
            "pattern": pattern, "event": event, "from": frm, "to": to}


def promote(at: datetime, ticket: str, version: str, env: str = "production",
            pattern: str = "alpha") -> dict[str, Any]:
    return {"at": utc(at), "actor": "x", "kind": "promote", "ticket": ticket,
            "pattern": pattern, "version": version, "environment": env}


def rollback(at: datetime, ticket: str | None, version: str, env: str = "production",
             pattern: str = "alpha", **extra: Any) -> dict[str, Any]:
    return {"at": utc(at), "actor": "x", "kind": "rollback", "ticket": ticket,
            "pattern": pattern, "environment": env, "from": version, "to": None, **extra}


def approved(ticket: str, at: datetime, review: timedelta, pattern: str = "alpha"
             ) -> list[dict[str, Any]]:
    """Submitted at `at`, validated, routed and approved `review` later."""
    return [tick(at, ticket, "submitted", None, "submission_received", pattern),
            tick(at, ticket, "validated", "submission_received", "ready_for_review", pattern),
            tick(at + H / 2, ticket, "routed", "ready_for_review", "in_review", pattern),
            tick(at + review, ticket, "reviewed", "in_review", "approved", pattern)]


def run(entries: list[dict[str, Any]], root: Path, events: list[str] | None = None,
        since: datetime = SINCE, until: datetime = UNTIL) -> MetricsReport:
    entries = sorted(entries, key=lambda e: e["at"])
    return compute(iter(entries), root, "production", since, until, events)


def figure(report: MetricsReport, key: str) -> Any:
    return report.metric(key).overall


def test_weeks_start_on_monday_and_cover_the_window(tmp_path: Path) -> None:
    report = run([], tmp_path)
    assert [w.isoformat() for w in report.weeks] == [
        "2030-01-28", "2030-02-04", "2030-02-11", "2030-02-18", "2030-02-25"]
    data = report.to_json()
    assert list(data["metrics"]) == list(DEFINITIONS)
    for metric in data["metrics"].values():  # nothing measured: null, not 0
        assert len(metric["weekly"]) == 5
        assert metric.get("rate", metric.get("median")) is None
        assert all(week.get("rate", week.get("median")) is None for week in metric["weekly"])
    assert data["metrics"]["adoptionRate"]["note"] == "no events given (--events FILE)"
    assert data["events"] is None


def test_review_cycle_and_deployment_duration(tmp_path: Path) -> None:
    entries = [
        *approved("T1", T0, 10 * H),
        promote(T0 + 10 * H + 5 * timedelta(minutes=1), "T1", "1.0.0", "staging"),
        promote(T0 + 10 * H + 30 * timedelta(minutes=1), "T1", "1.0.0"),
        # T2: failed validation, resubmitted, approved after 20 h; a second approval later
        # (two required) is where the deployment starts
        tick(T0 + 7 * 24 * H, "T2", "submitted", None, "submission_received", "beta"),
        tick(T0 + 7 * 24 * H, "T2", "validated", "submission_received", "validation_failed",
             "beta"),
        tick(T0 + 7 * 24 * H + 2 * H, "T2", "resubmitted", "validation_failed", "in_review",
             "beta"),
        tick(T0 + 7 * 24 * H + 20 * H, "T2", "reviewed", "in_review", "approved", "beta"),
        tick(T0 + 7 * 24 * H + 22 * H, "T2", "reviewed", "approved", "approved", "beta"),
        promote(T0 + 7 * 24 * H + 24 * H, "T2", "2.0.0", pattern="beta"),
        # T3: approved, never promoted: a review time, no deployment
        *approved("T3", T0 + 7 * 24 * H, 30 * H, "gamma"),
    ]
    report = run(entries, tmp_path)
    review = figure(report, "reviewCycleTime")
    assert review == Times("hours", 3, 20.0, 30.0)
    assert report.metric("reviewCycleTime").weekly[1] == Times("hours", 1, 10.0, 10.0)
    assert report.metric("reviewCycleTime").weekly[2] == Times("hours", 2, 25.0, 30.0)
    deploy = figure(report, "deploymentDuration")
    assert deploy == Times("minutes", 2, 75.0, 120.0)
    failures = figure(report, "validationFailureRate")
    assert (failures.count, failures.total) == (1, 4)  # T2's first validation of four
    assert report.metric("validationFailureRate").weekly[2] == Rate(1, 3)


def test_publication_success_counts_decided_submissions(tmp_path: Path) -> None:
    day = 24 * H
    entries = [
        # live and still live (a newer version superseding it is no rollback): success
        *approved("OK", T0, H, "p1"), promote(T0 + 2 * H, "OK", "1.0.0", pattern="p1"),
        rollback(T0 + 3 * H, "OK", "1.0.0", pattern="p1", ended="superseded"),
        # live, then rolled back in production: failure
        *approved("RB", T0, H, "p2"), promote(T0 + 2 * H, "RB", "1.0.0", pattern="p2"),
        rollback(T0 + 5 * H, "RB", "1.0.0", pattern="p2"),
        # rejected, and withdrawn: failures, decided when they ended
        tick(T0, "RJ", "submitted", None, "submission_received", "p3"),
        tick(T0 + 8 * day, "RJ", "reviewed", "in_review", "rejected", "p3"),
        tick(T0, "WD", "submitted", None, "submission_received", "p4"),
        tick(T0 + day, "WD", "withdrawn", "ready_for_review", "withdrawn", "p4"),
        # rolled back in staging, fixed and promoted again, then live: success
        *approved("AG", T0, H, "p5"), promote(T0 + 2 * H, "AG", "1.0.0", "staging", "p5"),
        rollback(T0 + 3 * H, "AG", "1.0.0", "staging", "p5"),
        promote(T0 + 9 * day, "AG", "1.0.0", "staging", "p5"),
        promote(T0 + 9 * day + H, "AG", "1.0.0", pattern="p5"),
        # rolled back in staging and left there: failure
        *approved("ST", T0, H, "p6"), promote(T0 + 2 * H, "ST", "1.0.0", "staging", "p6"),
        rollback(T0 + 3 * H, "ST", "1.0.0", "staging", "p6"),
        # still in review: pending, not counted
        tick(T0 + day, "PD", "submitted", None, "submission_received", "p7"),
        # decided before the window: not counted
        *approved("OLD", SINCE - 3 * day, H, "p8"),
        promote(SINCE - 2 * day, "OLD", "1.0.0", pattern="p8"),
    ]
    report = run(entries, tmp_path)
    metric = report.metric("publicationSuccessRate")
    assert metric.overall == Rate(2, 6)
    assert metric.extra == (("pending", 1),)
    assert metric.weekly[1] == Rate(1, 4) and metric.weekly[2] == Rate(1, 2)
    assert metric.detail() == "2 of 6 decided submissions; 1 pending"
    assert metric.shown() == "33.3 %"


def write_ticket(root: Path, ticket: str, pattern: str, history: list[dict[str, Any]]) -> None:
    folder = root / ".pubflow" / "tickets"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ticket}.yaml").write_text(json.dumps(
        {"id": ticket, "pattern": {"id": pattern}, "history": history}))


def escalated(ticket: str, at: datetime, began: datetime, version: str | None,
              env: str = "production") -> dict[str, Any]:
    return {"at": utc(at), "actor": "bot", "event": "escalated", "from": "live", "to": "live",
            "environment": env, "reportedVersion": version, "reportsFrom": utc(began)}


def test_incidents_within_24_hours_of_a_publication(tmp_path: Path) -> None:
    day = 24 * H
    p1, p2, p3 = T0, T0 + 3 * day, UNTIL - 2 * H
    entries = [
        promote(p1, "A", "1.0.0"), rollback(p1 + 2 * H, "A", "1.0.0"),
        promote(p2, "B", "2.0.0"),
        tick(p2 + 40 * H, "B", "escalated", "live", "live"),
        promote(p3, "C", "3.0.0"),  # still in its first 24 hours: watching
        promote(p1, "X", "1.0.0", pattern="beta"),
        tick(p1 + 5 * H, "X", "escalated", "live", "live", pattern="beta"),
        tick(p1 + 6 * H, "X", "escalated", "live", "live", pattern="beta"),
    ]
    # B's reports began 30 h after it went live: too late to count
    write_ticket(tmp_path, "B", "alpha", [escalated("B", p2 + 40 * H, p2 + 30 * H, "2.0.0")])
    # X: the first escalation is of staging's copy, the second of production's (no version)
    write_ticket(tmp_path, "X", "beta", [
        escalated("X", p1 + 5 * H, p1 + 4 * H, "1.0.0", env="staging"),
        escalated("X", p1 + 6 * H, p1 + 5 * H, None)])
    report = run(entries, tmp_path)
    metric = report.metric("incidentRate")
    assert metric.overall == Rate(2, 3)  # A and beta; not B; C is too recent
    assert metric.extra == (("watching", 1),)
    assert metric.weekly[1] == Rate(2, 3)


def test_an_escalated_ticket_without_its_file_counts_when_it_was_escalated(
        tmp_path: Path) -> None:
    entries = [promote(T0, "A", "1.0.0"), tick(T0 + 3 * H, "A", "escalated", "live", "live")]
    assert run(entries, tmp_path).metric("incidentRate").overall == Rate(1, 1)


def test_more_escalations_in_a_ticket_than_in_the_log_still_sort(tmp_path: Path) -> None:
    entries = [promote(T0, "A", "1.0.0"), tick(T0 + 3 * H, "A", "escalated", "live", "live")]
    write_ticket(tmp_path, "A", "alpha", [escalated("A", T0 + 3 * H, T0 + H, None),
                                          escalated("A", T0 + 3 * H, T0 + H, "1.0.0")])
    assert run(entries, tmp_path).metric("incidentRate").overall == Rate(1, 1)


def test_time_to_first_fix(tmp_path: Path) -> None:
    entries = [
        promote(T0, "A", "1.0.0"),
        rollback(T0 + H, "A", "1.0.0"),  # incident on 1.0.0
        rollback(T0 + 2 * H, "A", "1.0.0"),  # the same problem again: the first one counts
        promote(T0 + 3 * H, "A", "1.0.0"),  # the same version again: no fix
        promote(T0 + 6 * H, "B", "1.1.0"),  # the fix: 5 h after the first incident
        promote(T0, "C", "1.0.0", pattern="beta"),
        rollback(T0 + 4 * H, "C", "1.0.0", pattern="beta"),  # not fixed yet
    ]
    report = run(entries, tmp_path)
    metric = report.metric("timeToFirstFix")
    assert metric.overall == Times("hours", 1, 5.0, 5.0)
    assert metric.extra == (("unfixed", 1),)
    assert metric.detail() == "1 fix; 1 unfixed"


def event(kind: str, pattern: str, visitor: str, at: datetime, **extra: Any) -> str:
    return json.dumps({"type": kind, "pattern": pattern, "visitor": visitor, "at": utc(at),
                       **extra})


def test_adoption_rate_from_the_events(tmp_path: Path) -> None:
    entries = [promote(SINCE - 90 * 24 * H, "O", "1.0.0", pattern="old"),
               promote(T0, "N", "1.0.0", pattern="new")]
    week2, week3 = T0 + H, T0 + 7 * 24 * H
    lines = [
        event("view", "new", "a", SINCE - H),  # before the window: not counted
        event("view", "new", "a", week2),
        event("view", "new", "b", week2 + H),
        event("view", "old", "c", week2 + 2 * H),
        event("download", "new", "d", week2 + 3 * H),  # a download is not a view
        "{not json",
        event("view", "nobody", "e", week2 + 4 * H),  # unknown pattern
        event("view", "old", "a", week3),
        event("view", "new", "c", week3 + H),
        event("view", "new", "z", UNTIL + H),  # after the window
    ]
    report = run(entries, tmp_path, lines)
    metric = report.metric("adoptionRate")
    assert metric.overall == Rate(3, 4)  # a, b, c of a, b, c, d
    assert metric.weekly[1] == Rate(2, 4) and metric.weekly[2] == Rate(1, 2)
    assert metric.weekly[0] is None  # no event that week
    assert report.events is not None
    assert report.events.events == 6
    assert dict(report.events.bad) == {"not JSON": 1, "unknown pattern": 1}
    assert report.to_json()["events"]["badLines"][0] == {"line": 6, "reason": "not JSON"}


def test_adoption_needs_a_newly_published_pattern(tmp_path: Path) -> None:
    entries = [promote(SINCE - 90 * 24 * H, "O", "1.0.0", pattern="old")]
    report = run(entries, tmp_path, [event("view", "old", "a", T0)])
    metric = report.metric("adoptionRate")
    assert metric.overall is None and metric.note == "no pattern was newly published in the window"
    assert report.to_json()["metrics"]["adoptionRate"]["rate"] is None


def test_json_and_markdown(tmp_path: Path) -> None:
    report = run([*approved("T1", T0, 10 * H), promote(T0 + 11 * H, "T1", "1.0.0")], tmp_path)
    data = report.to_json()
    assert (data["since"], data["until"]) == (utc(SINCE), utc(UNTIL))
    review = data["metrics"]["reviewCycleTime"]
    assert {k: review[k] for k in ("unit", "count", "median", "p90")} == {
        "unit": "hours", "count": 1, "median": 10.0, "p90": 10.0}
    assert review["weekly"][1] == {"week": "2030-02-04", "unit": "hours", "count": 1,
                                   "median": 10.0, "p90": 10.0}
    assert review["weekly"][0] == {"week": "2030-01-28", "unit": "hours", "count": 0,
                                   "median": None, "p90": None}
    success = data["metrics"]["publicationSuccessRate"]
    assert (success["rate"], success["count"], success["total"]) == (1.0, 1, 1)
    text = metrics_markdown(report)
    assert "| review cycle time | median 10.0 h, p90 10.0 h | 1 first approval |" in text
    assert "| 2030-02-04 | 100% | 10.0 | 60.0 | 0% | 0% | n/a | n/a |" in text


def test_times_use_the_nearest_rank_percentile() -> None:
    hours = [h * 3600.0 for h in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert Times.of(hours, "hours") == Times("hours", 10, 5.5, 9.0)
    assert Times.of([90.0], "minutes") == Times("minutes", 1, 1.5, 1.5)
    assert Times.of([], "hours") == Times("hours", 0, None, None)
    assert Times.of([], "hours").shown() == "n/a"
    assert Rate(0, 0).value is None and Rate(0, 0).shown() == "n/a"
    assert Rate(1, 3).to_json() == {"rate": 0.3333, "count": 1, "total": 3}


@pytest.mark.parametrize("text, start", [
    ("7d", UNTIL - timedelta(days=7)), ("30d", UNTIL - timedelta(days=30)),
    ("12w", UNTIL - timedelta(weeks=12)), (" 1d ", UNTIL - timedelta(days=1)),
    ("2030-01-01", datetime(2030, 1, 1, tzinfo=UTC)),
    ("2030-02-01T06:00:00Z", datetime(2030, 2, 1, 6, tzinfo=UTC)),
])
def test_since_accepts_durations_and_dates(text: str, start: datetime) -> None:
    assert parse_since(text, UNTIL) == start


@pytest.mark.parametrize("text, message", [
    ("30", "not a duration"), ("30x", "not a duration"), ("-3d", "not a duration"),
    ("d", "not a duration"), ("", "not a duration"), ("1.5w", "not a duration"),
    ("0d", "between 1 and"), ("9999w", "between 1 and"), ("2030-13-01", "not a duration"),
    ("2030-03-01", "at or after its end"), ("2031-01-01", "at or after its end"),
    ("2030-02-01T06:00:00", "not a duration"), ("1990-01-01", "more than"),
])
def test_since_refuses_the_rest(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_since(text, UNTIL)


@pytest.mark.parametrize("left, right", [(10, 20), (300, 10), (5000, 400), (3000, 3000)])
def test_unique_counters_merge_into_their_union(left: int, right: int) -> None:
    a, b, whole = UniqueCounter(), UniqueCounter(), UniqueCounter()
    for n in range(left):
        a.add(f"v{n}")
        whole.add(f"v{n}")
    for n in range(left // 2, left // 2 + right):
        b.add(f"v{n}")
        whole.add(f"v{n}")
    a.merge(b)
    assert len(a) == len(whole)
    exact = len(set(range(left)) | set(range(left // 2, left // 2 + right)))
    assert abs(len(a) - exact) <= 0.05 * exact


def test_the_readme_defines_each_metric() -> None:
    from tests.conftest import PROJECT

    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Governance metrics\n", 1)[1].split("\n## ", 1)[0]
    for name, _definition in DEFINITIONS.values():
        assert f"- **{name[0].upper()}{name[1:]}**" in section, name


def test_visitors_are_exact_up_to_the_limit_and_estimated_beyond(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pubflow.monitoring import metrics

    monkeypatch.setattr(metrics._Visitors, "LIMIT", 100)
    week1, week2, window = metrics._Visitors(), metrics._Visitors(), metrics._Visitors()
    for n in range(80):
        week1.add(f"v{n}")
        week1.add(f"v{n}")
    assert len(week1) == 80 and week1.counter is None  # exact, nothing hashed
    for n in range(50, 3050):
        week2.add(f"v{n}")
    assert week2.counter is not None and abs(len(week2) - 3000) <= 0.05 * 3000
    window.update(week1)
    assert len(window) == 80
    window.update(week2)
    assert abs(len(window) - 3050) <= 0.05 * 3050
