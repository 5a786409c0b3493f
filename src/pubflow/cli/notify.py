"""`pubflow notify ...`: the notification outbox."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pubflow.cli.common import TextOrJson, handle_errors, repo_context
from pubflow.errors import EXIT_FINDINGS, InputError, UsageError

notify_app = typer.Typer(name="notify", no_args_is_help=True,
                         help="Notifications: the outbox and its delivery.")


@notify_app.command("flush")
@handle_errors
def flush() -> None:
    """Retry every notification a channel (webhook, SMTP) could not deliver yet.

    Exit 1 when some are still pending (they stay in the outbox for the next flush).

    Example: pubflow notify flush
    """
    from pubflow.notify.outbox import flush as run_flush

    config, _now = repo_context(needs_git=False)
    results = run_flush(config)
    for item in results:
        verdict = "sent" if item.ok else "pending"
        sys.stdout.write(f"{item.file}: {item.channel}: {verdict} ({item.detail})\n")
    failed = sum(1 for item in results if not item.ok)
    sys.stdout.write(f"{len(results) - failed} delivered, {failed} still pending\n")
    if failed:
        raise typer.Exit(EXIT_FINDINGS)


@notify_app.command("pending")
@handle_errors
def pending() -> None:
    """List the deliveries still waiting in the outbox.

    Example: pubflow notify pending
    """
    from pubflow.notify.outbox import pending as find_pending

    config, _now = repo_context(needs_git=False)
    waiting = find_pending(config)
    for name, channel in waiting:
        sys.stdout.write(f"{name}: {channel}\n")
    sys.stdout.write(f"{len(waiting)} pending\n")


@notify_app.command("digest")
@handle_errors
def digest(
    events: Annotated[Path, typer.Option("--events", help="Engagement events, JSON Lines.",
                                         show_default=False)],
    env: Annotated[str | None, typer.Option(
        "--env", help="The environment the events come from (default: the last one).",
        show_default=False)] = None,
    now: Annotated[str | None, typer.Option(
        "--now", help="The end of the day reported (default: the last event).",
        show_default=False)] = None,
    output_format: Annotated[TextOrJson, typer.Option("--format", "-f",
                                                      help="Output format.")] = TextOrJson.text,
) -> None:
    """Send each author the day's figures for their live patterns.

    Views, unique visitors, downloads, ratings per version with their comments, problem
    reports, alerts and escalations of the 24 hours up to --now, one message per author
    (the author of the ticket that released the live version), through the configured
    channels; the outbox always keeps a copy.

    Example: pubflow notify digest --events events.jsonl --env production
    """
    import json
    from datetime import timedelta

    from pubflow.monitoring.digest import digests, send
    from pubflow.monitoring.engagement import load_live, parse_time
    from pubflow.monitoring.engagement import monitor as run_monitor
    from pubflow.records.environments import check_environment_name
    from pubflow.reporters import printable

    config, clock = repo_context()
    name = env or config.environments[-1]
    check_environment_name(name, config.environments)
    end = parse_time(now) if now is not None else None
    if now is not None and end is None:
        raise UsageError(f"--now {now}: give an ISO-8601 time with a zone, e.g. "
                         "2026-03-01T12:00:00Z")
    live = load_live(config.root, name, clock)
    try:
        with events.open(encoding="utf-8", errors="replace") as stream:
            lines = stream.readlines()
    except OSError as exc:
        raise InputError(f"{events}: cannot read the events: {exc.strerror or exc}") from exc
    if end is None:
        end = run_monitor(lines, live).latest or clock
    result = run_monitor(lines, live, end, since=end - timedelta(days=1))
    sent = [send(config, name, item, end) for item in digests(config, name, result, live)]
    if output_format is TextOrJson.json:
        sys.stdout.write(json.dumps({"environment": name,
                                     "digests": [item.to_json() for item in sent]},
                                    indent=2, ensure_ascii=False) + "\n")
        return
    for item in sent:
        if item.author is None:
            sys.stdout.write(printable(f"nobody told about {', '.join(r.pattern for r in item.rows)}"
                                       ": the releasing ticket names no author email") + "\n")
            continue
        channels = ", ".join(f"{d.channel} {'sent' if d.ok else 'waiting: ' + d.detail}"
                             for d in item.deliveries) or "outbox"
        sys.stdout.write(printable(f"{item.author}: {len(item.rows)} pattern(s) ({channels})")
                         + "\n")
    if not sent:
        sys.stdout.write(f"no pattern is live in {name}: no digest\n")
