"""`pubflow status`, `pubflow audit verify` and `pubflow verify`: what the repository holds."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pubflow.cli.common import handle_errors, repo_context
from pubflow.cli.terminal import shown, write_output
from pubflow.errors import EXIT_FINDINGS, UsageError
from pubflow.reporters import printable

if TYPE_CHECKING:
    from pubflow.release.status import Dashboard


class StatusFormat(enum.StrEnum):
    text = "text"
    json = "json"
    html = "html"


@handle_errors
def status(
    output_format: Annotated[StatusFormat, typer.Option(
        "--format", "-f", help="Output format.")] = StatusFormat.text,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file instead of stdout.", show_default=False)] = None,
) -> None:
    """The dashboard: what runs where, tickets, overdue reviews, recent events.

    Versions and canary weights per environment, tickets by state, overdue reviews,
    publications and rollbacks over time, and the latest events.

    `--format html` writes one self-contained page (no network needed to view it).

    Examples:

      pubflow status

      pubflow status --format json | jq '.environments[].patterns[].version'

      pubflow status --format html --output status.html
    """
    from pubflow.release.status import collect_status

    config, now = repo_context()
    dashboard = collect_status(config, now)
    if output_format is StatusFormat.json:
        write_output(json.dumps(dashboard.to_json(), indent=2, ensure_ascii=False) + "\n",
                     output)
        return
    if output_format is StatusFormat.html:
        from pubflow.cli.metrics import status_panel
        from pubflow.release.status_html import render

        write_output(render(dashboard, now.strftime("%Y-%m-%d %H:%M UTC"),
                            status_panel(config, now)), output)
        return
    if output is not None:
        raise UsageError("--output needs --format json or html")
    _print_status(dashboard)


def _print_status(dashboard: Dashboard) -> None:
    from pubflow.cli.common import make_console
    from pubflow.cli.tables import Col, print_table

    console = make_console()
    if dashboard.recovered:
        console.print(f"pubflow: {shown(dashboard.recovered)}")
    for env in dashboard.environments:
        # the health column only where a score or a watch is recorded: 80 columns are few
        health = any(row.health_text() for row in env.patterns)
        columns = [Col("pattern", keep=True), Col("version", keep=True), Col("canary"),
                   *([Col("health")] if health else []), Col("ticket", keep=True),
                   Col("release", keep=True), Col("by", keep=True), Col("at", keep=True),
                   Col("notes")]
        rows = []
        for row in env.patterns:
            rollout = row.rollout
            canary = (f"{rollout.canary} {'held ' if rollout.held else ''}at "
                      f"{rollout.weight}% (stable {rollout.stable or 'none'})") if rollout else ""
            notes = (row.notes or "").splitlines()
            rows.append([shown(value) for value in (
                row.pattern, row.version + (f" ({row.name})" if row.name else ""), canary,
                *([row.health_text()] if health else []), row.ticket, row.release or "",
                row.by or "", row.at or "", notes[0][:60] if notes else "")])
        print_table(console, f"{shown(env.name)}: {len(env.patterns)} pattern(s)", columns,
                    rows)
    tickets = dashboard.tickets
    states = ", ".join(f"{state} {count}" for state, count in tickets.by_state.items())
    console.print(shown(f"tickets: {tickets.total}" + (f" ({states})" if states else "")))
    for item in tickets.overdue:
        console.print(shown(f"overdue: {item.id} ({item.pattern}) with {item.reviewer}, "
                            f"due {item.due}"))
    if dashboard.recent_events:
        rows = [[shown(value) for value in (
            event.get("at"), event.get("actor"), event.get("kind"), _describe_event(event))]
            for event in reversed(dashboard.recent_events)]
        print_table(console, "recent events",
                    [Col("at", keep=True), Col("actor", keep=True), Col("kind", keep=True),
                     Col("what")], rows)


def _describe_event(event: Mapping[str, Any]) -> str:
    kind = event.get("kind")
    if kind == "ticket":
        from pubflow.release.status import describe_ticket_event

        return describe_ticket_event(event)
    if kind in ("promote", "canary"):
        weight = f" at {event['weight']}%" if "weight" in event else ""
        return (f"{event.get('pattern')} {event.get('version')} to {event.get('environment')}"
                f"{weight}")
    return (f"{event.get('pattern')} in {event.get('environment')}: {event.get('from') or '-'} -> "
            f"{event.get('to') or 'out'} ({event.get('reason')})")


audit_app = typer.Typer(name="audit", help="The append-only, hash-chained audit log.",
                        no_args_is_help=True)


@audit_app.command("verify")
@handle_errors
def audit_verify() -> None:
    """Check the hash-chained audit log (.pubflow/audit.jsonl).

    Any edited, deleted, duplicated or reordered entry is reported with its line (exit 1).

    Example: pubflow audit verify
    """
    from pubflow.records.audit import AuditLog

    config, _now = repo_context()
    log = AuditLog(config.root)
    problems = log.verify()
    for problem in problems:
        sys.stdout.write(f"{printable(str(problem))}\n")
    if problems:
        sys.stderr.write(f"pubflow: {len(problems)} problem(s) in the audit log\n")
        raise typer.Exit(EXIT_FINDINGS)
    head = log.head()
    sys.stdout.write(f"audit log verified: {head.seq if head else 0} entries\n")


@handle_errors
def verify_state(
    since: Annotated[str | None, typer.Option(
        "--since", metavar="REF", show_default=False,
        help="Check only what a pull request's REF..HEAD can have changed: its commits "
             "(history, signatures, the tags of its promotions); the ticket files added or "
             "modified since the merge base of REF and HEAD, and the tickets whose pinned "
             "pattern it changed (their ids and open tickets per pattern against every "
             "ticket); their events and the audit entries it added against each other; the "
             "audit log's chain, every environment file and catalog. The rest was checked "
             "when it landed.")] = None,
) -> None:
    """Check everything pubflow keeps under .pubflow/ (the pubflow-tickets hook).

    Tickets (schema, hash chain, state, unique ids, pinned digests), environment files
    (schema) and the audit log (chain); the git history: every commit since the first that
    touched .pubflow/ (or in REF..HEAD with --since) only appended to the audit log and to
    each ticket's history; ticket events and audit entries, environment files replayed from
    the audit log, catalogs and release tags against each other.

    This is what the `pubflow-tickets` pre-commit hook runs. Exit 1 with one line per problem.

    Examples:

      pubflow verify

      pubflow verify --since origin/main
    """
    from pubflow.release.state_check import check_state

    config, _now = repo_context()
    if since is not None:
        from pubflow.storage import git as gitrepo

        if gitrepo.is_shallow(config.root):  # a cut history would pass unseen commits
            gitrepo.check_history_reaches(config.root, since, "--since")
    report = check_state(config.root, since)
    for problem in report.problems:  # they quote file content: no escape sequences
        sys.stdout.write(f"{printable(str(problem))}\n")
    summary = (f"{report.tickets} ticket(s), {report.environments} environment(s), "
               f"{report.audit_entries} audit entries")
    if not report.signed:
        sys.stderr.write("pubflow: identities are claimed, not proven: pubflow.yaml does not "
                         "ask for signed commits (trust: {signed: true}), so an actor's name "
                         "is as good as git's author field\n")
    if report.problems:
        sys.stderr.write(f"pubflow: {len(report.problems)} problem(s) in {summary}\n")
        raise typer.Exit(EXIT_FINDINGS)
    sys.stdout.write(f"verified {summary}\n")
