"""The audit log: every ticket event, promotion and rollback, one JSON object per line.

Each entry carries a sequence number, the hash of the entry before it (`prev`) and its own
hash: sha256 of the canonical JSON (sorted keys, no spaces) of every field except `hash`.
Editing, deleting or reordering a past entry therefore breaks the chain. Two branches that
both append extend the same entry; git's `union` merge (`.pubflow/.gitattributes`) keeps both
tails, and the chain is then a tree whose every entry follows one on an earlier line, which
`verify` accepts. `verify(expected_head)` also catches entries cut off the end when the caller
knows the head it wrote last.

The log only grows, so appending reads the tail of the file and never the whole of it: an
append costs the same with ten entries or a hundred thousand.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from pubflow.errors import InputError
from pubflow.storage.files import fsync_folder
from pubflow.storage.safepaths import O_NOFOLLOW, check_no_links, check_readable

AUDIT_FILE = ".pubflow/audit.jsonl"

REQUIRED_KEYS = ("at", "actor", "kind")
RESERVED_KEYS = ("seq", "prev", "hash")

_APPEND_FLAGS = (os.O_RDWR | os.O_CREAT | os.O_APPEND | O_NOFOLLOW
                 | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))

# Entries are a few hundred bytes; one read from the end almost always holds the last one.
_TAIL_CHUNK = 8192
_HINT_RESTORE = ("Restore .pubflow/audit.jsonl from git history; pubflow writes one JSON "
                 "object per line and never edits a line once written.")


@dataclass(frozen=True, slots=True)
class AuditHead:
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class AuditProblem:
    line: int
    seq: int | None
    message: str

    def __str__(self) -> str:
        return f"{AUDIT_FILE}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class _Link:
    """What `verify` needs of one entry to follow the chain."""

    line: int
    seq: int
    hash: str
    prev: str | None


@dataclass(frozen=True, slots=True)
class _Tail:
    last: dict[str, Any] | None
    size: int
    keep: int  # bytes before a torn last line; equals `size` when nothing is torn
    needs_newline: bool  # the last entry is complete but lost its newline


def entry_hash(entry: Mapping[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AuditLog:
    """The append-only audit log of one repository."""

    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def path(self) -> Path:
        return self._root / AUDIT_FILE

    def append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Add one entry and return it. The caller holds pubflow's lock."""
        plain = _plain_record(record)
        path = self.path
        # Never through a link (.pubflow or the log itself): the entry would land wherever
        # it points, out of the repository included.
        check_no_links(self._root, path)
        created = not path.exists()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_APPEND: every write lands at the end, while reads may still seek backwards;
            # O_NOFOLLOW (where the OS has it): a link put there since the check is refused.
            with os.fdopen(os.open(path, _APPEND_FLAGS, 0o666), "a+b") as handle:
                tail = _read_tail(handle)
                entry = _next_entry(tail.last, plain)
                line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
                if tail.keep < tail.size:
                    # A crash tore the last write: that entry never happened, drop its bytes.
                    handle.truncate(tail.keep)
                prefix = b"\n" if tail.needs_newline else b""
                handle.write(prefix + line.encode("utf-8") + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise InputError(f"{AUDIT_FILE}: cannot write: {exc.strerror or exc}",
                             hint="Check the permissions of the .pubflow folder.") from exc
        if created:
            fsync_folder(path.parent)
        return entry

    def head(self) -> AuditHead | None:
        """The last entry's seq and hash, or None for an empty or missing log."""
        check_readable(self._root, self.path)
        try:
            with self.path.open("rb") as handle:
                last = _read_tail(handle).last
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _unreadable(exc) from exc
        return None if last is None else AuditHead(last["seq"], last["hash"])

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry in file order; a torn last line (an interrupted write) is skipped."""
        for number, raw, terminated in self._lines():
            if not raw.strip():
                continue
            entry = _parse(raw)
            if entry is None:
                if not terminated:
                    return
                raise InputError(f"{AUDIT_FILE}:{number}: not a JSON object",
                                 hint=_HINT_RESTORE)
            yield entry

    def verify(self, expected_head: AuditHead | None = None) -> list[AuditProblem]:
        """Every break in the chain; `expected_head` is the head pubflow last committed."""
        problems: list[AuditProblem] = []
        links: list[_Link] = []
        last_line = 0
        for number, raw, terminated in self._lines():
            last_line = number
            if not raw.strip():
                continue
            link = _link(number, raw, terminated, problems)
            if link is not None:
                links.append(link)
        by_seq = _follow_chain(links, problems)
        if expected_head is not None:
            _check_head(expected_head, by_seq, max(last_line, 1), problems)
        return problems

    def _lines(self) -> Iterator[tuple[int, bytes, bool]]:
        """(line number, bytes without the newline, whether a newline ended it)."""
        check_readable(self._root, self.path)
        try:
            with self.path.open("rb") as handle:
                # Binary lines split on b"\n" only; str.splitlines would also split on U+2028.
                for number, raw in enumerate(handle, start=1):
                    terminated = raw.endswith(b"\n")
                    yield number, raw[:-1] if terminated else raw, terminated
        except FileNotFoundError:
            return
        except OSError as exc:
            raise _unreadable(exc) from exc


def _plain_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as a reader will load it back, so the hash covers exactly that."""
    reserved = [k for k in RESERVED_KEYS if k in record]
    if reserved:
        raise ValueError(f"an audit record cannot set {', '.join(reserved)}: the log does")
    for key in REQUIRED_KEYS:
        value = record.get(key)
        if not isinstance(value, str) or not value:
            raise ValueError(f"an audit record needs '{key}' as a non-empty string")
    try:
        moment = datetime.fromisoformat(record["at"])
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() != timedelta(0):
        raise ValueError(f"an audit record's 'at' must be an ISO-8601 UTC time, "
                         f"not {record['at']!r}")
    try:
        # Tuples become lists and int keys strings, as they will when the line is read back.
        plain: dict[str, Any] = json.loads(json.dumps(dict(record), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"an audit record must hold plain JSON values: {exc}") from exc
    return plain


def _next_entry(last: Mapping[str, Any] | None, record: Mapping[str, Any]) -> dict[str, Any]:
    entry = {"seq": 1 if last is None else last["seq"] + 1, **record,
             "prev": None if last is None else last["hash"]}
    entry["hash"] = entry_hash(entry)
    return entry


def _read_tail(handle: IO[bytes]) -> _Tail:
    size = handle.seek(0, os.SEEK_END)
    segments = _segments_backwards(handle, size)
    start, unterminated = next(segments)
    if unterminated.strip():
        entry = _parse(unterminated)
        if entry is not None:
            return _Tail(_checked_last(entry), size, size, needs_newline=True)
    keep = start  # a torn write, or nothing at all after the last newline
    for _, line in segments:
        if not line.strip():
            continue
        entry = _parse(line)
        if entry is None:
            raise InputError(f"{AUDIT_FILE}: the last line is not a JSON object, so pubflow "
                             "cannot chain a new entry to it", hint=_HINT_RESTORE)
        return _Tail(_checked_last(entry), size, keep, needs_newline=False)
    return _Tail(None, size, keep, needs_newline=False)


def _segments_backwards(handle: IO[bytes], size: int) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of each line from the end; the first is what follows the last newline."""
    position = size
    pending = b""
    while True:
        cut = pending.rfind(b"\n")
        if cut >= 0:
            yield position + cut + 1, pending[cut + 1:]
            pending = pending[:cut]
        elif position == 0:
            yield 0, pending
            return
        else:
            step = min(_TAIL_CHUNK, position)
            position -= step
            handle.seek(position)
            pending = handle.read(step) + pending


def _checked_last(entry: dict[str, Any]) -> dict[str, Any]:
    if _seq_of(entry) is None or not isinstance(entry.get("hash"), str):
        raise InputError(f"{AUDIT_FILE}: the last entry has no valid seq and hash, so pubflow "
                         "cannot chain a new entry to it", hint=_HINT_RESTORE)
    return entry


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _seq_of(entry: Mapping[str, Any]) -> int | None:
    seq = entry.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        return None
    return seq


def _link(number: int, raw: bytes, terminated: bool,
          problems: list[AuditProblem]) -> _Link | None:
    entry = _parse(raw)
    if entry is None:
        if not terminated:
            message = ("unfinished last line: a write was interrupted; the next append "
                       "removes it")
        else:
            message = "not a JSON object (the line was damaged or inserted by hand)"
        problems.append(AuditProblem(number, None, message))
        return None
    seq = _seq_of(entry)
    own_hash = entry.get("hash")
    prev = entry.get("prev")
    if seq is None or not isinstance(own_hash, str) or not (prev is None or isinstance(prev, str)):
        problems.append(AuditProblem(number, seq, "not an audit entry: it needs a positive "
                                                  "seq, a hash and a prev"))
        return None
    if entry_hash(entry) != own_hash:
        problems.append(AuditProblem(number, seq, f"entry {seq} was edited after the fact: "
                                                  "its content does not match its hash"))
    return _Link(number, seq, own_hash, prev)


def _follow_chain(links: list[_Link], problems: list[AuditProblem]) -> dict[int, _Link]:
    """Each entry's prev must be an entry on an earlier line: the chain is a tree that only
    grows, so a union merge of two branches' logs (both extend the same entry) still verifies,
    while an edited, deleted, duplicated or moved entry does not. Returns the first link of
    each seq, by seq."""
    by_hash: dict[str, _Link] = {}
    later = {link.hash: link for link in links}
    by_seq: dict[int, _Link] = {}
    for index, link in enumerate(links):
        by_seq.setdefault(link.seq, link)
        if link.hash in by_hash:
            problems.append(AuditProblem(link.line, link.seq, f"entry {link.seq} appears "
                                         f"twice (first on line {by_hash[link.hash].line})"))
            continue
        if link.prev is None:
            if index:
                problems.append(AuditProblem(link.line, link.seq, f"entry {link.seq} has no "
                                             "prev, but only the first entry of the log may "
                                             "have none"))
        elif link.prev in by_hash:
            parent = by_hash[link.prev]
            if link.seq != parent.seq + 1:
                problems.append(AuditProblem(link.line, link.seq,
                                             _missing_between(parent.seq, link.seq)))
        elif link.prev in later and later[link.prev].line > link.line:
            moved = later[link.prev]
            problems.append(AuditProblem(link.line, link.seq, f"entry {link.seq} comes before "
                                         f"entry {moved.seq} (line {moved.line}) that it "
                                         "follows: the log was reordered"))
        else:
            before = links[index - 1].seq if index else 0
            message = (_missing_between(before, link.seq) if link.seq > before + 1 else
                       f"entry {link.seq}'s prev is not the hash of entry {before}: an entry "
                       "was replaced or rewritten")
            problems.append(AuditProblem(link.line, link.seq, message))
        by_hash[link.hash] = link
    return by_seq


def _missing_between(parent: int, seq: int) -> str:
    if seq > parent + 2:
        return f"entries {parent + 1}-{seq - 1} are missing before entry {seq}: deleted from the log"
    if seq == parent + 2:
        return f"entry {parent + 1} is missing before entry {seq}: deleted from the log"
    return f"entry {seq} does not follow entry {parent} by its seq: it was rewritten"


def _check_head(expected: AuditHead, by_seq: dict[int, _Link], last_line: int,
                problems: list[AuditProblem]) -> None:
    top = max(by_seq, default=0)
    if top < expected.seq:
        where = f"ends at entry {top}" if top else "has no entries"
        problems.append(AuditProblem(last_line, top or None, f"the log {where}, but pubflow "
                                     f"recorded entry {expected.seq} in git: the log was "
                                     f"truncated or rewritten after entry {top}"))
        return
    link = by_seq.get(expected.seq)
    if link is not None and link.hash != expected.hash:
        problems.append(AuditProblem(link.line, link.seq, f"entry {link.seq} is not the one "
                                     "pubflow recorded in git: the log was truncated or "
                                     f"rewritten up to entry {link.seq}"))
    # An expected entry missing from the middle was already reported as deleted.


def _unreadable(exc: OSError) -> InputError:
    return InputError(f"{AUDIT_FILE}: cannot read: {exc.strerror or exc}",
                      hint="Check that .pubflow/audit.jsonl is a readable file.")

