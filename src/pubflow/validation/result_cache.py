"""Remember per-file verdicts so an unchanged repository re-validates in a blink.

Keyed on content: an entry is reused when the file's size and mtime are unchanged (as git's
index does) or, when they changed, when its sha256 is unchanged. Entries whose mtime is too
close to the moment they were checked are "racy" (the file may have changed within the clock's
granularity) and are always re-hashed. The whole cache is dropped when pubflow's version, the
schema or the relevant configuration changes.

It lives inside `.git/` (or the user's cache folder outside a repository), never in the work
tree, so it can never make `git status` dirty.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pubflow.storage.diskstate import RACY_NS, cache_folder

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    from typing import Any

    from pubflow.config import Config
    from pubflow.findings import FileResult
    from pubflow.validation.run import FileStamp

CACHE_FORMAT = 1


@dataclass(slots=True)
class _Entry:
    size: int
    mtime_ns: int
    sha256: str
    checked_ns: int
    result: dict[str, Any]


def cache_dir(root: Path) -> Path:
    """Where pubflow keeps caches for this repository: inside the git dir, never the work tree."""
    return Path(cache_folder(str(root)))


def verdict_key(config: Config) -> str:
    """What every cached verdict depends on besides the file: pubflow, schema, config."""
    from pubflow import __version__
    from pubflow.storage.schemas import schema_text

    schema_digest = hashlib.sha256(schema_text("pattern.schema.json").encode()).hexdigest()[:16]
    return f"{__version__}:{schema_digest}:{config.check_fingerprint()}"


def cache_path(root: Path) -> Path:
    return cache_dir(root) / "validate-cache.json"


def read_json_cache(path: Path) -> Any:
    """A cache file's content, or None when it is missing or unreadable (caches may vanish)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json_cache(path: Path, payload: Any) -> None:
    """Write atomically; a cache that cannot be written is simply not kept."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # dumps, not dump: json.dump always takes the pure-Python encoder (seconds for a
            # cache of ten thousand results); dumps uses the C one.
            handle.write(json.dumps(payload, separators=(",", ":")))
        os.replace(tmp, path)
    except OSError:
        return


def file_sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class ResultCache:
    """Load once, look up per file, save once if anything changed."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        self._entries: dict[str, _Entry] = {}
        self._dirty = False
        self._load()

    def _load(self) -> None:
        raw = read_json_cache(self.path)
        if not isinstance(raw, dict) or raw.get("format") != CACHE_FORMAT or raw.get("key") != self.key:
            return
        try:
            self._entries = {name: _Entry(*values) for name, values in raw["entries"].items()}
        except (TypeError, KeyError, AttributeError):
            self._entries = {}

    def lookup(self, display: str, file: str) -> FileResult | None:
        entry = self._entries.get(display)
        if entry is None:
            return None
        try:
            st = os.stat(file)  # noqa: PTH116 - a str path: no Path per file
        except OSError:
            return None
        racy = st.st_mtime_ns + RACY_NS >= entry.checked_ns
        if not racy and st.st_size == entry.size and st.st_mtime_ns == entry.mtime_ns:
            return _result_from_dict(display, entry.result)
        try:
            digest = file_sha256(Path(file).read_bytes())
        except OSError:
            return None
        if digest != entry.sha256:
            return None
        entry.size, entry.mtime_ns = st.st_size, st.st_mtime_ns
        entry.checked_ns = time.time_ns()
        self._dirty = True
        return _result_from_dict(display, entry.result)

    def store(self, display: str, stamp: FileStamp, result: FileResult) -> None:
        """Remember `result` for the bytes `stamp` describes (taken before they were read, so
        a change during the check shows as a different size or mtime next time)."""
        self._entries[display] = _Entry(stamp.size, stamp.mtime_ns, stamp.sha256,
                                        time.time_ns(), _result_to_dict(result))
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
        write_json_cache(self.path, payload)
        self._dirty = False


def _result_to_dict(result: FileResult) -> dict[str, Any]:
    facts = result.facts
    return {
        "findings": [f.to_dict() for f in result.findings],
        "facts": [facts.id, facts.name, facts.version, list(facts.related), facts.score_total,
                  facts.marginal],
    }


def _result_from_dict(display: str, data: dict[str, Any]) -> FileResult:
    from pubflow.findings import FileResult, Finding, PatternFacts

    findings = tuple(Finding.from_dict(f) for f in data["findings"])
    fid, name, version, related, total, marginal = data["facts"]
    facts = PatternFacts(fid, name, version, tuple(related), total, marginal)
    return FileResult(display, findings, facts)
