"""Cheap facts about a repository on disk: its root and a digest of a folder.

These answer the question "has anything changed since the last run?" for the pre-commit hook
and the whole-run memo, before pubflow has loaded anything else. So this module imports little
beyond what Python has already loaded at start-up (no `pathlib`, `dataclasses` or `hashlib`:
together they cost more than the answer), and works on strings. Where pubflow keeps its state
files, and when a file is too fresh to trust, is `statefile`'s to say.
"""

from __future__ import annotations

import os
import stat
import time

try:  # hashlib would first load OpenSSL; blake2 is built into CPython
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another interpreter
    from hashlib import blake2b

from pubflow.storage.statefile import is_racy

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    from collections.abc import Sequence

CONFIG_FILE = "pubflow.yaml"
SKIPPED_DIRS = frozenset({".git", ".pubflow", "node_modules", ".venv", "__pycache__"})
"""Folders that discovery never enters and a folder digest ignores."""
LISTING_FORMAT = 3
"""Changes whenever what `listing_digest` covers changes, so no old digest matches."""


def repository_root(start: str) -> str:
    """The nearest folder from `start` up holding `.git` or `pubflow.yaml`, else `start`.

    Walks the file system instead of asking git, so a pre-commit run pays no git start-up.
    """
    start = os.path.abspath(start)
    folder = start
    while True:
        if (os.path.exists(os.path.join(folder, ".git"))
                or os.path.isfile(os.path.join(folder, CONFIG_FILE))):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return start
        folder = parent


def digest(data: bytes) -> str:
    return blake2b(data, digest_size=20).hexdigest()


def listing_digest(base_key: str, paths: Sequence[str], root: str) -> str | None:
    """A digest of `base_key` and a raw listing (name, size, mtime, ctime, mode, link target)
    of `paths` and every entry below them, or None when an entry is too fresh to trust (racy)
    or missing.

    Any change to a file, a new or removed file, or a file touched back to an old mtime (its
    ctime moves) changes the digest. A symlink is recorded with what it leads to as well
    (discovery reads a symlinked file through its link), so an edit of the target is a change.
    """
    lines = [f"{LISTING_FORMAT}\0{base_key}\0{os.path.realpath(root)}"]
    now = time.time_ns()
    for path in sorted({os.path.abspath(p) for p in paths}):
        try:
            st = os.lstat(path)
        except OSError:
            return None  # a missing path is an error the normal run reports
        if not _add(lines, path, st, now):
            return None
        if os.path.isdir(path) and not _walk(lines, path, now):
            return None
    return digest("\n".join(lines).encode())


def _add(lines: list[str], path: str, st: os.stat_result, now: int) -> bool:
    if is_racy(st.st_mtime_ns, now):
        return False
    link = _followed(path, None, now) if stat.S_ISLNK(st.st_mode) else ""
    if link is None:
        return False
    lines.append(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_mode}"
                 f"\0{link}")
    return True


def _followed(path: str, fd: int | None, now: int) -> str | None:
    """A symlink's target and the stat of what it finally leads to (the target alone when dangling), or
    None when that is too fresh to trust or the link went away meanwhile. The device and
    inode see a link further down the chain retargeted to a file of the same size and times."""
    name = os.path.basename(path) if fd is not None else path
    try:
        target = os.readlink(name, dir_fd=fd) if fd is not None else os.readlink(path)
    except OSError:
        return None
    try:
        st = os.stat(name, dir_fd=fd) if fd is not None else os.stat(path)
    except OSError:
        return f"{target}\0"
    if is_racy(st.st_mtime_ns, now):
        return None
    return (f"{target}\0{st.st_dev}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}"
            f"\0{st.st_ctime_ns}\0{st.st_mode}")


_STAT_AT = os.stat in os.supports_dir_fd


def _walk(lines: list[str], folder: str, now: int) -> bool:
    """Every entry below `folder` (as discovery sees them: symlinked folders are recorded, not
    entered), depth first, in name order.

    Names are stat-ed relative to the open folder where the platform allows it: resolving
    the whole path again for each of ten thousand files costs a quarter of the walk.
    """
    try:
        names = sorted(os.listdir(folder))
        fd = os.open(folder, os.O_RDONLY) if _STAT_AT else None
    except OSError:
        return False
    append = lines.append
    try:
        for name in names:
            if name in SKIPPED_DIRS:
                continue
            try:
                st = (os.stat(name, dir_fd=fd, follow_symlinks=False) if fd is not None
                      else os.lstat(os.path.join(folder, name)))
            except OSError:
                return False
            mode = st.st_mode
            if is_racy(st.st_mtime_ns, now):
                return False
            if stat.S_ISREG(mode):
                append(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}")
                continue
            path = os.path.join(folder, name)
            link = _followed(path, fd, now) if stat.S_ISLNK(mode) else ""
            if link is None:
                return False
            append(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{mode}\0{link}")
            if stat.S_ISDIR(mode) and not _walk(lines, path, now):
                return False
            append("..")  # leaving the entry: names stay unambiguous
    finally:
        if fd is not None:
            os.close(fd)
    return True
