"""A git merge driver for ticket files: the histories of one ticket from two branches, united.

git calls the driver when both branches changed the same `.pubflow/tickets/*.yaml` file. The
histories share a prefix (same hashes); after it, each branch appended its own events.

- One branch added nothing: the other branch's file already holds everything.
- Both added events: the branch whose first new event is older goes first; the other
  branch's events follow, re-chained onto the merged history, when they are legal moves from
  where the first branch left the ticket (each keeps its original hash in `merged_from`).
- Both added events that cannot follow each other (two decisions on the same review): the
  first branch's history stands, and a `merged` event keeps the other branch's events in
  full under `superseded`. Nothing is dropped; the driver says what was superseded.
- Two different tickets that took the same id (both branches created one): not mergeable
  into one file; the conflict stays for `pubflow ticket resolve-ids`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pubflow.errors import GateRefused, InputError
from pubflow.records.chain import event_hash
from pubflow.records.states import TRANSITIONS, State
from pubflow.records.store import check_schema, parse_ticket_bytes
from pubflow.records.tickets import append_event
from pubflow.storage.yaml import dump_yaml, to_plain

DRIVER_NAME = "pubflow-ticket"
ATTRIBUTES_LINE = f".pubflow/tickets/*.yaml merge={DRIVER_NAME}"
TOP_LEVEL_STATE = ("state", "reviewer", "due", "findings", "priority", "pattern")
"""Fields that describe where the ticket is now: they follow the branch whose event is last."""


@dataclass(slots=True)
class MergeOutcome:
    """The merged file (None: a conflict git should report), and what the user should know."""

    content: bytes | None
    notes: list[str] = field(default_factory=list)
    needs_text_merge: bool = False


def merge_ticket(ours: bytes, theirs: bytes, name: str, actor: str,
                 now: datetime) -> MergeOutcome:
    mine, other = _parse(ours, name, "ours"), _parse(theirs, name, "theirs")
    mine_history, other_history = list(mine.get("history") or []), list(other.get("history") or [])
    if _hash_at(mine_history, 0) != _hash_at(other_history, 0):
        return MergeOutcome(None, [
            f"{name}: both branches created a ticket with id {mine.get('id')} "
            f"(ours for {_pattern_id(mine)}, theirs for {_pattern_id(other)}); "
            "run `pubflow ticket resolve-ids` to give theirs a free id"])
    shared = 0
    while (shared < min(len(mine_history), len(other_history))
           and _hash_at(mine_history, shared) == _hash_at(other_history, shared)):
        shared += 1
    mine_tail, other_tail = mine_history[shared:], other_history[shared:]
    if not mine_tail and not other_tail:
        # Same history, different other fields (a human comment, say): an ordinary text merge.
        return MergeOutcome(None, needs_text_merge=True)
    if not other_tail:
        return MergeOutcome(dump_yaml(mine))
    if not mine_tail:
        return MergeOutcome(dump_yaml(other))
    order = [(mine, other_tail, "ours", "theirs"), (other, mine_tail, "theirs", "ours")]
    if str(other_tail[0].get("at")) < str(mine_tail[0].get("at")):
        order.reverse()
    for first, later_tail, first_name, later_name in order:
        later_doc = other if first is mine else mine
        if _follows(first, later_tail):
            for event in later_tail:
                _rechain(first, event)
            for key in TOP_LEVEL_STATE:
                if key in later_doc:
                    first[key] = later_doc[key]
            check_schema(first, name)
            return MergeOutcome(dump_yaml(first), [
                f"{name}: united the histories of both branches ({len(mine_tail)} event(s) "
                f"from ours, {len(other_tail)} from theirs; {later_name}'s re-chained after "
                f"{first_name}'s)"])
    first, later_tail, first_name, later_name = order[0]
    state = State(str(first["state"]))
    superseded = [to_plain(e) for e in later_tail]
    what = ", ".join(f"{e.get('event')} {e.get('from')}->{e.get('to')} by {e.get('actor')} "
                     f"at {e.get('at')}" for e in later_tail)
    append_event(first, actor=actor, event="merged", from_state=state, to=state, now=now,
                 reason=f"git merge: both branches moved this ticket; {first_name}'s history "
                        f"came first and stands; {later_name}'s events are kept under "
                        f"superseded: {what}",
                 superseded=superseded)
    check_schema(first, name)
    return MergeOutcome(dump_yaml(first), [
        f"{name}: both branches moved ticket {first.get('id')}; kept {first_name}'s history "
        f"(state {state}) and recorded {later_name}'s {len(later_tail)} event(s) as superseded "
        f"({what}); review it with `pubflow ticket history {first.get('id')}`"])


def _follows(doc: Any, tail: list[Any]) -> bool:
    """Whether `tail`'s events are legal moves starting from `doc`'s current state."""
    current = str(doc["state"])
    for event in tail:
        source, target = str(event.get("from")), str(event.get("to"))
        if source != current:
            return False
        if target != source and State(target) not in TRANSITIONS[State(source)]:
            return False
        current = target
    return True


def _rechain(doc: Any, event: Any) -> None:
    from ruamel.yaml.comments import CommentedMap

    history = doc["history"]
    moved = CommentedMap()
    for key, value in event.items():
        if key not in ("prev", "hash", "merged_from"):
            moved[key] = value
    moved["merged_from"] = str(event.get("hash"))
    moved["prev"] = str(history[-1]["hash"])
    moved["hash"] = event_hash(moved)
    history.append(moved)


def _parse(data: bytes, name: str, side: str) -> Any:
    shown = f"{name} ({side})"
    doc = parse_ticket_bytes(data, shown)
    if not isinstance(doc.get("history"), list):
        raise InputError(f"{shown}: not a ticket (no history)")
    try:
        check_schema(doc, shown)
    except InputError as exc:
        raise GateRefused(exc.message, hint="Fix that side of the merge by hand.") from exc
    return doc


def _hash_at(history: list[Any], index: int) -> str | None:
    return str(history[index].get("hash")) if index < len(history) else None


def _pattern_id(doc: Any) -> str:
    pattern = doc.get("pattern")
    return str(pattern.get("id")) if isinstance(pattern, dict) else "?"


@dataclass(frozen=True, slots=True)
class DriverSetup:
    attributes_added: bool
    config_set: bool
    commit: str | None


def install_driver(root: Path, command: str) -> DriverSetup:
    """Route ticket files through the driver: a `.gitattributes` line (committed, so every
    clone has it) and the driver command in this clone's git config (git never shares it)."""
    from pubflow.storage import git as gitrepo
    from pubflow.storage.files import atomic_write_bytes

    attributes = root / ".gitattributes"
    text = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
    added = ATTRIBUTES_LINE not in text.splitlines()
    commit = None
    if added:
        prefix = text if not text or text.endswith("\n") else text + "\n"
        atomic_write_bytes(attributes, (prefix + "# pubflow unites ticket histories on merge\n"
                                        + ATTRIBUTES_LINE + "\n").encode("utf-8"))
        commit = gitrepo.commit_paths(root, [attributes],
                                      "pubflow: merge ticket files with pubflow's merge driver")
    config_set = register_driver(root, command)
    return DriverSetup(added, config_set, commit)


def driver_command() -> str:
    """What git runs: this Python's pubflow, so the driver works without pubflow on PATH."""
    import shlex
    import sys

    return f"{shlex.quote(sys.executable)} -m pubflow ticket merge-driver %O %A %B %P"


def register_driver(root: Path, command: str) -> bool:
    """Set the driver in this clone's git config; False when it was already set."""
    from pubflow.storage import git as gitrepo

    key = f"merge.{DRIVER_NAME}.driver"
    if gitrepo.get_config(root, key) == command:
        return False
    gitrepo.set_config(root, f"merge.{DRIVER_NAME}.name",
                       "pubflow: unite the histories of a publication ticket")
    gitrepo.set_config(root, key, command)
    return True
