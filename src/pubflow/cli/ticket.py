"""`pubflow ticket ...`: thin wrappers that parse options, call `pubflow.tickets`, print."""

from __future__ import annotations

import enum
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pubflow.cli.common import (
    STATE,
    acting_actor,
    handle_errors,
    make_console,
    repo_context,
    report_deliveries,
)
from pubflow.cli.common import (
    TextOrJson as Format,
)
from pubflow.cli.terminal import shown, write_output
from pubflow.errors import EXIT_FINDINGS, UsageError
from pubflow.records.transaction import recover_pending

if TYPE_CHECKING:
    from pubflow.records.tickets import Ticket

ticket_app = typer.Typer(
    name="ticket",
    help="Publication tickets: submit a pattern, route it to a reviewer, record the decision.",
    no_args_is_help=True,
)

TicketArg = Annotated[str, typer.Argument(help="Ticket id, e.g. PUB-2026-001.",
                                          metavar="TICKET", show_default=False)]


class Decision(enum.StrEnum):
    approve = "approve"
    reject = "reject"
    request_changes = "request-changes"


class Severity(enum.StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


class ShowFormat(enum.StrEnum):
    text = "text"
    json = "json"
    html = "html"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


EventsForDemand = Annotated[Path | None, typer.Option(
    "--events", help="The platform's events (JSON Lines): views per industry set the topic "
    "demand the priority weighs.", show_default=False, dir_okay=False)]


def _demand(config: Any, events: Path | None) -> dict[str, float] | None:
    """Industry weights from the views in `events` (None without events)."""
    if events is None:
        return None
    from pubflow.errors import InputError
    from pubflow.monitoring.demand import demand_from_events, industries_of_patterns

    try:
        with events.open(encoding="utf-8", errors="replace") as stream:
            return demand_from_events(stream, industries_of_patterns(config.patterns_path))
    except OSError as exc:
        raise InputError(f"{events}: cannot read the events: {exc.strerror or exc}") from exc


@ticket_app.command("create")
@handle_errors
def create(
    pattern: Annotated[str, typer.Argument(help="Pattern id or path of its .json file.",
                                           metavar="PATTERN", show_default=False)],
    events: EventsForDemand = None,
) -> None:
    """Submit a pattern: open a ticket, run every validate check, pin the content's sha256.

    The ticket goes to ready_for_review, or to validation_failed (findings printed, exit 1).
    The new ticket id is the last line on stdout.

    Examples:

      pubflow ticket create incident-escalation

      pubflow --actor jdoe ticket create patterns/incident-escalation.json
    """
    from pubflow.tickets import service

    config, now = repo_context()
    outcome = service.create(config, pattern, acting_actor(config), now, _demand(config, events))
    _say_recovered(outcome.recovered)
    report_deliveries(outcome.deliveries)
    ticket = outcome.ticket
    lines = [f"{f['file']}:{f['line']}:{f['column']}: {f.get('severity', 'error')}"
             f"[{f['rule']}] {f['message']}" for f in ticket.findings]
    pinned = ticket.pattern
    lines.append(f"{ticket.id}: {ticket.state} ({pinned.id} {pinned.version or '?'}, "
                 f"sha256 {pinned.digest[:12]}, priority {ticket.priority})")
    lines.append(ticket.id)
    write_output("\n".join(lines) + "\n", None)
    if ticket.state == "validation_failed":
        raise typer.Exit(EXIT_FINDINGS)


@ticket_app.command("show")
@handle_errors
def show(
    ticket_id: TicketArg,
    output_format: Annotated[ShowFormat, typer.Option(
        "--format", "-f", help="Output format (html: the review page).")] = ShowFormat.text,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (html needs it).", show_default=False,
        dir_okay=False)] = None,
    events: Annotated[Path | None, typer.Option(
        "--events", help="The platform's events (JSON Lines): the review page shows the "
        "ratings of each version.", show_default=False, dir_okay=False)] = None,
) -> None:
    """Show a ticket: state, pinned pattern, reviewer, due date, findings and history.

    --format html writes the review page: the sections, both diagrams side by side (drawn
    as inline SVG), the scorecard, the findings, the changes against the version live in
    the last environment, the section comments and the history; one self-contained file.

    Examples:

      pubflow ticket show PUB-2026-001 --format json

      pubflow ticket show PUB-2026-001 --format html --output review.html
    """
    from pubflow.records.store import TicketStore

    config, now = repo_context()
    _say_recovered(recover_pending(config.root))
    ticket = TicketStore(config.root).load(ticket_id)
    if output_format is ShowFormat.html:
        if output is None:
            raise UsageError("--format html needs --output FILE (the review page)")
        write_output(_review_page(config, ticket, now, events), output)
        sys.stdout.write(f"{output}: the review page of {ticket.id}\n")
        return
    if output_format is ShowFormat.json:
        write_output(json.dumps(_summary(ticket, now) | {"history": ticket.to_plain()["history"],
                                                         "findings": ticket.findings,
                                                         "comments": [c.to_json() for c in
                                                                      ticket.comments()],
                                                         "next": _next(config, ticket)},
                                indent=2) + "\n", None)
        return
    console = make_console()
    pinned = ticket.pattern
    author = ticket.author
    console.print(f"[bold]{shown(ticket.id)}[/bold]  {shown(ticket.state)}  "
                  f"(priority {shown(ticket.priority)})")
    _field(console, "pattern:", f"{shown(pinned.id)} {shown(pinned.version or '?')}  "
                                f"{shown(pinned.path)}")
    _field(console, "digest:", f"sha256:{shown(pinned.digest)}")
    _field(console, "author:", f"{shown(author.id or '?')} <{shown(author.email or '?')}>")
    _field(console, "reviewer:", shown(ticket.reviewer or "-"))
    due = ticket.due or "-"
    _field(console, "due:", f"{shown(due)}{'  OVERDUE' if ticket.is_overdue(now) else ''}")
    for finding in ticket.findings:
        console.print(shown(f"  {finding['file']}:{finding['line']}:{finding['column']}: "
                            f"[{finding['rule']}] {finding['message']}"))
    comments = ticket.comments()
    if comments:
        console.print("comments:")
        for field in dict.fromkeys(c.field for c in comments):
            console.print(f"  {shown(field)}:")
            for c in (c for c in comments if c.field == field):
                status = "open" if c.open else f"resolved by {c.resolved_by}"
                console.print("    " + shown(f"{c.id} [{c.severity}] {c.text} ({c.by}, "
                                                  f"{status})"))
    _print_history(console, ticket)
    console.print("next:")
    for step in _next(config, ticket):
        console.print(f"  - {shown(step)}")


