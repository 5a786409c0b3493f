"""History only grows: every commit appended to the audit log and to each ticket's history.

`pubflow verify` walks the commits that changed `.pubflow/tickets/` or `.pubflow/audit.jsonl`
(all of them since the first, or a pull request's `REF..HEAD`) and compares each with each of
its parents:

- **A ticket's history** in the commit must hold the parent's: the same events, unchanged,
  first. A merge (or a rebase) of two branches that both appended may fork it: past the
  shared events, each of the parent's events is still there, in order, either as it was, or
  re-chained by the ticket merge driver (`merged_from` is its old hash, every other field
  unchanged), or kept under a `merged` event's `superseded`. A ticket may move to another
  file only in a merge, as `ticket resolve-ids` renumbers it (found by its first event).
- **The audit log** in a commit with one parent starts with the parent's bytes; in a merge,
  every line of each parent is still there, in order (git's `union` merge).

Anything else is a rewritten, reordered, truncated, deleted or replaced history, reported
with the commit that did it. The analysis is pure: `check_history` gets the commits and a
reader of file contents (the git adapter) and returns problems as data.

Cost: ticket files are small and read once per version. The audit log is one file that
grows with every commit, so reading every version of it costs the square of its length
(50 000 versions of a 17 MB log are 400 GB): every version's size is compared (a commit
that shrinks the log is caught wherever it is), and contents are compared for the newest
commits up to `audit_budget` bytes read (all of them for `--since`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pubflow.records.audit import AUDIT_FILE
from pubflow.records.paths import TICKETS_DIR

HISTORY_MARK = "\nhistory:\n"
ITEM = "  - "
_GENESIS = re.compile(r"\nhistory:\n  - (?:.*\n)*?    hash: '?([0-9a-f]{64})")


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit and its changes against each parent (in parent order)."""

    sha: str
    parents: tuple[str, ...]
    subject: str
    changes: tuple[tuple[Change, ...], ...]


@dataclass(frozen=True, slots=True)
class HistoryProblem:
    file: str
    message: str
    commit: str
    subject: str

    def __str__(self) -> str:
        return f'{self.file}: {self.message} (commit {self.commit[:7]} "{self.subject}")'


