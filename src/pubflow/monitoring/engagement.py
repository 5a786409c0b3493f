"""Engagement monitoring: a stream of platform events in, per-pattern figures and alerts out.

Events are JSON Lines (`view`, `download`, `rating`, `report`; pattern, version, visitor,
`at`, and `rating`/`comment` where they apply). The file is read line by line, so memory
grows with the number of patterns and visitors, never with the number of events. A bad line
(not JSON, missing fields, an unknown type or pattern, a rating outside 1-5, a report's
version that is not a version, a clock going backwards) is counted with its line number and
skipped; it never stops the run.

Alerts: a pattern live for 24 hours with no views, or with far fewer views than its
category's median. Unique visitors are counted exactly up to 256 per pattern and
estimated beyond (HyperLogLog), so memory stays flat.

Escalation: 3 or more distinct visitors reporting a problem with one version of a pattern
within an hour. That opens an incident, which lasts as long as reports about that version keep
coming less than an hour apart: one incident escalates once, and a new one can start only
after an hour without reports. Each escalation carries the incident's extent in this stream
(`since`, its first report, `until`, its last), which is what tells a later run over an
overlapping stream that it is the same incident.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import statistics
from collections import deque
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pubflow.storage.jsonsource import MAX_DEPTH, depth_exceeded_at

EVENT_TYPES = frozenset({"view", "download", "rating", "report"})
ESCALATION_REPORTERS = 3
ESCALATION_WINDOW = timedelta(hours=1)
QUIET_AFTER = timedelta(hours=24)
FAR_BELOW = 0.25
"""A pattern with fewer views than this fraction of its category's median is flagged."""
KEEP_BAD_LINES = 20
VERSION_TEXT = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,63}")
"""What a report's version may look like: it names a ticket and is recorded on it."""


class UniqueCounter:
    """Distinct visitors in bounded memory: exact up to `EXACT_LIMIT`, then a HyperLogLog of
    4 096 one-byte registers (standard error about 1.6 %), so memory stays flat however long
    the stream."""

    EXACT_LIMIT = 256
    PRECISION = 12

    __slots__ = ("_exact", "_registers")

    def __init__(self) -> None:
        self._exact: set[str] | None = set()
        self._registers: bytearray | None = None

    def add(self, visitor: str) -> None:
        exact = self._exact
        if exact is not None:
            exact.add(visitor)
            if len(exact) <= self.EXACT_LIMIT:
                return
            self._registers = bytearray(1 << self.PRECISION)
            self._exact = None
            for item in exact:
                self._add_hashed(item)
            return
        self._add_hashed(visitor)

    def merge(self, other: UniqueCounter) -> None:
        """Count `other`'s visitors too: the union, as if each had been added here (the
        registers' maximum), so per-week counters give the window's count without adding
        every visitor twice."""
        if other._exact is not None:
            for item in other._exact:
                self.add(item)
            return
        assert other._registers is not None
        exact = self._exact
        if exact is not None:
            self._registers = bytearray(other._registers)
            self._exact = None
            for item in exact:
                self._add_hashed(item)
            return
        assert self._registers is not None
        self._registers = bytearray(map(max, self._registers, other._registers))

    def _add_hashed(self, visitor: str) -> None:
        assert self._registers is not None
        value = int.from_bytes(hashlib.blake2b(visitor.encode(), digest_size=8).digest())
        index = value >> (64 - self.PRECISION)
        rest = value & ((1 << (64 - self.PRECISION)) - 1)
        rank = (64 - self.PRECISION) - rest.bit_length() + 1
        if rank > self._registers[index]:
            self._registers[index] = rank

    def __len__(self) -> int:
        if self._exact is not None:
            return len(self._exact)
        assert self._registers is not None
        m = len(self._registers)
        estimate = (0.7213 / (1 + 1.079 / m)) * m * m / sum(2.0 ** -r for r in self._registers)
        zeros = self._registers.count(0)
        if estimate <= 2.5 * m and zeros:
            estimate = m * math.log(m / zeros)
        return round(estimate)


