"""pubflow's state files: where they live (never in the work tree), reading that forgives,
writing that is atomic or nothing, and the freshness rule every cache shares."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pubflow.storage.statefile import (
    RACY_NS,
    RESULT_CACHE,
    RUN_MEMO,
    cache_folder,
    is_racy,
    read_json,
    state_path,
    write_json,
)
from tests.conftest import git


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_state_lives_in_the_git_dir_and_keeps_the_work_tree_clean(repo: Path) -> None:
    path = Path(state_path(repo, RESULT_CACHE))
    assert path == repo / ".git" / "pubflow" / "validate-cache.sqlite3"
    assert state_path(str(repo), RESULT_CACHE) == str(path)
    write_json(path, {"a": 1})
    assert read_json(path) == {"a": 1}
    assert git(repo, "status", "--porcelain", "--ignored") == ""


def test_a_worktree_keeps_its_own_state_in_the_main_git_dir(repo: Path) -> None:
    (repo / "README").write_text("x")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    worktree = repo.parent / "wt"
    git(repo, "worktree", "add", "-q", str(worktree))
    path = Path(state_path(worktree, RUN_MEMO))
    assert path.resolve() == (repo / ".git" / "worktrees" / "wt" / "pubflow" / RUN_MEMO)
    write_json(path, [1])
    assert read_json(state_path(worktree, RUN_MEMO)) == [1]
    assert read_json(state_path(repo, RUN_MEMO)) is None  # each checkout its own state
    assert git(worktree, "status", "--porcelain", "--ignored") == ""


def test_a_relative_gitdir_is_taken_from_the_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "sub"
    checkout.mkdir()
    (checkout / ".git").write_text("gitdir: ../modules/sub\n")
    assert Path(cache_folder(str(checkout))).resolve() == tmp_path / "modules" / "sub" / "pubflow"


def test_outside_a_repository_state_goes_to_the_user_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    folder = Path(cache_folder(str(plain)))
    assert folder.parent == tmp_path / "xdg" / "pubflow"
    assert len(folder.name) == 16 and int(folder.name, 16) >= 0
    link = tmp_path / "link"
    link.symlink_to(plain)
    assert cache_folder(str(link)) == str(folder)  # one repository, one folder
    other = tmp_path / "other"
    other.mkdir()
    assert cache_folder(str(other)) != str(folder)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Path(cache_folder(str(plain))) == tmp_path / "home" / ".cache" / "pubflow" / folder.name
    monkeypatch.setenv("XDG_CACHE_HOME", "")  # empty means unset
    assert Path(cache_folder(str(plain))).parent == tmp_path / "home" / ".cache" / "pubflow"


@pytest.mark.parametrize("content", [b"", b'{"cut": "sho', b"\xff\xfe{}", b"not json"])
def test_read_json_forgives_damaged_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    assert read_json(path) is None


def test_read_json_forgives_missing_and_unreadable_paths(tmp_path: Path) -> None:
    assert read_json(tmp_path / "missing.json") is None
    assert read_json(tmp_path) is None  # a folder
    (tmp_path / "ok.json").write_text('{"key": ["v", 1, null]}')
    assert read_json(str(tmp_path / "ok.json")) == {"key": ["v", 1, None]}


def test_write_json_creates_the_folder_and_replaces_whole(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.json"
    write_json(path, {"text": "é", "list": [1, 2]})
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == {"text": "é", "list": [1, 2]}
    assert " " not in text and "\n" not in text  # compact
    write_json(str(path), {"b": 2})
    assert json.loads(path.read_text()) == {"b": 2}
    assert names(path.parent) == ["state.json"]  # no temporary file left


def test_write_json_that_cannot_write_keeps_nothing_and_raises_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should be")
    write_json(blocker / "state.json", {"a": 1})
    assert blocker.read_text() == "a file where the folder should be"
    assert names(tmp_path) == ["blocker"]


def test_write_json_leaves_no_temporary_file_when_the_rename_fails(tmp_path: Path) -> None:
    (tmp_path / "state.json").mkdir()  # the rename over it fails
    write_json(tmp_path / "state.json", {"a": 1})
    assert names(tmp_path) == ["state.json"]


def test_is_racy_at_the_boundary() -> None:
    checked = 10 * RACY_NS
    assert is_racy(checked, checked)  # modified the moment it was checked
    assert is_racy(checked - RACY_NS, checked)  # exactly the granularity before: still racy
    assert not is_racy(checked - RACY_NS - 1, checked)
    assert is_racy(checked + 1, checked)  # modified after the check
    assert RACY_NS == 2_000_000_000
