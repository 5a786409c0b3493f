"""All-or-nothing changes to the repository: a promotion or a rollback, even under SIGKILL.

An operation writes several files (package, environment, catalog, ticket, audit log), checks
them, commits them in one git commit and tags it. Before touching anything it records a
journal inside `.git/pubflow/` (never the work tree): the commit it started from, every path
it will write and whether git tracked it, the commit message and the tags.
The git commit is the point of no return. Whatever pubflow command runs next under the lock
(`recover`) finds a left-over journal and either finishes the operation (its commit exists:
create the missing tags) or undoes it (no commit: restore every path from the starting
commit, drop new files). The repository is always in the old or the
new state.

`PUBFLOW_CRASH_AT=<point>` makes pubflow kill itself with SIGKILL at that point; the tests
use it to prove the claim at every point (see `CRASH_POINTS`).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CRASH_POINTS = ("journal", "write", "written", "audit", "committed", "tagged")
TRAILER = "Pubflow-Operation:"


@dataclass(slots=True)
class Change:
    """What one operation writes: files (repo-relative path -> bytes), audit records, a
    commit message and annotated tags (name, message)."""

    kind: str
    files: dict[str, bytes]
    message: str
    audit: list[dict[str, Any]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)


def journal_path(root: Path) -> Path:
    from pubflow.storage.statefile import OPERATION_JOURNAL, state_path

    return Path(state_path(root, OPERATION_JOURNAL))


def crash_point(name: str) -> None:
    if os.environ.get("PUBFLOW_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def apply(root: Path, change: Change, smoke: Callable[[], None] | None = None, *,
          sign: bool = False) -> str:
    """Write, check, commit, tag; returns the commit sha. The caller holds pubflow's lock.

    `smoke` runs after the files are written and before the commit; if it raises, every
    file is put back and the error propagates. `sign` signs the commit and its tags with the
    actor's git key (`trust.signed`); the journal remembers it for a recovery's tags.
    """
    from pubflow.records.audit import AUDIT_FILE, AuditLog
    from pubflow.storage import git as gitrepo
    from pubflow.storage.files import atomic_write_bytes

    head = gitrepo.head_sha(root)
    names = sorted(change.files)
    from pubflow.records.store import HOUSEKEEPING

    names_with_audit = sorted({*names, AUDIT_FILE}) if change.audit else names
    housekeeping = [f".pubflow/{n}" for n in HOUSEKEEPING if (root / ".pubflow" / n).exists()]
    existed = gitrepo.tracked(root, [*names_with_audit, *housekeeping])
    # Written by the lock in a repository whose tickets came from an older pubflow: commit
    # them with this change, so `git status` stays clean.
    names_with_audit = sorted({*names_with_audit, *(h for h in housekeeping if h not in existed)})
    audit = AuditLog(root)
    op_id = f"{change.kind}-{time.time_ns():x}-{os.getpid()}"
    journal = {
        "id": op_id, "kind": change.kind, "head": head, "message": change.message,
        "files": {name: name in existed for name in names_with_audit},
        "tags": [list(t) for t in change.tags], "sign": sign,
    }
    _write_journal(root, journal)
    crash_point("journal")
    try:
        for index, name in enumerate(names):
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(target, change.files[name])
            if index == 0:
                crash_point("write")
        crash_point("written")
        for record in change.audit:
            audit.append(record)
        crash_point("audit")
        if smoke is not None:
            smoke()
    except BaseException:
        _undo(root, journal)
        raise
    trailer = f"{TRAILER} {op_id}"
    sha = gitrepo.commit_paths(root, [root / n for n in names_with_audit],
                               f"{change.message}\n\n{trailer}", sign=sign)
    crash_point("committed")
    _finish(root, journal, sha)
    return sha


def recover(root: Path) -> str | None:
    """Finish or undo an operation a crash left behind; a sentence saying which, or None."""
    from pubflow.storage import git as gitrepo

    path = journal_path(root)
    try:
        journal = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        path.unlink(missing_ok=True)  # torn before it was complete: nothing was written yet
        return None
    sha = gitrepo.commit_with_trailer(root, str(journal["head"]),
                                      f"{TRAILER} {journal['id']}")
    first_line = str(journal["message"]).splitlines()[0]
    if sha is not None:
        _finish(root, journal, sha)
        return f"finished an interrupted {journal['kind']} ({first_line})"
    _undo(root, journal)
    return f"undid an interrupted {journal['kind']} ({first_line}); run it again"


def _finish(root: Path, journal: dict[str, Any], sha: str) -> None:
    from pubflow.storage import git as gitrepo

    for name, message in journal["tags"]:
        if not gitrepo.tag_exists(root, name):
            gitrepo.create_tag(root, name, message, sha, sign=journal.get("sign") is True)
    crash_point("tagged")
    journal_path(root).unlink(missing_ok=True)


def _undo(root: Path, journal: dict[str, Any]) -> None:
    from pubflow.storage import git as gitrepo

    files: dict[str, bool] = journal["files"]
    new = [n for n, was in files.items() if not was]
    gitrepo.restore_paths(root, str(journal["head"]), [n for n, was in files.items() if was], new)
    for name in new:
        _prune_empty(root, (root / name).parent)
    journal_path(root).unlink(missing_ok=True)


def _prune_empty(root: Path, folder: Path) -> None:
    stop = (root / ".pubflow").resolve()
    while folder.resolve() != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _write_journal(root: Path, journal: dict[str, Any]) -> None:
    from pubflow.storage.files import atomic_write_bytes

    path = journal_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(journal).encode("utf-8"))
