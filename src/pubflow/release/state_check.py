"""Everything under `.pubflow/` checked at once, for the pre-commit hook and CI: tickets
(schema, hash chain, state, unique ids, pinned digests), environment files (schema) and the
audit log (chain); the git history since the first commit that touched `.pubflow/` (or a pull
request's `REF..HEAD`), in which every commit only appended to the audit log and to each
ticket's history (`records/history.py`); and the files against each other: ticket events and
audit entries, environments replayed from the audit log, catalogs, release tags
(`records/consistency.py`). Problems are lines of text naming the file.

With `--since REF` (a pull request, on every push) only what `REF..HEAD` can have changed is
checked, the rest having been checked when it landed: the commits of the range (history,
signatures, the tags of its promotions); the ticket files added or modified since the merge
base of REF and HEAD (work tree and untracked files included), and every ticket whose pinned
pattern file the range changed; those tickets' ids and open tickets per pattern against every
other ticket file; their events and the audit entries added since the merge base against each
other; the audit log's chain, and every environment file and catalog against the whole audit
log replayed (a few files). On 10 000 tickets that is seconds, not the whole check's minute."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubflow.errors import InputError, UsageError
from pubflow.records.environments import ENVIRONMENTS_DIR, Environment, load_environment

if TYPE_CHECKING:
    from pubflow.records.consistency import TicketRecord

HISTORY_PATHS = [".pubflow/tickets", ".pubflow/audit.jsonl"]
AUDIT_BUDGET = 256 * 1024 * 1024
"""Bytes of audit-log versions the whole-history walk compares (newest commits first); every
version's size is compared regardless. `--since` compares every commit in its range."""


@dataclass(frozen=True, slots=True)
class StateReport:
    tickets: int
    environments: int
    audit_entries: int
    problems: tuple[str, ...]
    signed: bool = False
    """pubflow.yaml asks for signed decisions (`trust.signed`): identities are proven, not
    claimed."""


@dataclass(frozen=True, slots=True)
class _Range:
    """What a pull request changed: since `base`, the merge base of REF and HEAD."""

    base: str
    files: tuple[str, ...]
    """Every path added, modified or deleted since `base` (work tree and untracked too)."""

    @property
    def tickets(self) -> list[str]:
        from pubflow.records.paths import TICKETS_DIR

        return [f for f in self.files if f.startswith(f"{TICKETS_DIR}/")]

    def ticket_ids(self, root: Path) -> set[str]:
        """The changed tickets' ids, and those of symlinked ticket files (their target may
        have changed anywhere)."""
        from pubflow.records.paths import TICKETS_DIR

        folder = root / TICKETS_DIR
        linked = ({p.name[: -len(".yaml")] for p in folder.glob("*.yaml") if p.is_symlink()}
                  if folder.is_dir() else set())
        return {f.rsplit("/", 1)[-1].removesuffix(".yaml") for f in self.tickets} | linked


def _range(root: Path, since: str) -> _Range | None:
    from pubflow.records.paths import TICKETS_DIR
    from pubflow.storage import git as gitrepo

    base = gitrepo.merge_base(root, since)
    if base is None:
        return None  # no shared history: check everything
    if Path(os.path.realpath(root / TICKETS_DIR)) != Path(os.path.realpath(root)) / TICKETS_DIR:
        return None  # the tickets live elsewhere, through a symlink: check everything
    return _Range(base, tuple(gitrepo.changed_since(root, base)))


def check_state(root: Path, since: str | None = None) -> StateReport:
    from pubflow.records.audit import AuditLog
    from pubflow.records.verify import verify, verify_changed

    changes = None
    if since is not None:
        from pubflow.storage import git as gitrepo

        if gitrepo.resolve_commit(root, since) is not None:
            changes = _range(root, since)
        elif since == "HEAD":
            since = None  # no commit yet (the pre-commit hook's first run): all of it is new
        else:
            raise UsageError(f"--since {since}: no such commit in this repository",
                             hint="Give a branch, tag or commit, e.g. origin/main.")
    tickets = (verify(root) if changes is None else
               verify_changed(root, changes.tickets, changes.files))
    problems = [str(p) for p in tickets.problems]
    folder = root / ENVIRONMENTS_DIR
    names = sorted(p.name[: -len(".yaml")] for p in folder.glob("*.yaml")) if folder.is_dir() else []
    environments: dict[str, Environment] = {}
    for name in names:
        try:
            environments[name] = load_environment(root, name)
        except InputError as exc:
            problems.append(exc.message)
    log = AuditLog(root)
    try:
        chain = [str(p) for p in log.verify()]
        problems += chain
        head = log.head()
        entries = list(log.entries()) if not chain else None
    except InputError as exc:
        problems.append(exc.message)
        head, entries = None, None
    appended, walked = _history(root, since, problems)
    if walked or since is not None:
        from pubflow.records.trust import check_signatures

        problems += [str(p) for p in check_signatures(root, since)]
    from pubflow.records.consistency import load_ticket_records

    if changes is None:
        records = load_ticket_records(root) if entries is not None or walked else []
        if entries is not None:
            problems += _consistency(root, records, entries, environments, set(names))
    else:
        records, found = _scoped_events(root, changes, entries)
        problems += found
        if entries is not None:
            problems += _consistency(root, records, entries, environments, set(names),
                                     events=False)
    if walked:
        problems += _tags(root, records, appended, since is None)
    from pubflow.config import load_config

    signed = load_config(root).signed_commits
    return StateReport(tickets.checked, len(names), head.seq if head else 0, tuple(problems),
                       signed)


