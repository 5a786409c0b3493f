"""Governance metrics (seed 000, Metrics): how publication is going, measured from the record.

Seven figures over a window (`since` to `until`), overall and per week (weeks start on Monday,
00:00 UTC), each defined in `DEFINITIONS` (the README repeats them). "Publication" is a
release reaching the last environment at full weight (a `promote` audit entry there). A rate
carries its count and total, a time its median and 90th percentile (nearest rank) and how
many were measured; with nothing measured the figure is None, never 0.

Sources, each read once and in order: the audit log, line by line (it mirrors every ticket
event with its time, and `pubflow verify` holds the two equal, so ten thousand ticket files
need not be parsed); the ticket files of escalated tickets only, for when the users' reports
began; and, when given, the platform's events through `EventReader`, line by line. Memory
grows with tickets, publications and weeks, never with audit entries or events.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pubflow.errors import UsageError
from pubflow.monitoring.engagement import BadLine, EventReader, UniqueCounter, parse_time

WEEK = timedelta(days=7)
INCIDENT_WINDOW = timedelta(hours=24)
"""A publication's incidents count when they start this soon after it."""
NEW_FOR = timedelta(days=30)
"""A pattern is newly published for this long after its first publication."""
MAX_SINCE_DAYS = 3660

DEFINITIONS: dict[str, tuple[str, str]] = {
    # key: (name, definition)
    "publicationSuccessRate": (
        "publication success rate",
        "Of the submissions decided in the window, the share that went live and have not "
        "been rolled back or depublished since. A submission is decided when its ticket "
        "first goes live in the last environment (at full weight), or when it is rejected, "
        "withdrawn, rolled back or depublished without having gone live; it counts in the "
        "week it was decided. Open submissions are not counted (pending)."),
    "reviewCycleTime": (
        "review cycle time",
        "Hours from a ticket's submission to its first approval, for tickets first "
        "approved in the window (validation failures and requested changes included)."),
    "deploymentDuration": (
        "deployment duration",
        "Minutes from a ticket's last approval to its going live in the last environment "
        "at full weight (staging and canary steps included), for tickets that went live in "
        "the window."),
    "validationFailureRate": (
        "validation failure rate",
        "Of the validations in the window (each submission and each resubmission is "
        "validated once), the share that failed (the ticket moved to validation_failed)."),
    "incidentRate": (
        "post-publication incident rate",
        "Of the publications in the window whose first 24 hours are over, the share with an "
        "incident that started within those 24 hours. An incident is an escalation of the "
        "published version (3 or more users reporting problems within an hour, as recorded "
        "by `pubflow monitor`; it starts at the first report) or a rollback or "
        "depublication of it (not a newer version superseding it)."),
    "adoptionRate": (
        "pattern adoption rate",
        "Of the users in the window's events (distinct visitors with any event), the share "
        "that viewed a newly published pattern: one within 30 days of its first publication "
        "in the last environment. Needs --events; distinct visitors are counted exactly up "
        "to 65 536 and estimated beyond (about 1.6 % error)."),
    "timeToFirstFix": (
        "time to first fix",
        "Hours from an incident on a pattern (the first, when several come before a fix) "
        "to the first publication of another version of that pattern, for fixes published "
        "in the window. Incidents of the window without a fix yet are counted (unfixed)."),
}


@dataclass(frozen=True, slots=True)
class Rate:
    """`count` of `total`; no rate when nothing was counted."""

    count: int
    total: int

    @property
    def value(self) -> float | None:
        return None if not self.total else self.count / self.total

    def to_json(self) -> dict[str, Any]:
        value = self.value
        return {"rate": None if value is None else round(value, 4), "count": self.count,
                "total": self.total}

    def shown(self) -> str:
        """`83.3 %`, or `n/a`."""
        value = self.value
        return "n/a" if value is None else f"{100 * value:.1f} %"

    def short(self) -> str:
        """`83%` for a weekly cell, or `n/a`."""
        value = self.value
        return "n/a" if value is None else f"{100 * value:.0f}%"


