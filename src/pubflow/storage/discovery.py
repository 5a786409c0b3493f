"""Turning the paths a user typed into the pattern files to check.

A path that does not exist is a usage error (exit 2) because nothing can be checked; a file
that resolves outside the repository (a symlink to /etc/passwd, say) is *not read* and comes
back as a finding, so one bad entry never hides the results for the others.

The files come as a stream in display-name order (`iter_targets`), so a run over a million
files never holds their list; and which files of the patterns folder bear a given name is
answered with stats (`PatternNames`), so a run over a few named files never walks the folder.
`walk_folders`, `walk_files` and `pattern_stems` are the plain walk, which the tests hold
both to.
"""

from __future__ import annotations

import heapq
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

from pubflow.errors import InputError
from pubflow.storage.diskstate import SKIPPED_DIRS

PATTERN_SUFFIX = ".json"


@dataclass(frozen=True, slots=True)
class Target:
    """One file to check: where it is, and how reports name it (repo-relative, `/`-separated).

    Only strings, and the folder's string is shared by every file in it: a run holds one
    target per file, and ten thousand `Path`s or full paths cost more than the walk that
    found them (the workers only need to open the file).
    """

    folder: str
    """The file's folder, absolute and normalised."""
    display: str
    outside_repo: bool = False

    @property
    def file(self) -> str:
        return os.path.join(self.folder, self.display.rsplit("/", 1)[-1])

    @property
    def path(self) -> Path:
        return Path(self.file)


def display_name(path: Path | str, root: Path | str) -> str:
    """Repo-relative and `/`-separated (what SARIF and annotations need), else absolute and
    `/`-separated (`C:/work/a.json` on Windows): a report never shows a backslash for a
    folder separator, on any OS."""
    return posix_display(str(path), str(root), os.path)


def posix_display(text: str, root: str, pathmod: Any) -> str:
    """`display_name` for the paths of `pathmod` (`posixpath` or `ntpath`; `os.path` but in
    tests): below `root` compared as the OS compares names (case-blind on Windows)."""
    sep = pathmod.sep
    base = root if root.endswith(sep) else root + sep
    if pathmod.normcase(text).startswith(pathmod.normcase(base)):
        text = text[len(base):]
    return text.replace(sep, "/") if sep != "/" else text


def is_absolute_display(display: str) -> bool:
    """True for the display name of a file outside the repository (`/tmp/a.json`,
    `C:/a.json`)."""
    return os.path.isabs(display)


def _is_outside(path: str, is_link: bool, real_root: str, real_dirs: dict[str, str]) -> bool:
    """True when the file really lives outside the repository (followed through symlinks).

    Resolving every file costs a syscall per path component; resolving each folder once and
    only symlinked files themselves keeps ten thousand files cheap.
    """
    if is_link:
        real = os.path.realpath(path)
    else:
        folder, name = os.path.split(path)
        if folder not in real_dirs:
            real_dirs[folder] = os.path.realpath(folder)
        real = os.path.join(real_dirs[folder], name)
    return real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep)


def collect_targets(paths: Iterable[Path], root: Path, *, suffixes: tuple[str, ...] = (PATTERN_SUFFIX,),
                    what: str = "pattern files (*.json)") -> list[Target]:
    """Expand files and folders into a sorted, de-duplicated list of targets (`iter_targets`,
    held: for the commands that need the list)."""
    return list(iter_targets(paths, root, suffixes=suffixes, what=what))


_display_of = attrgetter("display")


