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

    def replay(self) -> Replay:
        """The history replayed: state, author, pin, reviewer, due, priority, approvals."""
        return replay(list(self.doc.get("history") or []))

    def comments(self) -> list[SectionComment]:
        """The reviewers' comments on sections, open or resolved, as the history says."""
        return section_comments(list(self.doc.get("history") or []))

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


# --- The history is the record: replaying it gives every field a ticket's top level repeats.

DERIVED_FIELDS = ("state", "author", "pattern", "reviewer", "due", "priority")
"""Top-level fields that must agree with the history (`records.verify` reports any that do
not); `findings` are a report of the last validation, not a decision, and are not derived."""

DECISION_STATES: dict[str, State] = {
    "approve": State.APPROVED,
    "reject": State.REJECTED,
    "request-changes": State.CHANGES_REQUESTED,
}


def pin_record(pattern: PinnedPattern) -> dict[str, Any]:
    """A pin as an event records it (and as the ticket's `pattern` field holds it)."""
    return {"id": pattern.id, "path": pattern.path, "version": pattern.version,
            "digest": pattern.digest, "industries": list(pattern.industries)}


def author_record(author: Author) -> dict[str, Any]:
    return {"id": author.id, "email": author.email, "name": author.name}


COMMENT_SEVERITIES = ("critical", "major", "minor")


@dataclass(frozen=True, slots=True)
class SectionComment:
    """A reviewer's comment on one section (a pattern field) of the pinned content: made in a
    `reviewed` event's `comments`, resolved by a later review's `resolved`."""

    id: str
    field: str
    severity: str
    text: str
    by: str
    at: str
    resolved_by: str | None = None
    resolved_at: str | None = None

    @property
    def open(self) -> bool:
        return self.resolved_by is None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "field": self.field, "severity": self.severity,
                "text": self.text, "by": self.by, "at": self.at, "open": self.open,
                "resolvedBy": self.resolved_by, "resolvedAt": self.resolved_at}


def section_comments(history: list[Any]) -> list[SectionComment]:
    """Every section comment of a history, in the order made, with its resolution."""
    found: dict[str, SectionComment] = {}
    for raw in history:
        get = getattr(raw, "get", None)
        if get is None or get("event") != "reviewed":
            continue
        actor, at = str(get("actor")), str(get("at"))
        for done in get("resolved") or ():
            if str(done) in found and found[str(done)].open:
                old = found[str(done)]
                found[old.id] = SectionComment(old.id, old.field, old.severity, old.text,
                                               old.by, old.at, actor, at)
        for item in get("comments") or ():
            item_get = getattr(item, "get", None)
            if item_get is None:
                continue
            comment = SectionComment(str(item_get("id")), str(item_get("field")),
                                     str(item_get("severity") or "minor"),
                                     str(item_get("text")), actor, at)
            found[comment.id] = comment
    return list(found.values())


@dataclass(frozen=True, slots=True)
class Approval:
    """One approval in the history: who, as which reviewer, of which content, when."""

    index: int
    actor: str
    reviewer: str | None
    digest: str | None
    at: str


@dataclass(frozen=True, slots=True)
class Replay:
    """What a ticket's history says, event by event, with what it could not establish.

    `author`, `pin` and `priority` are None for a ticket written before pubflow recorded
    them in the history (`missing` names them); `problems` are (event index, message) for
    events that break the rules a replay can check without the configuration.
    """

    state: str | None
    author: Author | None
    submitter: str | None
    on_behalf_of: str | None
    reviewer: str | None
    due: str | None
    pin: PinnedPattern | None
    digest: str | None
    priority: str | None
    approvals: tuple[Approval, ...]
    problems: tuple[tuple[int, str], ...]
    missing: tuple[str, ...]

    @property
    def recorded(self) -> bool:
        """Whether the first event records author and pin (a ticket of this pubflow)."""
        return self.author is not None and self.pin is not None


def is_person(actor: str | None, person_id: str | None, email: str | None) -> bool:
    """`actor` is the person with this id (exactly) or email (trimmed, any case)."""
    if not actor:
        return False
    if person_id and actor.strip() == person_id:
        return True
    mail = (email or "").strip().casefold()
    return bool(mail) and actor.strip().casefold() == mail


