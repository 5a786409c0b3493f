"""All-or-nothing changes to the repository, even under SIGKILL: every command that writes.

A command (a ticket's creation, review or withdrawal, a promotion, a rollback) computes
everything it will write first: one or more `Change`s, each one git commit (files, audit
records, message, tags). `apply` then checks its preconditions (a git identity, no uncommitted
edits of the files it writes, no tag in the way) before touching anything, records a journal
inside the git dir (never the work tree): the commit it started from, every path it will write
and whether git tracked it, the steps after the first in full, and the tags.

The first commit is the point of no return. Whatever pubflow command runs next under the lock
(`recover`) finds a left-over journal and either undoes the operation (no commit yet: every
path back as the starting commit has it, new files and temporary files gone) or finishes it
(commits the steps still missing, exactly as planned, and creates the missing tags). So the
repository is always in the old or the new state, and `git status` is clean.

`PUBFLOW_CRASH_AT=<point>` makes pubflow kill itself with SIGKILL at that point; the tests
use it to prove the claim at every point of every writing command (see `CRASH_POINTS`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pubflow.errors import GateRefused, GitError, InputError

CRASH_POINTS = ("journal", "write", "written", "audit", "committed", "step", "tagged")
"""Where `PUBFLOW_CRASH_AT` can kill a writing command: after the journal is written, after
the first file, after all files, after the audit records, after a commit, after a later
step's files and audit (before its commit), after the tags."""
TRAILER = "Pubflow-Operation:"


@dataclass(slots=True)
class Change:
    """What one commit of an operation writes: files (repo-relative path -> bytes), audit
    records, a commit message and annotated tags (name, message)."""

    kind: str
    files: dict[str, bytes]
    message: str
    audit: list[dict[str, Any]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)


def journal_path(root: Path) -> Path:
    from pubflow.storage.statefile import OPERATION_JOURNAL, state_path

    return Path(state_path(root, OPERATION_JOURNAL))


def crash_point(name: str) -> None:
    """Die here, as a power cut would, when `PUBFLOW_CRASH_AT` names this point (Windows has
    no SIGKILL: terminating the process is as abrupt there)."""
    if os.environ.get("PUBFLOW_CRASH_AT") == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


@contextlib.contextmanager
def locked(root: Path) -> Iterator[str | None]:
    """pubflow's lock for a read-change-write-commit cycle, with any operation a crash left
    behind finished or undone first; yields the sentence saying which (or None)."""
    from pubflow.records.store import TicketStore

    with TicketStore(root).locked():
        yield recover(root)


def recover_pending(root: Path) -> str | None:
    """For commands that only read: finish or undo a left-over operation (taking the lock
    only when a journal exists), so they never show a state between two."""
    if not journal_path(root).exists():
        return None
    with locked(root) as recovered:
        return recovered


def apply(root: Path, change: Change, smoke: Callable[[], None] | None = None, *,
          sign: bool = False) -> str:
    """Write, check, commit, tag one change; returns the commit sha. The caller holds the lock.

    `smoke` runs after the files are written and before the commit; if it raises, every
    file is put back and the error propagates. `sign` signs the commit and its tags with the
    actor's git key (`trust.signed`); the journal remembers it for a recovery.
    """
    return apply_steps(root, [change], smoke, sign=sign)[-1]


