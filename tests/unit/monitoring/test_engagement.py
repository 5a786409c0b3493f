"""Unique visitors: exact while small, a bounded-memory estimate (HyperLogLog) beyond; and
incidents: 3 reporters of one version within an hour open one, which escalates once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from pubflow.monitoring.engagement import (
    MAX_QUIET_WATCHES,
    LivePattern,
    PatternStats,
    UniqueCounter,
    _watch_reports,
    monitor,
)


@pytest.mark.parametrize("count", [0, 1, 5, UniqueCounter.EXACT_LIMIT])
def test_exact_while_small(count: int) -> None:
    counter = UniqueCounter()
    for n in range(count):
        counter.add(f"visitor-{n}")
        counter.add(f"visitor-{n}")  # repeats do not count
    assert len(counter) == count


@pytest.mark.parametrize("count", [UniqueCounter.EXACT_LIMIT + 1, 5_000, 100_000])
def test_estimate_within_five_percent(count: int) -> None:
    counter = UniqueCounter()
    for n in range(count):
        counter.add(f"visitor-{n}")
    assert abs(len(counter) - count) <= 0.05 * count


# --- incidents: one escalation per run of reports about one version -------------------------

LIVE = {"p": LivePattern("p", "1.1.0", datetime(2030, 1, 1, tzinfo=UTC), "saas")}


def report(visitor: str, minute: int, version: str | None = "1.1.0") -> str:
    at = datetime(2030, 1, 1, 10, tzinfo=UTC) + timedelta(minutes=minute)
    return json.dumps({"type": "report", "pattern": "p", "visitor": visitor,
                       "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       **({} if version is None else {"version": version})})


def at(minute: int) -> datetime:
    return datetime(2030, 1, 1, 10, tzinfo=UTC) + timedelta(minutes=minute)


def test_an_incident_lasts_while_reports_keep_coming_and_escalates_once() -> None:
    lines = [report("a", 0), report("b", 10), report("c", 20),     # opens it
             *(report(f"x{n}", 20 + 50 * n) for n in range(1, 5)),  # 50 min apart: the same
             report("d", 400), report("e", 405), report("f", 410)]  # after 2 h of quiet: new
    result = monitor(lines, LIVE)
    assert [e.to_json() for e in result.escalations] == [
        {"pattern": "p", "version": "1.1.0", "reporters": ["a", "b", "c"],
         "first": "2030-01-01T10:00:00Z", "last": "2030-01-01T10:20:00Z",
         "since": "2030-01-01T10:00:00Z", "until": "2030-01-01T13:40:00Z"},
        {"pattern": "p", "version": "1.1.0", "reporters": ["d", "e", "f"],
         "first": "2030-01-01T16:40:00Z", "last": "2030-01-01T16:50:00Z",
         "since": "2030-01-01T16:40:00Z", "until": "2030-01-01T16:50:00Z"}]


def test_an_incident_starts_with_the_first_of_its_reports() -> None:
    # 50 minutes apart, one reporter at a time, then three within the hour
    lines = [report("a", 0), report("a", 50), report("b", 100), report("c", 130),
             report("d", 140)]
    [escalation] = monitor(lines, LIVE).escalations
    assert (escalation.first, escalation.last) == (at(100), at(140))
    assert (escalation.since, escalation.until) == (at(0), at(140))


def test_reports_about_different_versions_are_different_incidents() -> None:
    lines = [report("a", 0, "1.0.0"), report("b", 1, "1.1.0"), report("c", 2, None),
             report("d", 3, "1.0.0"), report("e", 4, "1.0.0")]
    [escalation] = monitor(lines, LIVE).escalations
    assert (escalation.version, escalation.reporters) == ("1.0.0", ("a", "d", "e"))


def test_a_report_whose_version_is_not_a_version_is_a_bad_line() -> None:
    lines = [report("a", 0, "1.1.0\x1b[2J"), json.dumps(
        {"type": "report", "pattern": "p", "visitor": "b", "version": 7,
         "at": "2030-01-01T10:01:00Z"}), report("c", 2, "1.1.0-rc.1+build.5")]
    result = monitor(lines, LIVE)
    assert result.bad == {"bad version": 2}
    assert [bad.line for bad in result.bad_lines] == [1, 2]
    assert result.patterns["p"].reports == 1


def test_versions_quiet_for_an_hour_are_forgotten() -> None:
    stats = PatternStats()
    for n in range(MAX_QUIET_WATCHES + 5):
        _watch_reports("p", f"1.0.{n}", stats, at(61 * n), "a")
    assert len(stats.watches) <= MAX_QUIET_WATCHES
