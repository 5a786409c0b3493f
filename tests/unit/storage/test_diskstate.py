"""The start-up facts about a repository: root, cache folder, and the listing digest."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pubflow.storage.diskstate import listing_digest, repository_root
from pubflow.storage.statefile import cache_folder


def test_root_is_the_nearest_folder_with_git_or_config(tmp_path: Path) -> None:
    deep = tmp_path / "repo" / "a" / "b"
    deep.mkdir(parents=True)
    assert repository_root(str(deep)) in (str(deep), *map(str, deep.parents))
    (tmp_path / "repo" / ".git").mkdir()
    assert repository_root(str(deep)) == str(tmp_path / "repo")
    (tmp_path / "repo" / "a" / "pubflow.yaml").write_text("")
    assert repository_root(str(deep)) == str(tmp_path / "repo" / "a")


def test_cache_folder_lives_in_the_git_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    (plain / ".git").mkdir(parents=True)
    assert cache_folder(str(plain)) == str(plain / ".git" / "pubflow")

    worktree = tmp_path / "worktree"
    worktree.mkdir()
    (worktree / ".git").write_text("gitdir: ../plain/.git/worktrees/wt\n")
    assert os.path.normpath(cache_folder(str(worktree))) == str(
        plain / ".git" / "worktrees" / "wt" / "pubflow")
    (worktree / ".git").write_text(f"gitdir: {tmp_path / 'elsewhere'}\n")
    assert cache_folder(str(worktree)) == str(tmp_path / "elsewhere" / "pubflow")

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    outside = tmp_path / "no-git"
    outside.mkdir()
    found = Path(cache_folder(str(outside)))
    assert found.parent == tmp_path / "xdg" / "pubflow" and len(found.name) == 16
    assert cache_folder(str(outside)) == str(found)  # stable


def backdated(path: Path) -> None:
    past = time.time() - 60
    for folder, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.utime(Path(folder) / name, (past, past), follow_symlinks=False)
    os.utime(path, (past, past))


def test_listing_digest_sees_every_change_and_distrusts_fresh_files(tmp_path: Path) -> None:
    folder = tmp_path / "patterns"
    (folder / "nested").mkdir(parents=True)
    (folder / "one.json").write_text("{}")
    (folder / "nested" / "two.json").write_text("{}")
    (folder / ".git").mkdir()
    backdated(tmp_path)
    first = listing_digest("key", [str(folder)], str(tmp_path))
    assert first is not None
    assert listing_digest("key", [str(folder)], str(tmp_path)) == first
    assert listing_digest("other key", [str(folder)], str(tmp_path)) != first

    (folder / ".git" / "x").write_text("y")  # skipped folders do not count
    assert listing_digest("key", [str(folder)], str(tmp_path)) == first

    (folder / "nested" / "two.json").write_text("{ }")  # same folder, new size
    assert listing_digest("key", [str(folder)], str(tmp_path)) is None  # racy: just written
    backdated(tmp_path)
    changed = listing_digest("key", [str(folder)], str(tmp_path))
    assert changed not in (None, first)

    (folder / "three.json").write_text("{}")
    backdated(tmp_path)
    assert listing_digest("key", [str(folder)], str(tmp_path)) not in (None, changed)
    assert listing_digest("key", [str(tmp_path / "missing")], str(tmp_path)) is None


def test_listing_records_symlinks_without_following_them(tmp_path: Path) -> None:
    folder = tmp_path / "patterns"
    folder.mkdir()
    (folder / "one.json").write_text("{}")
    (folder / "loop").symlink_to(folder, target_is_directory=True)  # would never end if entered
    backdated(tmp_path)
    first = listing_digest("key", [str(folder)], str(tmp_path))
    assert first is not None
    (folder / "loop").unlink()
    (folder / "loop").symlink_to(tmp_path, target_is_directory=True)
    backdated(tmp_path)
    assert listing_digest("key", [str(folder)], str(tmp_path)) not in (None, first)
