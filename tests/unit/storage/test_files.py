"""Atomic writes: the target holds either the old or the new content, and a failed write
leaves neither a half-written target nor a temporary file behind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pubflow.storage.files import (
    atomic_write_bytes,
    atomic_write_chunks,
    atomic_write_text,
    fsync_folder,
)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_writes_create_and_replace(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write_text(target, "première\n")
    assert target.read_bytes() == "première\n".encode()
    atomic_write_bytes(target, b"\x00\xff")
    assert target.read_bytes() == b"\x00\xff"
    atomic_write_chunks(target, iter(["a", "é", "", "c\n"]))
    assert target.read_text(encoding="utf-8") == "aéc\n"
    assert names(tmp_path) == ["out.txt"]


def test_a_relative_path_writes_in_the_current_folder(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    atomic_write_text(Path("here.txt"), "x")
    assert (tmp_path / "here.txt").read_text() == "x"
    assert names(tmp_path) == ["here.txt"]


def test_a_write_through_a_symlink_replaces_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert real.read_text() == "old"  # rename replaces the entry, it never writes through
    assert not link.is_symlink() and link.read_text() == "new"


def test_a_failing_producer_keeps_the_old_content_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old report\n")

    def chunks() -> Iterator[str]:
        yield "half of a new "
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        atomic_write_chunks(target, chunks())
    assert target.read_text() == "old report\n"
    assert names(tmp_path) == ["report.md"]


def test_an_interrupt_keeps_the_old_content_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")

    def chunks() -> Iterator[str]:
        yield "new"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write_chunks(target, chunks())
    assert target.read_text() == "old"
    assert names(tmp_path) == ["report.md"]


def test_a_folder_in_the_way_fails_at_the_rename_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "inside.txt").write_text("kept")
    with pytest.raises(IsADirectoryError):
        atomic_write_text(tmp_path / "taken", "x")
    assert names(tmp_path) == ["taken"]
    assert names(tmp_path / "taken") == ["inside.txt"]


def test_a_missing_folder_fails_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "missing" / "x.bin", b"x")
    assert names(tmp_path) == []


def test_unencodable_text_fails_before_anything_is_written(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "lone \ud800 surrogate")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_chunks(target, ["fine", "lone \ud800"])
    assert target.read_text() == "old"
    assert names(tmp_path) == ["x.txt"]


def test_fsync_folder_is_best_effort(tmp_path: Path) -> None:
    fsync_folder(tmp_path)
    fsync_folder(tmp_path / "missing")  # no error: not every system allows it either


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path: Path, umask: int,
                                                  expected: int) -> None:
    previous = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "status.html", b"<html></html>")
    finally:
        os.umask(previous)
    assert (tmp_path / "status.html").stat().st_mode & 0o777 == expected


def test_a_replaced_file_keeps_its_own_mode(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_text("#!/bin/sh\n")
    target.chmod(0o750)
    atomic_write_bytes(target, b"#!/bin/sh\necho hi\n")
    assert target.stat().st_mode & 0o777 == 0o750
    assert target.read_bytes() == b"#!/bin/sh\necho hi\n"
