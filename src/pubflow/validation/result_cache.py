"""Remember per-file verdicts so an unchanged file is not checked again.

Keyed on content: an entry is reused when the file's size and mtime are unchanged (as git's
index does) or, when they changed, when its sha256 is unchanged. Entries whose mtime is too
close to the moment they were checked are "racy" (`statefile.is_racy`) and are always
re-hashed. Every verdict is dropped when pubflow's version, the schema or the relevant
configuration changes (`verdict_key`). It is one of pubflow's state files (`storage.statefile`),
in `.git/pubflow/`, so it never makes `git status` dirty.

**One row per file.** The verdicts live in an SQLite database (the standard library's
`sqlite3`), keyed by the file's display name: a lookup is one probe of a B-tree, so it costs
the same with ten entries or a million, and a run naming one file reads one row. (The JSON
document this replaced was loaded and written whole, 3.8 MB at 10 000 patterns: a warm cache
made the pre-commit hook slower than `--no-cache`.) SQLite's C module (`_sqlite3`, without
the package's date adapters) is imported when the cache is first used, never by the start-up
shortcut: about 1.5 ms, less than the checks a hit saves.

**Two processes at once** (a pre-commit hook and an editor integration, say) share the file
safely. The database is in WAL mode: a reader never waits for a writer, nor a writer for
readers; writers take the write lock up front (`BEGIN IMMEDIATE`) and wait for each other up
to `BUSY_TIMEOUT`. A run's new verdicts are written in one transaction when it saves (every
`SAVE_EVERY` verdicts in a big run, so memory stays flat), never one commit per file, with
`synchronous=NORMAL` (no fsync per commit: a cache may lose its last writes to a power cut,
never its consistency). Each row records the generation (a digest of `verdict_key`) it was
checked under and a row of another generation is a miss, so a process with another
configuration writing at the same time never lends its verdicts to this one.

**A cache never fails a run.** Any SQLite error (locked past the timeout, a full disk, a
read-only folder, no sqlite3 at all) leaves the rest of the run uncached; a damaged file
(garbage, cut short, tables of another shape) is deleted with its `-wal` and `-shm` and built
again on save. The old JSON cache (`LEGACY_JSON`) is deleted when the database is created.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from pubflow.storage.statefile import RESULT_CACHE, is_racy, state_path

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path
    from typing import Any

    from pubflow.config import Config
    from pubflow.findings import FileResult

CACHE_FORMAT = 3
"""The database's `user_version`; a file of another format is rebuilt (1 was the JSON file;
3 records whether a file may hold a link)."""
LEGACY_JSON = "validate-cache.json"
"""The JSON cache of earlier versions, deleted when the database is created."""
BUSY_TIMEOUT = 5.0
"""Seconds a write waits for another process's write before the run goes on without saving."""
SAVE_EVERY = 10_000
"""A big run writes its new verdicts in transactions of this many."""

_SCHEMA = (
    "CREATE TABLE verdicts (file TEXT PRIMARY KEY NOT NULL, generation INTEGER NOT NULL,"
    " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 BLOB NOT NULL,"
    " checked_ns INTEGER NOT NULL, result TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE meta (generation INTEGER NOT NULL)",
)
_SELECT = ("SELECT generation, size, mtime_ns, sha256, checked_ns, result FROM verdicts"
           " WHERE file = ?")
_INSERT = "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?)"
_DAMAGED = frozenset({1, 11, 20, 24, 26})
"""SQLite's primary result codes that mean the file is not a cache of this shape: ERROR (no
such table or column), CORRUPT, MISMATCH, FORMAT, NOTADB. Any other (BUSY, READONLY, FULL,
IOERR, CANTOPEN...) leaves the file alone."""

_Row = tuple[str, int, int, int, bytes, int, str]


def verdict_key(config: Config) -> str:
    """What every cached verdict depends on besides the file: pubflow, schema, config."""
    from pubflow import __version__
    from pubflow.storage.schemas import schema_text

    schema_digest = hashlib.sha256(schema_text("pattern.schema.json").encode()).hexdigest()[:16]
    return f"{__version__}:{schema_digest}:{config.check_fingerprint()}"


