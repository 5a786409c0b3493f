"""What a validation run keeps of every file for the folder-wide checks, in flat memory.

A run over a few files keeps a list (`RepoEntry` each); from `spill_from` files on, the index
moves into a private temporary SQLite database on disk (the standard library's `sqlite3`,
loaded only then), whose page cache is the only memory it takes however many files there are.
The cross-file rules are then set queries over it (`cross_file_issues`), streamed in the
run's order, with the same findings, messages and order as the list gives: a test holds the
two to each other on random runs.

The index knows every file of the run, and which of them this process checks (`mine`): a
`--shard` run checks a slice of the files but knows the id of every file of the run, so its
duplicate ids and missing related patterns are exactly the whole run's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pubflow.checks.base import RepoEntry

if TYPE_CHECKING:
    import sqlite3

_SCHEMA = """
CREATE TABLE f (pos INTEGER PRIMARY KEY, file BLOB NOT NULL, id BLOB, mine INTEGER NOT NULL,
                flags INTEGER NOT NULL, link INTEGER NOT NULL);
CREATE TABLE r (pos INTEGER NOT NULL, idx INTEGER NOT NULL, rid BLOB NOT NULL);
CREATE TABLE o (ord INTEGER PRIMARY KEY, file BLOB NOT NULL, id BLOB NOT NULL);
"""
CACHE_KIB = 2048
"""SQLite's page cache: what the on-disk index may hold in memory."""
_ROWS = 4096
"""Rows inserted per call."""


def _b(text: str) -> bytes:
    """Text as SQLite stores it here: bytes, with lone surrogates (undecodable file names,
    `\\ud800` in JSON) kept, so equal strings are equal bytes and nothing fails to encode."""
    return text.encode("utf-8", "surrogatepass")


