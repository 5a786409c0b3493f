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

from pubflow.errors import InputError
from pubflow.records.chain import chain_breaks
from pubflow.records.states import LOCKED_STATES, OPEN_STATES, TRANSITIONS, State
from pubflow.records.store import TicketStore
from pubflow.records.tickets import Ticket

BOOKKEEPING = frozenset({"renumbered", "merged", "environment", "escalated"})
"""Events that record something (a merge, a change in one environment) without moving the
ticket to another state."""


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    ticket: str
    message: str

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
        elif previous is not None and State(target) not in TRANSITIONS[State(previous)]:
            problems.append(Problem(shown, ticket.id, f"{where}: {previous} -> {target} is "
                                    "not a legal transition"))
        previous = target
    if previous != ticket.state:
        problems.append(Problem(shown, ticket.id, f"state is {ticket.state} but the history "
                                f"ends in {previous}"))
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
