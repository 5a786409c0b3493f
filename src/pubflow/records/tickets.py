"""A publication ticket: a typed view over the YAML document it is stored as.

The document itself (a ruamel round-trip mapping) is kept, so comments a human adds to a
ticket file survive every change pubflow makes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pubflow.records.chain import event_hash
from pubflow.records.states import State, check_transition

API_VERSION = "pubflow.dev/v1"
KIND = "PublicationTicket"
TICKET_ID = re.compile(r"^PUB-(\d{4})-(\d{3,})$")


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PinnedPattern:
    """What was submitted: the reviewed bytes are identified by their sha256."""

    id: str
    path: str
    version: str | None
    digest: str
    industries: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Author:
    id: str | None
    email: str | None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    at: str
    actor: str
    event: str
    from_state: str | None
    to_state: str
    reason: str | None
    prev: str | None
    hash: str
    extra: dict[str, Any]


class Ticket:
    """A ticket backed by its YAML document; `transition` is the only way to change state."""

    def __init__(self, doc: Any, path: Path) -> None:
        self.doc = doc
        self.path = path

    @property
    def id(self) -> str:
        return str(self.doc["id"])

    @property
    def state(self) -> State:
        return State(self.doc["state"])

    @property
    def pattern(self) -> PinnedPattern:
        p = self.doc["pattern"]
        version = p.get("version")
        return PinnedPattern(str(p["id"]), str(p["path"]),
                             None if version is None else str(version), str(p["digest"]),
                             tuple(str(i) for i in p.get("industries") or ()))

    @property
    def author(self) -> Author:
        a = self.doc["author"]
        return Author(_opt(a.get("id")), _opt(a.get("email")), _opt(a.get("name")))

    @property
    def reviewer(self) -> str | None:
        return _opt(self.doc.get("reviewer"))

    @property
    def due(self) -> str | None:
        return _opt(self.doc.get("due"))

    @property
    def priority(self) -> str:
        return str(self.doc.get("priority") or "normal")

    @property
    def findings(self) -> list[dict[str, Any]]:
        return [dict(f) for f in self.doc.get("findings") or []]

    @property
    def history(self) -> list[Event]:
        return [_event(e) for e in self.doc["history"]]

    def is_overdue(self, now: datetime) -> bool:
        due = self.due
        return self.state is State.IN_REVIEW and due is not None and parse_utc(due) < now

    def pin(self, pattern: PinnedPattern) -> None:
        target = self.doc["pattern"]
        target["id"] = pattern.id
        target["path"] = pattern.path
        target["version"] = pattern.version
        target["digest"] = pattern.digest
        target["industries"] = list(pattern.industries)

    def transition(self, to: State, *, actor: str, event: str, now: datetime,
                   reason: str | None = None, **extra: Any) -> dict[str, Any]:
        """Check the move, append a hash-chained event and set the new state."""
        check_transition(self.id, self.state, to)
        entry = append_event(self.doc, actor=actor, event=event, from_state=self.state, to=to,
                             now=now, reason=reason, **extra)
        self.doc["state"] = to.value
        return entry

    def to_plain(self) -> dict[str, Any]:
        from pubflow.storage.yaml import to_plain

        result: dict[str, Any] = to_plain(self.doc)
        return result


def append_event(doc: Any, *, actor: str, event: str, from_state: State | None, to: State,
                 now: datetime, reason: str | None = None, **extra: Any) -> dict[str, Any]:
    history = doc.setdefault("history", [])
    prev = str(history[-1]["hash"]) if history else None
    entry: dict[str, Any] = {
        "at": utc_text(now),
        "actor": actor,
        "event": event,
        "from": None if from_state is None else from_state.value,
        "to": to.value,
        "reason": reason,
        **{k: v for k, v in extra.items() if v is not None},
        "prev": prev,
    }
    entry["hash"] = event_hash(entry)
    history.append(_commented(entry))
    return entry


def _commented(entry: dict[str, Any]) -> Any:
    from ruamel.yaml.comments import CommentedMap

    result = CommentedMap()
    for key, value in entry.items():
        result[key] = value
    return result


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


_EVENT_KEYS = {"at", "actor", "event", "from", "to", "reason", "prev", "hash"}


def _event(raw: Any) -> Event:
    return Event(str(raw["at"]), str(raw["actor"]), str(raw["event"]), _opt(raw.get("from")),
                 str(raw["to"]), _opt(raw.get("reason")), _opt(raw.get("prev")),
                 str(raw["hash"]), {str(k): v for k, v in raw.items() if k not in _EVENT_KEYS})
