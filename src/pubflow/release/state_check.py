"""Everything under `.pubflow/` checked at once, for the pre-commit hook and CI: tickets
(schema, hash chain, state, unique ids, pinned digests), environment files (schema) and the
audit log (chain); the git history since the first commit that touched `.pubflow/` (or a pull
request's `REF..HEAD`), in which every commit only appended to the audit log and to each
ticket's history (`records/history.py`); and the files against each other: ticket events and
audit entries, environments replayed from the audit log, catalogs, release tags
(`records/consistency.py`). Problems are lines of text naming the file."""

from __future__ import annotations

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


def check_state(root: Path, since: str | None = None) -> StateReport:
    from pubflow.records.audit import AuditLog
    from pubflow.records.verify import verify

    if since is not None:
        from pubflow.storage import git as gitrepo

        if gitrepo.resolve_commit(root, since) is None:
            raise UsageError(f"--since {since}: no such commit in this repository",
                             hint="Give a branch, tag or commit, e.g. origin/main.")
    tickets = verify(root)
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

    records = load_ticket_records(root) if entries is not None or walked else []
    if entries is not None:
        problems += _consistency(root, records, entries, environments, set(names))
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


def _consistency(root: Path, records: list[TicketRecord], entries: list[dict[str, Any]],
                 environments: dict[str, Environment], files: set[str]) -> list[str]:
    from pubflow.records import consistency
    from pubflow.records.environments import load_catalog

    problems = consistency.check_events_against_audit(records, entries)
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