@dataclass(frozen=True, slots=True)
class Times:
    """Durations in `unit`: how many, their median and 90th percentile (nearest rank)."""

    unit: str
    """`hours` or `minutes`."""
    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: list[float], unit: str) -> Times:
        if not seconds:
            return cls(unit, 0, None, None)
        scale = 3600.0 if unit == "hours" else 60.0
        ordered = sorted(s / scale for s in seconds)
        rank = max(1, math.ceil(0.9 * len(ordered)))
        return cls(unit, len(ordered), round(statistics.median(ordered), 2),
                   round(ordered[rank - 1], 2))

    @property
    def value(self) -> float | None:
        return self.median

    def to_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "count": self.count, "median": self.median,
                "p90": self.p90}

    def shown(self) -> str:
        """`median 26.0 h, p90 70.1 h`, or `n/a`."""
        if self.median is None or self.p90 is None:
            return "n/a"
        unit = "h" if self.unit == "hours" else "min"
        return f"median {self.median:.1f} {unit}, p90 {self.p90:.1f} {unit}"

    def short(self) -> str:
        """The median for a weekly cell, or `n/a`."""
        return "n/a" if self.median is None else f"{self.median:.1f}"


Figure = Rate | Times


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric over the window and per week; `overall` None: not measured at all (the
    adoption rate without events), `note` says why or adds what the figure leaves out."""

    key: str
    overall: Figure | None
    weekly: tuple[Figure | None, ...]
    """One per week of the report; None: nothing that week could be measured."""
    extra: tuple[tuple[str, int], ...] = ()
    """Counts beside the figure (`pending`, `watching`, `unfixed`), in JSON as they are."""
    note: str | None = None

    @property
    def name(self) -> str:
        return DEFINITIONS[self.key][0]

    @property
    def definition(self) -> str:
        return DEFINITIONS[self.key][1]

    def shown(self) -> str:
        return "n/a" if self.overall is None else self.overall.shown()

    def detail(self) -> str:
        """What the figure is made of: `10 of 12 decided submissions; 3 pending`."""
        overall = self.overall
        parts: list[str] = []
        one, many = _COUNTED[self.key]
        if isinstance(overall, Rate):
            parts.append(f"{overall.count} of {overall.total} "
                         f"{one if overall.total == 1 else many}")
        elif isinstance(overall, Times):
            parts.append(f"{overall.count} {one if overall.count == 1 else many}")
        parts += [_EXTRA[name].format(count) for name, count in self.extra]
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)

    def to_json(self, weeks: tuple[date, ...]) -> dict[str, Any]:
        overall = self.overall
        figure = (overall.to_json() if overall is not None
                  else {"rate": None, "count": None, "total": None})
        return {"name": self.name, **figure, **dict(self.extra), "note": self.note,
                "definition": self.definition,
                "weekly": [{"week": week.isoformat(),
                            **(item.to_json() if item is not None else _empty(overall))}
                           for week, item in zip(weeks, self.weekly, strict=True)]}


_COUNTED = {
    "publicationSuccessRate": ("decided submission", "decided submissions"),
    "reviewCycleTime": ("first approval", "first approvals"),
    "deploymentDuration": ("ticket gone live", "tickets gone live"),
    "validationFailureRate": ("validation", "validations"),
    "incidentRate": ("publication past 24 h", "publications past 24 h"),
    "adoptionRate": ("user", "users"),
    "timeToFirstFix": ("fix", "fixes"),
}
"""What a figure counts, one and many, for `Metric.detail`."""
_EXTRA = {"pending": "{} pending", "watching": "{} still in the first 24 h",
          "unfixed": "{} unfixed"}


def _empty(overall: Figure | None) -> dict[str, Any]:
    if isinstance(overall, Times):
        return Times(overall.unit, 0, None, None).to_json()
    return {"rate": None, "count": None, "total": None}


@dataclass(frozen=True, slots=True)
class EventsRead:
    """What reading the events file gave: good events in the window, bad lines by reason."""

    events: int
    bad: Mapping[str, int]
    bad_lines: tuple[BadLine, ...]

    def to_json(self) -> dict[str, Any]:
        return {"events": self.events, "badEvents": sum(self.bad.values()),
                "badByReason": dict(sorted(self.bad.items())),
                "badLines": [bad.to_json() for bad in self.bad_lines]}


@dataclass(frozen=True, slots=True)
class MetricsReport:
    """`pubflow metrics`; `to_json()` is its `--format json` document."""

    environment: str
    """The last environment: where a release is a publication."""
    since: datetime
    until: datetime
    weeks: tuple[date, ...]
    """The Monday of each week the window touches, oldest first."""
    metrics: tuple[Metric, ...]
    """In the order of `DEFINITIONS`."""
    events: EventsRead | None
    """None: no events file was given."""

    def metric(self, key: str) -> Metric:
        return next(m for m in self.metrics if m.key == key)

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "since": _utc(self.since),
                "until": _utc(self.until), "weeks": [w.isoformat() for w in self.weeks],
                "metrics": {m.key: m.to_json(self.weeks) for m in self.metrics},
                "events": None if self.events is None else self.events.to_json()}


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SPAN = re.compile(r"([0-9]{1,5})([dw])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_since(text: str, now: datetime) -> datetime:
    """`7d`, `30d`, `12w` before `now`, or an ISO date (midnight UTC) or time with a zone;
    anything else, or a start after `now` or more than ten years before it, is refused."""
    value = text.strip()
    span = _SPAN.fullmatch(value)
    hint = "Give a number of days or weeks (7d, 30d, 12w) or an ISO date (2026-01-31)."
    if span is not None:
        days = int(span.group(1)) * (7 if span.group(2) == "w" else 1)
        if not 1 <= days <= MAX_SINCE_DAYS:
            raise UsageError(f"--since {text}: give between 1 and {MAX_SINCE_DAYS} days",
                             hint=hint)
        return now - timedelta(days=days)
    start: datetime | None
    if _DATE.fullmatch(value):
        try:
            start = datetime.fromisoformat(value).replace(tzinfo=UTC)
        except ValueError:
            start = None
    else:
        start = parse_time(value) if "T" in value else None
    if start is None:
        raise UsageError(f"--since {text}: not a duration or an ISO date", hint=hint)
    if start >= now:
        raise UsageError(f"--since {text}: the window would start at or after its end "
                         f"({_utc(now)})", hint=hint)
    if now - start > timedelta(days=MAX_SINCE_DAYS):
        raise UsageError(f"--since {text}: more than {MAX_SINCE_DAYS} days back", hint=hint)
    return start


class _Weeks:
    """The window cut into weeks starting on Monday 00:00 UTC."""

    def __init__(self, since: datetime, until: datetime) -> None:
        self.since, self.until = since, until
        first = since.astimezone(UTC).date()
        first -= timedelta(days=first.weekday())
        self.start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        self.count = (until - self.start) // WEEK + 1
        self.days = tuple(first + i * WEEK for i in range(self.count))

    def index(self, moment: datetime) -> int | None:
        """The week of `moment`, or None outside the window."""
        if moment < self.since or moment > self.until:
            return None
        return (moment - self.start) // WEEK


class _Ticket:
    """What the audit log says of one ticket, as far as the metrics need it. Ticket-workflow
    events are `ticket` entries; promotions and rollbacks move the ticket too, but the log
    records them as `promote`, `rollback` and `depublish` entries naming the ticket."""

    __slots__ = ("approvals", "closed", "live", "pattern", "submitted", "taken_back")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.submitted: datetime | None = None
        self.approvals: list[datetime] = []
        self.live: datetime | None = None
        """When it first went live in the last environment (a `promote` entry there)."""
        self.taken_back: list[datetime] = []
        """When its release was rolled back or depublished in the last environment."""
        self.closed: datetime | None = None
        """When it ended without going live (rejected, withdrawn, rolled back or
        depublished); None again once promoted after that."""


@dataclass(frozen=True, slots=True)
class _Publication:
    """A release reaching the last environment at full weight."""

    at: datetime
    seq: int
    """Its place in the audit log: what came first within one second."""
    version: str


@dataclass(frozen=True, slots=True)
class _Issue:
    """An incident: an escalation, rollback or depublication in the last environment."""

    at: datetime
    seq: int
    """The audit log's place of the entry that recorded it."""
    version: str | None
    """The version it is about (None: the reports named none)."""


