"""The per-file result cache: reused while a file is unchanged, never once its bytes change,
dropped whole when what verdicts depend on changes, and forgiving of a damaged cache file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from pubflow.config import Config, ScorecardThresholds
from pubflow.findings import FileResult, Finding, PatternFacts, Severity
from pubflow.storage.discovery import Target, collect_targets
from pubflow.storage.statefile import read_json
from pubflow.validation.result_cache import (
    CACHE_FORMAT,
    ResultCache,
    cache_path,
    result_from_dict,
    result_to_dict,
    verdict_key,
)
from pubflow.validation.run import FileStamp, check_target
from tests.conftest import plain_repository, valid_pattern


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


def cache_file_stamp(repo: Path) -> tuple[int, int]:
    st = Path(cache_path(repo)).stat()
    return st.st_ino, st.st_mtime_ns


def test_the_cache_lives_in_the_git_dir(repo: Path) -> None:
    assert Path(cache_path(repo)) == repo / ".git" / "pubflow" / "validate-cache.json"


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
    entry = read_json(cache_path(repo))["entries"][DISPLAY]
    assert entry[1] == later
    before = cache_file_stamp(repo)
    hit, cache = lookup(repo)
    assert hit == result
    cache.save()
    assert cache_file_stamp(repo) == before  # a plain hit writes nothing


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
    before = cache_file_stamp(repo)
    hit, cache = lookup(repo, "key-2")
    assert hit is None
    cache.save()
    assert cache_file_stamp(repo) == before  # nothing learnt, nothing written
    assert lookup(repo)[0] == result  # the old key's cache is still whole
    stored(repo, "key-2")
    saved = read_json(cache_path(repo))
    assert (saved["format"], saved["key"], list(saved["entries"])) == (
        CACHE_FORMAT, "key-2", [DISPLAY])
    assert lookup(repo)[0] is None


def test_nothing_is_written_when_nothing_changed(repo: Path, pattern: Path) -> None:
    cache = ResultCache(cache_path(repo), KEY)
    cache.save()
    assert not Path(cache_path(repo)).exists()
    set_mtime(pattern, minute_ago())
    stored(repo)
    before = cache_file_stamp(repo)
    hit, cache = lookup(repo)
    assert hit is not None
    cache.save()
    assert cache_file_stamp(repo) == before


@pytest.mark.parametrize("content", [
    b"",
    b'{"format": 1, "key": "key-1", "entries": {"patterns/incident-esc',  # cut short
    b"\x00\xff garbage",
    b"[]",
    b'{"format": 1, "key": "key-1"}',
    b'{"format": 1, "key": "key-1", "entries": []}',
    b'{"format": 1, "key": "key-1", "entries": {"patterns/incident-escalation.json": [1, 2]}}',
    b'{"format": 99, "key": "key-1", "entries": {}}',
])
def test_a_damaged_cache_file_is_ignored_and_replaced(repo: Path, pattern: Path,
                                                      content: bytes) -> None:
    path = Path(cache_path(repo))
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert lookup(repo)[0] is None
    result = stored(repo)
    assert read_json(path)["key"] == KEY
    assert lookup(repo)[0] == result


def test_an_entry_of_the_wrong_types_is_ignored(repo: Path, pattern: Path) -> None:
    path = Path(cache_path(repo))
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"format": CACHE_FORMAT, "key": KEY,
                                "entries": {DISPLAY: "abcde"}}))
    assert lookup(repo)[0] is None


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