def iter_targets(paths: Iterable[Path], root: Path, *,
                 suffixes: tuple[str, ...] = (PATTERN_SUFFIX,),
                 what: str = "pattern files (*.json)") -> Iterator[Target]:
    """`collect_targets` as a stream: the same targets in the same order, produced as they
    are needed, so a run over a million files never holds their list.

    Each folder is walked in the order its files' display names sort (a folder's entries
    sorted by name, a subfolder's under its name and `/`; a folder bigger than
    `LISTING_CHUNK` is sorted on disk), the streams of the paths are merged, and a file
    named twice is taken once. Paths are checked now: a missing path, or a folder without a
    file of `suffixes`, is the same `InputError` as `collect_targets` raises."""
    real_root = os.path.realpath(root)
    real_dirs: dict[str, str] = {}
    streams: list[Iterator[Target]] = []
    for given in paths:
        path = os.path.normpath(given if given.is_absolute() else Path.cwd() / given)
        if os.path.isdir(path):
            stream = _folder_targets(path, root, suffixes, real_root, real_dirs)
            first = next(stream, None)
            if first is None:
                raise InputError(f"{display_name(path, root)}: no {what} found in this folder",
                                 hint="Pass the folder that holds your patterns, or files.")
            streams.append(_chained(first, stream))
        elif os.path.lexists(path):
            display = display_name(path, root)
            outside = not is_absolute_display(display) and _is_outside(
                path, os.path.islink(path), real_root, real_dirs)
            streams.append(iter((Target(os.path.dirname(path), display, outside),)))
        else:
            shown = given.as_posix() if not given.is_absolute() else display_name(path, root)
            raise InputError(f"{shown}: no such file or folder",
                             hint="Check the path, or set patterns_dir in pubflow.yaml.")
    return _once_each(heapq.merge(*streams, key=_display_of) if len(streams) > 1
                      else streams[0] if streams else iter(()))


def _chained(first: Target, rest: Iterator[Target]) -> Iterator[Target]:
    yield first
    yield from rest


def _once_each(targets: Iterator[Target]) -> Iterator[Target]:
    """Each display name once: the first stream's (the merge keeps the paths' order)."""
    last = None
    for target in targets:
        if target.display != last:
            last = target.display
            yield target


def _folder_targets(path: str, root: Path, suffixes: tuple[str, ...], real_root: str,
                    real_dirs: dict[str, str]) -> Iterator[Target]:
    prefixes: dict[str, tuple[str, bool]] = {}
    for folder, name, is_link in sorted_walk(path, suffixes):
        if folder not in prefixes:
            if len(prefixes) > 64:
                prefixes.clear()
            prefix = _display_prefix(folder, root)
            inside_lexically = not is_absolute_display(prefix)
            prefixes[folder] = (prefix, inside_lexically and _is_outside(
                folder, True, real_root, real_dirs))
        prefix, folder_outside = prefixes[folder]
        outside = not is_absolute_display(prefix) and (
            _is_outside(os.path.join(folder, name), True, real_root, real_dirs)
            if is_link else folder_outside)
        yield Target(folder, prefix + name, outside)


LISTING_CHUNK = 16384
"""A folder with more entries than this is sorted on disk, in runs of this many."""
_FILE, _LINK, _FOLDER = 0, 1, 2


def sorted_walk(folder: str, suffixes: tuple[str, ...]) -> Iterator[tuple[str, str, bool]]:
    """(folder, file name, is_symlink) of every file `walk_folders` finds, in the order of
    their paths below `folder` (`/`-separated): what sorting the display names gives.

    A folder's entries are sorted by name, a subfolder's under its name and `/`, and the
    subfolder is walked where it sorts: its files' paths begin with that. Iterative, so a
    deep tree needs no deep recursion."""
    stack: list[tuple[str, Iterator[tuple[str, int]]]] = [(folder, _sorted_entries(folder,
                                                                                  suffixes))]
    while stack:
        current, entries = stack[-1]
        for key, kind in entries:
            if kind == _FOLDER:
                inner = os.path.join(current, key[:-1])
                stack.append((inner, _sorted_entries(inner, suffixes)))
                break
            yield current, key, kind == _LINK
        else:
            stack.pop()


def _sorted_entries(folder: str, suffixes: tuple[str, ...]) -> Iterator[tuple[str, int]]:
    """(sort key, kind) of the entries a walk takes from `folder`, in key order: a file's
    key is its name, a subfolder's its name and `/`."""
    chunk: list[tuple[str, int]] = []
    runs: list[Iterator[tuple[str, int]]] = []
    spill: Any = None
    with os.scandir(folder) as listing:
        for entry in listing:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if name not in SKIPPED_DIRS:
                    chunk.append((name + "/", _FOLDER))
            elif name.endswith(suffixes):
                chunk.append((name, _LINK if entry.is_symlink() else _FILE))
            if len(chunk) >= LISTING_CHUNK:
                if spill is None:
                    import tempfile

                    spill = tempfile.TemporaryFile(prefix="pubflow-listing-")  # noqa: SIM115
                chunk.sort()
                runs.append(_spilled_run(spill, chunk))
                chunk = []
    chunk.sort()
    if not runs:
        return iter(chunk)
    runs.append(iter(chunk))
    return _closing(heapq.merge(*runs), spill)


