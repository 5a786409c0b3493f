"""What happens when users report the same problem: the ticket that released the reported
version records the incident, its author and the team are told, and with `--auto-rollback`
the pattern is rolled back (or taken out when there is nothing to roll back to) when the
reported version is the one live.

An incident escalates once. Its identity is the environment, the pattern, the reported
version and the time its reports span: the `escalated` ticket event records all of them
(`incident`, `environment`, `reportedVersion`, `reportsFrom`, `reportsUntil`), and a later run
whose incident is within an hour of a recorded one for the same version and environment (the
same run of reports, seen again or seen in an overlapping file) does nothing again.

Each step is independent: one failing does not stop the others, and the outcome says what was
done, what was delivered and what waits in the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pubflow.config import Config
from pubflow.errors import PubflowError
from pubflow.monitoring.engagement import ESCALATION_WINDOW, Escalation, parse_time

if TYPE_CHECKING:
    from pubflow.notify.outbox import Delivery
    from pubflow.records.environments import Environment
    from pubflow.records.tickets import Ticket

EVENT = "escalated"


@dataclass(frozen=True, slots=True)
class RecordedIncident:
    """An incident an earlier run escalated, as its ticket event says."""

    ticket: str
    at: str
    """When it was escalated."""
    incident: str
    environment: str | None
    version: str | None
    since: datetime
    until: datetime

    def covers(self, environment: str, escalation: Escalation) -> bool:
        """Whether `escalation` is this incident (seen again, or in an overlapping stream):
        the same environment and version, and reports less than an hour apart."""
        return (self.environment == environment and self.version == escalation.version
                and escalation.since - self.until <= ESCALATION_WINDOW
                and self.since - escalation.until <= ESCALATION_WINDOW)

    def to_json(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "at": self.at, "incident": self.incident}


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification about an escalation and what became of it."""

    kind: str
    to: tuple[str, ...] | None
    """Its recipients (None: not listed here, as for the rollback's own message)."""
    file: str | None
    """Its file in the outbox (None: no channel took it, or the outbox could not be written)."""
    sent: tuple[str, ...]
    """The channels that delivered it."""
    waiting: tuple[tuple[str, str], ...]
    """(channel, why) of every delivery that failed: it waits in the outbox."""
    error: str | None = None
    """Why it could not even be written to the outbox."""

    @classmethod
    def of(cls, kind: str, to: Iterable[str] | None, deliveries: Iterable[Delivery]) -> Notice:
        done = list(deliveries)
        broken = [d.detail for d in done if d.channel == "outbox" and not d.ok]
        files = [d.file for d in done if d.channel != "outbox"]
        return cls(kind, None if to is None else tuple(to), files[0] if files else None,
                   tuple(d.channel for d in done if d.ok),
                   tuple((d.channel, d.detail) for d in done
                         if not d.ok and d.channel != "outbox"),
                   broken[0] if broken else None)

    def describe(self) -> str:
        what = f"{self.kind} message"
        if self.to is not None:
            what += f" for {', '.join(self.to) or 'nobody (no author email, no team)'}"
        if self.error is not None:
            return f"{what} NOT sent: {self.error}"
        if not self.sent and not self.waiting:
            return (f"{what} written to the outbox only: no webhook or smtp is configured in "
                    "pubflow.yaml, so nothing was sent")
        parts = []
        if self.sent:
            parts.append(f"sent by {', '.join(self.sent)}")
        if self.waiting:
            parts.append("NOT delivered by " + "; ".join(
                f"{channel} ({why})" for channel, why in self.waiting)
                + f": waits in the outbox as {self.file}, `pubflow notify flush` retries it")
        return f"{what}: " + "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "to": None if self.to is None else list(self.to),
                "outboxFile": self.file,
                "sent": list(self.sent),
                "waiting": [{"channel": c, "detail": d} for c, d in self.waiting],
                "error": self.error}