@dataclass(slots=True)
class PatternStats:
    """One pattern's figures while the events are read (see `PatternFigures` for the result)."""

    views: int = 0
    late_views: int = 0
    """Views after the window's midpoint (for the impact report's trend)."""
    downloads: int = 0
    ratings: int = 0
    rating_sum: int = 0
    reports: int = 0
    visitors: UniqueCounter = field(default_factory=UniqueCounter)
    comments: list[str] = field(default_factory=list)
    watches: dict[str | None, ReportWatch] = field(default_factory=dict)
    """Reports per reported version (None: the report named no version)."""
    by_version: dict[str | None, VersionRatings] = field(default_factory=dict)
    """Ratings and their comments per rated version (None: the rating named no version)."""

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.ratings, 2) if self.ratings else None

    def figures(self) -> PatternFigures:
        return PatternFigures(self.views, self.late_views, len(self.visitors), self.downloads,
                              self.ratings, self.average_rating, self.reports,
                              tuple(self.comments),
                              tuple(sorted(((v, r) for v, r in self.by_version.items()),
                                           key=lambda item: item[0] or "")))


@dataclass(slots=True)
class VersionRatings:
    """The ratings of one version of a pattern, with the comments given with them."""

    ratings: int = 0
    rating_sum: int = 0
    comments: list[str] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        return round(self.rating_sum / self.ratings, 2) if self.ratings else None

    def to_json(self) -> dict[str, Any]:
        return {"ratings": self.ratings, "averageRating": self.average,
                "comments": list(self.comments)}


@dataclass(slots=True)
class Incident:
    """An incident while the events are read: the reporters that opened it (`first` to
    `last`), and its extent so far (`since` its first report, `until` its latest)."""

    pattern: str
    version: str | None
    reporters: tuple[str, ...]
    first: datetime
    last: datetime
    since: datetime
    until: datetime

    def escalation(self) -> Escalation:
        return Escalation(self.pattern, self.version, self.reporters, self.first, self.last,
                          self.since, self.until)


@dataclass(slots=True)
class ReportWatch:
    """The reports about one version of one pattern: those of the last hour (until an incident
    opens), when this run of reports began and its latest, and the incident it opened."""

    recent: deque[tuple[datetime, str]] = field(default_factory=deque)
    since: datetime | None = None
    latest: datetime | None = None
    incident: Incident | None = None


MAX_QUIET_WATCHES = 16
"""Reported versions kept per pattern before those quiet for an hour are forgotten."""


@dataclass(frozen=True, slots=True)
class PatternFigures:
    """What the events said about one pattern."""

    views: int
    late_views: int
    """Views after the window's midpoint (for the impact report's trend)."""
    unique_visitors: int
    """Exact up to `UniqueCounter.EXACT_LIMIT`, estimated beyond."""
    downloads: int
    ratings: int
    average_rating: float | None
    reports: int
    comments: tuple[str, ...]
    """The first 50 comments given with a rating, stripped."""
    by_version: tuple[tuple[str | None, VersionRatings], ...] = ()
    """Ratings and comments per rated version."""

    def to_json(self) -> dict[str, Any]:
        return {"views": self.views, "uniqueVisitors": self.unique_visitors,
                "downloads": self.downloads, "ratings": self.ratings,
                "averageRating": self.average_rating, "reports": self.reports,
                "ratingsByVersion": {version or "unknown": ratings.to_json()
                                     for version, ratings in self.by_version}}


@dataclass(frozen=True, slots=True)
class LivePattern:
    """What the environment says about a pattern: to know what is expected to get views."""

    id: str
    version: str
    since: datetime
    category: str


@dataclass(frozen=True, slots=True)
class Escalation:
    """`reporters` (3 or more distinct visitors) reported a problem with `pattern` between
    `first` and `last`, within `ESCALATION_WINDOW`."""

    pattern: str
    version: str | None
    reporters: tuple[str, ...]
    first: datetime
    last: datetime
    since: datetime
    """The incident's first report in this stream (at or before `first`)."""
    until: datetime
    """The incident's last report in this stream (at or after `last`)."""

    def to_json(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "version": self.version,
                "reporters": list(self.reporters), "first": _utc(self.first),
                "last": _utc(self.last), "since": _utc(self.since), "until": _utc(self.until)}


