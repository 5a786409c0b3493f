"""Everything under `.pubflow/` checked at once, for the pre-commit hook and CI: tickets
(schema, hash chain, state, unique ids, pinned digests), environment files (schema) and the
audit log (chain). Problems are lines of text naming the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pubflow.errors import InputError
from pubflow.records.environments import ENVIRONMENTS_DIR, load_environment


@dataclass(frozen=True, slots=True)
class StateReport:
    tickets: int
    environments: int
    audit_entries: int
    problems: tuple[str, ...]


def check_state(root: Path) -> StateReport:
    from pubflow.records.audit import AuditLog
    from pubflow.records.verify import verify

    tickets = verify(root)
    problems = [str(p) for p in tickets.problems]
    folder = root / ENVIRONMENTS_DIR
    names = sorted(p.name[: -len(".yaml")] for p in folder.glob("*.yaml")) if folder.is_dir() else []
    for name in names:
        try:
            load_environment(root, name)
        except InputError as exc:
            problems.append(exc.message)
    log = AuditLog(root)
    try:
        problems += [str(p) for p in log.verify()]
        head = log.head()
    except InputError as exc:
        problems.append(exc.message)
        head = None
    return StateReport(tickets.checked, len(names), head.seq if head else 0, tuple(problems))