def _history(root: Path, since: str | None,
             problems: list[str]) -> tuple[dict[str, list[tuple[str, str]]], int]:
    from pubflow.records.history import check_history, from_git
    from pubflow.storage import git as gitrepo

    if not (root / ".git").exists() and not gitrepo.is_repository(root):
        return {}, 0
    commits = from_git(gitrepo.commits_changing(root, HISTORY_PATHS, since))
    if not commits:
        return {}, 0
    result = check_history(commits, lambda shas: gitrepo.read_blobs(root, shas),
                           lambda shas: gitrepo.blob_sizes(root, shas),
                           audit_budget=None if since is not None else AUDIT_BUDGET)
    problems += [str(p) for p in result.problems]
    return result.appended, result.commits


def _scoped_events(root: Path, changes: _Range, entries: list[dict[str, Any]] | None,
                   ) -> tuple[list[TicketRecord], list[str]]:
    """The changed tickets' records, and their events and the audit entries added since the
    merge base against each other. When a new entry names a ticket that is not among them,
    or something is amiss, every ticket is read, so that the answer is the whole check's
    (only its part about the range reported)."""
    from pubflow.records import consistency

    ids = changes.ticket_ids(root)
    if entries is None:
        return consistency.load_ticket_records(root, only=ids), []
    new = _new_entries(root, changes.base, entries)
    named = {str(entries[i].get("ticket")) for i in new
             if entries[i].get("kind") in _TICKET_KINDS}
    records = consistency.load_ticket_records(root, only=ids | named)
    found: list[str] = []
    if named <= {r.id for r in records}:
        found = consistency.check_events_against_audit(records, entries, events_of=ids,
                                                       new_entries=new)
    if found or not named <= {r.id for r in records}:
        everyone = consistency.load_ticket_records(root)
        found = consistency.check_events_against_audit(everyone, entries, events_of=ids,
                                                       new_entries=new)
        records = [r for r in everyone if r.id in ids | named]
    return records, found


_TICKET_KINDS = frozenset({"ticket", "promote", "rollback", "depublish"})


def _new_entries(root: Path, base: str, entries: list[dict[str, Any]]) -> set[int]:
    """Indexes of the entries that the merge base's audit log does not hold: each of its
    lines accounts for one identical line of today's log (whose non-blank lines are the
    entries, in order)."""
    from pubflow.records.audit import AUDIT_FILE
    from pubflow.storage import git as gitrepo

    old = Counter(raw for raw in gitrepo.file_at(root, base, AUDIT_FILE).split(b"\n")
                  if raw.strip())
    try:
        lines = [raw for raw in (root / AUDIT_FILE).read_bytes().split(b"\n") if raw.strip()]
    except OSError:
        return set(range(len(entries)))
    new = set()
    for index in range(len(entries)):
        raw = lines[index] if index < len(lines) else b""
        if old[raw] > 0:
            old[raw] -= 1
        else:
            new.add(index)
    return new


def _consistency(root: Path, records: list[TicketRecord], entries: list[dict[str, Any]],
                 environments: dict[str, Environment], files: set[str], *,
                 events: bool = True) -> list[str]:
    from pubflow.records import consistency
    from pubflow.records.environments import load_catalog

    problems = consistency.check_events_against_audit(records, entries) if events else []
    replayed = consistency.replay(entries)
    for name, env in environments.items():
        try:
            catalog = load_catalog(root, name)
        except InputError as exc:
            problems.append(exc.message)
            catalog = None
        problems += consistency.check_environment(env, replayed.get(name), catalog)
    for name in sorted(set(replayed) - files):
        if replayed[name].live:
            problems.append(f"{ENVIRONMENTS_DIR}/{name}.yaml: missing, but the audit log "
                            f"leaves {len(replayed[name].live)} pattern(s) live in {name}")
    return problems


def _tags(root: Path, records: list[TicketRecord], appended: dict[str, list[tuple[str, str]]],
          whole_history: bool) -> list[str]:
    from pubflow.records import consistency
    from pubflow.storage import git as gitrepo

    tags = [consistency.Tag(*item) for item in gitrepo.tags_under(root, "pubflow/")]
    if not tags and not appended:
        return []
    pattern_of = {r.id: r.pattern for r in records}
    return consistency.check_tags(tags, appended, pattern_of, whole_history=whole_history)