def _review_page(config: Any, ticket: Ticket, now: datetime, events: Path | None) -> str:
    """The review page: the pinned content (as the package of the version live in the last
    environment is compared with it)."""
    from pubflow.errors import InputError
    from pubflow.records.environments import load_environment
    from pubflow.release import package as pkg
    from pubflow.tickets.review_page import render_review_page

    path = config.root / ticket.pattern.path
    try:
        pattern = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError(f"{ticket.pattern.path}: cannot read the pattern of {ticket.id}: "
                         f"{exc}") from exc
    last = config.environments[-1]
    entry = load_environment(config.root, last).live(ticket.pattern.id)
    live = label = None
    if entry is not None:
        folder = pkg.package_dir(config.root, ticket.pattern.id, str(entry.version))
        try:
            live = json.loads((folder / pkg.PATTERN_FILE).read_bytes())
            label = f"{ticket.pattern.id} {entry.version}, live in {last} ({entry.ticket})"
        except (OSError, ValueError):
            live = None
    return render_review_page(ticket, pattern if isinstance(pattern, dict) else {}, live,
                              label, now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              None if events is None else _ratings(config, ticket, events, now))


def _ratings(config: Any, ticket: Ticket, events: Path,
             now: datetime) -> list[tuple[str, int, float | None, list[str]]]:
    """Readers' ratings of each version of the ticket's pattern, from the events."""
    from pubflow.errors import InputError
    from pubflow.monitoring.engagement import LivePattern
    from pubflow.monitoring.engagement import monitor as run_monitor

    pattern_id = ticket.pattern.id
    live = {pattern_id: LivePattern(pattern_id, ticket.pattern.version or "", now, "")}
    try:
        with events.open(encoding="utf-8", errors="replace") as stream:
            result = run_monitor(stream, live)
    except OSError as exc:
        raise InputError(f"{events}: cannot read the events: {exc.strerror or exc}") from exc
    figures = result.patterns.get(pattern_id)
    if figures is None:
        return []
    return [(version or "unknown", per.ratings, per.average, list(per.comments))
            for version, per in figures.by_version if per.ratings]


