"""`pubflow monitor --events FILE`: engagement figures, alerts and escalations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pubflow.cli.common import TextOrJson, acting_actor, handle_errors, repo_context
from pubflow.cli.terminal import write_output
from pubflow.errors import EXIT_FINDINGS, InputError, UsageError

if TYPE_CHECKING:
    from pubflow.monitoring.engagement import MonitorResult
    from pubflow.monitoring.escalation import EscalationOutcome


@handle_errors
def monitor(
    events: Annotated[Path, typer.Option("--events", help="Engagement events, JSON Lines.",
                                         show_default=False)],
    env: Annotated[str | None, typer.Option(
        "--env", help="The environment the events come from (default: the last one).",
        show_default=False)] = None,
    now: Annotated[str | None, typer.Option(
        "--now", help="The time to judge 'live for 24 h' against (default: the last event).",
        show_default=False)] = None,
    auto_rollback: Annotated[bool, typer.Option(
        "--auto-rollback", help="Roll back a pattern when users escalate a problem.")] = False,
    output_format: Annotated[TextOrJson, typer.Option("--format", "-f",
                                                      help="Output format.")] = TextOrJson.text,
) -> None:
    """Engagement figures, alerts and escalations from the platform's events.

    Views, unique visitors, ratings and reports per pattern; alerts for live patterns nobody
    views; escalation when 3 or more users report a problem with one version within an hour:
    the ticket that released that version gets an `escalated` event, its author and the team
    are told, and --auto-rollback rolls the version back if it is the one live. An incident
    escalates once: running again over the same or overlapping events does nothing again.

    Bad lines are counted and reported, never fatal. Exit 1 when there are alerts or
    escalations.

    Examples:

      pubflow monitor --events events.jsonl

      pubflow monitor --events events.jsonl --auto-rollback --format json
    """
    from pubflow.monitoring.engagement import load_live, parse_time
    from pubflow.monitoring.engagement import monitor as run_monitor
    from pubflow.monitoring.escalation import escalate
    from pubflow.records.environments import check_environment_name

    config, clock = repo_context()
    name = env or config.environments[-1]
    check_environment_name(name, config.environments)
    judged = None
    if now is not None:
        judged = parse_time(now)
        if judged is None:
            raise UsageError(f"--now {now}: give an ISO-8601 time with a zone, e.g. "
                             "2026-03-01T12:00:00Z")
    live = load_live(config.root, name, clock)
    try:
        with events.open(encoding="utf-8", errors="replace") as stream:
            result = run_monitor(stream, live, judged)
    except OSError as exc:
        raise InputError(f"{events}: cannot read the events: {exc.strerror or exc}") from exc
    outcomes = []
    actor = acting_actor(config) if result.escalations else "monitor"
    for item in result.escalations:
        outcomes.append(escalate(config, item, name, actor, clock, auto_rollback))
    if output_format is TextOrJson.json:
        data = {**result.to_json(), "environment": name,
                "escalationActions": [outcome.to_json() for outcome in outcomes]}
        write_output(json.dumps(data, indent=2, ensure_ascii=False) + "\n", None)
    else:
        write_output(_text(result, name, outcomes), None)
    if result.alerts or result.escalations:
        raise typer.Exit(EXIT_FINDINGS)


def _text(result: MonitorResult, env: str, outcomes: list[EscalationOutcome]) -> str:
    from pubflow.reporters import printable

    lines = [f"{result.events} event(s) from {env}"
             + (f", {result.bad_events} bad ("
                + ", ".join(f"{reason}: {count}" for reason, count in sorted(result.bad.items()))
                + ")" if result.bad else "")]
    for bad in result.bad_lines[:5]:
        lines.append(f"  line {bad.line}: {bad.reason}")
    for pattern_id, figures in sorted(result.patterns.items()):
        rating = f"{figures.average_rating:.2f}" if figures.average_rating is not None else "-"
        lines.append(f"{pattern_id}: {figures.views} views, {figures.unique_visitors} unique "
                     f"visitors, {figures.downloads} downloads, rating {rating} "
                     f"({figures.ratings}), {figures.reports} reports")
    for alert in result.alerts:
        lines.append(f"alert: {alert.message}")
    for item, outcome in zip(result.escalations, outcomes, strict=True):
        named = f"{item.pattern} {item.version}" if item.version else item.pattern
        window = (f"{item.first.strftime('%Y-%m-%d %H:%M')}-{item.last.strftime('%H:%M')} UTC")
        lines.append(f"escalation: {named} in {env}: {len(item.reporters)} users reported "
                     f"problems ({window})")
        if outcome.already is not None:
            lines.append(f"  already escalated on {outcome.already.ticket} at "
                         f"{outcome.already.at} (incident {outcome.already.incident}): "
                         "nothing done again")
            continue
        if outcome.ticket_event is not None:
            lines.append(f"  recorded on {outcome.ticket_event} ({outcome.ticket_found}) as "
                         f"incident {outcome.incident}")
        elif outcome.ticket is not None:
            lines.append(f"  NOT recorded on {outcome.ticket} ({outcome.ticket_found}): see "
                         "the problem below")
        else:
            lines.append(f"  recorded on no ticket ({outcome.ticket_found})")
        if outcome.rollback is not None:
            lines.append(f"  rollback: {outcome.rollback}")
        lines += [f"  {notice.describe()}" for notice in outcome.notices]
        lines += [f"  problem: {problem}" for problem in outcome.problems]
    return "\n".join(printable(line) for line in lines) + "\n"




report_app = typer.Typer(name="report", no_args_is_help=True, help="Reports on live patterns.")


@report_app.command("impact")
@handle_errors
def impact(
    events: Annotated[Path, typer.Option("--events", help="Engagement events, JSON Lines.",
                                         show_default=False)],
    days: Annotated[int, typer.Option("--days", min=1, help="The window, ending now.")] = 30,
    env: Annotated[str | None, typer.Option(
        "--env", help="The environment (default: the last one).", show_default=False)] = None,
    now: Annotated[str | None, typer.Option("--now", help="End of the window (default: now).",
                                            show_default=False)] = None,
    output_format: Annotated[str, typer.Option("--format", "-f",
                                               help="markdown or json.")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.",
                                                show_default=False)] = None,
) -> None:
    """The impact report of live patterns, in Markdown or JSON.

    Views, unique users, ratings and comments, reports, against similar patterns (same
    category), and the trend over the window.

    Examples:

      pubflow report impact --events events.jsonl

      pubflow report impact --events events.jsonl --days 7 -f json -o impact.json
    """
    from datetime import timedelta

    from pubflow.monitoring.engagement import load_live, parse_time
    from pubflow.monitoring.engagement import monitor as run_monitor
    from pubflow.monitoring.impact import impact_markdown, impact_report
    from pubflow.records.environments import check_environment_name

    if output_format not in ("markdown", "json"):
        raise UsageError(f"--format {output_format}: choose markdown or json")
    config, clock = repo_context()
    name = env or config.environments[-1]
    check_environment_name(name, config.environments)
    until = clock if now is None else parse_time(now)
    if until is None:
        raise UsageError(f"--now {now}: give an ISO-8601 time with a zone")
    since = until - timedelta(days=days)
    live = load_live(config.root, name, clock)
    try:
        with events.open(encoding="utf-8", errors="replace") as stream:
            result = run_monitor(stream, live, until, since)
    except OSError as exc:
        raise InputError(f"{events}: cannot read the events: {exc.strerror or exc}") from exc
    report = impact_report(result, live, name, days, since, until)
    text = (json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
            if output_format == "json" else impact_markdown(report))
    write_output(text, output)