@dataclass(slots=True)
class HistoryResult:
    commits: int
    problems: list[HistoryProblem]
    appended: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Per commit, the ticket-history text each of its ticket files gained (for the release
    tags: a tag's commit must be the one that recorded the promotion)."""


Reader = Callable[[list[str]], dict[str, bytes]]
Sizer = Callable[[list[str]], dict[str, int]]


@dataclass(frozen=True, slots=True)
class _Summary:
    """What the fast path needs of one version of a ticket file."""

    history_len: int
    history_digest: bytes
    simple: bool  # the history is the last key, every line below it indented


def check_history(commits: list[Commit], read: Reader, sizes: Sizer, *,
                  audit_budget: int | None = None) -> HistoryResult:
    """Every commit's changes against each parent; `audit_budget` caps the bytes of audit
    log versions read (None: no cap)."""
    problems: list[HistoryProblem] = []
    result = HistoryResult(len(commits), problems)
    _check_tickets(commits, read, result)
    _check_audit(commits, read, sizes, audit_budget, problems)
    return result


# --- tickets ---------------------------------------------------------------------------

def _is_ticket(path: str) -> bool:
    return path.startswith(f"{TICKETS_DIR}/") and path.endswith(".yaml")


def _check_tickets(commits: list[Commit], read: Reader, result: HistoryResult) -> None:
    summaries: dict[str, _Summary] = {}
    chunk: list[Commit] = []
    size = 0
    for commit in commits:
        chunk.append(commit)
        size += sum(len(c) for c in commit.changes)
        if size >= 4000:
            _ticket_chunk(chunk, read, summaries, result)
            chunk, size = [], 0
    if chunk:
        _ticket_chunk(chunk, read, summaries, result)


def _ticket_chunk(chunk: list[Commit], read: Reader, summaries: dict[str, _Summary],
                  result: HistoryResult) -> None:
    wanted = [sha for commit in chunk for changes in commit.changes for c in changes
              if _is_ticket(c.path) for sha in (c.old, c.new)
              if sha is not None and sha not in summaries]
    blobs = read(wanted)
    for sha, data in blobs.items():
        summaries[sha] = _summarize(data)
    for commit in chunk:
        for changes in commit.changes:
            tickets = [c for c in changes if _is_ticket(c.path)]
            if tickets:
                _ticket_edge(commit, tickets, summaries, blobs, read, result)


def _summarize(data: bytes) -> _Summary:
    text = data.decode("utf-8", "replace")
    at = text.find(HISTORY_MARK)
    if at < 0 or text.find(HISTORY_MARK, at + 1) >= 0:
        return _Summary(0, b"", False)
    history = text[at + len(HISTORY_MARK):]
    simple = history.startswith(ITEM) and history.endswith("\n") and all(
        line.startswith("  ") for line in history.splitlines())
    raw = history.encode("utf-8")
    return _Summary(len(raw), hashlib.sha1(raw).digest(), simple)


def _appended(old: _Summary, new_data: bytes) -> str | None:
    """The text the new version's history gained, when it only gained events; else None."""
    if not old.simple:
        return None
    text = new_data.decode("utf-8", "replace")
    at = text.find(HISTORY_MARK)
    if at < 0:
        return None
    raw = text[at + len(HISTORY_MARK):].encode("utf-8")
    if hashlib.sha1(raw[:old.history_len]).digest() != old.history_digest:
        return None
    tail = raw[old.history_len:].decode("utf-8", "replace")
    if tail and not (tail.startswith(ITEM) and tail.endswith("\n")
                     and all(line.startswith("  ") for line in tail.splitlines())):
        return None
    return tail


def _ticket_edge(commit: Commit, changes: list[Change], summaries: dict[str, _Summary],
                 blobs: dict[str, bytes], read: Reader, result: HistoryResult) -> None:
    slow: list[Change] = []
    for change in changes:
        if change.old is None:
            continue  # a new ticket: nothing to keep yet
        if change.new is not None:
            data = blobs.get(change.new)
            if data is None:
                data = read([change.new])[change.new]
            tail = _appended(summaries[change.old], data)
            if tail is not None:
                if tail:
                    result.appended.setdefault(commit.sha, []).append((change.path, tail))
                continue
        slow.append(change)
    if slow:
        _slow_edge(commit, slow, changes, read, result)


def _slow_edge(commit: Commit, slow: list[Change], changes: list[Change], read: Reader,
               result: HistoryResult) -> None:
    """Parse the histories this parent-child pair changed and compare them event by event."""
    shas = [sha for c in changes for sha in (c.old, c.new) if sha is not None]
    blobs = read(shas)
    new_by_path = {c.path: _history(blobs[c.new]) for c in changes if c.new is not None}
    by_genesis: dict[str, str] = {}
    for path, history in new_by_path.items():
        if history:
            by_genesis.setdefault(_hash(history[0]), path)
    merge = len(commit.parents) > 1
    for change in slow:
        if change.old is None:
            continue  # a new ticket
        old = _history(blobs[change.old])
        if not old:
            continue  # it had no history to keep
        new = new_by_path.get(change.path) if change.new is not None else None
        problem = None if new is None else compare_histories(old, new)
        if new is not None and problem is None:
            if new[len(old):]:
                result.appended.setdefault(commit.sha, []).append(
                    (change.path, json.dumps(new[len(old):], default=str)))
            continue
        moved = by_genesis.get(_hash(old[0]))
        if moved is not None and moved != change.path and merge:
            problem = compare_histories(old, new_by_path[moved])
            if problem is None:
                continue
        if new is None and moved is None:
            problem = (f"ticket deleted: its history of {len(old)} event(s) is gone"
                       if change.new is None else problem)
        result.problems.append(HistoryProblem(change.path, problem or "history replaced",
                                               commit.sha, commit.subject))


def _history(data: bytes) -> list[dict[str, Any]]:
    from pubflow.errors import PubflowError
    from pubflow.storage.yaml import load_yaml, to_plain

    try:
        doc = to_plain(load_yaml(data.decode("utf-8", "replace"), "ticket",
                                 round_trip=False))
    except PubflowError:
        return []
    history = doc.get("history") if isinstance(doc, dict) else None
    if not isinstance(history, list):
        return []
    return [e if isinstance(e, dict) else {"value": e} for e in history]


def _hash(event: dict[str, Any]) -> str:
    return str(event.get("hash"))


def _describe(index: int, event: dict[str, Any]) -> str:
    return f"event {index + 1} ({event.get('event')} at {event.get('at')})"


def _same_moved(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """`new` is `old` re-chained by the merge driver: every field but the chain kept."""
    if new.get("merged_from") != old.get("hash"):
        return False
    keep = ("prev", "hash", "merged_from")
    return ({k: v for k, v in old.items() if k not in keep}
            == {k: v for k, v in new.items() if k not in keep})


def compare_histories(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> str | None:
    """None when `new` holds all of `old` as pubflow appends and merges; else what happened."""
    shared = 0
    while shared < min(len(old), len(new)) and old[shared] == new[shared]:
        shared += 1
    if shared == len(old):
        return None
    if shared == 0 and new and _hash(old[0]) != _hash(new[0]):
        return (f"history replaced: its first event is no longer {_describe(0, old[0])}"
                if old[0].get("at") != new[0].get("at") or len(new) < len(old)
                else f"{_describe(0, old[0])} was rewritten")
    position = shared
    for index in range(shared, len(old)):
        event = old[index]
        found = _find(event, new, position)
        if found is None:
            if len(new) <= index and new == old[:len(new)]:
                return (f"history truncated: events {len(new) + 1}-{len(old)} removed"
                        if len(old) - len(new) > 1 else
                        f"history truncated: event {len(old)} removed")
            hashes = [_hash(e) for e in new]
            if _hash(event) in hashes:
                moved_to = hashes.index(_hash(event))
                if new[moved_to] == event:
                    return (f"history reordered: {_describe(index, event)} is now "
                            f"event {moved_to + 1}")
            return f"{_describe(index, event)} was rewritten or removed"
        position = found
    return None


def _find(event: dict[str, Any], new: list[dict[str, Any]], start: int) -> int | None:
    for index in range(start, len(new)):
        candidate = new[index]
        if candidate == event or _same_moved(event, candidate):
            return index
        superseded = candidate.get("superseded") if candidate.get("event") == "merged" else None
        if isinstance(superseded, list) and event in superseded:
            return index
    return None


# --- the audit log ---------------------------------------------------------------------

def _check_audit(commits: list[Commit], read: Reader, sizes: Sizer, budget: int | None,
                 problems: list[HistoryProblem]) -> None:
    edges = [(commit, change) for commit in commits for changes in commit.changes
             for change in changes if change.path == AUDIT_FILE and change.old is not None]
    if not edges:
        return
    size_of = sizes([sha for _, c in edges for sha in (c.old, c.new) if sha is not None])
    spent = 0
    checked: set[tuple[str, str]] = set()
    # Newest first: the contents of the most recent commits are compared within the budget.
    for commit, change in reversed(edges):
        assert change.old is not None
        old_size = size_of.get(change.old, 0)
        if change.new is None:
            problems.append(HistoryProblem(AUDIT_FILE, "the audit log was deleted",
                                           commit.sha, commit.subject))
            continue
        new_size = size_of.get(change.new, 0)
        cost = old_size + new_size
        if budget is not None and spent + cost > budget:
            if new_size < old_size:
                problems.append(HistoryProblem(
                    AUDIT_FILE, f"the log shrank from {old_size} to {new_size} bytes: "
                    "truncated or replaced", commit.sha, commit.subject))
            continue
        spent += cost
        key = (change.old, change.new)
        if key in checked:
            continue
        checked.add(key)
        blobs = read([change.old, change.new])
        message = compare_logs(blobs[change.old], blobs[change.new],
                               merge=len(commit.parents) > 1)
        if message is not None:
            problems.append(HistoryProblem(AUDIT_FILE, message, commit.sha, commit.subject))
    problems.sort(key=lambda p: p.commit)  # stable order whatever the walk did
    order = {commit.sha: index for index, commit in enumerate(commits)}
    problems.sort(key=lambda p: order.get(p.commit, -1))


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def compare_logs(old: bytes, new: bytes, *, merge: bool) -> str | None:
    """None when `new` only added lines to `old` (at the end; anywhere in order for a merge);
    else what was done to it."""
    if new.startswith(old):
        return None
    cut = old.rfind(b"\n") + 1
    if cut < len(old) and new.startswith(old[:cut]) and not _entry(old[cut:]):
        return None  # a torn last line (an interrupted write) that the next append dropped
    old_lines, new_lines = _lines(old), _lines(new)
    if merge:
        position = 0
        for line in old_lines:
            try:
                position = new_lines.index(line, position) + 1
            except ValueError:
                break
        else:
            return None
    if not new_lines or (old_lines and _seq(new_lines[0]) == 1 and new_lines[0] != old_lines[0]):
        return (f"the log was replaced: it held {len(old_lines)} entries, now "
                f"{len(new_lines)} from another chain")
    if len(new_lines) < len(old_lines) and old_lines[:len(new_lines)] == new_lines:
        count = len(old_lines) - len(new_lines)
        return (f"the log was truncated: {count} entr{'y' if count == 1 else 'ies'} cut off "
                f"after line {len(new_lines)}")
    for index, line in enumerate(old_lines):
        if index >= len(new_lines) or new_lines[index] != line:
            if line in new_lines:
                return (f"the log was reordered: line {index + 1} is now line "
                        f"{new_lines.index(line) + 1}")
            return f"line {index + 1} was rewritten or deleted"
    return "the log was rewritten"


def _entry(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _seq(raw: bytes) -> int | None:
    entry = _entry(raw)
    seq = entry.get("seq") if entry else None
    return seq if isinstance(seq, int) else None


def from_git(items: Iterable[Any]) -> list[Commit]:
    """The git adapter's commits as this module's (the same fields)."""
    return [Commit(item.sha, tuple(item.parents), item.subject,
                   tuple(tuple(Change(c.path, c.old, c.new) for c in changes)
                         for changes in item.changes)) for item in items]