def _field(console: Any, label: str, value: str) -> None:
    """`label  value` on one line when it fits the terminal, else the value on the lines
    below, wrapped at spaces: a digest or a path is never split from its start."""
    from rich.text import Text

    line = Text.from_markup(f"{label:<10}{value}")
    if line.cell_len <= console.width:
        console.print(line, soft_wrap=True)
        return
    console.print(label)
    console.print(Text("  ").append_text(Text.from_markup(value)), soft_wrap=False)


def _next(config: Any, ticket: Ticket) -> list[str]:
    from pubflow.records.states import ways_forward

    return ways_forward(ticket.id, ticket.state, ticket.pattern.id, config.environments)


def _say_recovered(recovered: str | None) -> None:
    if recovered:
        print(f"pubflow: {recovered}", file=sys.stderr)


@ticket_app.command("list")
@handle_errors
def list_tickets(
    state: Annotated[str | None, typer.Option("--state", help="Only tickets in this state.",
                                              show_default=False)] = None,
    reviewer: Annotated[str | None, typer.Option("--reviewer", help="Only this reviewer's.",
                                                 show_default=False)] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only reviews past due.")] = False,
    output_format: FormatOpt = Format.text,
) -> None:
    """List tickets, oldest first.

    Examples:

      pubflow ticket list --state in_review --reviewer rlee

      pubflow ticket list --overdue --format json
    """
    from pubflow.records.index import summaries
    from pubflow.records.states import State
    from pubflow.records.store import TicketStore

    if state is not None and state not in set(State):
        raise UsageError(f"unknown state '{state}'; states: {', '.join(State)}")
    config, now = repo_context()
    _say_recovered(recover_pending(config.root))
    tickets = summaries(TicketStore(config.root))
    if state is not None:
        tickets = [t for t in tickets if t.state == state]
    if reviewer is not None:
        from pubflow.tickets.service import find_reviewer

        known = find_reviewer(config, reviewer)
        wanted = known.id if known else reviewer
        tickets = [t for t in tickets if t.reviewer == wanted]
    if overdue:
        tickets = [t for t in tickets if t.is_overdue(now)]
    if output_format is Format.json:
        rows = [t.to_json(now) for t in tickets]
        write_output(json.dumps({"tickets": rows}, indent=2) + "\n", None)
        return
    if not tickets:
        sys.stderr.write("pubflow: no tickets match\n")
        return
    from pubflow.cli.tables import Col, print_table

    cells = []
    for summary in tickets:
        due = (summary.due or "-") + (" OVERDUE" if summary.is_overdue(now) else "")
        cells.append([shown(value) for value in (
            summary.id, summary.state, summary.priority, summary.pattern_id,
            summary.pattern_version or "?", summary.reviewer or "-", due)])
    columns = [Col(name, keep=True) for name in ("ticket", "state", "priority", "pattern",
                                                 "version", "reviewer")]
    print_table(make_console(), None, [*columns, Col("due")], cells)


@ticket_app.command("history")
@handle_errors
def history(ticket_id: TicketArg, output_format: FormatOpt = Format.text) -> None:
    """Every event of a ticket, oldest first: who, when (UTC), what and why.

    Example: pubflow ticket history PUB-2026-001
    """
    from pubflow.records.store import TicketStore

    config, _now = repo_context()
    _say_recovered(recover_pending(config.root))
    ticket = TicketStore(config.root).load(ticket_id)
    if output_format is Format.json:
        write_output(json.dumps({"id": ticket.id, "history": ticket.to_plain()["history"]},
                                indent=2) + "\n", None)
        return
    _print_history(make_console(), ticket)


