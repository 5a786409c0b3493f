"""`ticket verify`: is every ticket file sound, and does it tell the truth?

Checks the schema, the hash chain of the history (a hand-edited past event is caught), that
the current state follows from the history through legal transitions, that ids are unique,
and that patterns in a locked state still match their pinned digest. Problems are data.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from collections.abc import Iterable
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


def verify_changed(root: Path, tickets: Iterable[str], files: Iterable[str]) -> VerifyResult:
    """`verify` for a pull request (`pubflow verify --since`): what its changes can break.

    `tickets` are the ticket files it added or modified and `files` every file it added,
    modified or deleted (repository-relative paths). Checked exactly as `verify` checks them:
    those ticket files; every ticket whose pinned pattern resolves to one of `files` (an
    untouched approved ticket whose pattern the change edits); and across tickets, the
    changed tickets' ids and open tickets per pattern against every other ticket file. Other
    tickets cannot have changed: they were checked when they landed.

    The other ticket files are not parsed: each is read as bytes and parsed only when it
    mentions a changed file's name or a changed ticket's pattern id (or holds a backslash,
    which a YAML escape could hide a name behind)."""
    store = TicketStore(root)
    listing = sorted(store.folder.glob("*.yaml")) if store.folder.is_dir() else []
    folder = store.display(store.folder)
    wanted = {name.rsplit("/", 1)[-1] for name in tickets
              if name.rsplit("/", 1)[0] == folder and name.endswith(".yaml")}
    # A symlinked ticket file changes with its target, wherever that is: always checked.
    selected = [path for path in listing if path.name in wanted or path.is_symlink()]
    wanted = {path.name for path in selected}
    problems: list[Problem] = []
    loaded: list[Ticket] = []
    for path in selected:
        ticket = _load_or_report(store, path, problems)
        if ticket is not None:
            loaded.append(ticket)
            problems.extend(_check_one(store, ticket, store.display(path)))
    changed = _ChangedFiles(root, files)
    patterns = {t.pattern.id for t in loaded if t.state in OPEN_STATES}
    needles = changed.needles() | {p.encode("utf-8") for p in patterns} | {b"\\"}
    mentions = re.compile(b"|".join(re.escape(n) for n in sorted(needles)))
    others: list[Ticket] = []
    pinning = 0
    for path in listing:
        if path.name in wanted:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue  # unreadable: as it was when it landed
        if mentions.search(data) is None:
            continue
        peeked = _peek(store, path, data)
        if peeked is None:
            continue  # unchanged and unreadable as a ticket: reported when it landed
        if changed.holds(peeked.pattern.path):
            pinning += 1  # its pinned file changed: check it whole, as `verify` would
            ticket = _load_or_report(store, path, problems)
            if ticket is not None:
                problems.extend(_check_one(store, ticket, store.display(path)))
        if peeked.state in OPEN_STATES and peeked.pattern.id in patterns:
            others.append(peeked)
    problems.extend(_check_across(store, sorted([*loaded, *others], key=lambda t: t.path),
                                  involving={t.id for t in loaded}))
    return VerifyResult(len(selected) + pinning, tuple(problems))


class _ChangedFiles:
    """The files a change touched, to tell whether a pinned path leads to one of them
    (as written, or through symlinks)."""

    def __init__(self, root: Path, files: Iterable[str]) -> None:
        self.root = root
        self.plain = {os.path.normpath(name) for name in files}
        self.real = {os.path.realpath(root / name) for name in self.plain}

    def needles(self) -> set[bytes]:
        """Names a ticket that pins one of the files must mention: each file's own, and the
        name of every symlink in the repository that leads to one."""
        names = {Path(name).name.encode("utf-8") for name in self.plain}
        if self.plain:
            from pubflow.storage import git as gitrepo

            for link in gitrepo.symlinks(self.root):
                full = os.path.realpath(self.root / link)
                if full in self.real or any(r.startswith(full + os.sep) for r in self.real):
                    names.add(Path(link).name.encode("utf-8"))
        return {name for name in names if name}

    def holds(self, pinned: str) -> bool:
        """The pinned path is, or lies below, a changed path, or leads to a changed file."""
        plain = Path(os.path.normpath(pinned))
        return (any(str(p) in self.plain for p in (plain, *plain.parents))
                or os.path.realpath(self.root / pinned) in self.real)


def _peek(store: TicketStore, path: Path, data: bytes) -> Ticket | None:
    """An unchanged ticket file read quickly (the C loader) for its pin, state and id; None
    when it does not read as a ticket."""
    from pubflow.records.store import check_schema, parse_ticket_bytes
    from pubflow.storage.yaml import to_plain

    shown = store.display(path)
    try:
        doc = to_plain(parse_ticket_bytes(data, shown, round_trip=False))
        check_schema(doc, shown)
    except InputError:
        return None
    ticket = Ticket(doc, path)
    return ticket if ticket.id == path.name[: -len(".yaml")] else None


def _load_or_report(store: TicketStore, path: Path, problems: list[Problem]) -> Ticket | None:
    try:
        return store.load_path(path)
    except InputError as exc:
        problems.append(Problem(store.display(path), path.name[: -len(".yaml")], exc.message))
        return None


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
        elif (previous == target == State.IN_REVIEW and event.get("event") == "routed"):
            pass  # re-routed to another reviewer
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


def _check_across(store: TicketStore, tickets: list[Ticket],
                  involving: set[str] | None = None) -> list[Problem]:
    """Unique ids, one open ticket per pattern; with `involving`, only the groups that hold
    one of those tickets. (A loaded ticket's id is its file name, so two files of one folder
    cannot share it: the id check guards the loader's rule.)"""
    problems: list[Problem] = []
    by_id: dict[str, list[Ticket]] = defaultdict(list)
    open_by_pattern: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        by_id[ticket.id].append(ticket)
        if ticket.state in OPEN_STATES:
            open_by_pattern[ticket.pattern.id].append(ticket)
    def reported(same: list[Ticket]) -> bool:
        return len(same) > 1 and (involving is None or any(t.id in involving for t in same))

    for ticket_id, same in sorted(by_id.items()):
        if reported(same):
            files = ", ".join(store.display(t.path) for t in same)
            problems.append(Problem(store.display(same[0].path), ticket_id,
                                    f"id is used by more than one ticket file: {files}"))
    for pattern_id, same in sorted(open_by_pattern.items()):
        if reported(same):
            ids = ", ".join(t.id for t in same)
            problems.append(Problem(store.display(same[-1].path), same[-1].id,
                                    f"pattern {pattern_id} has more than one open ticket: {ids}"))
    return problems
