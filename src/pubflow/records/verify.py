"""`ticket verify`: is every ticket file sound, and does it tell the truth?

Checks the schema, the hash chain of the history (a hand-edited past event is caught), that
the current state follows from the history through legal transitions, that ids are unique,
and that patterns in a locked state still match their pinned digest. Problems are data.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pubflow.errors import InputError
from pubflow.records.chain import chain_breaks
from pubflow.records.states import LOCKED_STATES, OPEN_STATES, TRANSITIONS, State
from pubflow.records.store import TicketStore
from pubflow.records.tickets import Ticket, pin_record

BOOKKEEPING = frozenset({"renumbered", "merged", "environment", "escalated"})
"""Events that record something (a merge, a change in one environment) without moving the
ticket to another state."""


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    ticket: str
    message: str
    kind: str = "broken"
    """`broken`: the file contradicts its history or the rules; `incomplete`: a ticket written
    by an older pubflow whose history does not record something (the message says what)."""

    def __str__(self) -> str:
        if self.message.startswith(self.file):  # a load error already says where
            return f"{self.message} ({self.ticket})"
        return f"{self.file}: {self.ticket}: {self.message}"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    checked: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(root: Path, ticket_id: str | None = None) -> VerifyResult:
    store = TicketStore(root)
    if ticket_id is not None:
        if not store.exists(ticket_id):
            store.load(ticket_id)  # raises the "no ticket" error
        paths = [store.path_of(ticket_id)]
    else:
        paths = sorted(store.folder.glob("*.yaml")) if store.folder.is_dir() else []
    problems: list[Problem] = []
    tickets: list[Ticket] = []
    for path in paths:
        shown = store.display(path)
        name = path.name[: -len(".yaml")]
        try:
            ticket = store.load_path(path)
        except InputError as exc:
            problems.append(Problem(shown, name, exc.message))
            continue
        tickets.append(ticket)
        problems.extend(_check_one(store, ticket, shown))
    problems.extend(_check_across(store, tickets))
    return VerifyResult(len(paths), tuple(problems))


def _describe(index: int, raw: object) -> str:
    event = getattr(raw, "get", lambda _k: None)
    return f"event {index + 1} ({event('event')} at {event('at')})"


def _check_one(store: TicketStore, ticket: Ticket, shown: str) -> list[Problem]:
    return history_problems(ticket, shown) + _locked_problems(store, ticket, shown)


def _against_replay(ticket: Ticket, shown: str, history: list[Any]) -> list[Problem]:
    """The replay's own findings, and every top-level field that disagrees with it."""
    found = ticket.replay()
    problems = [Problem(shown, ticket.id, f"{_describe(index, history[index])}: {message}")
                for index, message in found.problems]
    doc = ticket.doc

    def differs(field: str, top: object, derived: object) -> None:
        problems.append(Problem(shown, ticket.id, f"{field} is {_shown(top)} but the history "
                                f"says {_shown(derived)}: the field was edited by hand "
                                "(restore it from `pubflow ticket history`)"))

    author = _plain(doc.get("author"))
    if found.author is not None:
        recorded = {"id": found.author.id, "email": found.author.email,
                    "name": found.author.name}
        for key, value in recorded.items():
            top = author.get(key) if isinstance(author, dict) else None
            if top != value:
                differs(f"author.{key}", top, value)
    pattern = _plain(doc.get("pattern"))
    pattern = pattern if isinstance(pattern, dict) else {}
    if found.pin is not None:
        for key, value in pin_record(found.pin).items():
            top = pattern.get(key)
            if key == "industries":
                top = list(top or [])
            if top != value:
                differs(f"pattern.{key}", top, value)
    elif found.digest is not None and pattern.get("digest") != found.digest:
        differs("pattern.digest", pattern.get("digest"), found.digest)
    for key, value in (("reviewer", found.reviewer), ("due", found.due)):
        if doc.get(key) != value:
            differs(key, doc.get(key), value)
    if found.priority is not None and str(doc.get("priority") or "normal") != found.priority:
        differs("priority", doc.get("priority"), found.priority)
    if found.missing:
        problems.append(Problem(
            shown, ticket.id, f"event 1 does not record the {', the '.join(found.missing)} "
            "(the ticket was written by an older pubflow): those top-level fields cannot be "
            "checked against the history", kind="incomplete"))
    return problems