@ticket_app.command("route")
@handle_errors
def route(
    ticket_id: TicketArg,
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", help="Assign this reviewer (id or email) instead of routing.",
        show_default=False)] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Why (needed to re-route a ticket already in review).",
        show_default=False)] = None,
) -> None:
    """Assign a reviewer whose industries match, with the lightest open queue; set the due
    date by priority (review_sla_days). A ticket in review is re-routed with --reason.

    Examples:

      pubflow ticket route PUB-2026-001

      pubflow ticket route PUB-2026-001 --reviewer rlee

      pubflow ticket route PUB-2026-001 --reason "rlee is away"
    """
    from pubflow.tickets import service

    config, now = repo_context()
    routed = service.route(config, ticket_id, acting_actor(config), now, reviewer, reason)
    _say_recovered(routed.recovered)
    report_deliveries(routed.deliveries)
    ticket = routed.ticket
    write_output(f"{ticket.id}: in_review, reviewer {ticket.reviewer}, due {ticket.due}\n", None)


@ticket_app.command("review", context_settings={"allow_extra_args": True,
                                               "ignore_unknown_options": True})
@handle_errors
def review(
    ctx: typer.Context,
    ticket_id: TicketArg,
    decision: Annotated[Decision, typer.Option("--decision", help="The review decision.",
                                               show_default=False)],
    comment: Annotated[str | None, typer.Option(
        "--comment", "-m", help="Feedback for the author (needed to reject or request changes).",
        show_default=False)] = None,
    severity: Annotated[Severity | None, typer.Option(
        "--severity", help="How serious the feedback is.", show_default=False)] = None,
    resolve: Annotated[list[str] | None, typer.Option(
        "--resolve", help="Resolve an open section comment (its id, e.g. C1; or all).",
        show_default=False)] = None,
) -> None:
    """Record a reviewer's decision. The pattern's author can never review their own pattern.

    --on FIELD TEXT (repeatable) comments on one section of the pattern, e.g. --on
    implementationChecklist "step 4 has no owner"; FIELD:SEVERITY sets the comment's
    severity (critical, major, minor; default --severity, else minor). A comment stays open
    until a later review resolves it (--resolve ID); an approval resolves them all.

    Before promotion, a reviewer who approved may take the approval back with
    request-changes or reject.

    Examples:

      pubflow --actor rlee ticket review PUB-2026-001 --decision approve

      pubflow --actor rlee ticket review PUB-2026-001 --decision request-changes \\
          --on implementationChecklist:major "Step 4 needs an owner"
    """
    from pubflow.tickets import service

    on = _on_pairs(list(ctx.args))
    config, now = repo_context()
    decided = service.review(config, ticket_id, acting_actor(config), now, decision.value,
                             comment, severity.value if severity else None, tuple(on),
                             tuple(resolve or ()))
    _say_recovered(decided.recovered)
    report_deliveries(decided.deliveries)
    ticket = decided.ticket
    lines = [f"{ticket.id}: {ticket.state}"]
    lines += [f"  {c.id} [{c.severity}] on {c.field}: {shown(c.text)}"
              for c in ticket.comments() if c.open]
    write_output("\n".join(lines) + "\n", None)


def _on_pairs(extra: list[str]) -> list[tuple[str, str]]:
    """`--on FIELD TEXT` pairs from the arguments click did not know (it cannot take a
    repeatable option of two values through typer)."""
    pairs = []
    while extra:
        token = extra.pop(0)
        if token != "--on":
            raise UsageError(f"unexpected argument '{token}'",
                             hint="See `pubflow ticket review --help`.")
        if len(extra) < 2 or extra[0].startswith("--"):
            raise UsageError("--on needs a FIELD and a TEXT, e.g. --on "
                             "implementationChecklist \"step 4 has no owner\"")
        pairs.append((extra.pop(0), extra.pop(0)))
    return pairs


