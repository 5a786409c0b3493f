"""`pubflow status`: what runs where, the tickets by state, overdue reviews, recent events.

Everything comes from the repository's own files (environment files, package manifests, the
ticket index, the audit log's tail), so the dashboard is as true as `git log`.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pubflow.config import Config
from pubflow.records.environments import Rollout, load_environment
from pubflow.release import package as pkg
from pubflow.release.watch import WatchState, watch_state

RECENT_EVENTS = 10


@dataclass(frozen=True, slots=True)
class PatternStatus:
    """One pattern live in one environment: its release, a canary under way, its notes."""

    pattern: str
    version: str
    ticket: str
    release: str | None
    by: str
    at: str
    rollout: Rollout | None
    notes: str | None
    """The release notes of the live version's package (None: none, or no package)."""
    earlier_versions: int
    name: str | None = None
    """What `promote --name` called the release."""
    health: Mapping[str, Any] | None = None
    """The last health check recorded (its score and components, when one was printed)."""
    watch: WatchState | None = None
    """A watch under way after the release, or how the last one ended."""

    def to_json(self) -> dict[str, Any]:
        rollout = self.rollout
        return {"pattern": self.pattern, "version": self.version, "ticket": self.ticket,
                "release": self.release, "by": self.by, "at": self.at,
                "rollout": None if rollout is None else {
                    "stable": rollout.stable, "canary": rollout.canary,
                    "weight": rollout.weight, "held": rollout.held},
                "notes": self.notes, "earlierVersions": self.earlier_versions,
                "name": self.name,
                "health": None if self.health is None else dict(self.health),
                "watch": None if self.watch is None else self.watch.to_json()}

    def health_text(self) -> str:
        """`score 97` (the last recorded), and the watch: `watching until ...`, ..."""
        parts = []
        if self.health is not None and self.health.get("score") is not None:
            parts.append(f"score {self.health['score']}")
        if self.watch is not None:
            parts.append(self.watch.text())
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class EnvironmentStatus:
    name: str
    patterns: tuple[PatternStatus, ...]
    """Sorted by pattern id."""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "patterns": [row.to_json() for row in self.patterns]}


@dataclass(frozen=True, slots=True)
class OverdueReview:
    id: str
    pattern: str
    reviewer: str | None
    due: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "pattern": self.pattern, "reviewer": self.reviewer,
                "due": self.due}


@dataclass(frozen=True, slots=True)
class TicketsStatus:
    total: int
    by_state: Mapping[str, int]
    """Ticket count per state, states sorted."""
    overdue: tuple[OverdueReview, ...]

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "byState": dict(self.by_state),
                "overdue": [item.to_json() for item in self.overdue]}


@dataclass(frozen=True, slots=True)
class DayActivity:
    """Publications (to the last environment) and rollbacks or depublications on one day."""

    day: str
    published: int
    rolled_back: int

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day, "published": self.published, "rolledBack": self.rolled_back}


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What `pubflow status` shows; `to_json()` is the `--format json` document."""

    environments: tuple[EnvironmentStatus, ...]
    tickets: TicketsStatus
    recent_events: tuple[Mapping[str, Any], ...]
    """The audit log's last entries, oldest first, as the log has them."""
    timeline: tuple[DayActivity, ...]
    """Days with a publication or a rollback, oldest first."""
    recovered: str | None
    """What recovering an interrupted operation did, if there was one."""

    def to_json(self) -> dict[str, Any]:
        return {
            "environments": [env.to_json() for env in self.environments],
            "tickets": self.tickets.to_json(),
            "recentEvents": [dict(event) for event in self.recent_events],
            "timeline": [day.to_json() for day in self.timeline],
            "recovered": self.recovered,
        }


def collect_status(config: Config, now: datetime) -> Dashboard:
    """The dashboard; recovers an interrupted operation."""
    from pubflow.records.audit import AuditLog
    from pubflow.records.index import summaries
    from pubflow.records.store import TicketStore
    from pubflow.records.transaction import recover

    root = config.root
    store = TicketStore(root)
    recovered = None
    if (root / ".pubflow").is_dir():
        with store.locked():
            recovered = recover(root)
    environments = []
    for name in config.environments:
        env = load_environment(root, name)
        rows = []
        for pattern_id in sorted(env.patterns):
            live = env.patterns[pattern_id]
            rows.append(PatternStatus(
                pattern=pattern_id, version=live.version, ticket=live.ticket,
                release=live.release, by=live.by, at=live.at, rollout=live.rollout,
                notes=_notes(root, pattern_id, str(live.version)),
                earlier_versions=len(live.history),
                name=None if live.document.get("name") is None
                else str(live.document.get("name")),
                health=_last_health(live.document),
                watch=watch_state(live, now)))
        environments.append(EnvironmentStatus(name, tuple(rows)))
    tickets = summaries(store)  # a broken ticket file stops the page: never wrong counts
    states = Counter(t.state for t in tickets)
    overdue = tuple(OverdueReview(t.id, t.pattern_id, t.reviewer, t.due)
                    for t in tickets if t.is_overdue(now))
    audit = AuditLog(root)
    recent: deque[Mapping[str, Any]] = deque(maxlen=RECENT_EVENTS)
    published: Counter[str] = Counter()
    rolled_back: Counter[str] = Counter()
    last_env = config.environments[-1] if config.environments else None
    for entry in audit.entries() if audit.path.exists() else ():
        recent.append(entry)
        day = str(entry.get("at", ""))[:10]
        kind = entry.get("kind")
        if kind == "promote" and entry.get("environment") == last_env:
            published[day] += 1
        elif kind in ("rollback", "depublish"):
            rolled_back[day] += 1
    return Dashboard(
        environments=tuple(environments),
        tickets=TicketsStatus(len(tickets), dict(sorted(states.items())), overdue),
        recent_events=tuple(recent),
        timeline=tuple(DayActivity(day, published[day], rolled_back[day])
                       for day in sorted(published.keys() | rolled_back.keys())),
        recovered=recovered,
    )


def moves(entry: Mapping[str, Any]) -> bool:
    """Whether a ticket event (or its audit entry) moved the ticket. A bookkeeping event (an
    escalation, a new id) stores `from` equal to `to`: shown as a move it would read
    `live -> live`, so it is shown with its state once."""
    return entry.get("from") is None or entry.get("from") != entry.get("to")


def describe_ticket_event(entry: Mapping[str, Any]) -> str:
    """`PUB-2026-001 routed: ready_for_review -> in_review`, a first event `- ->
    submission_received`, and an event that leaves the state as it was `PUB-2026-001
    escalated (state: live)`."""
    named = f"{entry.get('ticket')} {entry.get('event')}"
    if not moves(entry):
        return f"{named} (state: {entry.get('to')})"
    return f"{named}: {entry.get('from') or '-'} -> {entry.get('to')}"


def _last_health(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The newer of the release's and its canary's last health check."""
    found = [record for record in (document.get("health"),
                                   (document.get("rollout") or {}).get("health"))
             if isinstance(record, dict)]
    return max(found, key=lambda record: str(record.get("at"))) if found else None


def _notes(root: Path, pattern_id: str, version: str) -> str | None:
    try:
        manifest = json.loads((pkg.package_dir(root, pattern_id, version) / pkg.MANIFEST_FILE)
                              .read_bytes())
    except (OSError, ValueError):
        return None
    notes = manifest.get("notes") if isinstance(manifest, dict) else None
    return str(notes) if notes else None
