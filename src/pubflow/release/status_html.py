"""`pubflow status --format html`: the dashboard as one self-contained HTML file.

No scripts, fonts or images from anywhere: inline CSS and an inline SVG chart, so the file
opens offline and can be attached to a mail or published as a CI artifact. Every value from
the repository is HTML-escaped (`_h`), its control and bidi override characters shown as
visible escapes (`\x1b`, `\u202e`) first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from pubflow.release.status import moves
from pubflow.reporters import printable

if TYPE_CHECKING:
    from pubflow.release.status import Dashboard, DayActivity, EnvironmentStatus, TicketsStatus

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1b1f24;
background:#fff}h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.75rem 0 .5rem}
.meta{color:#57606a;margin:0 0 1rem}table{border-collapse:collapse;width:100%;margin:.25rem 0}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td:first-child{white-space:nowrap}.num{text-align:right}.empty{color:#57606a}
.bar{display:inline-block;height:.6rem;background:#bf8700;border-radius:2px;vertical-align:middle}
.chips span{display:inline-block;margin:0 .4rem .4rem 0;padding:.15rem .55rem;border-radius:1rem;
background:#ddf4ff}.warn{color:#9a6700;font-weight:600}svg text{font:11px system-ui,sans-serif}
.trends{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin-top:1rem}.trends figure{margin:0}
.trends figcaption{font-weight:600;font-size:.85rem}
"""


@dataclass(frozen=True, slots=True)
class MetricsPanel:
    """The governance metrics as the page shows them, in plain text and numbers: release/
    does not import monitoring/, which computes them, so `cli/status.py` hands them over."""

    title: str
    rows: tuple[tuple[str, str, str], ...]
    """(metric, value, what the value is made of)."""
    weeks: tuple[str, ...]
    """The Monday of each week of the trend, oldest first."""
    trends: tuple[tuple[str, str, tuple[float | None, ...]], ...]
    """(metric, unit: `%`, `h` or `min`, one value per week; None: nothing measured)."""


def render(dashboard: Dashboard, generated_at: str,
           metrics: MetricsPanel | None = None) -> str:
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>pubflow status</title>", f"<style>{STYLE}</style></head><body>",
        "<h1>pubflow status</h1>",
        f'<p class="meta">Generated {_h(generated_at)} from the repository\'s environment '
        "files, tickets and audit log.</p>",
    ]
    for env in dashboard.environments:
        parts.append(_environment(env))
    parts.append(_tickets(dashboard.tickets))
    parts.append(_chart(dashboard.timeline))
    if metrics is not None:
        parts.append(_metrics(metrics))
    parts.append(_events(dashboard.recent_events))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _environment(env: EnvironmentStatus) -> str:
    name = _h(str(env.name))
    rows = env.patterns
    out = [f'<h2 id="env-{name}">{name}: {len(rows)} pattern(s)</h2>']
    if not rows:
        return out[0] + '\n<p class="empty">Nothing is live here yet.</p>'
    out.append("<table><thead><tr><th>pattern</th><th>version</th><th>canary</th>"
               "<th>health</th><th>ticket</th><th>release</th><th>promoted by</th><th>at</th><th>notes</th>"
               "</tr></thead><tbody>")
    for row in rows:
        rollout = row.rollout
        canary = ""
        if rollout:
            weight = int(rollout.weight or 0)
            canary = (f'{_h(str(rollout.canary))} {"held " if rollout.held else ""}at '
                      f'{weight}% <span class="bar" style="width:{weight}px"></span> (stable '
                      f'{_h(str(rollout.stable or "none"))})')
        notes = (row.notes or "").splitlines()
        out.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in (
            _h(str(row.pattern)), _h(str(row.version))
            + (f" <small>({_h(row.name)})</small>" if row.name else ""), canary,
            _h(row.health_text()), _h(str(row.ticket or "")), _h(str(row.release or "")),
            _h(str(row.by or "")), _h(str(row.at or "")),
            _h(notes[0]) if notes else "")) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _tickets(tickets: TicketsStatus) -> str:
    chips = "".join(f"<span>{_h(str(state))}: {count}</span>"
                    for state, count in tickets.by_state.items())
    out = [f"<h2>Tickets: {tickets.total}</h2>",
           f'<div class="chips">{chips or "<span>none yet</span>"}</div>']
    overdue = tickets.overdue
    out.append(f"<h2>Overdue reviews: {len(overdue)}</h2>")
    if overdue:
        out.append("<table><thead><tr><th>ticket</th><th>pattern</th><th>reviewer</th>"
                   "<th>due</th></tr></thead><tbody>")
        out += ['<tr class="warn">' + "".join(f"<td>{_h(str(cell or ''))}</td>"
                                           for cell in (item.id, item.pattern, item.reviewer,
                                                        item.due))
                + "</tr>" for item in overdue]
        out.append("</tbody></table>")
    else:
        out.append('<p class="empty">No review is past its due date.</p>')
    return "\n".join(out)