@ticket_app.command("resubmit")
@handle_errors
def resubmit(ticket_id: TicketArg, events: EventsForDemand = None) -> None:
    """After changes: validate again, pin the new content, return to the same reviewer.

    Example: pubflow ticket resubmit PUB-2026-001
    """
    from pubflow.tickets import service

    config, now = repo_context()
    outcome = service.resubmit(config, ticket_id, acting_actor(config), now,
                               _demand(config, events))
    _say_recovered(outcome.recovered)
    report_deliveries(outcome.deliveries)
    ticket = outcome.ticket
    lines = [f"{f['file']}:{f['line']}:{f['column']}: {f.get('severity', 'error')}"
             f"[{f['rule']}] {f['message']}" for f in ticket.findings]
    lines.append(f"{ticket.id}: {ticket.state} (sha256 {ticket.pattern.digest[:12]})")
    unresolved = [c for c in ticket.comments() if c.open]
    if unresolved:
        lines.append(f"{len(unresolved)} section comment(s) still open; the reviewer resolves "
                     "them on the next review:")
        lines += [f"  {c.id} [{c.severity}] on {c.field}: {shown(c.text)}" for c in unresolved]
    write_output("\n".join(lines) + "\n", None)
    if ticket.state == "validation_failed":
        raise typer.Exit(EXIT_FINDINGS)


@ticket_app.command("withdraw")
@handle_errors
def withdraw(
    ticket_id: TicketArg,
    reason: Annotated[str, typer.Option("--reason", "-m", help="Why it is withdrawn.",
                                        show_default=False)],
) -> None:
    """Give up a submission that is still open (any state before live): the ticket ends
    withdrawn and the pattern is no longer locked. The author or an editor may.

    Examples:

      pubflow ticket withdraw PUB-2026-001 --reason "replaced by a new pattern"

      pubflow --actor editor1 ticket withdraw PUB-2026-001 --reason "author left"
    """
    from pubflow.tickets import service

    config, now = repo_context()
    outcome = service.withdraw(config, ticket_id, acting_actor(config), now, reason)
    _say_recovered(outcome.recovered)
    ticket = outcome.ticket
    before = ticket.history[-1].from_state
    lines = [f"{ticket.id}: withdrawn ({ticket.pattern.id} is no longer locked)"]
    if before == "staged":
        lines.append(f"note: the release stays in the environments it was staged in until a "
                     f"newer one replaces it or `pubflow rollback {ticket.pattern.id} --env "
                     "ENV --depublish` takes it out")
    write_output("\n".join(lines) + "\n", None)


def _summary(ticket: Ticket, now: datetime) -> dict[str, Any]:
    pinned = ticket.pattern
    author = ticket.author
    return {
        "id": ticket.id,
        "state": str(ticket.state),
        "priority": ticket.priority,
        "pattern": {"id": pinned.id, "path": pinned.path, "version": pinned.version,
                    "digest": pinned.digest},
        "author": {"id": author.id, "email": author.email},
        "reviewer": ticket.reviewer,
        "due": ticket.due,
        "overdue": ticket.is_overdue(now),
    }


def _print_history(console: Any, ticket: Ticket) -> None:
    from pubflow.cli.tables import Col, print_table

    rows = []
    for event in ticket.history:
        # a bookkeeping event (an escalation, a new id) leaves the state as it was
        same = event.from_state == event.to_state
        rows.append([shown(value) for value in (
            event.at, event.actor, event.event, event.from_state or "-",
            "(unchanged)" if same else event.to_state, event.reason or "")])
    columns = [Col(name, keep=True) for name in ("at (UTC)", "actor", "event", "from", "to")]
    print_table(console, shown(ticket.id), [*columns, Col("reason")], rows)


@ticket_app.command("verify")
@handle_errors
def verify(
    ticket_id: Annotated[str | None, typer.Argument(
        help="One ticket (default: every ticket).", metavar="[TICKET]",
        show_default=False)] = None,
) -> None:
    """Check tickets: schema, hash chain of the history, state, unique ids, pinned digests.

    Exit 1 naming the ticket and the event when anything does not add up (a past event
    edited by hand, say).

    Examples:

      pubflow ticket verify

      pubflow ticket verify PUB-2026-001
    """
    from pubflow.records.verify import verify as run_verify

    config, _now = repo_context()
    result = run_verify(config.root, ticket_id)
    for problem in result.problems:
        sys.stdout.write(f"{problem}\n")
    if not result.ok:
        sys.stderr.write(f"pubflow: {len(result.problems)} problem(s) in "
                         f"{result.checked} ticket(s)\n")
        raise typer.Exit(EXIT_FINDINGS)
    sys.stdout.write(f"{result.checked} ticket(s) verified\n")


