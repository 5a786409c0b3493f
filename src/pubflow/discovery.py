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
    """One file to check: where it is, and how reports name it (repo-relative, `/`-separated)."""

    path: Path
    display: str
    outside_repo: bool = False


def display_name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _is_outside(path: Path, real_root: str, real_dirs: dict[str, str]) -> bool:
    """True when the file really lives outside the repository (followed through symlinks).

    Resolving every file costs a syscall per path component; resolving each folder once and
    only symlinked files themselves keeps ten thousand files cheap.
    """
    if path.is_symlink():
        real = os.path.realpath(path)
    else:
        folder = str(path.parent)
        if folder not in real_dirs:
            real_dirs[folder] = os.path.realpath(folder)
        real = f"{real_dirs[folder].rstrip(os.sep)}{os.sep}{path.name}"
    return real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep)


def collect_targets(paths: Iterable[Path], root: Path, *, suffixes: tuple[str, ...] = (PATTERN_SUFFIX,),
                    what: str = "pattern files (*.json)") -> list[Target]:
    """Expand files and folders into a sorted, de-duplicated list of targets."""
    real_root = os.path.realpath(root)
    real_dirs: dict[str, str] = {}
    seen: set[str] = set()
    targets: list[Target] = []

    def add(path: Path) -> None:
        display = display_name(path, root)
        if display in seen:
            return
        seen.add(display)
        inside_lexically = not display.startswith("/")
        outside = inside_lexically and _is_outside(path, real_root, real_dirs)
        targets.append(Target(path, display, outside))

    for given in paths:
        path = given if given.is_absolute() else Path.cwd() / given
        path = Path(os.path.normpath(path))
        if path.is_dir():
            found = list(walk_files(path, suffixes))
            if not found:
                raise InputError(f"{display_name(path, root)}: no {what} found in this folder",
                                 hint="Pass the folder that holds your patterns, or files.")
            for file in found:
                add(file)
        elif path.is_file() or path.is_symlink():
            add(path)
        else:
            shown = given if not given.is_absolute() else display_name(path, root)
            raise InputError(f"{shown}: no such file or folder",
                             hint="Check the path, or set patterns_dir in pubflow.yaml.")
    targets.sort(key=lambda t: t.display)
    return targets


def walk_files(folder: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    """Files below `folder` with one of `suffixes`, skipping tool folders, in a stable order."""
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(suffixes) and not name.startswith("."):
                yield Path(current) / name


def pattern_stems(folder: Path, root: Path) -> dict[str, str]:
    """display path -> file stem for every pattern file under `folder` (no file is opened)."""
    if not folder.is_dir():
        return {}
    return {display_name(p, root): p.name[: -len(PATTERN_SUFFIX)]
            for p in walk_files(folder, (PATTERN_SUFFIX,))}