@dataclass(frozen=True, slots=True)
class EscalationOutcome:
    """What was done about one escalation."""

    pattern: str
    version: str | None
    incident: str
    ticket: str | None
    """The ticket of the reported version (None: none found)."""
    ticket_found: str
    """How that ticket was found, in words."""
    ticket_event: str | None
    """The ticket the escalation was recorded on (None: no ticket, recording failed, or the
    incident was escalated before)."""
    already: RecordedIncident | None
    """The earlier escalation of this incident: nothing was done again."""
    rollback: str | None
    """What the automatic rollback did, or why it did nothing (None: not asked for)."""
    notices: tuple[Notice, ...]
    problems: tuple[str, ...]
    """The steps that failed, one sentence each."""

    def to_json(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "version": self.version, "incident": self.incident,
                "ticket": self.ticket, "ticketFound": self.ticket_found,
                "ticketEvent": self.ticket_event,
                "alreadyEscalated": None if self.already is None else self.already.to_json(),
                "rollback": self.rollback,
                "notifications": [notice.to_json() for notice in self.notices],
                "problems": list(self.problems)}


def incident_id(environment: str, escalation: Escalation) -> str:
    """A readable name for the incident: where, what, and its first report in the stream."""
    version = escalation.version or "-"
    return (f"{environment}/{escalation.pattern}@{version}/"
            f"{escalation.since.strftime('%Y-%m-%dT%H:%M:%SZ')}")


def recorded_incidents(config: Config, pattern: str) -> list[RecordedIncident]:
    """Every incident of `pattern` an `escalated` ticket event records (a broken ticket file
    stops the run: whether an incident was escalated must not be guessed)."""
    from pubflow.records.index import summaries
    from pubflow.records.store import TicketStore

    store = TicketStore(config.root)
    found = []
    for summary in summaries(store):
        if summary.pattern_id != pattern:
            continue
        ticket = store.load_path(store.path_of(summary.id), for_reading_only=True)
        for event in ticket.history:
            extra = event.extra
            since, until = parse_time(extra.get("reportsFrom")), parse_time(extra.get("reportsUntil"))
            if event.event != EVENT or not extra.get("incident") or since is None or until is None:
                continue
            version, environment = extra.get("reportedVersion"), extra.get("environment")
            found.append(RecordedIncident(
                ticket.id, event.at, str(extra["incident"]),
                None if environment is None else str(environment),
                None if version is None else str(version), since, until))
    return found


def ticket_of_version(config: Config, env: Environment, pattern: str,
                      version: str | None) -> tuple[str | None, str]:
    """The ticket that released `version` of `pattern` in `env` (its live entry, its canary or
    its history), else the newest ticket that pinned that version, else the live ticket; and
    how it was found, in words."""
    entry = env.live(pattern)
    live_ticket = None if entry is None else str(entry.ticket)
    if version is None:
        return live_ticket, "the live ticket: the reports name no version"
    if entry is not None:
        rollout = entry.rollout
        if rollout is not None and rollout.canary == version and rollout.ticket:
            return str(rollout.ticket), f"its canary in {env.name}"
        if str(entry.version) == version:
            return live_ticket, f"live in {env.name}"
        for past in reversed(entry.history):
            if str(past.version) == version:
                return str(past.ticket), f"released it in {env.name}, live until {past.until}"
    from pubflow.records.index import summaries
    from pubflow.records.store import TicketStore

    pinned = [s.id for s in summaries(TicketStore(config.root))
              if s.pattern_id == pattern and s.pattern_version == version]
    if pinned:
        return pinned[-1], f"submitted {version}; it was never live in {env.name}"
    if live_ticket is not None:
        return live_ticket, (f"the live ticket: no ticket released or submitted {pattern} "
                             f"{version}")
    return None, f"no ticket released or submitted {pattern} {version}"


def escalate(config: Config, escalation: Escalation, environment: str, actor: str,
             now: datetime, auto_rollback: bool) -> EscalationOutcome:
    """Escalate one incident, unless it was escalated before. Under the monitor's own lock
    (in git's common directory): two `monitor` runs at once never both escalate it."""
    from pubflow.records.store import lock_path
    from pubflow.storage.files import exclusive_lock

    with exclusive_lock(lock_path(config.root).with_name("monitor.lock")):
        return _escalate(config, escalation, environment, actor, now, auto_rollback)


