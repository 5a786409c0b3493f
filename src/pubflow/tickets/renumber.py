"""After `git merge`: two branches that each created a ticket with the same id.

Ids are numbered per repository, so two branches can both create `PUB-2026-004`; git then
stops with an add/add conflict on the ticket file. `resolve_id_conflicts` keeps our ticket
under its id, gives theirs the next free id (recording a `renumbered` event in its history)
and stages both. The same ticket changed on both branches is a real disagreement (two
decisions) and is left for a human, named in the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pubflow.errors import GateRefused
from pubflow.records.paths import TICKETS_DIR
from pubflow.records.states import State
from pubflow.records.store import TicketStore
from pubflow.records.tickets import Ticket, append_event
from pubflow.storage.files import atomic_write_bytes
from pubflow.storage.yaml import dump_yaml


@dataclass(frozen=True, slots=True)
class Renumbered:
    old_id: str
    new_id: str


def resolve_id_conflicts(root: Path, actor: str, now: datetime) -> list[Renumbered]:
    from pubflow.storage import git as gitrepo

    store = TicketStore(root)
    done: list[Renumbered] = []
    with store.locked():
        conflicts = gitrepo.conflicted_versions(root, TICKETS_DIR)
        if not conflicts:
            return []
        plans = []
        for name, (ours, theirs) in conflicts.items():
            if ours is None or theirs is None:
                raise GateRefused(f"{name}: one branch deleted this ticket; resolve it by hand")
            mine, other = _parse(ours, name), _parse(theirs, name)
            if _first_hash(mine) == _first_hash(other):
                raise GateRefused(f"{name}: both branches changed the same ticket (ours: "
                                  f"{mine.get('state')}, theirs: {other.get('state')}); "
                                  "decide which history is right and resolve it by hand")
            plans.append((name, mine, other))
        taken = set(store.ids()) | {Path(n).name[:-5] for n in conflicts}
        written: list[Path] = []
        for name, mine, other in plans:
            old_id = str(other["id"])
            new_id = _next_free(taken, old_id)
            taken.add(new_id)
            other["id"] = new_id
            state = State(str(other["state"]))
            append_event(other, actor=actor, event="renumbered", from_state=state, to=state,
                         now=now, reason=f"renumbered from {old_id}: the id was taken on "
                                         "the other branch of a merge")
            ours_path = root / name
            atomic_write_bytes(ours_path, dump_yaml(mine))
            theirs_path = store.path_of(new_id)
            store.save(Ticket(other, theirs_path))
            store.load_path(ours_path)  # both must read back as valid tickets
            written += [ours_path, theirs_path]
            done.append(Renumbered(old_id, new_id))
        gitrepo.stage_paths(root, written)
    return done


def _parse(data: bytes, name: str) -> Any:
    from pubflow.records.store import parse_ticket_bytes

    return parse_ticket_bytes(data, f"{name} (one side of the conflict)")


def _first_hash(doc: Any) -> str | None:
    history = doc.get("history") or []
    return str(history[0].get("hash")) if history else None


def _next_free(taken: set[str], old_id: str) -> str:
    year = old_id.split("-")[1]
    numbers = [int(i.split("-")[2]) for i in taken if i.split("-")[1] == year]
    return f"PUB-{year}-{max(numbers, default=0) + 1:03d}"
