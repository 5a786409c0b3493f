"""What the ticket commands do: create, route, review, resubmit. No printing, no exiting.

Each operation holds the store's lock from reading the ticket to committing it, so two
pubflow processes never interleave their changes to one ticket or take the same id.
Every state change is written and committed on its own: `git log` is the audit trail.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pubflow.checks.metadata import pattern_metadata, priority
from pubflow.config import Config, Reviewer
from pubflow.errors import GateRefused, InputError, UsageError
from pubflow.findings import FileResult, Severity
from pubflow.records import transaction
from pubflow.records.states import OPEN_STATES, State, check_transition, ways_forward
from pubflow.records.store import TicketStore, check_schema, new_document
from pubflow.records.tickets import (
    Author,
    PinnedPattern,
    Ticket,
    append_event,
    author_record,
    is_person,
    pin_record,
    utc_text,
)

PATTERN_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DECISIONS: dict[str, State] = {
    "approve": State.APPROVED,
    "reject": State.REJECTED,
    "request-changes": State.CHANGES_REQUESTED,
}
SEVERITIES = ("critical", "major", "minor")


@dataclass(frozen=True, slots=True)
class Outcome:
    """A ticket after an operation, and the validation result when one was run."""

    ticket: Ticket
    validation: FileResult | None = None
    commits: tuple[str, ...] = ()
    deliveries: tuple[Any, ...] = ()
    """Notification deliveries (`notify.outbox.Delivery`); a failed one is queued, not fatal."""
    recovered: str | None = None
    """What was finished or undone of a command a crash interrupted, before this one ran."""


def resolve_pattern(config: Config, given: str) -> Path:
    """A pattern id (`incident-escalation`) or a path, refused when outside the repository."""
    if given.endswith(".json") or "/" in given or os.sep in given:
        path = Path(given)
        path = path if path.is_absolute() else Path.cwd() / path
    else:
        path = config.patterns_path / f"{given}.json"
    path = Path(os.path.normpath(path))
    real_root = os.path.realpath(config.root)
    real = os.path.realpath(path)
    if not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise InputError(f"{given}: the pattern file is outside the repository ({real})",
                         hint="Tickets can only be opened for patterns inside this repository.")
    if not path.is_file():
        raise InputError(f"{given}: no such pattern file ({_rel(path, config.root)})",
                         hint="Give a pattern id or the path of its .json file.")
    return path


def create(config: Config, given: str, actor: str, now: datetime,
           demand: dict[str, float] | None = None) -> Outcome:
    """Submit a pattern. `demand`: topic weights measured from the platform's events, over
    the `demand` of pubflow.yaml (which wins where both name a topic)."""
    from pubflow.storage import git as gitrepo

    path = resolve_pattern(config, given)
    gitrepo.ensure_repository(config.root)
    result, pinned, author, data = _check_pattern(config, path)
    on_behalf_of = _check_submitter(config, actor, author, pinned)
    _require_committed(config, path)
    store = TicketStore(config.root)
    with transaction.locked(config.root) as recovered:
        from pubflow.records.index import summaries

        for other in summaries(store):
            if other.state in OPEN_STATES and (other.pattern_id == pinned.id or
                                               other.pattern_path == pinned.path):
                raise GateRefused(f"{pinned.path}: ticket {other.id} for this pattern is still "
                                  f"open ({other.state})",
                                  hint=f"Continue with `pubflow ticket show {other.id}`.")
        ticket_id = store.next_id(now)
        doc = new_document(ticket_id)
        doc["state"] = State.SUBMISSION_RECEIVED.value
        weights = {**(demand or {}), **config.demand_weights()}
        doc["priority"] = priority(result.facts.marginal, data, weights)
        doc["pattern"] = {}
        doc["author"] = {"id": author.id, "email": author.email, "name": author.name}
        doc["reviewer"] = None
        doc["due"] = None
        doc["findings"] = []
        ticket = Ticket(doc, store.path_of(ticket_id))
        ticket.pin(pinned)
        append_event(doc, actor=actor, event="submitted", from_state=None,
                     to=State.SUBMISSION_RECEIVED, now=now, reason="pattern submitted",
                     digest=pinned.digest, author=author_record(author),
                     pattern=pin_record(pinned), priority=doc["priority"],
                     on_behalf_of=on_behalf_of)
        by = f" by {author.id}" if author.id else ""
        submitted = _change(config, ticket, f"{ticket_id}: submission_received "
                                            f"({pinned.id} {pinned.version or '?'}{by})")
        validated = _record_validation(config, ticket, result, actor, now, "validated", data,
                                       weights)
        commits = _apply(config, submitted, validated)
    from pubflow.notify import events

    sent = events.ticket_created(config, ticket, now, _failed_report(config, ticket, result))
    return Outcome(ticket, result, commits, tuple(sent), recovered)


def route(config: Config, ticket_id: str, actor: str, now: datetime,
          reviewer_id: str | None = None, reason: str | None = None) -> Outcome:
    """Route a ticket waiting for review; or re-route one `in_review` (the reviewer is away,
    say), which needs a reason: automatically to another qualifying reviewer, or to
    `reviewer_id`. The due date follows the ticket's priority (`review_sla_days`)."""
    store = TicketStore(config.root)
    with transaction.locked(config.root) as recovered:
        ticket = store.load(ticket_id)
        if config.person(actor, (*config.editors, *config.admins)) is None:
            raise GateRefused(f"{ticket.id}: '{actor}' may not route tickets: only the editors "
                              "(and admins) listed in pubflow.yaml route a ticket to a reviewer",
                              hint=_CONFIGURE)
        rerouting = ticket.state is State.IN_REVIEW
        if not rerouting:
            check_transition(ticket.id, ticket.state, State.IN_REVIEW, _forward(config, ticket))
        if ticket.state not in (State.READY_FOR_REVIEW, State.IN_REVIEW):
            raise GateRefused(f"{ticket.id}: route needs a ticket in ready_for_review (or "
                              f"in_review, to re-route it), not {ticket.state}",
                              hint=_forward(config, ticket))
        current = ticket.reviewer
        if rerouting and not (reason and reason.strip()):
            raise UsageError(f"{ticket.id} is in review with {current}; re-routing it needs "
                             "a --reason (say, the reviewer is away)")
        queues = _queues(store)
        if rerouting and current is not None:
            queues[current] = max(queues.get(current, 1) - 1, 0)  # this ticket leaves it
        reviewer = _choose_reviewer(config, ticket, queues, reviewer_id,
                                    leaving=current if rerouting else None)
        due = utc_text(now + timedelta(days=config.review_days(ticket.priority)))
        ticket.doc["reviewer"] = reviewer.id
        ticket.doc["due"] = due
        how = "assigned" if reviewer_id else "routed"
        if rerouting:
            why = f"re-{how} from {current} to {reviewer.id}: {reason.strip() if reason else ''}"
            append_event(ticket.doc, actor=actor, event="routed", from_state=State.IN_REVIEW,
                         to=State.IN_REVIEW, now=now, reason=why, reviewer=reviewer.id,
                         due=due, previous_reviewer=current)
            message = f"{ticket.id}: in_review (re-{how} from {current} to {reviewer.id}, " \
                      f"due {due})"
        else:
            ticket.transition(State.IN_REVIEW, actor=actor, event="routed", now=now,
                              reason=f"{how} to {reviewer.id}" + (
                                  f": {reason.strip()}" if reason and reason.strip() else ""),
                              reviewer=reviewer.id, due=due)
            message = f"{ticket.id}: in_review ({how} to {reviewer.id}, due {due})"
        commits = _apply(config, _change(config, ticket, message))
    from pubflow.notify import events

    sent = events.ticket_routed(config, ticket, reviewer, now)
    return Outcome(ticket, commits=commits, deliveries=tuple(sent), recovered=recovered)