_RUN_BLOCK = 256


def _spilled_run(spill: Any, chunk: list[tuple[str, int]]) -> Iterator[tuple[str, int]]:
    """Write a sorted run to `spill` in blocks; return its reader (a block at a time)."""
    import marshal

    blocks = []
    for start in range(0, len(chunk), _RUN_BLOCK):
        blob = marshal.dumps(chunk[start:start + _RUN_BLOCK])
        offset = spill.seek(0, 2)
        spill.write(blob)
        blocks.append((offset, len(blob)))

    def read() -> Iterator[tuple[str, int]]:
        for offset, length in blocks:
            spill.seek(offset)
            yield from marshal.loads(spill.read(length))

    return read()


def _closing(entries: Iterator[tuple[str, int]], spill: Any) -> Iterator[tuple[str, int]]:
    try:
        yield from entries
    finally:
        spill.close()


def _display_prefix(folder: str, root: Path) -> str:
    """What goes before a file name of `folder` to make its display name."""
    same = os.path.normcase(folder) == os.path.normcase(os.path.normpath(root))
    return "" if same else display_name(folder, root) + "/"


def walk_folders(folder: Path | str,
                 suffixes: tuple[str, ...]) -> Iterator[tuple[str, list[tuple[str, bool]]]]:
    """(folder, [(file name, is_symlink)]) for `folder` and each folder below it whose files
    have one of `suffixes`, names in order, each folder's files before its subfolders.

    Skips tool and hidden folders and never descends into symlinked folders. Works on
    strings and `os.scandir` entries: ten thousand `Path` objects cost more than the walk.
    """
    pending = [str(folder)]
    while pending:
        current = pending.pop()
        with os.scandir(current) as listing:
            entries = sorted(listing, key=_name_of)
        files: list[tuple[str, bool]] = []
        subfolders = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if name not in SKIPPED_DIRS:
                    subfolders.append(entry.path)
            elif name.endswith(suffixes):
                files.append((name, entry.is_symlink()))
        yield current, files
        pending.extend(reversed(subfolders))


_name_of = attrgetter("name")


def walk_files(folder: Path | str, suffixes: tuple[str, ...]) -> Iterator[tuple[str, bool]]:
    """(path, is_symlink) of files below `folder` with one of `suffixes`, in `walk_folders`
    order."""
    for current, files in walk_folders(folder, suffixes):
        for name, is_link in files:
            yield os.path.join(current, name), is_link


def pattern_stems(folder: Path, root: Path) -> dict[str, str]:
    """display path -> file stem for every pattern file under `folder` (no file is opened)."""
    if not folder.is_dir():
        return {}
    return {display_name(p, root): os.path.basename(p)[: -len(PATTERN_SUFFIX)]
            for p, _ in walk_files(folder, (PATTERN_SUFFIX,))}


def walked_by(path: Path | str, folder: Path | str) -> bool:
    """True when a walk of `folder` (`walk_folders`) reaches the file or folder `path` (as
    given, relative to the current folder or absolute): it lies in `folder` or below it, and
    neither it nor a folder between them is hidden or skipped. Folders are compared resolved
    (a symlinked patterns folder, /tmp and /private/tmp); the file itself is not, so a
    symlinked file in the folder stays in scope and the run reports where it leads."""
    real_folder = os.path.realpath(folder)
    full = os.path.abspath(path)
    parent = os.path.realpath(os.path.dirname(full))
    if os.path.isdir(full) and not os.path.islink(full):
        parent, full = os.path.realpath(full), os.path.join(os.path.realpath(full), "_")
    if parent != real_folder and not parent.startswith(real_folder.rstrip(os.sep) + os.sep):
        return False
    between = parent[len(real_folder):].strip(os.sep)
    parts = between.split(os.sep) if between else []
    return not os.path.basename(full).startswith(".") and not any(
        part.startswith(".") or part in SKIPPED_DIRS for part in parts)


# --- files by name, without a walk -------------------------------------------------------------

FOLDER_INDEX = "pattern-folders.json"
"""The state file (in `.git/pubflow/`, see `statefile`) that lists the folders of a patterns
folder with subfolders, so a named-file run finds them without listing any folder."""
FOLDER_INDEX_FORMAT = 1
TRUST_LINK_COUNTS = True
"""Believe a file system that counts subfolders in link counts (tests turn it off to take the
path of file systems that do not)."""
PARENT_LISTING_LIMIT = 4096
"""A parent folder with more entries than this is not listed to learn how its file system
counts links; the folder index answers instead."""