class _Record:
    """The audit log's pass: tickets, publications and incidents per pattern, validations."""

    def __init__(self, environment: str, weeks: _Weeks) -> None:
        self.environment = environment
        self.weeks = weeks
        self.tickets: dict[str, _Ticket] = {}
        self.publications: dict[str, list[_Publication]] = {}
        self.issues: dict[str, list[_Issue]] = {}
        self.escalated: dict[str, list[tuple[datetime, int, str]]] = {}
        """Ticket id -> (time, place, pattern) of its `escalated` audit entries."""
        self.seq = 0
        self.validations = [[0, 0] for _ in range(weeks.count)]
        """Per week: [failed, all]."""

    def read(self, entries: Iterable[Mapping[str, Any]]) -> None:
        for entry in entries:
            self.seq += 1
            kind = entry.get("kind")
            if kind == "ticket":
                self._ticket_event(entry)
            elif kind == "promote":
                self._promotion(entry)
            elif kind in ("rollback", "depublish"):
                self._rollback(entry)

    def _ticket_of(self, entry: Mapping[str, Any]) -> _Ticket | None:
        ticket_id = entry.get("ticket")
        if not isinstance(ticket_id, str):
            return None
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            ticket = self.tickets[ticket_id] = _Ticket(str(entry.get("pattern") or ""))
        return ticket

    def _promotion(self, entry: Mapping[str, Any]) -> None:
        at, pattern, version = _time(entry), entry.get("pattern"), entry.get("version")
        if at is None or not isinstance(pattern, str) or version is None:
            return
        ticket = self._ticket_of(entry)
        if ticket is not None:
            ticket.closed = None  # promoted again after a rollback: open, or live, again
        if entry.get("environment") != self.environment:
            return
        self.publications.setdefault(pattern, []).append(
            _Publication(at, self.seq, str(version)))
        if ticket is not None and (ticket.live is None or at < ticket.live):
            ticket.live = at

    def _rollback(self, entry: Mapping[str, Any]) -> None:
        at, pattern, version = _time(entry), entry.get("pattern"), entry.get("from")
        if at is None or not isinstance(pattern, str) or entry.get("ended") == "superseded":
            return
        ticket = self._ticket_of(entry)
        if entry.get("environment") == self.environment:
            self.issues.setdefault(pattern, []).append(
                _Issue(at, self.seq, None if version is None else str(version)))
            if ticket is not None:
                ticket.taken_back.append(at)
        if ticket is not None and ticket.live is None:
            ticket.closed = at

    def _ticket_event(self, entry: Mapping[str, Any]) -> None:
        event, to, at = entry.get("event"), entry.get("to"), _time(entry)
        ticket = self._ticket_of(entry)
        if ticket is None or at is None or not isinstance(to, str):
            return
        if event == "submitted":
            if ticket.submitted is None or at < ticket.submitted:
                ticket.submitted = at
        elif event in ("validated", "resubmitted"):
            week = self.weeks.index(at)
            if week is not None:
                tally = self.validations[week]
                tally[0] += to == "validation_failed"
                tally[1] += 1
        elif event == "reviewed" and to == "approved":
            ticket.approvals.append(at)
        elif event == "escalated":
            self.escalated.setdefault(str(entry["ticket"]), []).append(
                (at, self.seq, ticket.pattern))
        elif to in ("rejected", "withdrawn") and entry.get("from") != to:
            ticket.closed = at

    def add_escalations(self, root: Path) -> None:
        """Each escalation as an incident from when its reports began, as its ticket file
        records it (the audit entry only knows when it was escalated)."""
        if not self.escalated:
            return
        from pubflow.records.consistency import load_ticket_records

        found = {record.id: record for record in load_ticket_records(root, self.escalated)}
        for ticket_id, seen in sorted(self.escalated.items()):
            record = found.get(ticket_id)
            if record is None:  # no readable ticket file: when it was escalated will do
                for at, seq, pattern in seen:
                    self.issues.setdefault(pattern, []).append(_Issue(at, seq, None))
                continue
            places = iter([seq for _at, seq, _pattern in seen])
            for event in record.history:
                if event.get("event") != "escalated":
                    continue
                seq = next(places, self.seq)
                where = event.get("environment")
                if where is not None and where != self.environment:
                    continue
                began = parse_time(event.get("reportsFrom")) or parse_time(event.get("at"))
                version = event.get("reportedVersion")
                if began is not None:
                    self.issues.setdefault(record.pattern, []).append(
                        _Issue(began, seq, None if version is None else str(version)))


