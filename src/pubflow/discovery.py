"""Turning the paths a user typed into the pattern files to check.

A path that does not exist is a usage error (exit 2) because nothing can be checked; a file
that resolves outside the repository (a symlink to /etc/passwd, say) is *not read* and comes
back as a finding, so one bad entry never hides the results for the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pubflow.errors import InputError

PATTERN_SUFFIX = ".json"
SKIPPED_DIRS = frozenset({".git", ".pubflow", "node_modules", ".venv", "__pycache__"})


@dataclass(frozen=True, slots=True)
class Target:
    """One file to check: where it is, and how reports name it (repo-relative, `/`-separated).

    The location is kept as a string: ten thousand `Path` objects cost more than the walk
    that found them, and the checking workers only need to open the file.
    """

    file: str
    display: str
    outside_repo: bool = False

    @property
    def path(self) -> Path:
        return Path(self.file)


def display_name(path: Path | str, root: Path | str) -> str:
    """Repo-relative and `/`-separated (what SARIF and annotations need), else absolute."""
    text, base = str(path), str(root).rstrip(os.sep) + os.sep
    if text.startswith(base):
        return text[len(base):].replace(os.sep, "/")
    return Path(text).as_posix()


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

    def add(path: str, is_link: bool) -> None:
        display = display_name(path, root)
        if display in seen:
            return
        seen.add(display)
        inside_lexically = not display.startswith("/")
        outside = inside_lexically and _is_outside(path, is_link, real_root, real_dirs)
        targets.append(Target(path, display, outside))

    for given in paths:
        path = os.path.normpath(given if given.is_absolute() else Path.cwd() / given)
        if os.path.isdir(path):
            found = list(walk_files(path, suffixes))
            if not found:
                raise InputError(f"{display_name(path, root)}: no {what} found in this folder",
                                 hint="Pass the folder that holds your patterns, or files.")
            for file, is_link in found:
                add(file, is_link)
        elif os.path.lexists(path):
            add(path, os.path.islink(path))
        else:
            shown = given if not given.is_absolute() else display_name(path, root)
            raise InputError(f"{shown}: no such file or folder",
                             hint="Check the path, or set patterns_dir in pubflow.yaml.")
    targets.sort(key=lambda t: t.display)
    return targets


def walk_files(folder: Path | str, suffixes: tuple[str, ...]) -> Iterator[tuple[str, bool]]:
    """(path, is_symlink) of files below `folder` with one of `suffixes`, in a stable order.

    Skips tool and hidden folders and never descends into symlinked folders. Works on
    strings and `os.scandir` entries: ten thousand `Path` objects cost more than the walk.
    """
    pending = [str(folder)]
    while pending:
        current = pending.pop()
        with os.scandir(current) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        subfolders = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if name not in SKIPPED_DIRS:
                    subfolders.append(entry.path)
            elif name.endswith(suffixes):
                yield entry.path, entry.is_symlink()
        pending.extend(reversed(subfolders))


def pattern_stems(folder: Path, root: Path) -> dict[str, str]:
    """display path -> file stem for every pattern file under `folder` (no file is opened)."""
    if not folder.is_dir():
        return {}
    return {display_name(p, root): os.path.basename(p)[: -len(PATTERN_SUFFIX)]
            for p, _ in walk_files(folder, (PATTERN_SUFFIX,))}