def cache_path(root: Path | str) -> str:
    return state_path(root, RESULT_CACHE)


def file_sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def generation_of(key: str) -> int:
    """The 64-bit number each row carries for `key` (a signed SQLite integer)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class ResultCache:
    """Look up per file, remember new verdicts, write them in one transaction on `save()`.

    The database is opened on the first lookup (or save) and closed by `save()`; a missing
    file is an empty cache, and nothing is written until there is something to remember."""

    def __init__(self, path: str, key: str, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = path
        self.key = key
        self.generation = generation_of(key)
        self.busy_timeout = busy_timeout
        self._conn: sqlite3.Connection | None = None
        self._absent = False  # no database yet: every lookup misses
        self._readable = False  # the database has this format's tables
        self._off = False  # an error: the rest of the run goes on uncached
        self._damaged = False  # not a cache of this shape: rebuilt on save
        self._pending: list[_Row] = []

    # --- looking up -------------------------------------------------------------------------

    def lookup(self, display: str, file: str) -> FileResult | None:
        """The remembered result for `file`, or None (also for an entry of the wrong shape: a
        cache file is never trusted to be well formed, only to be a cache)."""
        row = self._row(display)
        if row is None:
            return None
        try:
            return self._recall(display, file, row)
        except (TypeError, ValueError, KeyError, AttributeError, IndexError):
            return None  # replaced when the file is checked again

    def _row(self, display: str) -> tuple[Any, ...] | None:
        if self._off or self._damaged or self._absent:
            return None
        try:
            conn = self._connection(create=False)
            if conn is None or not self._readable:
                return None
            rows = conn.execute(_SELECT, (display,)).fetchall()  # all: the read ends here
        except Exception as exc:  # sqlite3.Error, or no sqlite3 at all
            self._failed(exc)
            return None
        return rows[0] if rows and rows[0][0] == self.generation else None

    def _recall(self, display: str, file: str, row: tuple[Any, ...]) -> FileResult | None:
        _generation, size, mtime_ns, sha256, checked_ns, text = row
        try:
            st = os.stat(file)
        except OSError:
            return None
        if (not is_racy(st.st_mtime_ns, checked_ns) and st.st_size == size
                and st.st_mtime_ns == mtime_ns):
            return result_from_dict(display, json.loads(text))
        try:
            with open(file, "rb") as handle:
                digest = hashlib.sha256(handle.read()).digest()
        except OSError:
            return None
        if digest != sha256:
            return None
        result = result_from_dict(display, json.loads(text))
        # the same bytes under a new stat (or no longer racy): remember the stat
        self._add((display, self.generation, st.st_size, st.st_mtime_ns, digest,
                   time.time_ns(), text))
        return result

    # --- remembering ------------------------------------------------------------------------

    def store(self, display: str, stamp: tuple[str, int, int], result: FileResult) -> None:
        """Remember `result` for the bytes `stamp` (sha256, size, mtime: `run.FileStamp`)
        describes; size and mtime were taken before the read, so a change during the check
        shows as a different size or mtime next time."""
        sha256, size, mtime_ns = stamp
        text = json.dumps(result_to_dict(result), separators=(",", ":"))
        self._add((display, self.generation, size, mtime_ns, bytes.fromhex(sha256),
                   time.time_ns(), text))

    def _add(self, row: _Row) -> None:
        if self._off:
            return
        self._pending.append(row)
        if len(self._pending) >= SAVE_EVERY:
            self._write()

    def save(self) -> None:
        """Write what this run learnt (nothing when it learnt nothing) and close the file."""
        try:
            if self._pending or self._damaged:
                self._write()
        finally:
            self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _write(self) -> None:
        """The pending rows in one transaction; a damaged file is rebuilt first (once)."""
        rows, self._pending = self._pending, []
        if self._off:
            return
        for _attempt in range(2):
            if self._damaged:
                self._discard()
                if self._off:
                    return
            try:
                self._insert(rows)
                return
            except Exception as exc:  # sqlite3.Error, OSError, or no sqlite3 at all
                self._rollback()
                self._failed(exc)
                if self._off:
                    return

    def _insert(self, rows: list[_Row]) -> None:
        conn = self._connection(create=True)
        assert conn is not None
        if not self._readable:
            conn.execute("PRAGMA journal_mode=WAL").fetchall()  # kept in the file
        conn.execute("PRAGMA synchronous=NORMAL")  # for this connection: no fsync per commit
        conn.execute("BEGIN IMMEDIATE")  # the write lock now, waiting up to busy_timeout
        if conn.execute("PRAGMA user_version").fetchone()[0] != CACHE_FORMAT:
            self._create_tables(conn)
        stored = conn.execute("SELECT generation FROM meta").fetchall()
        if stored != [(self.generation,)]:  # verdicts of another configuration: dropped
            conn.execute("DELETE FROM verdicts")
            conn.execute("DELETE FROM meta")
            conn.execute("INSERT INTO meta VALUES (?)", (self.generation,))
        conn.executemany(_INSERT, rows)
        conn.execute("COMMIT")
        self._readable = True

    def _create_tables(self, conn: sqlite3.Connection) -> None:
        """This format's tables, in the open transaction (another process creating them at
        the same time waits, then finds them)."""
        for table in ("verdicts", "meta"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {CACHE_FORMAT}")
        legacy = os.path.join(os.path.dirname(self.path), LEGACY_JSON)
        if legacy != self.path:  # the JSON cache of earlier versions
            from contextlib import suppress

            with suppress(OSError):
                os.unlink(legacy)

    # --- the file ---------------------------------------------------------------------------

    def _connection(self, *, create: bool) -> sqlite3.Connection | None:
        if self._conn is not None:
            return self._conn
        if not create and not os.path.isfile(self.path):
            self._absent = True
            return None
        # The C module alone (the `sqlite3` package is a thin layer over it, whose date
        # adapters this cache never uses and which costs the hook half a millisecond).
        import _sqlite3 as sqlite

        if create:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
        conn = sqlite.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            self._readable = conn.execute("PRAGMA user_version").fetchone()[0] == CACHE_FORMAT
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._absent = False
        return conn

    def _failed(self, exc: BaseException) -> None:
        """After an error: a damaged file is rebuilt on save; anything else (a lock held past
        the timeout, a full disk, no sqlite3) turns the cache off for the rest of the run."""
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in _DAMAGED and not self._damaged:
            self._damaged = True
        else:
            self._off = True
            self._pending = []
        self.close()

    def _rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            from contextlib import suppress

            with suppress(Exception):  # the connection is closed next anyway
                self._conn.execute("ROLLBACK")

    def _discard(self) -> None:
        """Delete the damaged database with its WAL and shared-memory files."""
        self.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(self.path + suffix)
            except FileNotFoundError:
                pass
            except OSError:
                self._off = True
        self._damaged = False
        self._readable = False


def result_to_dict(result: FileResult) -> dict[str, Any]:
    """A result as the cache and the whole-run memo keep it (plain JSON)."""
    facts = result.facts
    return {
        "findings": [f.to_dict() for f in result.findings],
        "facts": [facts.id, facts.name, facts.version, list(facts.related), facts.score_total,
                  facts.marginal, facts.may_link],
    }


def result_from_dict(display: str, data: dict[str, Any]) -> FileResult:
    from pubflow.findings import FileResult, Finding, PatternFacts

    findings = tuple(Finding.from_dict(f) for f in data["findings"])
    fid, name, version, related, total, marginal, *hint = data["facts"]  # (6: no may_link)
    facts = PatternFacts(fid, name, version, tuple(related), total, marginal,
                         bool(hint[0]) if hint else True)
    return FileResult(display, findings, facts)
