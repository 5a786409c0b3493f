"""Writing files so that a crash leaves either the old or the new content, never half of it;
an exclusive lock between processes (`exclusive_lock`) on every OS.

A file below a `.pubflow` folder, or below the `root` a caller names, is never written through
a link: the target and every folder between the repository root and it are checked first
(`storage/safepaths.py`), and the write is refused (exit 2, naming the link) before any byte
is written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

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


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the block, waiting for as
    long as another process holds it. `flock` where the OS has `fcntl` (Linux, macOS, BSD);
    on Windows a `msvcrt` lock of the file's first byte, which every pubflow takes the same
    way. Standard library only: `filelock` costs ~45 ms to import, and the lock is taken by
    every writing command. The lock is released when the block ends or the process dies."""
    lock, unlock = _lock_functions()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        lock(fd)
        try:
            yield
        finally:
            unlock(fd)
    finally:
        os.close(fd)


def _lock_functions() -> tuple[Callable[[int], None], Callable[[int], None]]:
    try:
        import fcntl
    except ImportError:  # Windows
        return _msvcrt_lock, _msvcrt_unlock

    def lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    return lock, unlock


_HELD_ELSEWHERE = frozenset({errno.EACCES, getattr(errno, "EDEADLOCK", errno.EDEADLK)})
"""What `msvcrt.locking` raises when another process holds the byte."""
LOCK_POLL_SECONDS = 0.05
"""How often a Windows lock is tried again (msvcrt's own blocking mode gives up after 10 s)."""


def _msvcrt() -> Any:
    """Windows' `msvcrt` (typed as Any: its stubs exist only for win32, and the tests run this
    code elsewhere with a stand-in)."""
    import importlib

    return importlib.import_module("msvcrt")


def _msvcrt_lock(fd: int) -> None:
    msvcrt = _msvcrt()
    while True:
        os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return
        except OSError as exc:
            if exc.errno not in _HELD_ELSEWHERE:
                raise
        time.sleep(LOCK_POLL_SECONDS)


def _msvcrt_unlock(fd: int) -> None:
    msvcrt = _msvcrt()
    os.lseek(fd, 0, os.SEEK_SET)
    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