def replay(history: list[Any]) -> Replay:
    """Walk the events in order and derive the ticket's fields from them."""
    state: str | None = None
    author: Author | None = None
    submitter = on_behalf = reviewer = due = digest = priority = None
    pin: PinnedPattern | None = None
    approvals: list[Approval] = []
    problems: list[tuple[int, str]] = []
    for index, raw in enumerate(history):
        get = getattr(raw, "get", None)
        if get is None:
            continue
        name = str(get("event"))
        actor = _opt(get("actor"))
        source, target = _opt(get("from")), _opt(get("to"))
        if index == 0:
            submitter = actor
            author = _author_of(get("author"))
            on_behalf = _opt(get("on_behalf_of"))
            if author is not None and not is_person(actor, author.id, author.email) \
                    and on_behalf is None:
                problems.append((index, f"submitted by {actor}, who is not the pattern's "
                                        f"author ({author.id or author.email}) and is not "
                                        "recorded as an editor acting on their behalf"))
        recorded_pin = _pin_of(get("pattern"))
        if recorded_pin is not None:
            if pin is not None and recorded_pin.id != pin.id:
                problems.append((index, f"re-pins pattern {recorded_pin.id}, but the ticket "
                                        f"is for {pin.id}"))
            pin = recorded_pin
            digest = recorded_pin.digest
        elif isinstance(get("digest"), str) and name != "reviewed":
            digest = str(get("digest"))
            if pin is not None and pin.digest != digest:
                pin = PinnedPattern(pin.id, pin.path, pin.version, digest, pin.industries)
        if get("priority") in ("low", "normal", "high"):
            priority = str(get("priority"))
        if name == "resubmitted":
            approvals = []
        if target == State.WITHDRAWN:
            due = None
        if name == "routed":
            reviewer = _opt(get("reviewer"))
        if get("due") is not None and name in ("routed", "validated", "resubmitted"):
            due = _opt(get("due"))
        if name == "reviewed":
            _review(index, get, actor, source, target, reviewer, author, digest,
                    author is not None, approvals, problems)
            if source == State.IN_REVIEW and target != State.CHANGES_REQUESTED:
                due = None
        elif source == State.IN_REVIEW and target in DECISION_STATES.values():
            problems.append((index, f"{source} -> {target} by {actor} is not a review "
                                    f"decision ('{name}' event): only `pubflow ticket review` "
                                    "decides"))
        state = target
    missing = []
    if author is None:
        missing.append("author")
    if pin is None:
        missing.append("pattern id, path and version")
    if priority is None:
        missing.append("priority")
    return Replay(state, author, submitter, on_behalf, reviewer, due, pin, digest, priority,
                  tuple(approvals), tuple(problems), tuple(missing))


def _review(index: int, get: Any, actor: str | None, source: str | None,
            target: str | None, routed: str | None, author: Author | None,
            digest: str | None, recorded: bool, approvals: list[Approval],
            problems: list[tuple[int, str]]) -> None:
    decision = _opt(get("decision"))
    named = _opt(get("reviewer"))
    expected = DECISION_STATES.get(decision or "")
    additional = source == target == State.APPROVED or source == target == State.STAGED
    if additional:
        if decision != "approve":
            problems.append((index, f"only an approval may be added to a {source} ticket, "
                                    f"not '{decision}'"))
    elif expected is None or target != expected:
        problems.append((index, f"a review decision '{decision}' cannot move the ticket to "
                                f"{target}"))
    elif source == State.IN_REVIEW and named != routed:
        problems.append((index, f"decided by reviewer {named} ({actor}), but the ticket was "
                                f"routed to {routed}"))
    if author is not None and (is_person(actor, author.id, author.email)
                               or is_person(named, author.id, author.email)):
        problems.append((index, f"{actor} is the author of the pattern and cannot review it"))
    if source == State.APPROVED and target != State.APPROVED:
        # an approval taken back before promotion: by the routed reviewer or an approver
        if named != routed and all(a.reviewer != named for a in approvals):
            problems.append((index, f"{actor} took back an approval that neither they nor "
                                    f"the routed reviewer ({routed}) gave"))
        approvals.clear()
    if decision != "approve":
        return
    approved = _opt(get("digest"))
    if approved is None and recorded:
        problems.append((index, f"the approval by {actor} does not record the content "
                                "(sha256) it approved"))
    elif approved is not None and approved != digest:
        problems.append((index, f"{actor} approved content {approved[:12]}, not the pinned "
                                f"{(digest or '?')[:12]}"))
    approvals.append(Approval(index, actor or "", named, approved or digest,
                              str(get("at"))))


def _author_of(raw: Any) -> Author | None:
    get = getattr(raw, "get", None)
    if get is None:
        return None
    return Author(_opt(get("id")), _opt(get("email")), _opt(get("name")))


def _pin_of(raw: Any) -> PinnedPattern | None:
    get = getattr(raw, "get", None)
    if get is None or not get("id") or not get("path") or not isinstance(get("digest"), str):
        return None
    version = get("version")
    return PinnedPattern(str(get("id")), str(get("path")),
                         None if version is None else str(version), str(get("digest")),
                         tuple(str(i) for i in get("industries") or ()))