class PatternNames:
    """Which files a walk of `folder` (`walk_folders`) would find under a given file name,
    found with a stat per folder instead of the walk.

    A pattern's id must equal its file name, so what the cross-file rules ask of a run over a
    few named files ("which files of the folder are called `<id>.json`?") is answered by
    `lstat` of `<folder>/<id>.json` in each folder the walk visits. The folders are known
    without listing any: a folder whose link count is 2 has no subfolder, on file systems
    that count a folder's subfolders in its links (checked on its parent, whose subfolders
    are listed and counted); otherwise the folder index (`FOLDER_INDEX`) names them, and a
    stat of each confirms it is still true (link counts and subfolder names, or mtime and
    ctime where links are not counted), or the folders are listed again and the index
    rewritten. A name found is confirmed by a listing of its folder only where the file
    system folds case or Unicode forms (a probe of the name's other forms finds the same
    file): there `X.json` would be found under `x.json`.
    """

    def __init__(self, folder: Path | str, root: Path | str) -> None:
        self.top = str(folder)
        self.root = str(root)
        self._folders: list[str] | None = None
        self._listings: dict[str, frozenset[str]] = {}

    def folders(self) -> list[str]:
        """The folders a walk of the folder visits, in its order (none when it is missing)."""
        if self._folders is None:
            self._folders = walked_folders(self.top, self.root)
        return self._folders

    def files_named(self, stem: str) -> list[str]:
        """Display names of the files `<stem>.json` a walk would find, in walk order."""
        name = stem + PATTERN_SUFFIX
        if not _plain_name(name):
            return []
        found: list[str] = []
        for folder in self.folders():
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except (OSError, ValueError):
                continue
            if not stat.S_ISDIR(st.st_mode) and self._exact(folder, name, st):
                found.append(display_name(path, self.root))
        return found

    def _exact(self, folder: str, name: str, st: os.stat_result) -> bool:
        """`name` itself is in `folder`, not another spelling a folding file system found."""
        if not _folds(folder, name, st):
            return True
        if folder not in self._listings:
            self._listings[folder] = frozenset(os.listdir(folder))
        return name in self._listings[folder]


def _plain_name(name: str) -> bool:
    """A name a walk can yield: not hidden, one path component, no NUL (nor, on Windows, a
    stream's `:`)."""
    if name.startswith(".") or "/" in name or os.sep in name or "\0" in name:
        return False
    return not (os.altsep and os.altsep in name) and not (os.name == "nt" and ":" in name)


def _folds(folder: str, name: str, st: os.stat_result) -> bool:
    """True when another spelling of `name` (case swapped, or another Unicode form) is the
    same file: the file system folds names, so the stored name may differ from `name`."""
    spellings = {name.swapcase()}
    if not name.isascii():
        import unicodedata

        spellings.update(unicodedata.normalize(form, name) for form in ("NFC", "NFD"))
    spellings.discard(name)
    for other in spellings:
        try:
            found = os.lstat(os.path.join(folder, other))
        except (OSError, ValueError):
            continue
        if (found.st_ino, found.st_dev) == (st.st_ino, st.st_dev):
            return True
    return False


def walked_folders(top: str, root: str) -> list[str]:
    """The folders `walk_folders(top, ...)` visits, in order, from stats where it can."""
    try:
        st = os.stat(top)
    except (OSError, ValueError):
        return []
    if not stat.S_ISDIR(st.st_mode):
        return []
    if st.st_nlink == 2 and counts_subfolders(os.path.realpath(top), st.st_dev):
        return [top]
    return _indexed_folders(top, root)


_COUNTING: dict[tuple[str, int], bool] = {}


def counts_subfolders(real_folder: str, device: int) -> bool:
    """Whether the file system of `real_folder` counts a folder's subfolders in its link
    count (2 + subfolders, as ext4, XFS and tmpfs do; btrfs and overlayfs say 1): checked on
    its parent folder, which holds at least this subfolder, by listing and counting."""
    if not TRUST_LINK_COUNTS:
        return False
    parent = os.path.dirname(real_folder)
    key = (parent, device)
    if key not in _COUNTING:
        _COUNTING[key] = parent != real_folder and _links_count_subfolders(parent, device)
    return _COUNTING[key]


