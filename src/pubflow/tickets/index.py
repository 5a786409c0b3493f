"""A summary of every ticket, cached so `ticket list` over ten thousand tickets stays fast.

Reading a ticket properly (ruamel round-trip, schema check) costs milliseconds; ten thousand
of them would cost seconds. The index remembers, per ticket file, its size, mtime and sha256
and the summary read from it. An entry is reused when size and mtime are unchanged and the
file was not modified within the clock's granularity of being indexed (git's "racy" rule),
or when the content's sha256 is unchanged; anything else is read and checked again, so the
index is never stale. It lives inside `.git/`, never in the work tree.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from pubflow.errors import InputError
from pubflow.tickets.model import Ticket, parse_utc
from pubflow.tickets.states import State
from pubflow.tickets.store import TicketStore

INDEX_FORMAT = 1
RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class TicketSummary:
    id: str
    state: str
    priority: str
    pattern_id: str
    pattern_path: str
    pattern_version: str | None
    digest: str
    author_id: str | None
    author_email: str | None
    reviewer: str | None
    due: str | None

    @classmethod
    def of(cls, ticket: Ticket) -> TicketSummary:
        pinned, author = ticket.pattern, ticket.author
        return cls(ticket.id, str(ticket.state), ticket.priority, pinned.id, pinned.path,
                   pinned.version, pinned.digest, author.id, author.email, ticket.reviewer,
                   ticket.due)

    def is_overdue(self, now: datetime) -> bool:
        return self.state == State.IN_REVIEW and self.due is not None and parse_utc(self.due) < now

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "priority": self.priority,
            "pattern": {"id": self.pattern_id, "path": self.pattern_path,
                        "version": self.pattern_version, "digest": self.digest},
            "author": {"id": self.author_id, "email": self.author_email},
            "reviewer": self.reviewer,
            "due": self.due,
            "overdue": self.is_overdue(now),
        }


def summaries(store: TicketStore, *, skip_invalid: bool = False) -> list[TicketSummary]:
    """Every ticket's summary, oldest id first; a broken ticket file raises unless skipped."""
    from pubflow import __version__
    from pubflow.cache import cache_dir, read_json_cache, write_json_cache
    from pubflow.resources import schema_text

    ids = store.ids()
    if not ids:
        return []
    key = f"{INDEX_FORMAT}:{__version__}:" + hashlib.sha256(
        schema_text("ticket.schema.json").encode()).hexdigest()[:16]
    memo = cache_dir(store.root) / "tickets-index.json"
    cached = read_json_cache(memo)
    entries: dict[str, Any] = (cached.get("entries", {}) if isinstance(cached, dict)
                               and cached.get("key") == key else {})
    fresh: dict[str, Any] = {}
    result: list[TicketSummary] = []
    changed = len(entries) != len(ids)
    now_ns = time.time_ns()
    for ticket_id in ids:
        path = store.path_of(ticket_id)
        entry = entries.get(ticket_id)
        try:
            st = path.stat()
        except OSError:
            continue
        if (isinstance(entry, dict) and entry.get("size") == st.st_size
                and entry.get("mtime_ns") == st.st_mtime_ns
                and st.st_mtime_ns + RACY_NS < entry.get("checked_ns", 0)):
            fresh[ticket_id] = entry
            result.append(TicketSummary(**entry["summary"]))
            continue
        changed = True
        try:
            raw = path.read_bytes()
        except OSError:
            raw = b""
        digest = hashlib.sha256(raw).hexdigest()
        if isinstance(entry, dict) and entry.get("sha256") == digest:
            summary = TicketSummary(**entry["summary"])
        else:
            try:
                summary = TicketSummary.of(store.load_path(path))
            except InputError:
                if skip_invalid:
                    continue
                raise
        fresh[ticket_id] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest,
                            "checked_ns": now_ns, "summary": asdict(summary)}
        result.append(summary)
    if changed:
        write_json_cache(memo, {"key": key, "entries": fresh})
    return result
