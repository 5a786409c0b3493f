"""pubflow's own state files: caches and the release journal, in one folder inside `.git/`.

Every file is named here, so they are found, documented and cleared in one place. Reading
forgives (a cache may vanish, or be cut short by a crash: the reader gets None and works it
out again); writing is atomic, and a cache that cannot be written is simply not kept. The
folder lives in the git dir (or the user's cache folder outside a repository), never in the
work tree, so it can never make `git status` dirty.

The freshness rule every cache shares is `is_racy`: a file modified within the clock's
granularity of the moment it was checked may change again without its size or mtime moving
(git's "racy" rule), so a cache must not trust its stat for it.

Start-up module: no pathlib, hashlib or dataclasses; paths are strings (or any path-like).
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    from typing import Any

CONFIG_CACHE = "config-cache.json"
"""`pubflow.yaml`, parsed and validated, keyed on its bytes and pubflow's version."""
RESULT_CACHE = "validate-cache.sqlite3"
"""Per-file validation results (`validation.result_cache`)."""
RUN_MEMO = "validate-run.json"
"""The last full run's report (`validation.memo`)."""
RUN_OUTPUT = "validate-run-output.json"
"""The last full run's text reports and their basis (`validation.memo`, `cli.remembered`)."""
TICKET_INDEX = "tickets-index.json"
"""One summary per ticket file (`records.index`)."""
OPERATION_JOURNAL = "operation.json"
"""A writing command under way, to finish or undo after a crash (`records.transaction`)."""

RACY_NS = 2_000_000_000
"""A file modified this close to a check may change again within the clock's granularity."""


def is_racy(mtime_ns: int, checked_ns: int) -> bool:
    """True when a file with this mtime, checked at `checked_ns`, may have changed since
    without its size or mtime showing it: its stat must not be trusted."""
    return mtime_ns + RACY_NS >= checked_ns


def cache_folder(root: str) -> str:
    """Where pubflow keeps state for this repository: inside the git dir, never the work tree."""
    git = os.path.join(root, ".git")
    if os.path.isdir(git):
        return os.path.join(git, "pubflow")
    if os.path.isfile(git):  # a worktree or submodule: ".git" names the real git dir
        with open(git, encoding="utf-8", errors="replace") as handle:
            text = handle.read().strip()
        if text.startswith("gitdir:"):
            gitdir = text.split(":", 1)[1].strip()
            return os.path.join(root, gitdir, "pubflow")  # an absolute gitdir stays as it is
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    import hashlib

    digest = hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:16]
    return os.path.join(base, "pubflow", digest)


def shared_folder(root: str) -> str:
    """pubflow's folder in git's *common* directory: the same for every worktree of one
    repository (a lock there serialises them all); the cache folder elsewhere."""
    git = os.path.join(root, ".git")
    if os.path.isfile(git):  # a worktree: .git names its own git dir, whose commondir file
        with open(git, encoding="utf-8", errors="replace") as handle:  # names the shared one
            text = handle.read().strip()
        if text.startswith("gitdir:"):
            gitdir = os.path.join(root, text.split(":", 1)[1].strip())
            try:
                with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as handle:
                    common = handle.read().strip()
            except OSError:
                return cache_folder(root)
            return os.path.join(os.path.normpath(os.path.join(gitdir, common)), "pubflow")
    return cache_folder(root)


def state_path(root: str | os.PathLike[str], name: str) -> str:
    """The path of state file `name` (one of the names above) for the repository at `root`."""
    return os.path.join(cache_folder(os.fspath(root)), name)


def read_json(path: str | os.PathLike[str]) -> Any:
    """A state file's content, or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):
        return None


def write_json(path: str | os.PathLike[str], payload: Any) -> None:
    """Write atomically; a state file that cannot be written is simply not kept."""
    import tempfile

    folder = os.path.dirname(os.fspath(path))
    tmp = None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".cache-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # dumps, not dump: json.dump always takes the pure-Python encoder (seconds for a
            # cache of ten thousand results); dumps uses the C one.
            handle.write(json.dumps(payload, separators=(",", ":")))
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:  # a full disk, or something in the way: leave nothing behind
            from contextlib import suppress

            with suppress(OSError):
                os.unlink(tmp)