def review(config: Config, ticket_id: str, actor: str, now: datetime, decision: str,
           comment: str | None, severity: str | None,
           on: tuple[tuple[str, str], ...] = (), resolve: tuple[str, ...] = ()) -> Outcome:
    """Record a decision. `on`: comments on sections, (FIELD or FIELD:SEVERITY, text), each
    kept open until a later review resolves it (`resolve`: comment ids, or `all`); an
    approval resolves every comment still open."""
    target = DECISIONS.get(decision)
    if target is None:
        raise UsageError(f"unknown decision '{decision}'; choose one of {', '.join(DECISIONS)}")
    if severity is not None and severity not in SEVERITIES:
        raise UsageError(f"unknown severity '{severity}'; choose one of {', '.join(SEVERITIES)}")
    sections = _section_comments(on, severity)
    if target is not State.APPROVED and not (comment and comment.strip()) and not sections:
        raise UsageError(f"--decision {decision} needs a --comment (or --on FIELD TEXT) telling "
                         "the author what to fix")
    store = TicketStore(config.root)
    with transaction.locked(config.root) as recovered:
        ticket = store.load(ticket_id)
        reviewer = find_reviewer(config, actor)
        if reviewer is None:
            raise GateRefused(f"{ticket.id}: '{actor}' is not a configured reviewer; only the "
                              "reviewers listed in pubflow.yaml may decide",
                              hint="Pass --actor with a reviewer's id or email.")
        found = ticket.replay()
        author = found.author or ticket.author
        if is_author(author, actor, reviewer):
            raise GateRefused(f"{ticket.id}: {actor} is the author of {ticket.pattern.id} and "
                              "cannot review their own pattern")
        state = State(found.state or ticket.state)
        more = target is State.APPROVED and state in (State.APPROVED, State.STAGED)
        if more:
            _check_more_approval(ticket, found.approvals, reviewer)
        elif state is State.APPROVED:
            _check_retraction(ticket, found.approvals, reviewer, decision)
        else:
            check_transition(ticket.id, state, target, _forward(config, ticket))
            if found.reviewer is not None and reviewer.id != found.reviewer:
                raise GateRefused(f"{ticket.id}: the ticket is routed to {found.reviewer}; "
                                  f"{reviewer.id} cannot decide it",
                                  hint="Only the routed reviewer decides; once it is approved "
                                       "other reviewers may add their approval.")
        if target is State.APPROVED:
            _refuse_changed(config, store, ticket)
        open_ids = [c.id for c in ticket.comments() if c.open]
        resolved = _resolved(ticket, open_ids, resolve, target)
        numbered = _numbered(ticket, sections)
        reason = (comment.strip() if comment and comment.strip() else
                  f"{len(numbered)} section comment(s)" if numbered else "approved")
        notes: dict[str, Any] = {}
        if numbered:
            notes["comments"] = numbered
        if resolved:
            notes["resolved"] = resolved
        if more:
            append_event(ticket.doc, actor=actor, event="reviewed", from_state=state, to=state,
                         now=now, reason=reason, decision=decision, reviewer=reviewer.id,
                         digest=ticket.pattern.digest, **notes)
        else:
            ticket.transition(target, actor=actor, event="reviewed", now=now, reason=reason,
                              decision=decision, reviewer=reviewer.id,
                              severity=severity if target is not State.APPROVED else None,
                              digest=ticket.pattern.digest, **notes)
        if target is not State.CHANGES_REQUESTED and not more:
            ticket.doc["due"] = None
        commits = _apply(config, _change(
            config, ticket, f"{ticket.id}: {target} by {reviewer.id}"
            + (f" ({severity})" if severity and target is not State.APPROVED else "")
            + (" (approval taken back)" if state is State.APPROVED and not more else "")))
    from pubflow.notify import events

    sent = events.ticket_decided(config, ticket, decision, reviewer.id, comment, severity, now)
    return Outcome(ticket, commits=commits, deliveries=tuple(sent), recovered=recovered)