def _when(item: _Publication | _Issue) -> tuple[datetime, int]:
    return item.at, item.seq


def _time(entry: Mapping[str, Any]) -> datetime | None:
    return parse_time(entry.get("at"))


def compute_metrics(root: Path, environment: str, since: datetime, until: datetime,
                    events: Iterable[str] | None = None,
                    known_patterns: Iterable[str] = ()) -> MetricsReport:
    """The seven metrics of `root` over `since`..`until`, from the audit log, the escalated
    tickets and `events` (lines of the platform's events; None: not given, the adoption rate
    is not measured). `known_patterns`: patterns the events may name besides those ever
    published in `environment` (the ones live there now)."""
    from pubflow.records.audit import AuditLog

    log = AuditLog(root)
    return compute(log.entries() if log.path.exists() else iter(()), root, environment,
                   since, until, events, known_patterns)


def compute(entries: Iterator[Mapping[str, Any]], root: Path, environment: str,
            since: datetime, until: datetime, events: Iterable[str] | None = None,
            known_patterns: Iterable[str] = ()) -> MetricsReport:
    """`compute_metrics` over audit entries given in the log's order."""
    weeks = _Weeks(since, until)
    record = _Record(environment, weeks)
    record.read(entries)
    record.add_escalations(root)
    for items in record.publications.values():
        items.sort(key=_when)
    for issues in record.issues.values():
        issues.sort(key=_when)
    adoption, read = ((Metric("adoptionRate", None, (None,) * weeks.count,
                              note="no events given (--events FILE)"), None)
                      if events is None else
                      _adoption(events, record, weeks, known_patterns))
    metrics = (_success(record, weeks), _review(record, weeks), _deployment(record, weeks),
               _validation(record, weeks), _incidents(record, weeks), adoption,
               _fixes(record, weeks))
    return MetricsReport(environment, since, until, weeks.days, metrics, read)


