"""The per-file result cache: reused while a file is unchanged, never once its bytes change,
dropped whole when what verdicts depend on changes, one row per file in an SQLite database
that two processes share, and forgiving of a damaged, locked or old-format cache file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pubflow.config import Config, ScorecardThresholds
from pubflow.findings import FileResult, Finding, PatternFacts, Severity
from pubflow.storage.discovery import Target, collect_targets
from pubflow.storage.statefile import RESULT_CACHE, state_path, write_json
from pubflow.validation import result_cache
from pubflow.validation.result_cache import (
    CACHE_FORMAT,
    LEGACY_JSON,
    ResultCache,
    cache_path,
    generation_of,
    result_from_dict,
    result_to_dict,
    verdict_key,
)
from pubflow.validation.run import FileStamp, check_target
from tests.conftest import PROJECT, plain_repository, run_cli, valid_pattern


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return plain_repository(tmp_path, monkeypatch)

DISPLAY = "patterns/incident-escalation.json"
KEY = "key-1"


def set_mtime(path: Path, mtime_ns: int) -> None:
    os.utime(path, ns=(mtime_ns, mtime_ns))


def minute_ago() -> int:
    return time.time_ns() - 60_000_000_000


@pytest.fixture
def pattern(repo: Path) -> Path:
    path = repo / "patterns" / "incident-escalation.json"
    path.write_text(json.dumps(valid_pattern(), indent=2))
    return path


def the_target(repo: Path) -> Target:
    (found,) = collect_targets([repo / "patterns" / "incident-escalation.json"], repo)
    return found


def checked(repo: Path) -> tuple[FileResult, FileStamp]:
    result, stamp = check_target(the_target(repo), Config(root=repo))
    assert stamp is not None
    return result, stamp


def stored(repo: Path, key: str = KEY) -> FileResult:
    """Check the pattern, remember its verdict, save the cache."""
    cache = ResultCache(cache_path(repo), key)
    result, stamp = checked(repo)
    cache.store(DISPLAY, stamp, result)
    cache.save()
    return result


def lookup(repo: Path, key: str = KEY) -> tuple[FileResult | None, ResultCache]:
    cache = ResultCache(cache_path(repo), key)
    return cache.lookup(DISPLAY, str(repo / DISPLAY)), cache


def same_size_other_bytes(path: Path) -> None:
    """Change the content but keep the size and the mtime, as a fast editor might."""
    st = path.stat()
    text = path.read_text()
    changed = text.replace('"version": "1.0.0"', '"version": "2.0.0"')
    assert changed != text and len(changed) == len(text)
    path.write_text(changed)
    set_mtime(path, st.st_mtime_ns)


def rows(repo: Path) -> dict[str, tuple[object, ...]]:
    """The database's rows by file name (generation, size, mtime, sha256, checked, result)."""
    with sqlite3.connect(cache_path(repo)) as conn:
        found = conn.execute("SELECT * FROM verdicts").fetchall()
    return {name: tuple(rest) for name, *rest in found}


def database_stamp(repo: Path) -> tuple[int, int, bytes]:
    """What a write would change: the file's mtime, size and bytes (the WAL folded in)."""
    path = Path(cache_path(repo))
    st = path.stat()
    return st.st_mtime_ns, st.st_size, path.read_bytes()


