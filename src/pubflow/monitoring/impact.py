"""The impact report: what each live pattern achieved over the last days, against similar
patterns (same category), as data and as Markdown."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from pubflow.monitoring.engagement import LivePattern, MonitorResult


def impact_data(result: MonitorResult, live: dict[str, LivePattern], environment: str,
                days: int, since: datetime, until: datetime) -> dict[str, Any]:
    views = {pid: (result.stats[pid].views if pid in result.stats else 0) for pid in live}
    by_category: dict[str, list[int]] = {}
    for pattern in live.values():
        by_category.setdefault(pattern.category, []).append(views[pattern.id])
    rows = []
    for pid, pattern in sorted(live.items()):
        stats = result.stats.get(pid)
        count = views[pid]
        median = statistics.median(by_category[pattern.category])
        early = count - (stats.late_views if stats else 0)
        late = stats.late_views if stats else 0
        rows.append({
            "pattern": pid, "version": pattern.version, "category": pattern.category,
            "views": count, "uniqueUsers": len(stats.visitors) if stats else 0,
            "downloads": stats.downloads if stats else 0,
            "ratings": stats.ratings if stats else 0,
            "averageRating": stats.average_rating if stats else None,
            "reports": stats.reports if stats else 0,
            "comments": list(stats.comments[:5]) if stats else [],
            "categoryMedianViews": median,
            "versusSimilar": None if not median else round(count / median, 2),
            "trend": _trend(early, late),
        })
    return {"environment": environment, "days": days,
            "from": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "until": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "events": result.events, "badEvents": sum(result.bad.values()), "patterns": rows}


def _trend(early: int, late: int) -> str:
    """Second half of the window against the first."""
    if early == 0:
        return "new" if late else "none"
    change = (late - early) / early * 100
    return f"{change:+.0f}%"


def impact_markdown(data: dict[str, Any]) -> str:
    lines = [f"# Impact report: {data['environment']}, last {data['days']} days", "",
             f"{data['from']} to {data['until']}: {data['events']} events"
             + (f" ({data['badEvents']} bad lines skipped)" if data["badEvents"] else "") + ".",
             "",
             "| pattern | version | views | unique users | downloads | rating | reports | "
             "vs. similar | trend |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for row in data["patterns"]:
        rating = (f"{row['averageRating']:.2f} ({row['ratings']})"
                  if row["averageRating"] is not None else "–")
        versus = f"{row['versusSimilar']:.2f}×" if row["versusSimilar"] is not None else "–"
        lines.append(f"| {row['pattern']} | {row['version']} | {row['views']} | "
                     f"{row['uniqueUsers']} | {row['downloads']} | {rating} | {row['reports']} "
                     f"| {versus} | {row['trend']} |")
    comments = [(row["pattern"], c) for row in data["patterns"] for c in row["comments"]]
    if comments:
        lines += ["", "## Comments", ""]
        lines += [f"- **{pid}**: {text.replace(chr(10), ' ')}" for pid, text in comments]
    lines += ["", "_vs. similar: views divided by the median views of live patterns in the same "
              "category (first industry). Trend: views in the second half of the window against "
              "the first._", ""]
    return "\n".join(lines)