SECTION_FIELDS = ("name", "author", "industries", "tags", "hookMarkdown", "problemMarkdown",
                  "brokenSignals", "asIsDiagramMermaid", "orchestratedMarkdown",
                  "orchestratedDiagramMermaid", "scorecard", "acceptanceCriteria",
                  "implementationChecklist", "relatedPatterns")
"""The pattern fields a section comment may name (the pattern schema's sections)."""


def _section_comments(on: tuple[tuple[str, str], ...],
                      severity: str | None) -> list[tuple[str, str, str]]:
    """(field, severity, text) of each `--on FIELD[:SEVERITY] TEXT`, refused when the field
    is not a section or the text is empty."""
    found = []
    for where, text in on:
        field, _, level = where.partition(":")
        level = level or severity or "minor"
        if field not in SECTION_FIELDS:
            raise UsageError(f"--on {where}: '{field}' is not a section of a pattern; choose "
                             f"one of {', '.join(SECTION_FIELDS)}")
        if level not in SEVERITIES:
            raise UsageError(f"--on {where}: unknown severity '{level}'; choose one of "
                             f"{', '.join(SEVERITIES)}")
        if not text.strip():
            raise UsageError(f"--on {where}: the comment is empty")
        found.append((field, level, text.strip()))
    return found


def _numbered(ticket: Ticket, sections: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    """New comments with ids that continue the ticket's (C1, C2, ...)."""
    start = len(ticket.comments())
    return [{"id": f"C{start + n}", "field": field, "severity": level, "text": text}
            for n, (field, level, text) in enumerate(sections, 1)]


def _resolved(ticket: Ticket, open_ids: list[str], resolve: tuple[str, ...],
              target: State) -> list[str]:
    """The open comments this review resolves: those named (or `all`); an approval resolves
    every one still open."""
    if target is State.APPROVED or "all" in resolve:
        return list(open_ids)
    known = {c.id for c in ticket.comments()}
    for wanted in resolve:
        if wanted not in known:
            raise UsageError(f"--resolve {wanted}: {ticket.id} has no comment {wanted}; open: "
                             f"{', '.join(open_ids) or 'none'}")
        if wanted not in open_ids:
            raise UsageError(f"--resolve {wanted}: already resolved")
    return [i for i in open_ids if i in resolve]


def _require_committed(config: Config, path: Path) -> None:
    """A ticket pins committed content only: what is reviewed and published is what the
    repository holds, never a file that exists only in someone's work tree."""
    from pubflow.storage import git as gitrepo

    state = gitrepo.uncommitted(config.root, path)
    if state is not None:
        shown = _rel(path, config.root)
        raise GateRefused(f"{shown}: {state}; a ticket pins committed content only",
                          hint=f"Commit it first: git add {shown} && git commit -m "
                               f"\"{path.stem}: ready for review\"")


def resubmit(config: Config, ticket_id: str, actor: str, now: datetime,
             demand: dict[str, float] | None = None) -> Outcome:
    store = TicketStore(config.root)
    with transaction.locked(config.root) as recovered:
        ticket = store.load(ticket_id)
        author = ticket.replay().author or ticket.author
        if not is_person(actor, author.id, author.email) and config.person(
                actor, (*config.editors, *config.admins)) is None:
            raise GateRefused(f"{ticket.id}: '{actor}' may not resubmit {ticket.pattern.id}: "
                              f"only its author ({author.id or author.email}) or an editor "
                              "listed in pubflow.yaml may", hint=_CONFIGURE)
        if ticket.state not in (State.CHANGES_REQUESTED, State.VALIDATION_FAILED):
            raise GateRefused(f"{ticket.id}: resubmit needs a ticket in changes_requested or "
                              f"validation_failed, not {ticket.state}",
                              hint=_forward(config, ticket))
        path = store.check_pattern_path(ticket.pattern.path, store.display(ticket.path))
        if path.is_file():
            _require_committed(config, path)
        if not path.is_file():
            raise InputError(f"{ticket.pattern.path}: the pattern file of {ticket.id} is gone")
        result, pinned, _author, data = _check_pattern(config, path)
        if pinned.id != ticket.pattern.id:
            raise GateRefused(f"{ticket.id}: {ticket.pattern.path} now has id '{pinned.id}', "
                              f"but the ticket is for '{ticket.pattern.id}'")
        ticket.pin(pinned)
        commits = _apply(config, _record_validation(
            config, ticket, result, actor, now, "resubmitted", data,
            {**(demand or {}), **config.demand_weights()}))
    report = _failed_report(config, ticket, result)
    sent = []
    if report is not None:
        from pubflow.notify import events

        sent = events.validation_failed(config, ticket, report, now)
    return Outcome(ticket, result, commits, tuple(sent), recovered=recovered)


def _failed_report(config: Config, ticket: Ticket, result: FileResult) -> str | None:
    """The Markdown validation report for the author of a submission that failed, else None."""
    if ticket.state is not State.VALIDATION_FAILED:
        return None
    from pubflow import __version__
    from pubflow.findings import ValidationReport
    from pubflow.reporters import ReportOptions, stream_report

    report = ValidationReport(files=(result,), root=str(config.root))
    return "".join(stream_report("markdown", report, ReportOptions(tool_version=__version__)))


def _record_validation(config: Config, ticket: Ticket, result: FileResult, actor: str,
                       now: datetime, event: str, data: dict[str, Any],
                       demand: dict[str, float]) -> transaction.Change:
    """The validation's outcome, the pattern's metadata (words per section, broken signals,
    industries, complexity) and its priority (marginal score, topic demand)."""
    pinned = ticket.pattern
    metadata = pattern_metadata(data).to_json()
    ticket.doc["findings"] = [
        {"file": f.file, "line": f.line, "column": f.column, "rule": f.rule,
         "severity": f.severity.value, "message": f.message}
        for f in result.findings if f.severity is not Severity.NOTE
    ]
    ticket.doc["priority"] = priority(result.facts.marginal, data, demand)
    ticket.doc["metadata"] = pattern_metadata(data).to_json()  # its own copy: no YAML alias
    if result.ready_for_review:
        target = State.IN_REVIEW if ticket.reviewer else State.READY_FOR_REVIEW
        reason = f"validated {pinned.id} {pinned.version or '?'}"
        if result.facts.marginal:
            reason += f" (marginal score {result.facts.score_total}/40: priority review)"
    else:
        target = State.VALIDATION_FAILED
        reason = f"{result.errors} validation error(s) in {pinned.path}"
    due = None
    if target is State.IN_REVIEW:
        due = utc_text(now + timedelta(days=config.review_days(ticket.doc["priority"])))
        ticket.doc["due"] = due
    ticket.transition(target, actor=actor, event=event, now=now, reason=reason,
                      digest=pinned.digest, errors=result.errors, due=due,
                      pattern=pin_record(pinned), priority=ticket.doc["priority"],
                      metadata=metadata)
    return _change(config, ticket, f"{ticket.id}: {target} ({reason})")


def _check_pattern(config: Config, path: Path
                   ) -> tuple[FileResult, PinnedPattern, Author, dict[str, Any]]:
    from pubflow.validation.run import ValidateRequest, validate

    raw = path.read_bytes()
    report = validate(ValidateRequest(config=config, paths=(path,), use_cache=False))
    result = report.files[0]
    # Size and depth are limited before any parser sees the pattern: `validate` refused it
    # with a located finding, which is the error here (no ticket for a file pubflow can't read).
    from pubflow.storage.jsonsource import JsonDocument, parse_json_bytes

    for limit in result.findings:
        if limit.rule in ("json.too-deep", "json.too-large"):
            raise InputError(f"{limit.file}:{limit.line}:{limit.column}: {limit.message}",
                             hint=limit.hint)
    parsed = parse_json_bytes(raw, _rel(path, config.root))
    data: Any = parsed.data if isinstance(parsed, JsonDocument) else None
    data = data if isinstance(data, dict) else {}
    author_raw = data.get("author") if isinstance(data.get("author"), dict) else {}
    author = Author(_text(author_raw.get("id")), _text(author_raw.get("email")),
                    _text(author_raw.get("name")))
    industries = data.get("industries") if isinstance(data.get("industries"), list) else []
    stem = path.name[: -len(".json")] if path.name.endswith(".json") else path.stem
    if not PATTERN_ID.match(stem):
        raise InputError(f"{_rel(path, config.root)}: '{stem}' is not a pattern id "
                         "(kebab-case, like incident-escalation)",
                         hint="Name the file after the pattern's id.")
    pattern_id = result.facts.id if result.facts.id and result.facts.id == stem else stem
    pinned = PinnedPattern(pattern_id, _rel(path, config.root), result.facts.version,
                           hashlib.sha256(raw).hexdigest(),
                           tuple(str(i) for i in industries if isinstance(i, str)))
    return result, pinned, author, data


def _refuse_changed(config: Config, store: TicketStore, ticket: Ticket) -> None:
    path = store.check_pattern_path(ticket.pattern.path, store.display(ticket.path))
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = ""
    if digest != ticket.pattern.digest:
        raise GateRefused(f"{ticket.id}: {ticket.pattern.path} differs from the reviewed "
                          "content pinned in the ticket",
                          hint="Request changes so the author can resubmit, or restore the "
                               "pinned file.")


_CONFIGURE = ("People and what they may do are configured in pubflow.yaml (`reviewers`, "
              "`editors`, `promoters`, `admins`); act with --actor as one of them.")


def find_reviewer(config: Config, actor: str) -> Reviewer | None:
    """The configured reviewer `actor` is: by id exactly, or by email (trimmed, any case)."""
    found = config.person(actor.strip(), config.reviewers)
    return found if isinstance(found, Reviewer) else None


def is_author(author: Author, actor: str, reviewer: Reviewer | None = None) -> bool:
    """Whether the actor, or the reviewer entry they act as, is the author: ids exactly,
    emails trimmed and case-insensitively."""
    if is_person(actor, author.id, author.email):
        return True
    return reviewer is not None and reviewer.same_as(author.id, author.email)


def _check_submitter(config: Config, actor: str, author: Author,
                     pinned: PinnedPattern) -> str | None:
    """None when the actor is the pattern's author; the author when an editor submits for
    them; refused otherwise."""
    if is_person(actor, author.id, author.email):
        return None
    if config.person(actor, (*config.editors, *config.admins)) is not None:
        return author.id or author.email or "unknown"
    named = author.id or author.email or "nobody (the pattern names no author)"
    raise GateRefused(f"{pinned.path}: '{actor}' is not the author of {pinned.id} ({named}) "
                      "and not an editor in pubflow.yaml; only the author, or an editor on "
                      "their behalf, may submit it",
                      hint="Submit as the author (--actor with the id or email in the "
                           "pattern's `author`), or ask an editor listed under `editors`.")


def _check_retraction(ticket: Ticket, approvals: tuple[Any, ...], reviewer: Reviewer,
                      decision: str) -> None:
    """Before promotion, a reviewer who approved the pinned content (or the routed reviewer)
    may take the approval back: request changes, or reject."""
    routed = ticket.replay().reviewer
    approved = any(a.digest == ticket.pattern.digest and (
        a.reviewer == reviewer.id or reviewer.matches(a.actor)) for a in approvals)
    if not approved and reviewer.id != routed:
        raise GateRefused(f"{ticket.id}: {reviewer.id} has not approved it and it is routed "
                          f"to {routed}; only a reviewer who approved it may take the "
                          f"approval back ({decision})",
                          hint=f"Ask {routed} or one of its approvers.")


def _check_more_approval(ticket: Ticket, approvals: tuple[Any, ...],
                         reviewer: Reviewer) -> None:
    """A further approval of an approved (or staged) ticket, for environments that need more
    than one: each reviewer counts once per pinned content."""
    for approval in approvals:
        if approval.digest == ticket.pattern.digest and (
                approval.reviewer == reviewer.id or reviewer.matches(approval.actor)):
            raise GateRefused(f"{ticket.id}: {reviewer.id} has already approved this content "
                              f"(sha256 {ticket.pattern.digest[:12]})",
                              hint="Another configured reviewer must add the next approval.")


def _queues(store: TicketStore) -> dict[str, int]:
    from pubflow.records.index import summaries

    queues: dict[str, int] = {}
    for ticket in summaries(store):
        if ticket.state == State.IN_REVIEW and ticket.reviewer:
            queues[ticket.reviewer] = queues.get(ticket.reviewer, 0) + 1
    return queues


def _choose_reviewer(config: Config, ticket: Ticket, queues: dict[str, int],
                     wanted: str | None, leaving: str | None = None) -> Reviewer:
    industries = set(ticket.pattern.industries)
    reasons: list[str] = []
    candidates: list[Reviewer] = []
    pool = config.reviewers
    if wanted is not None:
        chosen = find_reviewer(config, wanted)
        if chosen is None:
            raise GateRefused(f"{ticket.id}: '{wanted}' is not a configured reviewer",
                              hint="Reviewers are listed under `reviewers` in pubflow.yaml.")
        pool = (chosen,)
    for reviewer in pool:
        load = queues.get(reviewer.id, 0)
        if reviewer.id == leaving:
            reasons.append(f"{reviewer.id} has it now")
        elif is_author(ticket.author, reviewer.id, reviewer):
            reasons.append(f"{reviewer.id} is the author")
        elif not industries & set(reviewer.industries):
            reasons.append(f"{reviewer.id} covers {', '.join(reviewer.industries) or 'nothing'}")
        elif load >= reviewer.max_queue:
            reasons.append(f"{reviewer.id} has a full queue ({load}/{reviewer.max_queue})")
        else:
            candidates.append(reviewer)
    if not candidates:
        why = "; ".join(reasons) if reasons else "no reviewers are configured in pubflow.yaml"
        raise GateRefused(f"{ticket.id}: no reviewer qualifies for {ticket.pattern.id} "
                          f"(industries: {', '.join(sorted(industries)) or 'none'}): {why}",
                          hint="Add a reviewer with matching industries to pubflow.yaml.")
    # Lightest queue first; ties go to the reviewer listed first in pubflow.yaml.
    order = {r.id: i for i, r in enumerate(config.reviewers)}
    return min(candidates, key=lambda r: (queues.get(r.id, 0), order[r.id]))


def _change(config: Config, ticket: Ticket, message: str) -> transaction.Change:
    """The ticket file as it is now, with an audit-log record of its newest event, as one
    commit of a transaction (`records.transaction`)."""
    from pubflow.storage.yaml import dump_yaml

    event = ticket.doc["history"][-1]
    record = {"at": str(event["at"]), "actor": str(event["actor"]), "kind": "ticket",
              "ticket": ticket.id, "pattern": ticket.pattern.id, "event": str(event["event"]),
              "from": event.get("from"), "to": str(event["to"]),
              "eventHash": str(event["hash"])}
    rel = _rel(ticket.path, config.root)
    check_schema(ticket.doc, rel)
    return transaction.Change("ticket", {rel: dump_yaml(ticket.doc)}, message, [record])


def _apply(config: Config, *changes: transaction.Change) -> tuple[str, ...]:
    """Commit the changes, all or nothing; the caller holds the lock."""
    return tuple(transaction.apply_steps(config.root, list(changes),
                                         sign=config.signed_commits))


def _forward(config: Config, ticket: Ticket) -> str:
    """The hint of a refusal: what can be done with the ticket in its state."""
    return "Next: " + "; ".join(ways_forward(ticket.id, ticket.state, ticket.pattern.id,
                                             config.environments))


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def note(config: Config, ticket_id: str, actor: str, now: datetime, event: str, reason: str,
         **extra: Any) -> Outcome:
    """Record something that happened to a ticket's pattern without moving the ticket (an
    escalation, say): a bookkeeping event in the history, committed like any other."""
    store = TicketStore(config.root)
    with transaction.locked(config.root) as recovered:
        ticket = store.load(ticket_id)
        append_event(ticket.doc, actor=actor, event=event, from_state=ticket.state,
                     to=ticket.state, now=now, reason=reason, **extra)
        commits = _apply(config, _change(config, ticket, f"{ticket.id}: {event} ({reason})"))
    return Outcome(ticket, commits=commits, recovered=recovered)


def withdraw(config: Config, ticket_id: str, actor: str, now: datetime,
             reason: str) -> Outcome:
    """The author (or an editor) gives up a submission that is still open: the ticket ends
    `withdrawn` and the pattern is no longer locked."""
    if not reason.strip():
        raise UsageError("ticket withdraw needs a --reason saying why")
    store = TicketStore(config.root)
    with transaction.locked(config.root) as recovered:
        ticket = store.load(ticket_id)
        author = ticket.replay().author or ticket.author
        if not is_person(actor, author.id, author.email) and config.person(
                actor, (*config.editors, *config.admins)) is None:
            raise GateRefused(f"{ticket.id}: '{actor}' may not withdraw {ticket.pattern.id}: "
                              f"only its author ({author.id or author.email}) or an editor "
                              "listed in pubflow.yaml may", hint=_CONFIGURE)
        if ticket.state not in OPEN_STATES:
            raise GateRefused(f"{ticket.id}: a {ticket.state} ticket cannot be withdrawn; "
                              "only an open one can", hint=_forward(config, ticket))
        ticket.transition(State.WITHDRAWN, actor=actor, event="withdrawn", now=now,
                          reason=reason.strip())
        ticket.doc["due"] = None
        commits = _apply(config, _change(config, ticket, f"{ticket.id}: withdrawn by {actor}"))
    return Outcome(ticket, commits=commits, recovered=recovered)
