"""Turning the paths a user typed into the pattern files to check.

A path that does not exist is a usage error (exit 2) because nothing can be checked; a file
that resolves outside the repository (a symlink to /etc/passwd, say) is *not read* and comes
back as a finding, so one bad entry never hides the results for the others.
"""

from __future__ import annotations

import os
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
    """Expand files and folders into a sorted, de-duplicated list of targets."""
    real_root = os.path.realpath(root)
    real_dirs: dict[str, str] = {}
    seen: set[str] = set()
    targets: list[Target] = []

    for given in paths:
        path = os.path.normpath(given if given.is_absolute() else Path.cwd() / given)
        if os.path.isdir(path):
            found = False
            for folder, files in walk_folders(path, suffixes):
                found = found or bool(files)
                prefix = _display_prefix(folder, root)
                inside_lexically = not is_absolute_display(prefix)
                folder_outside = inside_lexically and _is_outside(folder, True, real_root,
                                                                  real_dirs)
                for name, is_link in files:
                    display = prefix + name
                    if display in seen:
                        continue
                    seen.add(display)
                    outside = inside_lexically and (
                        _is_outside(os.path.join(folder, name), True, real_root, real_dirs)
                        if is_link else folder_outside)
                    targets.append(Target(folder, display, outside))
            if not found:
                raise InputError(f"{display_name(path, root)}: no {what} found in this folder",
                                 hint="Pass the folder that holds your patterns, or files.")
        elif os.path.lexists(path):
            display = display_name(path, root)
            if display not in seen:
                seen.add(display)
                outside = not is_absolute_display(display) and _is_outside(
                    path, os.path.islink(path), real_root, real_dirs)
                targets.append(Target(os.path.dirname(path), display, outside))
        else:
            shown = given.as_posix() if not given.is_absolute() else display_name(path, root)
            raise InputError(f"{shown}: no such file or folder",
                             hint="Check the path, or set patterns_dir in pubflow.yaml.")
    targets.sort(key=_display_of)
    return targets


_display_of = attrgetter("display")


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
