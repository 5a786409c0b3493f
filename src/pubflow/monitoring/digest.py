"""`pubflow notify digest`: each author hears, once a day, how their live patterns did.

The figures come from the platform's events of the last 24 hours (views, unique visitors,
downloads, ratings per version with their comments, problem reports) and the alerts and
escalations of the same read. Patterns are grouped by the author of the ticket that released
the version live in the environment; one message per author goes through the configured
channels (always the outbox). An author with no live pattern, or no email, gets nothing, and
the outcome says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pubflow.config import Config

if TYPE_CHECKING:
    from pubflow.monitoring.engagement import LivePattern, MonitorResult, PatternFigures
    from pubflow.notify.outbox import Delivery


@dataclass(frozen=True, slots=True)
class DigestRow:
    pattern: str
    version: str
    ticket: str | None
    figures: PatternFigures | None
    alerts: tuple[str, ...]
    escalations: int

    def lines(self) -> list[str]:
        head = f"{self.pattern} {self.version}" + (f" ({self.ticket})" if self.ticket else "")
        figures = self.figures
        if figures is None:
            out = [f"{head}: no events in the last 24 hours"]
        else:
            rating = (f"{figures.average_rating:.2f} from {figures.ratings} rating(s)"
                      if figures.average_rating is not None else "no ratings")
            out = [f"{head}: {figures.views} views, {figures.unique_visitors} unique "
                   f"visitors, {figures.downloads} downloads, {rating}, {figures.reports} "
                   "problem report(s)"]
            for version, per in figures.by_version:
                if per.ratings:
                    out.append(f"  ratings of {version or 'an unnamed version'}: "
                               f"{per.average:.2f} from {per.ratings}")
                out += [f"    \"{comment}\"" for comment in per.comments[:10]]
        out += [f"  alert: {alert}" for alert in self.alerts]
        if self.escalations:
            out.append(f"  escalated: {self.escalations} incident(s) of users reporting "
                       "problems (see `pubflow monitor`)")
        return out

    def to_json(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "version": self.version, "ticket": self.ticket,
                "figures": None if self.figures is None else self.figures.to_json(),
                "alerts": list(self.alerts), "escalations": self.escalations}


@dataclass(frozen=True, slots=True)
class Digest:
    author: str | None
    """The author's email (None: the ticket names none; nobody can be told)."""
    rows: tuple[DigestRow, ...]
    deliveries: tuple[Delivery, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"author": self.author, "patterns": [row.to_json() for row in self.rows],
                "deliveries": [{"channel": d.channel, "ok": d.ok, "detail": d.detail}
                               for d in self.deliveries]}


def digests(config: Config, environment: str, result: MonitorResult,
            live: dict[str, LivePattern]) -> list[Digest]:
    """One digest per author of a pattern live in `environment`."""
    from pubflow.records.environments import load_environment
    from pubflow.records.store import TicketStore

    env = load_environment(config.root, environment)
    store = TicketStore(config.root)
    by_author: dict[str | None, list[DigestRow]] = {}
    for pattern_id in sorted(live):
        entry = env.live(pattern_id)
        ticket_id = None if entry is None or entry.ticket is None else str(entry.ticket)
        author = None
        if ticket_id is not None and store.exists(ticket_id):
            author = store.load_path(store.path_of(ticket_id), for_reading_only=True).author.email
        alerts = tuple(a.message for a in result.alerts if a.pattern == pattern_id)
        escalations = sum(1 for e in result.escalations if e.pattern == pattern_id)
        row = DigestRow(pattern_id, live[pattern_id].version, ticket_id,
                        result.patterns.get(pattern_id), alerts, escalations)
        by_author.setdefault(author, []).append(row)
    return [Digest(author, tuple(rows)) for author, rows in
            sorted(by_author.items(), key=lambda item: item[0] or "")]


def send(config: Config, environment: str, digest: Digest, now: datetime) -> Digest:
    """Deliver one digest (nothing for an author without an email)."""
    if digest.author is None:
        return digest
    from pubflow.notify import events

    body = [line for row in digest.rows for line in row.lines()]
    sent = events.digest(config, digest.author, environment, body, [r.to_json() for r in
                                                                     digest.rows], now)
    return Digest(digest.author, digest.rows, tuple(sent))