def history_problems(ticket: Ticket, shown: str | None = None) -> list[Problem]:
    """What is wrong with a ticket's history and the fields derived from it (no file on disk
    is read): what `promote` and `rollback` refuse to act on."""
    shown = shown or f".pubflow/tickets/{ticket.path.name}"
    problems: list[Problem] = []
    history = list(ticket.doc["history"])
    for index, message in chain_breaks(history):
        problems.append(Problem(shown, ticket.id,
                                f"{_describe(index, history[index])}: {message}"))
    previous: str | None = None
    for index, event in enumerate(history):
        source, target = event.get("from"), event.get("to")
        where = _describe(index, event)
        if source != previous:
            problems.append(Problem(shown, ticket.id, f"{where}: starts from {source} but the "
                                    f"ticket was in {previous}"))
        elif previous is None and target != State.SUBMISSION_RECEIVED:
            problems.append(Problem(shown, ticket.id, f"{where}: a ticket starts in "
                                    f"submission_received, not {target}"))
        elif previous is not None and event.get("event") in BOOKKEEPING and target == previous:
            pass  # a new id or a merge record: the state does not change
        elif (previous is not None and event.get("event") == "reviewed"
              and target == previous and previous in (State.APPROVED, State.STAGED)):
            pass  # one more approval of an approved ticket (checked by the replay)
        elif previous is not None and State(target) not in TRANSITIONS[State(previous)]:
            problems.append(Problem(shown, ticket.id, f"{where}: {previous} -> {target} is "
                                    "not a legal transition"))
        previous = target
    if previous != ticket.doc.get("state"):
        problems.append(Problem(shown, ticket.id, f"state is {ticket.doc.get('state')} but "
                                f"the history ends in {previous}"))
    problems.extend(_against_replay(ticket, shown, history))
    return problems


def _plain(value: Any) -> Any:
    from pubflow.storage.yaml import to_plain

    return to_plain(value)


def _shown(value: object) -> str:
    return "unset" if value is None else repr(value)


def _locked_problems(store: TicketStore, ticket: Ticket, shown: str) -> list[Problem]:
    problems: list[Problem] = []
    if ticket.state in LOCKED_STATES:
        pinned = ticket.pattern
        try:
            path = store.check_pattern_path(pinned.path, shown)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except InputError as exc:
            problems.append(Problem(shown, ticket.id, exc.message.removeprefix(f"{shown}: ")))
            return problems
        except OSError:
            digest = None
        if digest is None:
            problems.append(Problem(shown, ticket.id, f"pinned pattern {pinned.path} is missing"))
        elif digest != pinned.digest:
            problems.append(Problem(shown, ticket.id, f"{pinned.path} differs from the pinned "
                                    f"sha256 {pinned.digest[:12]} ({ticket.state})"))
    return problems


def _check_across(store: TicketStore, tickets: list[Ticket]) -> list[Problem]:
    problems: list[Problem] = []
    by_id: dict[str, list[Ticket]] = defaultdict(list)
    open_by_pattern: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        by_id[ticket.id].append(ticket)
        if ticket.state in OPEN_STATES:
            open_by_pattern[ticket.pattern.id].append(ticket)
    for ticket_id, same in sorted(by_id.items()):
        if len(same) > 1:
            files = ", ".join(store.display(t.path) for t in same)
            problems.append(Problem(store.display(same[0].path), ticket_id,
                                    f"id is used by more than one ticket file: {files}"))
    for pattern_id, same in sorted(open_by_pattern.items()):
        if len(same) > 1:
            ids = ", ".join(t.id for t in same)
            problems.append(Problem(store.display(same[-1].path), same[-1].id,
                                    f"pattern {pattern_id} has more than one open ticket: {ids}"))
    return problems
