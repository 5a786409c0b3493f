"""A whole-run memo: an unchanged repository validated again is answered from the last report.

The per-file cache (`cache.py`) still stats, looks up and rebuilds ten thousand results and
redoes the cross-file checks; when nothing at all changed, even that is too much. This memo
keeps the last full report of the patterns folder under a fingerprint of everything the run
depends on: pubflow's version, the schema and the configuration (the per-file cache's key),
and a raw listing (name, size, mtime, ctime, mode, link target) of every entry below the
folder. Any change (ctime catches an mtime set back by hand), or any entry modified within
the clock's granularity of now ("racy"), means no memo and a normal run. Runs over named
files (the pre-commit hook), a `--changed` selection or a repository with tickets (locks)
are never memoised.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path

from pubflow.cache import RACY_NS, cache_dir, read_json_cache, verdict_key, write_json_cache
from pubflow.discovery import SKIPPED_DIRS

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    from pubflow.config import Config
    from pubflow.findings import ValidationReport

MEMO_FORMAT = 1
MEMO_NAME = "validate-run.json"
OUTPUT_NAME = "validate-run-output.json"


def run_key(config: Config, *, use_cache: bool = True, paths: Sequence[Path] = (),
            subset: bool = False) -> str | None:
    """The memo's key for a `validate` run, or None when the run must not be memoised: cache
    off, named paths or a `--changed` selection (a pre-commit hook names files: it must not
    pay for a walk of the whole folder), ticket locks, racy files."""
    from pubflow.tickets.paths import has_tickets

    if not use_cache or subset or paths or has_tickets(config.root):
        return None
    return fingerprint(verdict_key(config), (config.patterns_path,), config.root)


def fingerprint(base_key: str, paths: Sequence[Path], root: Path) -> str | None:
    """The run's fingerprint, or None when something is too fresh to trust (racy)."""
    lines = [f"{MEMO_FORMAT}\0{base_key}\0{os.path.realpath(root)}"]
    limit = time.time_ns() - RACY_NS
    for path in sorted({os.path.abspath(p) for p in paths}):
        try:
            st = os.lstat(path)
        except OSError:
            return None  # a missing path is an error the normal run reports
        if not _add(lines, path, st, limit):
            return None
        if os.path.isdir(path) and not _walk(lines, path, limit):
            return None
    return hashlib.blake2b("\n".join(lines).encode(), digest_size=20).hexdigest()


def _add(lines: list[str], path: str, st: os.stat_result, limit: int) -> bool:
    if st.st_mtime_ns >= limit:
        return False
    link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else ""
    lines.append(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_mode}"
                 f"\0{link}")
    return True


def _walk(lines: list[str], folder: str, limit: int) -> bool:
    """Every entry below `folder` (as discovery sees them), depth first, in name order."""
    try:
        with os.scandir(folder) as scan:
            entries = {entry.name: entry for entry in scan if entry.name not in SKIPPED_DIRS}
    except OSError:
        return False
    append = lines.append
    for name in sorted(entries):
        entry = entries[name]
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            return False
        mode = st.st_mode
        if st.st_mtime_ns >= limit:
            return False
        if stat.S_ISREG(mode):
            append(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}")
            continue
        append(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{mode}\0"
               f"{os.readlink(entry.path) if stat.S_ISLNK(mode) else ''}")
        if entry.is_dir(follow_symlinks=True) and not _walk(lines, entry.path, limit):
            return False
        append("..")  # leaving the folder: names stay unambiguous
    return True


def recall(root: Path, key: str) -> ValidationReport | None:
    from pubflow.cache import _result_from_dict
    from pubflow.findings import ValidationReport

    memo = read_json_cache(cache_dir(root) / MEMO_NAME)
    if not isinstance(memo, dict) or memo.get("key") != key:
        return None
    try:
        files = tuple(_result_from_dict(name, data) for name, data in memo["files"])
    except (KeyError, TypeError, ValueError):
        return None
    return ValidationReport(files, root=str(memo.get("root", root)))


def remember(root: Path, key: str, report: ValidationReport) -> None:
    from pubflow.cache import _result_to_dict

    write_json_cache(cache_dir(root) / MEMO_NAME, {
        "key": key, "root": report.root,
        "files": [[r.file, _result_to_dict(r)] for r in report.files]})


def recall_output(root: Path, key: str, variant: str) -> tuple[str, bool, str] | None:
    """(text, passed, summary) remembered for this run and output variant, if any."""
    memo = read_json_cache(cache_dir(root) / OUTPUT_NAME)
    if not isinstance(memo, dict) or memo.get("key") != key:
        return None
    shown = memo.get("variants", {}).get(variant)
    if not isinstance(shown, list) or len(shown) != 3:
        return None
    text, passed, summary = shown
    return str(text), bool(passed), str(summary)


def remember_output(root: Path, key: str, variant: str, text: str, passed: bool,
                    summary: str) -> None:
    path = cache_dir(root) / OUTPUT_NAME
    memo = read_json_cache(path)
    variants = (memo.get("variants", {}) if isinstance(memo, dict) and memo.get("key") == key
                else {})
    variants[variant] = [text, passed, summary]
    write_json_cache(path, {"key": key, "variants": variants})