def _links_count_subfolders(folder: str, device: int) -> bool:
    try:
        before = os.stat(folder)
        if before.st_dev != device:
            return False
        subfolders = entries = 0
        with os.scandir(folder) as listing:
            for entry in listing:
                entries += 1
                if entries > PARENT_LISTING_LIMIT:
                    return False
                subfolders += entry.is_dir(follow_symlinks=False)
        after = os.stat(folder)
    except OSError:
        return False
    return subfolders > 0 and before.st_nlink == after.st_nlink == 2 + subfolders


def _indexed_folders(top: str, root: str) -> list[str]:
    """The walk's folders from the folder index when a stat of each confirms it, else listed
    afresh (and the index written again when nothing was too fresh to trust)."""
    from pubflow.storage.statefile import read_json, state_path, write_json

    index_path = state_path(root, FOLDER_INDEX)
    real_top = os.path.realpath(top)
    saved = read_json(index_path)
    if (isinstance(saved, dict) and saved.get("format") == FOLDER_INDEX_FORMAT
            and saved.get("top") == real_top and isinstance(saved.get("folders"), list)):
        folders = _confirmed(top, saved["folders"])
        if folders is not None:
            return folders
    folders, records, trusted = _listed_folders(top)
    if trusted:
        write_json(index_path, {"format": FOLDER_INDEX_FORMAT, "top": real_top,
                                "folders": records})
    return folders


def _confirmed(top: str, records: list[Any]) -> list[str] | None:
    """The folders of a saved index, or None when a stat shows that any may have changed."""
    folders: list[str] = []
    try:
        for parts, ino, dev, links, mtime, ctime, by_links, subfolders in records:
            path = os.path.join(top, *parts)
            st = os.stat(path) if not parts else os.lstat(path)
            if (not stat.S_ISDIR(st.st_mode) or (st.st_ino, st.st_dev) != (ino, dev)
                    or (by_links and st.st_nlink != links)
                    or (not by_links and (st.st_mtime_ns, st.st_ctime_ns) != (mtime, ctime))):
                return None
            if by_links:
                for name in subfolders:
                    if not stat.S_ISDIR(os.lstat(os.path.join(path, name)).st_mode):
                        return None
            folders.append(path)
    except (OSError, ValueError, TypeError):
        return None
    return folders


def _listed_folders(top: str) -> tuple[list[str], list[list[Any]], bool]:
    """(folders in walk order, their index records, whether the records may be kept): the
    folders listed, in the walk's order (each folder before its subfolders, by name)."""
    import time

    from pubflow.storage.statefile import is_racy

    folders: list[str] = []
    records: list[list[Any]] = []
    trusted = True
    pending: list[tuple[str, list[str]]] = [(top, [])]
    counted: dict[int, bool] = {}
    now = time.time_ns()
    while pending:
        current, parts = pending.pop()
        before = os.stat(current) if not parts else os.lstat(current)
        subfolders: list[str] = []
        walked: list[str] = []
        with os.scandir(current) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append(entry.name)
                    if not entry.name.startswith(".") and entry.name not in SKIPPED_DIRS:
                        walked.append(entry.name)
        after = os.stat(current) if not parts else os.lstat(current)
        same = ((before.st_nlink, before.st_mtime_ns, before.st_ctime_ns)
                == (after.st_nlink, after.st_mtime_ns, after.st_ctime_ns))
        trusted = trusted and same
        exact = TRUST_LINK_COUNTS and after.st_nlink == 2 + len(subfolders)
        if subfolders or not exact:  # a folder with subfolders tells whether links count them
            counted[after.st_dev] = counted.get(after.st_dev, True) and exact and bool(subfolders)
        folders.append(current)
        records.append([parts, after.st_ino, after.st_dev, after.st_nlink, after.st_mtime_ns,
                        after.st_ctime_ns, None, sorted(subfolders)])
        for name in sorted(walked, reverse=True):
            pending.append((os.path.join(current, name), [*parts, name]))
    for record in records:
        device = record[2]
        by_links = counted.get(device)
        if by_links is None:  # no folder of it had a subfolder: ask its parent
            by_links = counts_subfolders(os.path.realpath(top), device)
        record[6] = by_links
        if not by_links and (is_racy(record[4], now) or is_racy(record[5], now)):
            trusted = False
    return folders, records, trusted