@dataclass(frozen=True, slots=True)
class Alert:
    """A live pattern that gets no views, or far fewer than its category's median."""

    pattern: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "message": self.message}


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line of the event stream that was skipped, and why."""

    line: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class MonitorResult:
    """One read of the event stream; `to_json()` is the shape of `pubflow monitor --format
    json` (without the environment and the escalation actions the command adds)."""

    events: int
    """Good events counted (inside the window, when there is one)."""
    bad: Mapping[str, int]
    """Bad lines by reason."""
    bad_lines: tuple[BadLine, ...]
    """The first `KEEP_BAD_LINES` bad lines."""
    patterns: Mapping[str, PatternFigures]
    """Figures of every pattern with at least one good event, by pattern id."""
    escalations: tuple[Escalation, ...]
    alerts: tuple[Alert, ...]
    latest: datetime | None
    """The time of the last good event."""

    @property
    def bad_events(self) -> int:
        return sum(self.bad.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "badEvents": self.bad_events,
            "badByReason": dict(sorted(self.bad.items())),
            "badLines": [bad.to_json() for bad in self.bad_lines],
            "latest": _utc(self.latest) if self.latest else None,
            "patterns": {pid: figures.to_json()
                         for pid, figures in sorted(self.patterns.items())},
            "alerts": [alert.to_json() for alert in self.alerts],
            "escalations": [escalation.to_json() for escalation in self.escalations],
        }


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class EventReader:
    """The one reader of the platform's events (`monitor`, `report impact`, `metrics`): the
    lines in, good events out, one at a time, so a caller's memory never grows with the
    stream. A bad line is counted by reason (the first `KEEP_BAD_LINES` kept with their line
    numbers) and skipped; `latest` is the time of the last good event, inside the window or
    not. With `since`, good events before it are skipped (not bad: outside the window)."""

    __slots__ = ("bad", "bad_lines", "known", "latest", "since")

    def __init__(self, known: Container[str], since: datetime | None = None) -> None:
        self.known = known
        """Pattern ids the events may name; any other is an unknown pattern."""
        self.since = since
        self.bad: dict[str, int] = {}
        self.bad_lines: list[BadLine] = []
        self.latest: datetime | None = None

    def _count_bad(self, line: int, reason: str) -> None:
        self.bad[reason] = self.bad.get(reason, 0) + 1
        if len(self.bad_lines) < KEEP_BAD_LINES:
            self.bad_lines.append(BadLine(line, reason))

    def read(self, lines: Iterable[str]
             ) -> Iterator[tuple[str, str, str, datetime, dict[str, Any]]]:
        """(type, pattern, visitor, time, the event) of every good event: a rating's
        `rating` is 1-5 and a report's `version`, when it has one, looks like a version."""
        known, since, count_bad = self.known, self.since, self._count_bad
        loads = json.loads
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if line.count("[") + line.count("{") > MAX_DEPTH and (
                    depth_exceeded_at(line, MAX_DEPTH) is not None):
                count_bad(number, f"nested more than {MAX_DEPTH} levels deep")
                continue
            try:
                event = loads(line)
            except ValueError:
                count_bad(number, "not JSON")
                continue
            if not isinstance(event, dict):
                count_bad(number, "not an object")
                continue
            kind, pattern, visitor = (event.get("type"), event.get("pattern"),
                                      event.get("visitor"))
            if kind not in EVENT_TYPES:
                count_bad(number, "unknown type")
                continue
            if not isinstance(pattern, str) or not isinstance(visitor, str) or not visitor:
                count_bad(number, "missing pattern or visitor")
                continue
            at = parse_time(event.get("at"))
            if at is None:
                count_bad(number, "bad time")
                continue
            if pattern not in known:
                count_bad(number, "unknown pattern")
                continue
            latest = self.latest
            if latest is not None and at < latest:
                count_bad(number, "clock out of order")
                continue
            self.latest = at
            if since is not None and at < since:
                continue
            if kind == "rating":
                rating = event.get("rating")
                if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
                    count_bad(number, "rating not 1-5")
                    continue
            elif kind == "report":
                version = event.get("version")
                if version is not None and (not isinstance(version, str)
                                            or not VERSION_TEXT.fullmatch(version)):
                    count_bad(number, "bad version")
                    continue
            yield kind, pattern, visitor, at, event


