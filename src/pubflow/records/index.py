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
import os
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pubflow.errors import InputError
from pubflow.records.states import State
from pubflow.records.store import TicketStore
from pubflow.records.tickets import TICKET_ID, Ticket, parse_utc
from pubflow.storage.parallel import map_in_batches, worker_count
from pubflow.storage.statefile import is_racy

INDEX_FORMAT = 1
TICKETS_PER_WORKER = 500
"""Ticket files to read per extra process before forking pays (about 1 ms each)."""


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
    from pubflow.storage.schemas import schema_text
    from pubflow.storage.statefile import TICKET_INDEX, state_path, write_json

    listing = _listing(store)
    if not listing:
        return []
    key = f"{INDEX_FORMAT}:{__version__}:" + hashlib.sha256(
        schema_text("ticket.schema.json").encode()).hexdigest()[:16]
    memo = Path(state_path(store.root, TICKET_INDEX))
    cached = _read_index(memo)
    entries: dict[str, Any] = (cached.get("entries", {}) if isinstance(cached, dict)
                               and cached.get("key") == key else {})
    fresh: dict[str, Any] = {}
    result: dict[str, TicketSummary] = {}
    changed = len(entries) != len(listing)
    now_ns = time.time_ns()
    to_read: list[tuple[str, Path, os.stat_result]] = []
    for ticket_id, st in listing:
        entry = entries.get(ticket_id)
        if (isinstance(entry, dict) and entry.get("size") == st.st_size
                and entry.get("mtime_ns") == st.st_mtime_ns
                and not is_racy(st.st_mtime_ns, entry.get("checked_ns", 0))):
            fresh[ticket_id] = entry
            result[ticket_id] = TicketSummary(**entry["summary"])
        else:
            to_read.append((ticket_id, store.folder / f"{ticket_id}.yaml", st))
    if to_read:
        changed = True
        workers = worker_count(len(to_read), 0, TICKETS_PER_WORKER)
        reads = map_in_batches(_read_batch, [path for _, path, _ in to_read],
                               (store, entries), workers, TICKETS_PER_WORKER)
        for (ticket_id, _path, st), (digest, summary, problem) in zip(to_read, reads,
                                                                        strict=True):
            if summary is None:
                if skip_invalid:
                    continue
                raise InputError(problem or f"{ticket_id}: unreadable ticket")
            fresh[ticket_id] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                                "sha256": digest, "checked_ns": now_ns, "summary": summary}
            result[ticket_id] = TicketSummary(**summary)
    if changed:
        payload = {"key": key, "entries": fresh}
        write_json(memo, payload)
        _remember(memo, payload)
    return [result[i] for i, _ in listing if i in result]


_LAST_READ: dict[Path, tuple[int, int, Any]] = {}
"""The index as last read or written by this process, by (size, mtime_ns): a command that
looks at the tickets twice (create does) parses the index once."""


def _read_index(memo: Path) -> Any:
    from pubflow.storage.statefile import read_json

    try:
        st = memo.stat()
    except OSError:
        return None
    known = _LAST_READ.get(memo)
    if known is not None and known[:2] == (st.st_size, st.st_mtime_ns):
        return known[2]
    payload = read_json(memo)
    _LAST_READ[memo] = (st.st_size, st.st_mtime_ns, payload)
    return payload


def _remember(memo: Path, payload: Any) -> None:
    try:
        st = memo.stat()
    except OSError:
        return
    _LAST_READ[memo] = (st.st_size, st.st_mtime_ns, payload)


def _listing(store: TicketStore) -> list[tuple[str, os.stat_result]]:
    """(ticket id, stat) of every ticket file, oldest id first: one directory scan."""
    found: list[tuple[tuple[int, int], str, os.stat_result]] = []
    try:
        with os.scandir(store.folder) as scan:
            for item in scan:
                if not item.name.endswith(".yaml"):
                    continue
                match = TICKET_ID.match(item.name[:-5])
                if match is None:
                    continue
                try:
                    st = item.stat()
                except OSError:
                    continue
                found.append(((int(match.group(1)), int(match.group(2))), match.group(0), st))
    except OSError:
        return []
    found.sort(key=lambda row: row[0])
    return [(ticket_id, st) for _key, ticket_id, st in found]


def _read_batch(paths: list[Path], shared: tuple[TicketStore, dict[str, Any]],
                ) -> list[tuple[str, dict[str, Any] | None, str | None]]:
    """(sha256, summary as a dict or None, the problem) per ticket file; unchanged content
    (same sha256 as indexed) is not parsed again."""
    store, entries = shared
    out: list[tuple[str, dict[str, Any] | None, str | None]] = []
    for path in paths:
        try:
            raw = path.read_bytes()
        except OSError:
            raw = b""
        digest = hashlib.sha256(raw).hexdigest()
        entry = entries.get(path.name[:-5])
        if isinstance(entry, dict) and entry.get("sha256") == digest:
            out.append((digest, entry["summary"], None))
            continue
        try:
            ticket = store.load_path(path, for_reading_only=True)
            out.append((digest, asdict(TicketSummary.of(ticket)), None))
        except InputError as exc:
            out.append((digest, None, exc.message))
    return out