def _rates(counts: list[list[int]]) -> tuple[Rate | None, ...]:
    """Weekly rates from [count, total] per week; None for a week with nothing counted."""
    return tuple(Rate(c, t) if t else None for c, t in counts)


def _overall(counts: list[list[int]]) -> Rate:
    return Rate(sum(c for c, _t in counts), sum(t for _c, t in counts))


def _times(samples: list[tuple[int, float]], weeks: _Weeks, unit: str
           ) -> tuple[Times, tuple[Times | None, ...]]:
    per: list[list[float]] = [[] for _ in range(weeks.count)]
    for week, seconds in samples:
        per[week].append(seconds)
    return (Times.of([s for _w, s in samples], unit),
            tuple(Times.of(values, unit) if values else None for values in per))


def _success(record: _Record, weeks: _Weeks) -> Metric:
    counts = [[0, 0] for _ in range(weeks.count)]
    pending = 0
    for ticket in record.tickets.values():
        if ticket.live is not None:
            live = ticket.live
            decided: datetime | None = live
            success = not any(at >= live for at in ticket.taken_back)
        elif ticket.closed is not None:
            decided, success = ticket.closed, False
        else:
            decided, success = None, False
        if decided is None:
            if ticket.submitted is not None and weeks.index(ticket.submitted) is not None:
                pending += 1
            continue
        week = weeks.index(decided)
        if week is not None:
            counts[week][0] += success
            counts[week][1] += 1
    return Metric("publicationSuccessRate", _overall(counts), _rates(counts),
                  (("pending", pending),))


def _review(record: _Record, weeks: _Weeks) -> Metric:
    samples = []
    for ticket in record.tickets.values():
        if ticket.submitted is None or not ticket.approvals:
            continue
        first = min(ticket.approvals)
        week = weeks.index(first)
        if week is not None and first >= ticket.submitted:
            samples.append((week, (first - ticket.submitted).total_seconds()))
    overall, weekly = _times(samples, weeks, "hours")
    return Metric("reviewCycleTime", overall, weekly)