def _escalate(config: Config, escalation: Escalation, environment: str, actor: str,
              now: datetime, auto_rollback: bool) -> EscalationOutcome:
    from pubflow.records.environments import load_environment

    incident = incident_id(environment, escalation)
    env = load_environment(config.root, environment)
    ticket_id, found = ticket_of_version(config, env, escalation.pattern, escalation.version)
    for recorded in recorded_incidents(config, escalation.pattern):
        if recorded.covers(environment, escalation):
            return EscalationOutcome(escalation.pattern, escalation.version, recorded.incident,
                                     recorded.ticket, f"it recorded the incident at {recorded.at}",
                                     None, recorded, None, (), ())
    window = (f"{escalation.first.strftime('%H:%M')}-{escalation.last.strftime('%H:%M')} UTC "
              f"on {escalation.first.strftime('%Y-%m-%d')}")
    problems: list[str] = []
    notices: list[Notice] = []
    rolled: str | None = None
    not_live = _not_live(env, escalation)
    if auto_rollback:
        rolled = not_live or _auto_rollback(config, env, escalation, actor, now, problems,
                                            notices)
    action = rolled or not_live or "no automatic action (run with --auto-rollback to roll back)"
    ticket = _load(config, ticket_id, problems)
    ticket_event = None
    if ticket is not None:
        from pubflow.tickets import service

        try:
            service.note(config, ticket.id, actor, now, EVENT,
                         f"{len(escalation.reporters)} users reported problems with "
                         f"{_named(escalation)} in {environment} ({window}); {action}",
                         reporters=list(escalation.reporters), incident=incident,
                         environment=environment, reportedVersion=escalation.version,
                         reportsFrom=_utc(escalation.since), reportsUntil=_utc(escalation.until))
            ticket_event = ticket.id
        except PubflowError as exc:
            problems.append(exc.message)
    from pubflow.notify import events

    author = ticket.author.email if ticket is not None else None
    if ticket is not None and not author:
        problems.append(f"{ticket.id} names no author email: only the team was told")
    try:
        message, deliveries = events.escalation(
            config, escalation.pattern, escalation.version, environment,
            list(escalation.reporters), window, action, ticket_event, author, incident, now)
        notices.insert(0, Notice.of(message.kind, message.to, deliveries))
    except PubflowError as exc:  # an outbox pubflow refuses to write to (a link, say)
        problems.append(f"nobody was told: {exc.message}")
    return EscalationOutcome(escalation.pattern, escalation.version, incident, ticket_id, found,
                             ticket_event, None, rolled, tuple(notices), tuple(problems))


def _not_live(env: Environment, escalation: Escalation) -> str | None:
    """Why the reported version is not one a rollback would take back (None: it is, or the
    reports name no version)."""
    pattern, version = escalation.pattern, escalation.version
    entry = env.live(pattern)
    if entry is None or version is None:
        return None
    rollout = entry.rollout
    if rollout is not None and rollout.canary != version:
        return (f"not rolled back: {pattern} {version} is not the canary under way in "
                f"{env.name} ({rollout.canary}); roll back by hand if needed")
    if rollout is None and str(entry.version) != version:
        return (f"not rolled back: {pattern} {version} is no longer live in {env.name} "
                f"({entry.version} is)")
    return None


def _auto_rollback(config: Config, env: Environment, escalation: Escalation, actor: str,
                   now: datetime, problems: list[str], notices: list[Notice]) -> str:
    """Roll back the reported version, live or the canary; what was done."""
    from pubflow.release.rollback import rollback

    pattern = escalation.pattern
    reason = (f"auto-rollback: {len(escalation.reporters)} users reported problems within "
              "an hour")
    try:
        done = rollback(config, pattern, env.name, None, reason, False, actor, now)
        notices.append(Notice.of("rolled-back", None, done.deliveries))
        return f"rolled back {done.from_version} -> {done.to_version}"
    except PubflowError as exc:
        if "no earlier release" not in exc.message:
            problems.append(exc.message)
            return "the automatic rollback failed"
    try:
        done = rollback(config, pattern, env.name, None, reason, True, actor, now)
        notices.append(Notice.of("rolled-back", None, done.deliveries))
        return f"depublished {done.from_version} (no earlier release)"
    except PubflowError as again:
        problems.append(again.message)
        return "the automatic rollback failed"


def _load(config: Config, ticket_id: str | None, problems: list[str]) -> Ticket | None:
    from pubflow.records.store import TicketStore

    if ticket_id is None:
        return None
    try:
        return TicketStore(config.root).load(ticket_id)
    except PubflowError as exc:
        problems.append(exc.message)
        return None


def _named(escalation: Escalation) -> str:
    return (f"{escalation.pattern} {escalation.version}" if escalation.version
            else escalation.pattern)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