def _s(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


class RunIndex:
    """Every file of a run in order: its display name, id and (for the files this process
    checks) related ids and a flag byte the run keeps (1: findings, 2: errors).

    Iterating it gives the `RepoEntry` of each file this process checks, in order, as often
    as asked; that is what a folder-wide check reads as `FolderContext.entries`."""

    def __init__(self, spill_from: int = 0) -> None:
        self._spill_from = spill_from
        self._list: list[tuple[RepoEntry, bool, int]] | None = [] if spill_from > 0 else None
        self._db: sqlite3.Connection | None = None
        self._files: list[tuple[int, bytes, bytes | None, int, int, int]] = []
        self._related: list[tuple[int, int, bytes]] = []
        self._count = 0
        self._mine = 0
        self._others: list[RepoEntry] = []
        self._mine_files: set[str] | None = None
        self._all_files: set[str] | None = None
        self._by_file = False
        self._ready = False
        if self._list is None:
            self._open()

    # -- filling -----------------------------------------------------------------------------

    def add_checked(self, file: str, pattern_id: str | None, related: tuple[str, ...],
                    may_link: bool, flags: int) -> None:
        """`add` for a file of this process, from its fields: an on-disk index makes no
        `RepoEntry` of it."""
        if self._list is not None:
            self.add(RepoEntry(file, pattern_id, related, may_link), flags=flags)
            return
        self._count += 1
        self._mine += 1
        self._row(file, pattern_id, related, may_link, True, flags)

    def add(self, entry: RepoEntry, *, mine: bool = True, flags: int = 0) -> None:
        """The next file of the run (related ids only matter for files of this process)."""
        self._count += 1
        self._mine += mine
        if self._list is not None:
            self._list.append((entry, mine, flags))
            if len(self._list) >= self._spill_from:
                moved, self._list = self._list, None
                self._open()
                self._count = self._mine = 0
                for item, is_mine, item_flags in moved:
                    self.add(item, mine=is_mine, flags=item_flags)
            return
        self._row(entry.file, entry.id, entry.related, entry.may_link, mine, flags)

    def _row(self, file: str, pattern_id: str | None, related: tuple[str, ...], may_link: bool,
             mine: bool, flags: int) -> None:
        """The on-disk rows of the file just counted (its related ids only if it is mine)."""
        pos = self._count
        self._files.append((pos, _b(file), None if pattern_id is None else _b(pattern_id),
                            int(mine), flags, int(may_link)))
        if mine and related:
            self._related.extend((pos, index, _b(rid)) for index, rid in enumerate(related))
        if len(self._files) >= _ROWS or len(self._related) >= _ROWS:
            self._write()

    def _open(self) -> None:
        import sqlite3

        db = sqlite3.connect("", isolation_level=None)  # "": private, on disk, gone on close
        db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        db.execute("PRAGMA temp_store=FILE")
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.executescript(_SCHEMA)
        db.execute("BEGIN")
        self._db = db

    def _write(self) -> None:
        assert self._db is not None
        self._db.executemany("INSERT INTO f VALUES (?, ?, ?, ?, ?, ?)", self._files)
        self._db.executemany("INSERT INTO r VALUES (?, ?, ?)", self._related)
        self._files, self._related = [], []

    @property
    def on_disk(self) -> bool:
        return self._list is None

    def __len__(self) -> int:
        """The files of this process."""
        return self._mine

    @property
    def files(self) -> int:
        """Every file of the run."""
        return self._count

    # -- reading -----------------------------------------------------------------------------

    def _finish(self) -> sqlite3.Connection:
        assert self._db is not None
        db = self._db
        if not self._ready:
            self._write()
            db.execute("COMMIT")
            db.execute("CREATE INDEX f_id ON f (id)")
            self._ready = True
        return db

    def __iter__(self) -> Iterator[RepoEntry]:
        if self._list is not None:
            return (entry for entry, mine, _ in self._list if mine)
        return self._disk_entries()

    def _disk_entries(self) -> Iterator[RepoEntry]:
        db = self._finish()
        related = db.execute("SELECT pos, rid FROM r ORDER BY rowid")
        upcoming = related.fetchone()
        for pos, file, pattern_id, link in db.execute(
                "SELECT pos, file, id, link FROM f WHERE mine ORDER BY pos"):
            ids: list[str] = []
            while upcoming is not None and upcoming[0] == pos:
                ids.append(_s(upcoming[1]))
                upcoming = related.fetchone()
            yield RepoEntry(_s(file), None if pattern_id is None else _s(pattern_id), tuple(ids),
                            bool(link))

    def flags(self) -> Iterator[tuple[str, int]]:
        """(file, flags) of each file of this process, in order."""
        if self._list is not None:
            return ((entry.file, flags) for entry, mine, flags in self._list if mine)
        db = self._finish()
        return ((_s(file), flags) for file, flags in db.execute(
            "SELECT file, flags FROM f WHERE mine ORDER BY pos"))

    def holds(self, file: str) -> bool:
        """Whether `file` is a file of the run (of any process)."""
        if self._list is not None:
            if self._all_files is None:
                self._all_files = {entry.file for entry, _, _ in self._list}
            return file in self._all_files
        db = self._by_files()
        return db.execute("SELECT 1 FROM f WHERE file = ?", (_b(file),)).fetchone() is not None

    def _by_files(self) -> sqlite3.Connection:
        """The database, with files indexed by name (made once, before any lookup)."""
        db = self._finish()
        if not self._by_file:
            db.execute("CREATE INDEX f_file ON f (file)")
            self._by_file = True
        return db

    def wanted(self) -> Iterator[str]:
        """Each id and related id of the files of this process, once."""
        if self._list is not None:
            seen: dict[str, None] = {}
            for entry, mine, _ in self._list:
                if mine:
                    if entry.id is not None:
                        seen[entry.id] = None
                    seen.update(dict.fromkeys(entry.related))
            return iter(seen)
        db = self._by_files()  # `holds` answers while these are read: no index made then
        return (_s(value) for (value,) in db.execute(
            "SELECT id FROM f WHERE mine AND id IS NOT NULL UNION SELECT rid FROM r"))

    def add_others(self, others: list[RepoEntry]) -> None:
        """Files of the patterns folder outside the run, known by their file names, in walk
        order per name: they hold ids too."""
        if self._list is not None:
            self._others = others
            return
        db = self._finish()
        db.executemany("INSERT INTO o (file, id) VALUES (?, ?)",
                       ((_b(e.file), _b(e.id or "")) for e in others))

    # -- the cross-file rules ------------------------------------------------------------------

    def everything(self) -> list[RepoEntry]:
        """Every file of the run (an index in memory only), then the others added."""
        assert self._list is not None
        return [entry for entry, _, _ in self._list] + self._others

    def mine(self, file: str) -> bool:
        """Whether this process checks `file` (an index in memory only)."""
        assert self._list is not None
        if self._mine_files is None:
            self._mine_files = {entry.file for entry, is_mine, _ in self._list if is_mine}
        return file in self._mine_files

    def cross_file_rows(self) -> Iterator[tuple[Any, ...]]:
        """What the cross-file rules find in the files of this process, from set queries
        over the database, in the run's order, each file's duplicate id before its related
        ids: ("duplicate", file, id, [first two holders], holders) | ("self", file, index)
        | ("missing", file, index, related id)."""
        db = self._finish()
        db.executescript("""
            CREATE INDEX IF NOT EXISTS o_id ON o (id);
            DROP TABLE IF EXISTS d;
            CREATE TEMP TABLE d AS SELECT id, count(*) AS n FROM
                (SELECT id FROM f WHERE id IS NOT NULL UNION ALL SELECT id FROM o)
                GROUP BY id HAVING count(*) > 1;
            CREATE UNIQUE INDEX d_id ON d (id);
        """)
        shared = db.execute(
            "SELECT f.pos, f.file, f.id, d.n FROM f JOIN d ON d.id = f.id WHERE f.mine "
            "ORDER BY f.pos")
        related = db.execute(
            "SELECT r.pos, f.file, r.idx, r.rid, IFNULL(r.rid = f.id, 0) AS self "
            "FROM r JOIN f ON f.pos = r.pos "
            "WHERE self OR NOT (EXISTS (SELECT 1 FROM f AS g WHERE g.id = r.rid) "
            "                   OR EXISTS (SELECT 1 FROM o WHERE o.id = r.rid)) "
            "ORDER BY r.rowid")
        holders: dict[bytes, list[str]] = {}
        upcoming = related.fetchone()
        for pos, file, pattern_id, count in shared:
            while upcoming is not None and upcoming[0] < pos:
                yield _related_row(upcoming)
                upcoming = related.fetchone()
            if pattern_id not in holders:
                if len(holders) > 1024:
                    holders.clear()
                holders[pattern_id] = self._holders(db, pattern_id)
            yield "duplicate", _s(file), _s(pattern_id), holders[pattern_id], count
        while upcoming is not None:
            yield _related_row(upcoming)
            upcoming = related.fetchone()

    @staticmethod
    def _holders(db: sqlite3.Connection, pattern_id: bytes) -> list[str]:
        """The first two files holding `pattern_id`: the run's in order, then others."""
        found = [_s(file) for (file,) in db.execute(
            "SELECT file FROM f WHERE id = ? ORDER BY pos LIMIT 2", (pattern_id,))]
        if len(found) < 2:
            found += [_s(file) for (file,) in db.execute(
                "SELECT file FROM o WHERE id = ? ORDER BY ord LIMIT ?",
                (pattern_id, 2 - len(found)))]
        return found

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _related_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    _pos, file, index, rid, is_self = row
    return ("self", _s(file), index) if is_self else ("missing", _s(file), index, _s(rid))