def _deployment(record: _Record, weeks: _Weeks) -> Metric:
    samples = []
    for ticket in record.tickets.values():
        live = ticket.live
        if live is None:
            continue
        week = weeks.index(live)
        before = [at for at in ticket.approvals if at <= live]
        if week is not None and before:
            samples.append((week, (live - max(before)).total_seconds()))
    overall, weekly = _times(samples, weeks, "minutes")
    return Metric("deploymentDuration", overall, weekly)


def _validation(record: _Record, weeks: _Weeks) -> Metric:
    return Metric("validationFailureRate", _overall(record.validations),
                  _rates(record.validations))


def _incidents(record: _Record, weeks: _Weeks) -> Metric:
    """Which publications had an incident within 24 h: each incident belongs to the latest
    publication of its pattern (of its version, when it names one) at or before it."""
    hit: set[tuple[str, int]] = set()
    for pattern, issues in record.issues.items():
        published = record.publications.get(pattern, [])
        for issue in issues:
            owner = None
            for index, publication in enumerate(published):
                if (publication.at, publication.seq) > (issue.at, issue.seq):
                    break
                if issue.version is None or publication.version == issue.version:
                    owner = index
            if owner is not None and issue.at - published[owner].at < INCIDENT_WINDOW:
                hit.add((pattern, owner))
    counts = [[0, 0] for _ in range(weeks.count)]
    watching = 0
    for pattern, published in record.publications.items():
        for index, publication in enumerate(published):
            at = publication.at
            week = weeks.index(at)
            if week is None:
                continue
            if at + INCIDENT_WINDOW > weeks.until:
                watching += 1
                continue
            counts[week][0] += (pattern, index) in hit
            counts[week][1] += 1
    return Metric("incidentRate", _overall(counts), _rates(counts), (("watching", watching),))


def _fixes(record: _Record, weeks: _Weeks) -> Metric:
    """Per pattern, in time order: an incident opens (unless one is open), a publication of
    another version than the open incident's fixes it."""
    samples: list[tuple[int, float]] = []
    unfixed = 0
    for pattern, issues in record.issues.items():
        timeline: list[tuple[datetime, int, bool, str | None]] = [
            (p.at, p.seq, False, p.version) for p in record.publications.get(pattern, [])]
        timeline += [(issue.at, issue.seq, True, issue.version) for issue in issues]
        timeline.sort(key=lambda item: item[:2])
        current: str | None = None
        opened: tuple[datetime, str | None] | None = None
        for at, _seq, is_issue, version in timeline:
            if is_issue:
                if opened is None:
                    opened = (at, version if version is not None else current)
                continue
            current = version
            if opened is not None and version != opened[1]:
                week = weeks.index(at)
                if week is not None:
                    samples.append((week, (at - opened[0]).total_seconds()))
                opened = None
        if opened is not None and weeks.index(opened[0]) is not None:
            unfixed += 1
    overall, weekly = _times(samples, weeks, "hours")
    return Metric("timeToFirstFix", overall, weekly, (("unfixed", unfixed),))


class _Visitors:
    """Distinct visitors in bounded memory: exact in a set up to `LIMIT`, and beyond that a
    `UniqueCounter` (an estimate) that the set is emptied into whenever it fills, so a
    visitor seen again costs a set lookup, and hashing is only paid past the limit."""

    __slots__ = ("counter", "recent")
    LIMIT = 65_536

    def __init__(self) -> None:
        self.counter: UniqueCounter | None = None
        """None until the set first filled: the count is then exact."""
        self.recent: set[str] = set()

    def add(self, visitor: str) -> None:
        recent = self.recent
        if visitor not in recent:
            if len(recent) >= self.LIMIT:
                self._spill()
            recent.add(visitor)

    def update(self, other: _Visitors) -> None:
        """Count `other`'s visitors too (the union)."""
        self.recent |= other.recent
        if len(self.recent) > self.LIMIT:
            self._spill()
        if other.counter is not None:
            self._spill()
            assert self.counter is not None
            self.counter.merge(other.counter)

    def _spill(self) -> None:
        if self.counter is None:
            self.counter = UniqueCounter()
        add = self.counter.add
        for visitor in self.recent:
            add(visitor)
        self.recent = set()

    def __len__(self) -> int:
        if self.counter is None:
            return len(self.recent)
        self._spill()
        return len(self.counter)


