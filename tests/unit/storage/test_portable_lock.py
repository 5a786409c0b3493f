"""`storage.files.exclusive_lock`: flock where there is fcntl, msvcrt on Windows. The msvcrt
branch runs here against a stand-in that answers as Windows does (issue 16, item 2); the
acceptance tests in tests/acceptance/test_portability.py run it between real processes."""

from __future__ import annotations

import errno
import os
import types
from pathlib import Path
from typing import Any

import pytest

from pubflow.storage import files
from pubflow.storage.files import exclusive_lock


class FakeMsvcrt(types.ModuleType):
    """Held by someone else for the first `busy` tries; records (mode, position, nbytes)."""

    LK_UNLCK, LK_LOCK, LK_NBLCK = 0, 1, 2

    def __init__(self, busy: int, error: int = errno.EACCES) -> None:
        super().__init__("msvcrt")
        self.busy, self.error, self.calls = busy, error, []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        self.calls.append((mode, os.lseek(fd, 0, os.SEEK_CUR), nbytes))
        if mode == self.LK_NBLCK and self.busy:
            self.busy -= 1
            raise OSError(self.error, "locked")


def _windows(monkeypatch: pytest.MonkeyPatch, fake: FakeMsvcrt) -> None:
    monkeypatch.setattr(files, "_lock_functions",
                        lambda: (files._msvcrt_lock, files._msvcrt_unlock))
    monkeypatch.setattr(files, "_msvcrt", lambda: fake)
    monkeypatch.setattr(files, "LOCK_POLL_SECONDS", 0.001)


@pytest.mark.parametrize("error", [errno.EACCES, getattr(errno, "EDEADLOCK", errno.EDEADLK)])
def test_windows_waits_while_another_process_holds_the_lock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: int) -> None:
    fake = FakeMsvcrt(busy=3, error=error)
    _windows(monkeypatch, fake)
    inside: list[Any] = []
    with exclusive_lock(tmp_path / "deep" / "tickets.lock"):
        inside.append(list(fake.calls))
    # three refusals, then the byte is ours; released the same way (first byte, one byte)
    assert inside == [[(2, 0, 1)] * 4]
    assert fake.calls[-1] == (0, 0, 1)
    assert (tmp_path / "deep" / "tickets.lock").exists()


def test_windows_reports_other_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _windows(monkeypatch, FakeMsvcrt(busy=1, error=errno.EBADF))
    with pytest.raises(OSError) as caught, exclusive_lock(tmp_path / "x.lock"):
        pass
    assert caught.value.errno == errno.EBADF


def test_the_lock_is_released_when_the_block_fails(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMsvcrt(busy=0)
    _windows(monkeypatch, fake)
    with pytest.raises(RuntimeError), exclusive_lock(tmp_path / "x.lock"):
        raise RuntimeError("boom")
    assert fake.calls == [(2, 0, 1), (0, 0, 1)]


def test_posix_uses_flock_and_no_module_imports_fcntl_at_load() -> None:
    """store.py used to import fcntl at module level, which ended every command on Windows."""
    import ast

    src = Path(files.__file__).resolve().parents[1]
    for module in sorted(src.rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            posix_only = {"fcntl", "termios", "pwd", "grp", "resource", "msvcrt", "winreg"}
            assert not posix_only & set(names), f"{module}: imports {names} at load"
