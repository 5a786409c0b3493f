"""The impact report: what each live pattern achieved over the last days, against similar
patterns (same category), as data and as Markdown."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pubflow.monitoring.engagement import LivePattern, MonitorResult


@dataclass(frozen=True, slots=True)
class ImpactRow:
    """One live pattern over the window."""

    pattern: str
    version: str
    category: str
    views: int
    unique_users: int
    downloads: int
    ratings: int
    average_rating: float | None
    reports: int
    comments: tuple[str, ...]
    """The first five comments."""
    category_median_views: float
    """The median views of the live patterns in the same category (this one included)."""
    versus_similar: float | None
    """Views divided by the category median (None when the median is 0)."""
    trend: str
    """Views in the second half of the window against the first: `+25%`, `new` or `none`."""
    ratings_by_version: tuple[tuple[str, int, float | None, tuple[str, ...]], ...] = ()
    """(version, ratings, average, comments) of every rated version."""

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern, "version": self.version, "category": self.category,
            "views": self.views, "uniqueUsers": self.unique_users,
            "downloads": self.downloads, "ratings": self.ratings,
            "averageRating": self.average_rating, "reports": self.reports,
            "comments": list(self.comments),
            "categoryMedianViews": self.category_median_views,
            "versusSimilar": self.versus_similar, "trend": self.trend,
            "ratingsByVersion": {version: {"ratings": count, "averageRating": average,
                                           "comments": list(comments)}
                                 for version, count, average, comments in
                                 self.ratings_by_version},
        }


@dataclass(frozen=True, slots=True)
class ImpactReport:
    """`pubflow report impact`; `to_json()` is its `--format json` document."""

    environment: str
    days: int
    since: datetime
    until: datetime
    events: int
    bad_events: int
    patterns: tuple[ImpactRow, ...]
    """Every pattern live in the environment, sorted by id."""

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "days": self.days,
                "from": _utc(self.since), "until": _utc(self.until),
                "events": self.events, "badEvents": self.bad_events,
                "patterns": [row.to_json() for row in self.patterns]}


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def impact_report(result: MonitorResult, live: dict[str, LivePattern], environment: str,
                  days: int, since: datetime, until: datetime) -> ImpactReport:
    figures = result.patterns
    views = {pid: (figures[pid].views if pid in figures else 0) for pid in live}
    by_category: dict[str, list[int]] = {}
    for pattern in live.values():
        by_category.setdefault(pattern.category, []).append(views[pattern.id])
    rows = []
    for pid, pattern in sorted(live.items()):
        stats = figures.get(pid)
        count = views[pid]
        median = statistics.median(by_category[pattern.category])
        early = count - (stats.late_views if stats else 0)
        late = stats.late_views if stats else 0
        rows.append(ImpactRow(
            pattern=pid, version=pattern.version, category=pattern.category,
            views=count, unique_users=stats.unique_visitors if stats else 0,
            downloads=stats.downloads if stats else 0,
            ratings=stats.ratings if stats else 0,
            average_rating=stats.average_rating if stats else None,
            reports=stats.reports if stats else 0,
            comments=stats.comments[:5] if stats else (),
            category_median_views=median,
            versus_similar=None if not median else round(count / median, 2),
            trend=_trend(early, late),
            ratings_by_version=tuple(
                (version or "unknown", per.ratings, per.average, tuple(per.comments[:5]))
                for version, per in (stats.by_version if stats else ()) if per.ratings),
        ))
    return ImpactReport(environment, days, since, until, result.events, result.bad_events,
                        tuple(rows))


def _trend(early: int, late: int) -> str:
    """Second half of the window against the first."""
    if early == 0:
        return "new" if late else "none"
    change = (late - early) / early * 100
    return f"{change:+.0f}%"


def impact_markdown(report: ImpactReport) -> str:
    lines = [f"# Impact report: {report.environment}, last {report.days} days", "",
             f"{_utc(report.since)} to {_utc(report.until)}: {report.events} events"
             + (f" ({report.bad_events} bad lines skipped)" if report.bad_events else "") + ".",
             "",
             "| pattern | version | views | unique users | downloads | rating | reports | "
             "vs. similar | trend |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for row in report.patterns:
        rating = (f"{row.average_rating:.2f} ({row.ratings})"
                  if row.average_rating is not None else "–")
        versus = f"{row.versus_similar:.2f}×" if row.versus_similar is not None else "–"
        lines.append(f"| {row.pattern} | {row.version} | {row.views} | "
                     f"{row.unique_users} | {row.downloads} | {rating} | {row.reports} "
                     f"| {versus} | {row.trend} |")
    versions = [(row.pattern, v) for row in report.patterns for v in row.ratings_by_version]
    if versions:
        lines += ["", "## Ratings per version", "", "| pattern | version | ratings | average |",
                  "|---|---|---:|---:|"]
        lines += [f"| {pid} | {version} | {count} | "
                  f"{'–' if average is None else f'{average:.2f}'} |"
                  for pid, (version, count, average, _c) in versions]
    comments = [(row.pattern, c) for row in report.patterns for c in row.comments]
    if comments:
        lines += ["", "## Comments", ""]
        lines += [f"- **{pid}**: {text.replace(chr(10), ' ')}" for pid, text in comments]
    lines += ["", "_vs. similar: views divided by the median views of live patterns in the same "
              "category (first industry). Trend: views in the second half of the window against "
              "the first._", ""]
    return "\n".join(lines)
