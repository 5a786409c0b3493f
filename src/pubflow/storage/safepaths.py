"""Paths pubflow keeps inside the repository: never written through a link, never read from
outside.

Everything pubflow commits lives under `.pubflow/` (and the notification outbox, wherever the
configuration puts it inside the repository). A symbolic link there (or a Windows junction)
would send a write anywhere the link points, out of the repository included, or let a commit
swap the file a later command writes. So:

- a **write** (`check_no_links`) is refused when the target, or any folder between the
  repository root and it, is a link, whether it leads inside the repository or out of it;
- a command that writes checks the whole state tree first (`check_state_tree(writing=True)`),
  so it stops before it has written anything, folders included;
- a **read** (`check_state_tree(writing=False)`, `check_readable`) is refused only when a
  link leads outside the repository: a link inside it reads the repository's own content.

Only `os.lstat` and `os.path.realpath` are used, which work on every OS; `O_NOFOLLOW` (where
the OS has it) closes the last gap for the audit log's in-place append.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from pubflow.errors import InputError

STATE_DIR = ".pubflow"
O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
"""0 where the OS has no such flag (Windows): there the `lstat` checks stand alone."""
_REPARSE_POINT: int = getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0x400)
_HINT = ("Replace the link with the real folder or file (move its content into the "
         "repository), then run the command again.")


class LinkRefused(InputError):
    """A link where pubflow keeps its state (exit 2)."""


def _absolute(path: Path | str) -> Path:
    """Lexically absolute (`..` folded, nothing resolved): a link on the way stays visible."""
    return Path(os.path.abspath(path))  # noqa: PTH100 - Path.resolve() would follow links


def is_link(st: os.stat_result) -> bool:
    """A symbolic link, or (on Windows) a junction or other reparse point."""
    if stat.S_ISLNK(st.st_mode):
        return True
    attributes = getattr(st, "st_file_attributes", 0)
    return bool(attributes & _REPARSE_POINT)


def state_root(target: Path) -> Path | None:
    """The repository root of a path below a `.pubflow` folder (the folder's parent), else None.

    Lexical: nothing is resolved, so a link on the way is still seen by `check_no_links`."""
    absolute = _absolute(target)
    for parent in absolute.parents:
        if parent.name == STATE_DIR:
            return parent.parent
    return None


def check_no_links(root: Path, target: Path) -> None:
    """Refuse (exit 2, naming the path) to write `target` when it lies outside `root` or when
    it, or a folder between `root` and it, is a link. Parts that do not exist yet are fine:
    pubflow creates them as real folders."""
    root_abs = _absolute(root)
    relative = _relative(root_abs, _absolute(target))
    current = root_abs
    for part in relative.parts:
        current = current / part
        try:
            st = current.lstat()
        except FileNotFoundError:
            return
        except OSError:
            return  # unreadable: the write itself reports it, with the OS's words
        if is_link(st):
            raise _refused(root_abs, current, writing=True)


def check_readable(root: Path, target: Path) -> None:
    """Refuse (exit 2) to read `target` when it resolves outside `root` (through a link)."""
    if not _inside(root, target):
        raise _refused(_absolute(root), _first_link(root, target), writing=False)


def check_state_tree(root: Path, *, writing: bool, extra: Iterable[Path] = ()) -> None:
    """Check `.pubflow/` and everything below it, and the `extra` folders (the outbox) and
    their entries, before a command starts.

    `writing`: any link is refused (a write through it would land elsewhere). Otherwise only a
    link that leads outside the repository is (an in-repository link reads the repository's own
    files, and its target folder is checked the same way)."""
    root_abs = _absolute(root)
    real_root = os.path.realpath(root_abs)
    seen: set[str] = set()
    for folder in (root_abs / STATE_DIR, *(_absolute(p) for p in extra)):
        if writing:
            check_no_links(root_abs, folder)
        elif not _inside(root_abs, folder):
            raise _refused(root_abs, _first_link(root_abs, folder), writing=False)
        _walk(root_abs, real_root, folder, writing, seen)


def _walk(root: Path, real_root: str, folder: Path, writing: bool, seen: set[str]) -> None:
    real = os.path.realpath(folder)
    if real in seen:
        return
    seen.add(real)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # missing or not a folder: nothing there to follow
    for entry in entries:
        path = Path(entry.path)
        if _entry_is_link(entry):
            if writing:
                raise _refused(root, path, writing=True)
            target = os.path.realpath(path)
            if not _below(target, real_root):
                raise _refused(root, path, writing=False)
            if Path(target).is_dir():
                _walk(root, real_root, Path(target), writing, seen)
        elif entry.is_dir(follow_symlinks=False):
            _walk(root, real_root, path, writing, seen)


def _entry_is_link(entry: os.DirEntry[str]) -> bool:
    if entry.is_symlink():
        return True
    junction = getattr(entry, "is_junction", None)  # Python 3.12+, Windows junctions
    if junction is not None and junction():
        return True
    if os.name == "nt":  # pragma: no cover - reparse points other than junctions
        try:
            return is_link(entry.stat(follow_symlinks=False))
        except OSError:
            return False
    return False


def _inside(root: Path, target: Path) -> bool:
    return _below(os.path.realpath(target), os.path.realpath(root))


def _below(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _relative(root: Path, target: Path) -> Path:
    try:
        relative = target.relative_to(root)
    except ValueError:
        raise InputError(f"{target}: outside the repository ({root}); pubflow writes only "
                         "inside it") from None
    if ".." in relative.parts:
        raise InputError(f"{target}: leads outside the repository ({root}); pubflow writes "
                         "only inside it")
    return relative


def _first_link(root: Path, target: Path) -> Path:
    """The first link on the way from `root` to `target` (or `target` itself)."""
    root_abs = _absolute(root)
    current = root_abs
    try:
        parts = _absolute(target).relative_to(root_abs).parts
    except ValueError:
        return target
    for part in parts:
        current = current / part
        try:
            if is_link(current.lstat()):
                return current
        except OSError:
            break
    return _absolute(target)


def _refused(root: Path, path: Path, *, writing: bool) -> LinkRefused:
    try:
        shown = path.relative_to(root).as_posix()
    except ValueError:
        shown = path.as_posix()
    try:
        leads = str(path.readlink())
    except (OSError, ValueError):
        leads = os.path.realpath(path)
    if writing:
        return LinkRefused(f"{shown}: is a symbolic link (to {leads}); pubflow does not write "
                           "its state through links, in or out of the repository",
                           hint=_HINT)
    return LinkRefused(f"{shown}: is a symbolic link leading outside the repository (to "
                       f"{leads}); pubflow does not read its state from outside the repository",
                       hint=_HINT)