@ticket_app.command("resolve-ids")
@handle_errors
def resolve_ids() -> None:
    """After `git merge`: give the other branch's ticket a free id when both created the same id.

    Keeps our ticket under its id, renumbers theirs (a `renumbered` event records the old
    id), and stages both; then finish the merge with `git commit`. The same ticket changed on
    both branches is refused: that is two decisions, and a person must pick one.

    Example: git merge feature || pubflow ticket resolve-ids && git commit --no-edit
    """
    from pubflow.tickets.renumber import resolve_id_conflicts

    config, now = repo_context()
    done = resolve_id_conflicts(config.root, acting_actor(config), now)
    if not done:
        sys.stderr.write("pubflow: no conflicting ticket files\n")
        return
    for item in done:
        sys.stdout.write(f"{item.old_id} (theirs) -> {item.new_id}\n")


@ticket_app.command("merge-driver")
@handle_errors
def merge_driver(
    base: Annotated[Path, typer.Argument(help="git's %O: the common ancestor's version.",
                                         show_default=False)],
    ours: Annotated[Path, typer.Argument(help="git's %A: our version; the result goes here.",
                                         show_default=False)],
    theirs: Annotated[Path, typer.Argument(help="git's %B: their version.",
                                           show_default=False)],
    name: Annotated[str | None, typer.Argument(help="git's %P: the file's path.",
                                               show_default=False)] = None,
) -> None:
    """git's merge driver for ticket files: unites the histories of one ticket from two branches.

    git runs it (see `pubflow ticket setup-merge`); exit 0 with the merged file in OURS, or 1
    to leave a conflict. Events both branches added are kept: re-chained after each other
    when they are legal in that order, otherwise recorded under a `merged` event.

    Example (what git runs): pubflow ticket merge-driver %O %A %B %P
    """
    from pubflow.records.merge import merge_ticket
    from pubflow.storage import git as gitrepo

    shown = name or ours.name
    try:
        ours_bytes, theirs_bytes = ours.read_bytes(), theirs.read_bytes()
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read a side of the merge: {exc.strerror or exc}") from exc
    actor = (STATE.actor or "").strip() or gitrepo.user_email(Path.cwd()) or "git-merge"
    outcome = merge_ticket(ours_bytes, theirs_bytes, shown, actor, datetime.now(UTC))
    for note in outcome.notes:
        sys.stderr.write(f"pubflow: {note}\n")
    if outcome.needs_text_merge:
        conflicts = gitrepo.merge_file_text(ours, base, theirs)
        if conflicts:
            sys.stderr.write(f"pubflow: {shown}: the same history but conflicting edits to "
                             "other fields; resolve the markers by hand\n")
            raise typer.Exit(EXIT_FINDINGS)
        return
    if outcome.content is None:
        raise typer.Exit(EXIT_FINDINGS)
    from pubflow.storage.files import atomic_write_bytes

    atomic_write_bytes(ours, outcome.content)


@ticket_app.command("setup-merge")
@handle_errors
def setup_merge() -> None:
    """Register pubflow's merge driver so `git merge` unites ticket histories by itself.

    Adds `.pubflow/tickets/*.yaml merge=pubflow-ticket` to `.gitattributes` (committed) and
    the driver command to this clone's git config (run it once in every clone).

    Example: pubflow ticket setup-merge
    """
    from pubflow.records.merge import driver_command, install_driver

    config, _now = repo_context()
    command = driver_command()
    done = install_driver(config.root, command)
    if done.attributes_added:
        sys.stdout.write(f".gitattributes: ticket files merge with pubflow-ticket "
                         f"(commit {done.commit[:10] if done.commit else '?'})\n")
    if done.config_set:
        sys.stdout.write(f"git config merge.pubflow-ticket.driver: {command}\n")
    if not (done.attributes_added or done.config_set):
        sys.stdout.write("the merge driver is already set up\n")