def test_the_cache_is_one_database_in_the_git_dir(repo: Path, pattern: Path) -> None:
    assert Path(cache_path(repo)) == Path(state_path(repo, RESULT_CACHE))
    assert Path(cache_path(repo)).parent == repo / ".git" / "pubflow"
    stored(repo)
    with sqlite3.connect(cache_path(repo)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA user_version").fetchone() == (CACHE_FORMAT,)
        # a lookup is one probe of the primary key: the same cost at any size
        plan = conn.execute(f"EXPLAIN QUERY PLAN {result_cache._SELECT}", (DISPLAY,)).fetchall()
    assert [step[-1] for step in plan] == ["SEARCH verdicts USING PRIMARY KEY (file=?)"]


def test_an_unchanged_stat_is_a_hit_without_reading_the_file(repo: Path, pattern: Path) -> None:
    set_mtime(pattern, minute_ago())
    result = stored(repo)
    hit, _ = lookup(repo)
    assert hit == result
    # With size and mtime unchanged and the check long past, the stat is trusted (as git's
    # index does): the bytes are not read again.
    same_size_other_bytes(pattern)
    hit, _ = lookup(repo)
    assert hit == result


def test_a_new_mtime_with_the_same_bytes_is_rehashed_and_kept(repo: Path, pattern: Path) -> None:
    set_mtime(pattern, minute_ago())
    result = stored(repo)
    later = minute_ago() + 10_000_000_000
    set_mtime(pattern, later)
    hit, cache = lookup(repo)
    assert hit == result
    cache.save()  # the entry learnt the new mtime
    assert rows(repo)[DISPLAY][2] == later
    before = database_stamp(repo)
    hit, cache = lookup(repo)
    assert hit == result
    cache.save()
    assert database_stamp(repo) == before  # a plain hit writes nothing


def test_changed_bytes_are_a_miss(repo: Path, pattern: Path) -> None:
    stored(repo)
    pattern.write_text(json.dumps(valid_pattern(version="2.0.0"), indent=2))
    assert lookup(repo)[0] is None


def test_a_racy_entry_is_rehashed_even_when_its_stat_is_unchanged(repo: Path,
                                                                   pattern: Path) -> None:
    stored(repo)  # checked right after it was written: within the clock's granularity
    same_size_other_bytes(pattern)
    assert lookup(repo)[0] is None


def test_a_racy_entry_with_the_same_bytes_is_still_a_hit(repo: Path, pattern: Path) -> None:
    result = stored(repo)
    hit, _ = lookup(repo)
    assert hit == result


def test_a_vanished_or_unknown_file_is_a_miss(repo: Path, pattern: Path) -> None:
    stored(repo)
    cache = ResultCache(cache_path(repo), KEY)
    assert cache.lookup("patterns/other.json", str(repo / "patterns" / "other.json")) is None
    pattern.unlink()
    assert cache.lookup(DISPLAY, str(pattern)) is None


def test_a_new_key_drops_every_entry(repo: Path, pattern: Path) -> None:
    set_mtime(pattern, minute_ago())
    result = stored(repo)
    before = database_stamp(repo)
    hit, cache = lookup(repo, "key-2")
    assert hit is None
    cache.save()
    assert database_stamp(repo) == before  # nothing learnt, nothing written
    assert lookup(repo)[0] == result  # the old key's cache is still whole
    other = repo / "patterns" / "other-one.json"
    other.write_text("{}")
    old = ResultCache(cache_path(repo), KEY)
    old.store("patterns/other-one.json", ("0" * 64, 2, 0), FileResult("patterns/other-one.json"))
    old.save()
    assert set(rows(repo)) == {DISPLAY, "patterns/other-one.json"}
    stored(repo, "key-2")
    assert {name: row[0] for name, row in rows(repo).items()} == {
        DISPLAY: generation_of("key-2")}  # every verdict of the old key is gone
    assert lookup(repo)[0] is None


def test_a_row_of_another_generation_is_never_taken(repo: Path, pattern: Path) -> None:
    """Another process with another configuration may write between two of this run's
    lookups: its verdicts are misses here, row by row."""
    set_mtime(pattern, minute_ago())
    stored(repo)
    cache = ResultCache(cache_path(repo), "key-2")
    assert cache.lookup(DISPLAY, str(pattern)) is None


def test_nothing_is_written_when_nothing_changed(repo: Path, pattern: Path) -> None:
    cache = ResultCache(cache_path(repo), KEY)
    assert cache.lookup(DISPLAY, str(pattern)) is None  # no database: a miss, none created
    cache.save()
    assert not (repo / ".git" / "pubflow").exists()
    set_mtime(pattern, minute_ago())
    stored(repo)
    before = database_stamp(repo)
    hit, cache = lookup(repo)
    assert hit is not None
    cache.save()
    assert database_stamp(repo) == before


def test_a_run_writes_in_one_transaction(repo: Path, pattern: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Not one commit per file: one at the end of a run, one per SAVE_EVERY in a big one."""
    import _sqlite3  # what the cache imports: the C module alone

    statements: list[str] = []
    connect = _sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(_sqlite3, "connect", traced)
    result, stamp = checked(repo)
    cache = ResultCache(cache_path(repo), KEY)
    for i in range(5):
        cache.store(f"patterns/p{i}.json", stamp, result)
    assert statements == []  # nothing written before save()
    cache.save()
    assert statements.count("COMMIT") == 1
    statements.clear()
    monkeypatch.setattr(result_cache, "SAVE_EVERY", 2)
    cache = ResultCache(cache_path(repo), KEY)
    for i in range(5):
        cache.store(f"patterns/q{i}.json", stamp, result)
    assert statements.count("COMMIT") == 2  # a big run: memory stays flat
    cache.save()
    assert statements.count("COMMIT") == 3
    assert len(rows(repo)) == 10


# --- a damaged, locked or old cache never fails a run ---------------------------------------


def half_a_database(repo: Path, pattern: Path) -> None:
    """A real cache of many entries, cut short (a crash or a full disk)."""
    result, stamp = checked(repo)
    cache = ResultCache(cache_path(repo), KEY)
    for i in range(3000):
        cache.store(f"patterns/p{i:05}.json", stamp, result)
    cache.store(DISPLAY, stamp, result)
    cache.save()
    path = Path(cache_path(repo))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garbage(content: bytes) -> object:
    def write(repo: Path, pattern: Path) -> None:
        path = Path(cache_path(repo))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return write


def database(*statements: str) -> object:
    def write(repo: Path, pattern: Path) -> None:
        path = Path(cache_path(repo))
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as conn:
            for statement in statements:
                conn.execute(statement)
        conn.close()
    return write


def odd_row(**values: object) -> object:
    """This format's tables with one row for the pattern whose `values` are of the wrong kind."""
    def write(repo: Path, pattern: Path) -> None:
        stored(repo)
        row = {"generation": generation_of(KEY), **values}
        with sqlite3.connect(cache_path(repo)) as conn:
            conn.execute(f"UPDATE verdicts SET {', '.join(f'{k} = ?' for k in row)} "
                         "WHERE file = ?", (*row.values(), DISPLAY))
        conn.close()
    return write


DAMAGED = {
    "empty": garbage(b""),
    "garbage": garbage(b"\x00\xff garbage " * 100),
    "the old JSON cache": garbage(json.dumps({"format": 1, "key": KEY, "entries": {}}).encode()),
    "cut short": half_a_database,
    "another format": database("CREATE TABLE verdicts (file TEXT)", "PRAGMA user_version = 1"),
    "no tables": database("PRAGMA user_version = 2"),
    "tables of another shape": database("CREATE TABLE verdicts (file TEXT, result TEXT)",
                                        "CREATE TABLE meta (generation INTEGER)",
                                        f"INSERT INTO verdicts VALUES ('{DISPLAY}', '{{}}')",
                                        "PRAGMA user_version = 2"),
    "a result that is not JSON": odd_row(result="{not json", checked_ns=0, size=-1),
    "a result of another shape": odd_row(result='{"findings": 5}', checked_ns=0, size=-1),
    "a result of the wrong types": odd_row(result='["a"]'),
    "a stat of the wrong types": odd_row(size="big", mtime_ns="old", checked_ns="x"),
    "a digest of the wrong type": odd_row(sha256="abcde", checked_ns=0, size=-1),
}


@pytest.mark.parametrize("damage", list(DAMAGED))
def test_a_damaged_cache_file_is_ignored_and_rebuilt(repo: Path, pattern: Path,
                                                     damage: str) -> None:
    DAMAGED[damage](repo, pattern)  # type: ignore[operator]
    assert lookup(repo)[0] is None
    result = stored(repo)
    assert rows(repo)[DISPLAY][0] == generation_of(KEY)
    assert lookup(repo)[0] == result
    with sqlite3.connect(cache_path(repo)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_the_old_json_cache_is_never_read_and_goes(repo: Path, pattern: Path) -> None:
    old = Path(cache_path(repo)).with_name(LEGACY_JSON)
    write_json(old, {"format": 1, "key": KEY, "entries": {DISPLAY: [1, 2, "x", 3, {}]}})
    assert lookup(repo)[0] is None
    stored(repo)
    # removed, or (while the database keeps the old name) overwritten by the database
    assert not old.exists() or old.read_bytes().startswith(b"SQLite format 3\0")
    assert lookup(repo)[0] is not None


def test_a_write_locked_out_goes_on_uncached(repo: Path, pattern: Path) -> None:
    """Another process holding the write lock past the timeout: this run's lookups still
    answer (WAL: readers never wait), its save gives up without a word, and the next one
    writes."""
    set_mtime(pattern, minute_ago())
    result = stored(repo)
    other = sqlite3.connect(cache_path(repo), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        cache = ResultCache(cache_path(repo), KEY, busy_timeout=0.05)
        assert cache.lookup(DISPLAY, str(pattern)) == result
        cache.store("patterns/new-one.json", checked(repo)[1], result)
        cache.save()  # locked: nothing written, nothing raised
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert set(rows(repo)) == {DISPLAY}
    cache = ResultCache(cache_path(repo), KEY, busy_timeout=0.05)
    cache.store("patterns/new-one.json", checked(repo)[1], result)
    cache.save()
    assert set(rows(repo)) == {DISPLAY, "patterns/new-one.json"}


def test_a_cache_that_cannot_be_written_goes_on_uncached(repo: Path, pattern: Path) -> None:
    (repo / ".git" / "pubflow").write_text("a file where the folder should be")
    cache = ResultCache(cache_path(repo), KEY)
    assert cache.lookup(DISPLAY, str(pattern)) is None
    result, stamp = checked(repo)
    cache.store(DISPLAY, stamp, result)
    cache.save()  # nothing raised


def test_without_sqlite3_the_run_goes_on_uncached(repo: Path, pattern: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    stored(repo)
    for name in ("sqlite3", "_sqlite3"):  # an interpreter built without it
        monkeypatch.setitem(sys.modules, name, None)
    cache = ResultCache(cache_path(repo), KEY)
    assert cache.lookup(DISPLAY, str(pattern)) is None
    result, stamp = checked(repo)
    cache.store(DISPLAY, stamp, result)
    cache.save()


# Each process opens the cache, looks every file up and stores new verdicts for its own files
# and for the shared ones, many times over, as a hook and an editor would.
WORKER = textwrap.dedent("""
    import sys
    from pubflow.findings import FileResult, PatternFacts
    from pubflow.validation.result_cache import ResultCache
    path, me, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    names = [f"patterns/{me}-{i}.json" for i in range(20)]
    shared = [f"patterns/shared-{i}.json" for i in range(20)]
    for r in range(rounds):
        cache = ResultCache(path, "key-1")
        for name in names + shared:
            cache.lookup(name, name)
        for name in names + shared:
            facts = PatternFacts(name, me, str(r), (), 30, False)
            cache.store(name, (f"{r:064x}", r, r), FileResult(name, (), facts))
        cache.save()
    print("done")
""")


def test_two_processes_share_the_cache(repo: Path) -> None:
    path = cache_path(repo)
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, path, name, "60"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env) for name in ("hook", "editor")]
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert (worker.returncode, out, err) == (0, "done\n", "")
    found = rows(repo)
    assert len(found) == 60  # each one's files and the shared ones, none lost
    assert {json.loads(str(row[-1]))["facts"][2] for row in found.values()} == {"59"}
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_the_cli_rebuilds_a_garbage_cache_and_two_runs_at_once_agree(repo: Path) -> None:
    """The real command: garbage in the cache file is no exit 3, and two runs at once (a
    hook and an editor) report what an uncached run does, with no "database is locked"."""
    for i in range(12):
        data = valid_pattern(id=f"pattern-{i:02}", relatedPatterns=[f"pattern-{i + 1:02}"])
        (repo / "patterns" / f"pattern-{i:02}.json").write_text(json.dumps(data, indent=2))
    env = {"NO_COLOR": "1"}
    uncached = run_cli("validate", "--no-cache", cwd=repo, env=env)
    assert uncached.returncode == 1 and "pattern-12" in uncached.stdout
    path = Path(cache_path(repo))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 1000)
    rebuilt = run_cli("validate", cwd=repo, env=env)
    assert (rebuilt.returncode, rebuilt.stdout, rebuilt.stderr) == (1, uncached.stdout, "")
    assert len(rows(repo)) == 12
    command = [sys.executable, "-m", "pubflow", "validate", "--jobs", "1"]
    for round_ in range(4):
        for i in range(0, 12, 3):  # new bytes for some files: both runs write
            (repo / "patterns" / f"pattern-{i:02}.json").write_text(json.dumps(
                valid_pattern(id=f"pattern-{i:02}", relatedPatterns=[f"pattern-{i + 1:02}"],
                              tags=["support", f"round-{round_}"]), indent=2))
        runs = [subprocess.Popen(command, cwd=repo, env={**os.environ, **env}, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(2)]
        for run in runs:
            out, err = run.communicate(timeout=120)
            assert (run.returncode, out, err) == (1, uncached.stdout, "")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_results_round_trip_through_the_cache_record() -> None:
    finding = Finding(DISPLAY, 3, 7, "/version", "schema.format", Severity.ERROR,
                      "'x' is not a semantic version", "Write 1.2.0.")
    warning = Finding(DISPLAY, 1, 1, "/scorecard", "scorecard.marginal", Severity.WARNING,
                      "marginal", "")
    result = FileResult(DISPLAY, (finding, warning),
                        PatternFacts("incident-escalation", "Name", "x", ("a", "b"), 31, True))
    record = result_to_dict(result)
    assert json.loads(json.dumps(record)) == record  # plain JSON
    assert result_from_dict(DISPLAY, record) == result
    assert result_from_dict("elsewhere.json", record).file == "elsewhere.json"
    bare = FileResult(DISPLAY)
    assert result_from_dict(DISPLAY, result_to_dict(bare)) == bare


def test_the_verdict_key_follows_the_settings_that_change_verdicts(repo: Path) -> None:
    base = verdict_key(Config(root=repo))
    assert verdict_key(Config(root=repo)) == base
    assert verdict_key(Config(root=repo, scorecard=ScorecardThresholds(total_min=31))) != base
    assert verdict_key(Config(root=repo, max_file_bytes=2048)) != base
    assert verdict_key(Config(root=repo, patterns_dir="other")) != base
    assert verdict_key(Config(root=repo, review_sla_days=9)) == base  # not a verdict setting
    from pubflow import __version__

    assert base.startswith(f"{__version__}:")
    assert generation_of(base) == generation_of(base) != generation_of(f"{base}x")
