"""The impact report over a real event file and a repository's environment and catalog: what
each live pattern achieved over the window, against the median of its category."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pubflow.monitoring.engagement import LivePattern, load_live, monitor
from pubflow.monitoring.impact import ImpactReport, ImpactRow, impact_markdown, impact_report

NOW = datetime(2030, 1, 11, tzinfo=UTC)
SINCE = NOW - timedelta(days=10)  # the window's midpoint is 2030-01-06T00:00:00Z
EARLY, LATE = "2030-01-03T10:00:00Z", "2030-01-08T10:00:00Z"
LIVE = {  # pattern id: (version, first industry in the catalog, or None: not in it)
    "alpha-one": ("1.2.0", "saas"), "beta-two": ("1.0.0", "saas"),
    "gamma-three": ("2.0.0", "saas"), "delta-four": ("1.0.0", "telecom"),
    "zeta-six": ("1.1.0", "telecom"), "omega-seven": ("1.0.0", None),
}


def live_repository(repo: Path) -> None:
    """The production environment file and catalog, as pubflow writes them."""
    entries: dict[str, Any] = {}
    rows = []
    for n, (pattern_id, (version, industry)) in enumerate(sorted(LIVE.items()), start=1):
        entries[pattern_id] = {"version": version, "digest": "a" * 64,
                               "ticket": f"PUB-2029-{n:03d}", "release": "initial",
                               "by": "releng", "at": "2029-12-01T00:00:00Z", "history": []}
        if industry is not None:
            rows.append({"id": pattern_id, "name": pattern_id, "version": version,
                         "industries": [industry, "other"], "tags": []})
    env = repo / ".pubflow" / "environments" / "production.yaml"
    env.parent.mkdir(parents=True)
    env.write_text(json.dumps({"apiVersion": "pubflow.dev/v1", "kind": "Environment",
                               "name": "production", "patterns": entries}))
    catalog = repo / ".pubflow" / "catalog" / "production.json"
    catalog.parent.mkdir(parents=True)
    catalog.write_text(json.dumps({"environment": "production", "patterns": rows}))


def event(kind: str, pattern: str, visitor: str, at: str, **extra: Any) -> str:
    return json.dumps({"type": kind, "pattern": pattern, "version": "1.0.0",
                       "visitor": visitor, "at": at, **extra})


def views(pattern: str, count: int, at: str) -> list[str]:
    return [event("view", pattern, f"{pattern}-{at[8:10]}-{n}", at) for n in range(count)]


def report_for(repo: Path, lines: list[str]) -> tuple[ImpactReport, dict[str, LivePattern]]:
    live_repository(repo)
    path = repo.parent / "events.jsonl"
    path.write_text("\n".join(sorted(lines, key=lambda x: json.loads(x).get("at", "")
                                     if x.startswith("{\"") else "")) + "\n")
    live = load_live(repo, "production", NOW)
    with path.open(encoding="utf-8") as stream:
        result = monitor(stream, live, NOW, SINCE)
    return impact_report(result, live, "production", 10, SINCE, NOW), live


def standard_events() -> list[str]:
    comments = ["Clear", "Saved us\na week", "Good", "Fine", "Useful", "Sixth"]
    return [
        *views("alpha-one", 2, EARLY), *views("alpha-one", 4, LATE),
        *[event("rating", "alpha-one", f"r{n}", LATE, rating=5 if n % 2 else 4, comment=text)
          for n, text in enumerate(comments)],
        event("download", "alpha-one", "alpha-one-03-0", LATE),
        *views("beta-two", 3, EARLY), *views("beta-two", 1, LATE),
        event("report", "beta-two", "x", LATE),
        *views("delta-four", 1, LATE),
        *views("zeta-six", 1, EARLY), *views("zeta-six", 1, LATE),
        event("view", "alpha-one", "before", "2029-12-20T00:00:00Z"),  # before the window
    ]


def test_figures_per_pattern_against_similar_ones(repo: Path) -> None:
    report, live = report_for(repo, standard_events())
    assert live["omega-seven"].category == "uncategorised"
    assert (report.environment, report.days, report.since, report.until) == (
        "production", 10, SINCE, NOW)
    assert (report.events, report.bad_events) == (21, 0)
    rows = {row.pattern: row for row in report.patterns}
    assert [row.pattern for row in report.patterns] == sorted(LIVE)
    assert rows["alpha-one"] == ImpactRow(
        pattern="alpha-one", version="1.2.0", category="saas", views=6, unique_users=6,
        downloads=1, ratings=6, average_rating=4.5,
        reports=0, comments=("Clear", "Saved us\na week", "Good", "Fine", "Useful"),
        category_median_views=4, versus_similar=1.5, trend="+100%",
        ratings_by_version=(("1.0.0", 6, 4.5, ("Clear", "Saved us\na week", "Good", "Fine",
                                               "Useful")),))
    beta = rows["beta-two"]
    assert (beta.views, beta.reports, beta.versus_similar, beta.trend) == (4, 1, 1.0, "-67%")
    gamma = rows["gamma-three"]
    assert (gamma.views, gamma.unique_users, gamma.average_rating, gamma.comments,
            gamma.versus_similar, gamma.trend) == (0, 0, None, (), 0.0, "none")
    assert (rows["delta-four"].trend, rows["delta-four"].versus_similar) == ("new", 0.67)
    assert rows["zeta-six"].category_median_views == 1.5
    assert (rows["zeta-six"].trend, rows["zeta-six"].versus_similar) == ("+0%", 1.33)
    omega = rows["omega-seven"]
    assert (omega.category, omega.category_median_views, omega.versus_similar) == (
        "uncategorised", 0, None)


def test_json_keeps_its_keys_and_number_types(repo: Path) -> None:
    report, _live = report_for(repo, standard_events())
    data = report.to_json()
    assert list(data) == ["environment", "days", "from", "until", "events", "badEvents",
                          "patterns"]
    assert (data["from"], data["until"]) == ("2030-01-01T00:00:00Z", "2030-01-11T00:00:00Z")
    assert list(data["patterns"][0]) == [
        "pattern", "version", "category", "views", "uniqueUsers", "downloads", "ratings",
        "averageRating", "reports", "comments", "categoryMedianViews", "versusSimilar",
        "trend", "ratingsByVersion"]
    text = json.dumps(data)
    # an odd number of saas patterns has a whole median, an even number of telecom ones not
    assert '"category": "saas", "views": 6' in text and '"categoryMedianViews": 4,' in text
    assert '"categoryMedianViews": 1.5,' in text
    assert data["patterns"][0]["comments"] == ["Clear", "Saved us\na week", "Good", "Fine",
                                               "Useful"]


def test_markdown_report(repo: Path) -> None:
    lines = [*standard_events(), "{not json", event("rating", "beta-two", "q", LATE, rating=9)]
    report, _live = report_for(repo, lines)
    assert report.bad_events == 2
    assert impact_markdown(report).splitlines() == [
        "# Impact report: production, last 10 days",
        "",
        "2030-01-01T00:00:00Z to 2030-01-11T00:00:00Z: 21 events (2 bad lines skipped).",
        "",
        "| pattern | version | views | unique users | downloads | rating | reports | "
        "vs. similar | trend |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
        "| alpha-one | 1.2.0 | 6 | 6 | 1 | 4.50 (6) | 0 | 1.50× | +100% |",
        "| beta-two | 1.0.0 | 4 | 4 | 0 | – | 1 | 1.00× | -67% |",
        "| delta-four | 1.0.0 | 1 | 1 | 0 | – | 0 | 0.67× | new |",
        "| gamma-three | 2.0.0 | 0 | 0 | 0 | – | 0 | 0.00× | none |",
        "| omega-seven | 1.0.0 | 0 | 0 | 0 | – | 0 | – | none |",
        "| zeta-six | 1.1.0 | 2 | 2 | 0 | – | 0 | 1.33× | +0% |",
        "",
        "## Ratings per version",
        "",
        "| pattern | version | ratings | average |",
        "|---|---|---:|---:|",
        "| alpha-one | 1.0.0 | 6 | 4.50 |",
        "",
        "## Comments",
        "",
        "- **alpha-one**: Clear",
        "- **alpha-one**: Saved us a week",
        "- **alpha-one**: Good",
        "- **alpha-one**: Fine",
        "- **alpha-one**: Useful",
        "",
        "_vs. similar: views divided by the median views of live patterns in the same "
        "category (first industry). Trend: views in the second half of the window against "
        "the first._",
    ]


@pytest.mark.parametrize("lines", [[], ["", "{bad"]])
def test_a_quiet_window(repo: Path, lines: list[str]) -> None:
    report, _live = report_for(repo, lines)
    assert report.events == 0
    assert {(row.views, row.trend, row.versus_similar) for row in report.patterns} == {
        (0, "none", None)}
    text = impact_markdown(report)
    assert "## Comments" not in text
    assert ("0 events (1 bad lines skipped)." in text) == bool(lines)
