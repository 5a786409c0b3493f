"""Remember per-file verdicts so an unchanged repository re-validates in a blink.

Keyed on content: an entry is reused when the file's size and mtime are unchanged (as git's
index does) or, when they changed, when its sha256 is unchanged. Entries whose mtime is too
close to the moment they were checked are "racy" (`statefile.is_racy`) and are always
re-hashed. The whole cache is dropped when pubflow's version, the schema or the relevant
configuration changes (`verdict_key`). It is one of pubflow's state files (`storage.statefile`).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass

from pubflow.storage.statefile import RESULT_CACHE, is_racy, read_json, state_path, write_json

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from pubflow.config import Config
    from pubflow.findings import FileResult

CACHE_FORMAT = 1


@dataclass(slots=True)
class _Entry:
    size: int
    mtime_ns: int
    sha256: str
    checked_ns: int
    result: dict[str, Any]


def verdict_key(config: Config) -> str:
    """What every cached verdict depends on besides the file: pubflow, schema, config."""
    from pubflow import __version__
    from pubflow.storage.schemas import schema_text

    schema_digest = hashlib.sha256(schema_text("pattern.schema.json").encode()).hexdigest()[:16]
    return f"{__version__}:{schema_digest}:{config.check_fingerprint()}"


def cache_path(root: Path) -> str:
    return state_path(root, RESULT_CACHE)


def file_sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class ResultCache:
    """Load once, look up per file, save once if anything changed."""

    def __init__(self, path: str, key: str) -> None:
        self.path = path
        self.key = key
        self._entries: dict[str, _Entry] = {}
        self._dirty = False
        self._load()

    def _load(self) -> None:
        raw = read_json(self.path)
        if not isinstance(raw, dict) or raw.get("format") != CACHE_FORMAT or raw.get("key") != self.key:
            return
        try:
            self._entries = {name: _Entry(*values) for name, values in raw["entries"].items()}
        except (TypeError, KeyError, AttributeError):
            self._entries = {}

    def lookup(self, display: str, file: str) -> FileResult | None:
        """The remembered result for `file`, or None (also for an entry of the wrong shape: a
        cache file is never trusted to be well formed, only to be a cache)."""
        entry = self._entries.get(display)
        if entry is None:
            return None
        try:
            return self._recall(display, file, entry)
        except (TypeError, ValueError, KeyError, AttributeError):
            del self._entries[display]
            return None

    def _recall(self, display: str, file: str, entry: _Entry) -> FileResult | None:
        try:
            st = os.stat(file)
        except OSError:
            return None
        if (not is_racy(st.st_mtime_ns, entry.checked_ns) and st.st_size == entry.size and st.st_mtime_ns == entry.mtime_ns):
            return result_from_dict(display, entry.result)
        try:
            with open(file, "rb") as handle:
                digest = file_sha256(handle.read())
        except OSError:
            return None
        if digest != entry.sha256:
            return None
        entry.size, entry.mtime_ns = st.st_size, st.st_mtime_ns
        entry.checked_ns = time.time_ns()
        self._dirty = True
        return result_from_dict(display, entry.result)

    def store(self, display: str, stamp: tuple[str, int, int], result: FileResult) -> None:
        """Remember `result` for the bytes `stamp` (sha256, size, mtime: `run.FileStamp`)
        describes; size and mtime were taken before the read, so a change during the check
        shows as a different size or mtime next time."""
        sha256, size, mtime_ns = stamp
        self._entries[display] = _Entry(size, mtime_ns, sha256, time.time_ns(),
                                        result_to_dict(result))
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        payload = {
            "format": CACHE_FORMAT,
            "key": self.key,
            "entries": {
                name: [e.size, e.mtime_ns, e.sha256, e.checked_ns, e.result]
                for name, e in self._entries.items()
            },
        }
        write_json(self.path, payload)
        self._dirty = False


def result_to_dict(result: FileResult) -> dict[str, Any]:
    """A result as the cache and the whole-run memo keep it (plain JSON)."""
    facts = result.facts
    return {
        "findings": [f.to_dict() for f in result.findings],
        "facts": [facts.id, facts.name, facts.version, list(facts.related), facts.score_total,
                  facts.marginal],
    }


def result_from_dict(display: str, data: dict[str, Any]) -> FileResult:
    from pubflow.findings import FileResult, Finding, PatternFacts

    findings = tuple(Finding.from_dict(f) for f in data["findings"])
    fid, name, version, related, total, marginal = data["facts"]
    facts = PatternFacts(fid, name, version, tuple(related), total, marginal)
    return FileResult(display, findings, facts)