def apply_steps(root: Path, changes: list[Change], smoke: Callable[[], None] | None = None,
                *, sign: bool = False) -> list[str]:
    """`apply` for an operation of several commits (each a state change of its own in `git
    log`), all or nothing: once the first is committed, a crash is finished forward by
    `recover`. `smoke` checks the first step only. Returns the commit shas."""
    from pubflow.records.audit import AUDIT_FILE
    from pubflow.records.store import HOUSEKEEPING
    from pubflow.storage import git as gitrepo

    names: set[str] = set()
    for change in changes:
        names |= set(change.files) | ({AUDIT_FILE} if change.audit else set())
    for name, text in HOUSEKEEPING.items():  # the first change pubflow makes brings them
        if not (root / ".pubflow" / name).exists() and f".pubflow/{name}" not in names:
            changes[0].files[f".pubflow/{name}"] = text.encode()
            names.add(f".pubflow/{name}")
    housekeeping = [f".pubflow/{n}" for n in HOUSEKEEPING if (root / ".pubflow" / n).exists()
                    and f".pubflow/{n}" not in names]
    tags = [list(t) for change in changes for t in change.tags]
    head = check_preconditions(root, sorted(names), [str(t[0]) for t in tags])
    existed = gitrepo.tracked(root, [*sorted(names), *housekeeping])
    # Written by the lock in a repository whose tickets came from an older pubflow: commit
    # them with the first change, so `git status` stays clean.
    extra = sorted(h for h in housekeeping if h not in existed)
    op_id = f"{changes[0].kind}-{time.time_ns():x}-{os.getpid()}"
    journal = {
        "id": op_id, "kind": changes[0].kind, "head": head, "message": changes[0].message,
        "files": {name: name in existed for name in sorted(names | set(extra))},
        "extra": extra, "tags": tags, "sign": sign,
        "steps": [_step_record(change) for change in changes[1:]],
    }
    _write_journal(root, journal)
    crash_point("journal")
    try:
        _write(root, changes[0], first=True)
        if smoke is not None:
            smoke()
        sha = _commit(root, changes[0], extra, f"{op_id}", sign)
    except BaseException:
        _undo(root, journal)
        raise
    crash_point("committed")
    shas = [sha, *_continue(root, journal, 1)]
    _finish(root, journal, shas[-1])
    return shas


def check_preconditions(root: Path, paths: list[str], tags: tuple[str, ...] | list[str] = ()
                        ) -> str:
    """Refuse before anything is written: a link on the way to a file this command writes,
    no git identity to commit with, an uncommitted edit of a file it writes (it would be
    committed, or lost), a tag in the way.
    Returns HEAD."""
    from pubflow.storage import git as gitrepo
    from pubflow.storage.safepaths import check_no_links

    for name in paths:  # never through a link, even one made since the command started
        check_no_links(root, root / name)
    missing = gitrepo.missing_identity(root)
    if missing is not None:
        raise InputError(f"git cannot commit here: {missing}",
                         hint='Set it once: git config --global user.name "Your Name" && '
                              "git config --global user.email you@example.org")
    dirty = gitrepo.dirty_paths(root, paths)
    if dirty:
        shown = ", ".join(f"{name} ({how})" for name, how in dirty[:5])
        more = f" and {len(dirty) - 5} more" if len(dirty) > 5 else ""
        raise GateRefused(f"uncommitted changes in files pubflow is about to write: "
                          f"{shown}{more}",
                          hint="pubflow commits these files itself. Look with `git diff "
                               "HEAD -- .pubflow`; put them back with `git restore --staged "
                               "--worktree -- PATH` (or commit them) and run it again.")
    for tag in tags:
        if gitrepo.tag_exists(root, tag):
            raise GateRefused(f"release tag {tag} already exists (for commit "
                              f"{gitrepo.tag_target(root, tag)[:12]})",
                              hint="A release tag never moves; `git show TAG` says what it "
                                   "marks.")
    return gitrepo.head_sha(root)


def recover(root: Path) -> str | None:
    """Finish or undo an operation a crash left behind; a sentence saying which, or None."""
    from pubflow.storage import git as gitrepo

    path = journal_path(root)
    try:
        journal = json.loads(path.read_bytes())
    except FileNotFoundError:
        _drop_temporaries(path)
        return None
    except (OSError, ValueError):
        path.unlink(missing_ok=True)  # torn before it was complete: nothing was written yet
        _drop_temporaries(path)
        return None
    first_line = str(journal["message"]).splitlines()[0]
    sha = gitrepo.commit_with_trailer(root, str(journal["head"]), f"{TRAILER} {journal['id']}")
    if sha is None:
        _undo(root, journal)
        return f"undid an interrupted {journal['kind']} ({first_line}); run it again"
    done = 1
    steps = journal.get("steps") or []
    for index in range(1, len(steps) + 1):
        found = gitrepo.commit_with_trailer(root, str(journal["head"]),
                                            f"{TRAILER} {journal['id']}/{index + 1}")
        if found is None:
            break
        sha, done = found, index + 1
    shas = _continue(root, journal, done)
    _finish(root, journal, shas[-1] if shas else sha)
    return f"finished an interrupted {journal['kind']} ({first_line})"


