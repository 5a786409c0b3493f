"""Writing files so that a crash leaves either the old or the new content, never half of it.

A file below a `.pubflow` folder, or below the `root` a caller names, is never written through
a link: the target and every folder between the repository root and it are checked first
(`storage/safepaths.py`), and the write is refused (exit 2, naming the link) before any byte
is written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from pubflow.storage.safepaths import check_no_links, state_root


def atomic_write_text(path: Path, text: str, *, root: Path | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), root=root)


def atomic_write_bytes(path: Path, data: bytes, *, root: Path | None = None) -> None:
    """Temporary file in the same folder, fsync, rename over the target, fsync the folder.

    `root`: the repository the file belongs to; the write is refused when `path` is outside
    it or reached through a link. A path below `.pubflow/` is checked so without being told."""
    _atomic_write(path, lambda handle: handle.write(data), root)


def atomic_write_chunks(path: Path, chunks: Iterable[str], *, root: Path | None = None) -> None:
    """`atomic_write_text` for text produced in pieces: none of it is held whole."""

    def write(handle: BinaryIO) -> None:
        for chunk in chunks:
            handle.write(chunk.encode("utf-8"))

    _atomic_write(path, write, root)


def check_writable(path: Path, root: Path | None = None) -> None:
    """Refuse (exit 2) a write to `path` through a link under `root` or under `.pubflow/`."""
    base = root if root is not None else state_root(path)
    if base is not None:
        check_no_links(base, path)


def _atomic_write(path: Path, write: Callable[[BinaryIO], object], root: Path | None) -> None:
    check_writable(path, root)
    folder = path.parent if str(path.parent) else Path()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        _set_mode(fd, tmp, path)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(folder)


def _set_mode(fd: int, tmp: str, path: Path) -> None:
    """The mode a plain `open()` would give: the replaced file's own, else 0666 less the
    umask (a temporary file is created 0600, which would keep teammates and a web server from
    reading a status page or a package)."""
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
        os.umask(mask)
        mode = 0o666 & ~mask
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # pragma: no cover - Windows has no fchmod; only the read-only bit applies there
        Path(tmp).chmod(mode)


def fsync_folder(folder: Path) -> None:
    """Make a new or renamed directory entry durable (best effort: not every OS allows it)."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
