"""Writing files so that a crash leaves either the old or the new content, never half of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Temporary file in the same folder, fsync, rename over the target, fsync the folder."""
    _atomic_write(path, lambda handle: handle.write(data))


def atomic_write_chunks(path: Path, chunks: Iterable[str]) -> None:
    """`atomic_write_text` for text produced in pieces: none of it is held whole."""

    def write(handle: BinaryIO) -> None:
        for chunk in chunks:
            handle.write(chunk.encode("utf-8"))

    _atomic_write(path, write)


def _atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
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