def monitor(lines: Iterable[str], live: dict[str, LivePattern],
            now: datetime | None = None, since: datetime | None = None) -> MonitorResult:
    """Read the events once; figures per pattern, escalations as they happen, then alerts.
    With `since`, events before it are skipped (not bad: outside the window)."""
    midpoint = since + (now - since) / 2 if since is not None and now is not None else None
    stats: dict[str, PatternStats] = {}
    incidents: list[Incident] = []
    events = 0
    reader = EventReader(live, since)
    for kind, pattern, visitor, at, event in reader.read(lines):
        entry = stats.get(pattern)
        if entry is None:
            entry = stats[pattern] = PatternStats()
        if kind == "view":
            entry.views += 1
            entry.visitors.add(visitor)
            if midpoint is not None and at >= midpoint:
                entry.late_views += 1
        elif kind == "download":
            entry.downloads += 1
            entry.visitors.add(visitor)
        elif kind == "rating":
            rating: int = event["rating"]
            rated = event.get("version")
            rated = rated if isinstance(rated, str) and VERSION_TEXT.fullmatch(rated) else None
            entry.ratings += 1
            entry.rating_sum += rating
            per = entry.by_version.get(rated)
            if per is None:
                per = entry.by_version[rated] = VersionRatings()
            per.ratings += 1
            per.rating_sum += rating
            comment = event.get("comment")
            if isinstance(comment, str) and comment.strip():
                if len(entry.comments) < 50:
                    entry.comments.append(comment.strip())
                if len(per.comments) < 50:
                    per.comments.append(comment.strip())
        else:
            entry.reports += 1
            opened = _watch_reports(pattern, event.get("version"), entry, at, visitor)
            if opened is not None:
                incidents.append(opened)
        events += 1
    return MonitorResult(
        events=events, bad=reader.bad, bad_lines=tuple(reader.bad_lines),
        patterns={pid: entry.figures() for pid, entry in stats.items()},
        escalations=tuple(incident.escalation() for incident in incidents),
        alerts=tuple(_alerts(stats, live, now or reader.latest)), latest=reader.latest)


def _watch_reports(pattern: str, version: str | None, entry: PatternStats, at: datetime,
                   visitor: str) -> Incident | None:
    """The incident this report opens, if any: one per run of reports about a version that
    are less than an hour apart."""
    watch = entry.watches.get(version)
    if watch is None:
        if len(entry.watches) >= MAX_QUIET_WATCHES:
            _forget_quiet(entry.watches, at)
        watch = entry.watches[version] = ReportWatch()
    if watch.latest is None or at - watch.latest > ESCALATION_WINDOW:
        watch.since, watch.incident = at, None  # an hour of quiet: whatever was, is over
        watch.recent.clear()
    watch.latest = at
    if watch.incident is not None:
        watch.incident.until = at
        return None
    window = watch.recent
    window.append((at, visitor))
    while window and at - window[0][0] > ESCALATION_WINDOW:
        window.popleft()
    reporters = tuple(dict.fromkeys(v for _t, v in window))
    if len(reporters) < ESCALATION_REPORTERS:
        return None
    assert watch.since is not None
    watch.incident = Incident(pattern, version, reporters, window[0][0], at, watch.since, at)
    window.clear()
    return watch.incident


def _forget_quiet(watches: dict[str | None, ReportWatch], at: datetime) -> None:
    for key in [key for key, watch in watches.items()
                if watch.latest is None or at - watch.latest > ESCALATION_WINDOW]:
        del watches[key]


def _alerts(stats: dict[str, PatternStats], live: dict[str, LivePattern],
            now: datetime | None) -> list[Alert]:
    alerts: list[Alert] = []
    if now is None:
        return alerts
    by_category: dict[str, list[int]] = {}
    for pattern in live.values():
        by_category.setdefault(pattern.category, []).append(
            stats[pattern.id].views if pattern.id in stats else 0)
    for pattern in sorted(live.values(), key=lambda p: p.id):
        views = stats[pattern.id].views if pattern.id in stats else 0
        age = now - pattern.since
        if age < QUIET_AFTER:
            continue
        if views == 0:
            hours = int(age.total_seconds() // 3600)
            alerts.append(Alert(pattern.id, f"{pattern.id} {pattern.version} has been live "
                                            f"for {hours} h with no views"))
            continue
        peers = by_category[pattern.category]
        if len(peers) >= 3:
            median = statistics.median(peers)
            if views < FAR_BELOW * median:
                alerts.append(Alert(pattern.id, f"{pattern.id} has {views} views, far below "
                                                f"the median of {pattern.category} patterns "
                                                f"({median:g})"))
    return alerts


def load_live(root: Path, environment: str, fallback: datetime) -> dict[str, LivePattern]:
    """The patterns live in `environment`, with when they went live and their category
    (first industry in the catalog)."""
    from pubflow.records.environments import load_catalog, load_environment

    rows = {row.get("id"): row for row in load_catalog(root, environment)["patterns"]}
    live = {}
    for pattern_id, entry in load_environment(root, environment).patterns.items():
        industries = (rows.get(pattern_id) or {}).get("industries") or ["uncategorised"]
        live[pattern_id] = LivePattern(pattern_id, str(entry.version),
                                       parse_time(entry.at) or fallback, str(industries[0]))
    return live