def _adoption(lines: Iterable[str], record: _Record, weeks: _Weeks,
              known_patterns: Iterable[str]) -> tuple[Metric, EventsRead]:
    """One pass over the events: the distinct users of each week and those of them who
    viewed a pattern while it was new; the window's figures are the weeks' unions."""
    new: dict[str, tuple[datetime, datetime]] = {
        pattern: (items[0].at, items[0].at + NEW_FOR)
        for pattern, items in record.publications.items() if items}
    known = set(record.publications) | set(known_patterns)
    counts = [(0, 0)] * weeks.count
    """Per week: (adopters, users)."""
    all_users, all_adopters = _Visitors(), _Visitors()
    reader = EventReader(known, weeks.since)
    until = weeks.until
    week, week_end = 0, weeks.start + WEEK
    week_users, week_adopters = _Visitors(), _Visitors()

    def close_week() -> None:
        counts[week] = (len(week_adopters), len(week_users))
        all_users.update(week_users)
        all_adopters.update(week_adopters)

    counted = 0
    for kind, pattern, visitor, at, _event in reader.read(lines):
        if at > until:
            continue
        if at >= week_end:  # the events are in time order (the reader sees to that)
            close_week()
            week = (at - weeks.start) // WEEK
            week_end = weeks.start + (week + 1) * WEEK
            week_users, week_adopters = _Visitors(), _Visitors()
        counted += 1
        if visitor not in week_users.recent:  # most events are of a visitor seen this week
            week_users.add(visitor)
        if kind == "view":
            span = new.get(pattern)
            if span is not None and span[0] <= at < span[1]:
                week_adopters.add(visitor)
    close_week()
    spans = tuple(new.values())
    open_weeks = [_new_during(spans, max(day_start(d), weeks.since),
                              min(day_start(d) + WEEK, until)) for d in weeks.days]
    weekly = tuple(Rate(min(count, total), total) if open_weeks[index] and total else None
                   for index, (count, total) in enumerate(counts))
    any_new = _new_during(spans, weeks.since, until)
    total, count = len(all_users), len(all_adopters)
    note = None if any_new else "no pattern was newly published in the window"
    metric = Metric("adoptionRate", Rate(min(count, total), total) if any_new else None,
                    weekly, note=note)
    return metric, EventsRead(counted, dict(reader.bad), tuple(reader.bad_lines))


def _new_during(spans: tuple[tuple[datetime, datetime], ...], start: datetime,
                end: datetime) -> bool:
    """Whether some pattern was newly published at some time between `start` and `end`."""
    return any(first < end and last > start for first, last in spans)


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def metrics_markdown(report: MetricsReport) -> str:
    """The report as Markdown: the figures, the weeks, the definitions."""
    lines = [f"# Governance metrics: {report.environment}", "",
             f"{_utc(report.since)} to {_utc(report.until)}.", "",
             "| metric | value | made of |", "|---|---|---|"]
    lines += [f"| {m.name} | {m.shown()} | {_md(m.detail())} |" for m in report.metrics]
    lines += ["", "## By week", "", "| week | " + " | ".join(
        WEEK_HEADERS[m.key] for m in report.metrics) + " |",
              "|---|" + "---:|" * len(report.metrics)]
    for index, week in enumerate(report.weeks):
        cells = [week_cell(m.weekly[index]) for m in report.metrics]
        lines.append(f"| {week.isoformat()} | " + " | ".join(cells) + " |")
    lines += ["", "_Weeks start on Monday (UTC); times are medians: " + WEEK_UNITS + "._",
              "", "## Definitions", ""]
    lines += [f"- **{m.name}**: {_md(m.definition)}" for m in report.metrics]
    return "\n".join(lines) + "\n"


WEEK_HEADERS = {"publicationSuccessRate": "success", "reviewCycleTime": "review",
                "deploymentDuration": "deploy", "validationFailureRate": "invalid",
                "incidentRate": "incident", "adoptionRate": "adopt", "timeToFirstFix": "fix"}
"""Short column names for the weekly table (text and Markdown)."""
WEEK_UNITS = "review and fix in hours, deploy in minutes"


def week_cell(figure: Figure | None) -> str:
    """A weekly table's cell: `83%`, a median, or `n/a`."""
    return "n/a" if figure is None else figure.short()


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