def _chart(timeline: tuple[DayActivity, ...]) -> str:
    """Publications (to the last environment) and rollbacks per day, as an SVG bar chart."""
    title = "<h2>Publications and rollbacks</h2>"
    days = timeline[-30:]
    if not days:
        return title + '\n<p class="empty">No publication or rollback yet.</p>'
    peak = max(max(d.published, d.rolled_back) for d in days) or 1
    width, height, slot = max(260, 40 + 34 * len(days)), 170, 34
    bars = []
    for index, day in enumerate(days):
        x = 40 + index * slot
        for offset, count, what, colour in ((4, day.published, "published", "#1a7f37"),
                                            (16, day.rolled_back, "rolled back", "#cf222e")):
            size = round(110 * count / peak)
            bars.append(f'<rect x="{x + offset}" y="{130 - size}" width="11" height="{size}" '
                        f'fill="{colour}"><title>{_h(day.day)}: {count} '
                        f'{what}</title></rect>')
        bars.append(f'<text x="{x + 2}" y="146">{_h(day.day[5:])}</text>')
    legend = ('<rect x="40" y="156" width="10" height="10" fill="#1a7f37"/>'
              '<text x="54" y="165">published</text>'
              '<rect x="130" y="156" width="10" height="10" fill="#cf222e"/>'
              '<text x="144" y="165">rolled back</text>')
    axis = (f'<line x1="36" y1="130" x2="{width}" y2="130" stroke="#57606a"/>'
            f'<text x="4" y="24">{peak}</text><text x="4" y="130">0</text>')
    return (f'{title}\n<svg role="img" aria-label="publications and rollbacks per day" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'xmlns="http://www.w3.org/2000/svg">{axis}{"".join(bars)}{legend}</svg>')


def _metrics(panel: MetricsPanel) -> str:
    """The metrics as a table, then one small weekly bar chart per metric (inline SVG)."""
    out = ["<h2>Governance metrics</h2>", f'<p class="meta">{_h(panel.title)}</p>',
           "<table><thead><tr><th>metric</th><th>value</th><th>made of</th></tr></thead>"
           "<tbody>"]
    out += ["<tr>" + "".join(f"<td>{_h(cell)}</td>" for cell in row) + "</tr>"
            for row in panel.rows]
    out.append("</tbody></table>")
    charts = [_trend(name, unit, values, panel.weeks) for name, unit, values in panel.trends]
    out.append('<div class="trends">' + "".join(charts) + "</div>")
    return "\n".join(out)


def _trend(name: str, unit: str, values: tuple[float | None, ...],
           weeks: tuple[str, ...]) -> str:
    """Weekly bars of one metric; a week with nothing measured is a grey tick. Rates are
    drawn on 0-100 %, times on 0 to the highest week."""
    known = [v for v in values if v is not None]
    top = 100.0 if unit == "%" else max(known, default=0.0) or 1.0
    slot, left, base = 14, 34, 80
    width = left + slot * max(len(values), 1) + 6
    shapes = [f'<line x1="{left - 2}" y1="{base}" x2="{width}" y2="{base}" stroke="#57606a"/>',
              f'<text x="2" y="14">{_h(_number(top))}</text>',
              f'<text x="2" y="{base}">0</text>']
    for index, (week, value) in enumerate(zip(weeks, values, strict=True)):
        x = left + index * slot
        if value is None:
            shapes.append(f'<rect x="{x + 2}" y="{base - 2}" width="9" height="2" '
                          f'fill="#afb8c1"><title>{_h(week)}: no data</title></rect>')
            continue
        size = max(1, round(70 * min(value, top) / top))
        shapes.append(f'<rect x="{x + 2}" y="{base - size}" width="9" height="{size}" '
                      f'fill="#0969da"><title>{_h(week)}: {_h(_number(value))} {_h(unit)}'
                      "</title></rect>")
    if weeks:
        shapes.append(f'<text x="{left}" y="{base + 14}">{_h(weeks[0][5:])}</text>')
        if len(weeks) > 3:
            shapes.append(f'<text x="{width - 36}" y="{base + 14}">{_h(weeks[-1][5:])}</text>')
    return (f"<figure><figcaption>{_h(name)} ({_h(unit)})</figcaption>"
            f'<svg role="img" aria-label="{_h(name)} per week" width="{width}" height="100" '
            f'viewBox="0 0 {width} 100" xmlns="http://www.w3.org/2000/svg">'
            f'{"".join(shapes)}</svg></figure>')


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _events(events: tuple[Mapping[str, Any], ...]) -> str:
    out = ["<h2>Recent events</h2>"]
    if not events:
        return out[0] + '\n<p class="empty">No events yet.</p>'
    out.append("<table><thead><tr><th>at</th><th>actor</th><th>kind</th><th>what</th></tr>"
               "</thead><tbody>")
    for event in reversed(events):
        keys: tuple[str, ...] = ("ticket", "pattern", "version", "environment", "from", "to",
                                 "reason")
        fields = dict(event)
        if event.get("kind") == "ticket" and not moves(event):  # an escalation: not a move
            keys, fields = ("ticket", "event", "state"), {**event, "state": event.get("to")}
        what = ", ".join(f"{k}={fields[k]}" for k in keys if fields.get(k) not in (None, ""))
        out.append("<tr>" + "".join(f"<td>{_h(str(cell))}</td>" for cell in (
            event.get("at"), event.get("actor"), event.get("kind"), what)) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _h(value: object) -> str:
    """Repository text as HTML text (or an attribute value): escaped, controls visible."""
    return escape(printable(str(value)))