def _continue(root: Path, journal: dict[str, Any], done: int) -> list[str]:
    """Commit the steps after the first `done` (each from the journal, as planned), starting
    from their files as the last commit has them."""
    from pubflow.records.audit import AUDIT_FILE
    from pubflow.storage import git as gitrepo

    steps = journal.get("steps") or []
    shas = []
    for index in range(done - 1, len(steps)):
        change = _step_change(steps[index])
        names = sorted(set(change.files) | ({AUDIT_FILE} if change.audit else set()))
        gitrepo.restore_paths(root, "HEAD", sorted(gitrepo.tracked(root, names)), [])
        _write(root, change, first=False)
        crash_point("step")
        shas.append(_commit(root, change, [], f"{journal['id']}/{index + 2}",
                            journal.get("sign") is True))
        crash_point("committed")
    return shas


def _write(root: Path, change: Change, *, first: bool) -> None:
    from pubflow.records.audit import AuditLog
    from pubflow.storage.files import atomic_write_bytes

    for index, name in enumerate(sorted(change.files)):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, change.files[name])
        if index == 0 and first:
            crash_point("write")
    if first:
        crash_point("written")
    if change.audit:
        audit = AuditLog(root)
        for record in change.audit:
            audit.append(record)
        if first:
            crash_point("audit")


def _commit(root: Path, change: Change, extra: list[str], op_id: str, sign: bool) -> str:
    from pubflow.records.audit import AUDIT_FILE
    from pubflow.storage import git as gitrepo

    names = sorted({*change.files, *extra, *([AUDIT_FILE] if change.audit else [])})
    try:
        return gitrepo.commit_paths(root, [root / n for n in names],
                                    f"{change.message}\n\n{TRAILER} {op_id}", sign=sign)
    except GitError as exc:
        raise GitError(f"git refused pubflow's commit ({change.message.splitlines()[0]}): "
                       f"{exc.message}",
                       hint="Nothing was changed. A pre-commit hook may have refused it; fix "
                            "what it says and run the command again.") from None


def _finish(root: Path, journal: dict[str, Any], sha: str) -> None:
    from pubflow.storage import git as gitrepo

    clash = []
    for name, message in journal["tags"]:
        if not gitrepo.tag_exists(root, name):
            gitrepo.create_tag(root, name, message, sha, sign=journal.get("sign") is True)
        elif gitrepo.tag_target(root, name) != sha:
            clash.append(name)
    crash_point("tagged")
    journal_path(root).unlink(missing_ok=True)
    _drop_temporaries(journal_path(root), journal)
    if clash:
        raise GateRefused(f"committed {sha[:12]}, but release tag {clash[0]} already exists "
                          f"for commit {gitrepo.tag_target(root, clash[0])[:12]}",
                          hint="A release tag never moves: another pubflow run (another "
                               "worktree or clone) released this too; compare them with "
                               f"`git show {clash[0]}` and `git show {sha[:12]}`.")


def _undo(root: Path, journal: dict[str, Any]) -> None:
    from pubflow.storage import git as gitrepo

    files: dict[str, bool] = journal["files"]
    new = [n for n, was in files.items() if not was]
    gitrepo.restore_paths(root, str(journal["head"]), [n for n, was in files.items() if was], new)
    for name in new:
        _prune_empty(root, (root / name).parent)
    journal_path(root).unlink(missing_ok=True)
    _drop_temporaries(journal_path(root), journal, root)


def _drop_temporaries(journal: Path, record: dict[str, Any] | None = None,
                      root: Path | None = None) -> None:
    """Temporary files a SIGKILL inside an atomic write left (`.NAME.*.tmp` beside NAME)."""
    targets = [journal]
    if record is not None and root is not None:
        targets += [root / name for name in record["files"]]
    for target in targets:
        folder = target.parent
        with contextlib.suppress(OSError):
            for leftover in folder.glob(f".{target.name}.*.tmp"):
                leftover.unlink(missing_ok=True)


def _prune_empty(root: Path, folder: Path) -> None:
    stop = (root / ".pubflow").resolve()
    while folder.resolve() != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _step_record(change: Change) -> dict[str, Any]:
    return {"kind": change.kind, "message": change.message, "audit": change.audit,
            "files": {name: base64.b64encode(data).decode("ascii")
                      for name, data in change.files.items()}}


def _step_change(record: dict[str, Any]) -> Change:
    return Change(str(record["kind"]),
                  {name: base64.b64decode(data) for name, data in record["files"].items()},
                  str(record["message"]), list(record["audit"]))


def _write_journal(root: Path, journal: dict[str, Any]) -> None:
    from pubflow.storage.files import atomic_write_bytes

    path = journal_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(journal).encode("utf-8"))
