"""`pubflow metrics`: the seven governance metrics over a window, overall and by week."""

from __future__ import annotations

import enum
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pubflow.cli.common import handle_errors, repo_context
from pubflow.cli.terminal import shown, write_output
from pubflow.errors import InputError, UsageError

if TYPE_CHECKING:
    from pubflow.config import Config
    from pubflow.monitoring.metrics import MetricsReport
    from pubflow.release.status_html import MetricsPanel

STATUS_WEEKS = 12
"""The window of the metrics on `status --format html`."""


class MetricsFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


@handle_errors
def metrics(
    since: Annotated[str, typer.Option(
        "--since", help="Start of the window: 7d, 30d, 12w, or an ISO date (2026-01-31).")
    ] = "30d",
    events: Annotated[Path | None, typer.Option(
        "--events", help="The platform's events, JSON Lines (for the adoption rate).",
        show_default=False)] = None,
    now: Annotated[str | None, typer.Option(
        "--now", help="End of the window, an ISO-8601 time with a zone (default: now).",
        show_default=False)] = None,
    output_format: Annotated[MetricsFormat, typer.Option(
        "--format", "-f", help="Output format.")] = MetricsFormat.text,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file instead of stdout.", show_default=False)
    ] = None,
) -> None:
    """The governance metrics: publication success rate, review cycle time, deployment
    duration, validation failure rate, post-publication incident rate, pattern adoption rate
    and time to first fix, over the window and week by week.

    From the audit log and the tickets; the adoption rate also needs the platform's events
    (--events). Times are medians and 90th percentiles; rates come with their counts; a
    metric with nothing to measure says n/a (null in JSON). The README defines each one.

    Examples:

      pubflow metrics

      pubflow metrics --since 12w --events events.jsonl --format json

      pubflow metrics --since 2026-01-01 --format markdown -o metrics.md
    """
    from pubflow.monitoring.engagement import parse_time
    from pubflow.monitoring.metrics import compute_metrics, metrics_markdown, parse_since

    config, clock = repo_context()
    until = clock
    if now is not None:
        given = parse_time(now)
        if given is None:
            raise UsageError(f"--now {now}: give an ISO-8601 time with a zone, e.g. "
                             "2026-03-01T12:00:00Z")
        until = given
    start = parse_since(since, until)
    if output is not None and output_format is MetricsFormat.text:
        raise UsageError("--output needs --format json or markdown")
    environment = config.environments[-1]
    known = _live_patterns(config, environment)
    if events is None:
        report = compute_metrics(config.root, environment, start, until, None, known)
    else:
        try:
            with events.open(encoding="utf-8", errors="replace") as stream:
                report = compute_metrics(config.root, environment, start, until, stream,
                                         known)
        except OSError as exc:
            raise InputError(f"{events}: cannot read the events: "
                             f"{exc.strerror or exc}") from exc
    if output_format is MetricsFormat.json:
        write_output(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n",
                     output)
    elif output_format is MetricsFormat.markdown:
        write_output(metrics_markdown(report), output)
    else:
        _print_text(report)


def _live_patterns(config: Config, environment: str) -> tuple[str, ...]:
    """The patterns live in `environment` now: events may name them even when the audit
    log never recorded their publication."""
    from pubflow.records.environments import load_environment

    return tuple(load_environment(config.root, environment).patterns)


def _print_text(report: MetricsReport) -> None:
    from pubflow.cli.common import make_console
    from pubflow.cli.tables import Col, print_table
    from pubflow.monitoring.metrics import WEEK_HEADERS, WEEK_UNITS, week_cell

    console = make_console()
    title = (f"governance metrics for {report.environment}, "
             f"{report.since.strftime('%Y-%m-%d %H:%M')} to "
             f"{report.until.strftime('%Y-%m-%d %H:%M')} UTC")
    rows = [[shown(m.name), shown(m.shown()), shown(m.detail())] for m in report.metrics]
    print_table(console, shown(title), [Col("metric", keep=True), Col("value"),
                                        Col("made of")], rows)
    read = report.events
    if read is not None:
        bad = sum(read.bad.values())
        reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(read.bad.items()))
        console.print(shown(f"{read.events} event(s) in the window"
                            + (f", {bad} bad line(s) skipped ({reasons})" if bad else "")))
    week_rows = [[week.isoformat(), *(week_cell(m.weekly[index]) for m in report.metrics)]
                 for index, week in enumerate(report.weeks)]
    print_table(console, shown(f"by week (medians: {WEEK_UNITS})"),
                [Col("week", keep=True),
                 *(Col(WEEK_HEADERS[m.key], keep=True, justify="right")
                   for m in report.metrics)], week_rows)


def status_panel(config: Config, now: datetime) -> MetricsPanel:
    """The metrics of the last `STATUS_WEEKS` weeks for `status --format html` (no events:
    the adoption rate says n/a there)."""
    from pubflow.monitoring.metrics import Rate, compute_metrics
    from pubflow.release.status_html import MetricsPanel

    environment = config.environments[-1]
    report = compute_metrics(config.root, environment, now - timedelta(weeks=STATUS_WEEKS),
                             now, None, ())
    units = {"hours": "h", "minutes": "min"}
    trends = []
    for metric in report.metrics:
        overall = metric.overall
        rate = overall is None or isinstance(overall, Rate)
        unit = "%" if rate else units.get(getattr(overall, "unit", ""), "")
        values = tuple(None if item is None or item.value is None else
                       (100 * item.value if rate else item.value) for item in metric.weekly)
        trends.append((metric.name, unit, values))
    return MetricsPanel(
        title=(f"{environment}, the last {STATUS_WEEKS} weeks (pubflow metrics --since "
               f"{STATUS_WEEKS}w). Bars: each week's rate or median time. The adoption "
               "rate needs the platform's events (pubflow metrics --events FILE)."),
        rows=tuple((m.name, m.shown(), m.detail()) for m in report.metrics),
        weeks=tuple(week.isoformat() for week in report.weeks), trends=tuple(trends))
