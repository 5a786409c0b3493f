"""The git boundary on real repositories: what changed, committing exactly some paths, tags,
conflicts, and every failure turned into a `GitError` that says what git said."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pubflow.errors import EXIT_USAGE, GitError
from pubflow.storage import git as pgit
from tests.conftest import git


def commit_all(repo: Path, message: str = "commit") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD").strip()


def changed(repo: Path, base: str | None = None) -> list[str]:
    return [p.relative_to(repo).as_posix() for p in pgit.changed_files(repo, base)]


@pytest.fixture
def history(repo: Path) -> Path:
    """One commit with two patterns and a .gitignore."""
    (repo / "patterns" / "a.json").write_text("{}")
    (repo / "patterns" / "b.json").write_text("{}")
    (repo / ".gitignore").write_text("ignored/\n")
    commit_all(repo, "first")
    return repo


# --- changed_files ----------------------------------------------------------------------------


def test_nothing_changed_is_an_empty_list(history: Path) -> None:
    assert changed(history) == []


def test_uncommitted_files_are_changed_files(history: Path) -> None:
    (history / "patterns" / "a.json").write_text('{"a": 1}')  # modified, unstaged
    (history / "patterns" / "c.json").write_text("{}")
    git(history, "add", "patterns/c.json")  # added, staged
    (history / "patterns" / "new one é.json").write_text("{}")  # untracked, odd name
    (history / "ignored").mkdir()
    (history / "ignored" / "x.json").write_text("{}")  # ignored: not a change
    (history / "patterns" / "b.json").unlink()  # deleted: nothing to validate
    assert changed(history) == ["patterns/a.json", "patterns/c.json", "patterns/new one é.json"]
    assert all(p.is_absolute() for p in pgit.changed_files(history, None))


def test_a_rename_names_the_new_path(history: Path) -> None:
    git(history, "mv", "patterns/a.json", "patterns/renamed.json")
    assert changed(history) == ["patterns/renamed.json"]


def test_before_the_first_commit_staged_and_untracked_files_count(repo: Path) -> None:
    (repo / "patterns" / "staged.json").write_text("{}")
    git(repo, "add", "patterns/staged.json")
    (repo / "patterns" / "loose.json").write_text("{}")
    assert changed(repo) == ["patterns/loose.json", "patterns/staged.json"]


def test_against_a_base_the_diff_starts_at_the_merge_base(history: Path) -> None:
    git(history, "checkout", "-qb", "feature")
    (history / "patterns" / "feature.json").write_text("{}")
    commit_all(history, "feature work")
    git(history, "checkout", "-q", "main")
    (history / "patterns" / "on-main.json").write_text("{}")
    commit_all(history, "main moved on")
    git(history, "checkout", "-q", "feature")
    (history / "patterns" / "b.json").write_text('{"b": 2}')  # uncommitted, counts too
    assert changed(history, "main") == ["patterns/b.json", "patterns/feature.json"]
    assert changed(history) == ["patterns/b.json"]


def test_a_base_before_the_first_commit(repo: Path) -> None:
    (repo / "patterns" / "a.json").write_text("{}")
    first = commit_all(repo)
    (repo / "patterns" / "b.json").write_text("{}")
    commit_all(repo)
    assert changed(repo, first) == ["patterns/b.json"]


def test_an_unknown_base_is_a_git_error_naming_the_option(history: Path) -> None:
    with pytest.raises(GitError) as info:
        pgit.changed_files(history, "no-such-ref")
    assert info.value.message == "--base no-such-ref: no such commit in this repository"
    assert info.value.hint is not None and "git fetch origin main" in info.value.hint
    assert info.value.exit_code == EXIT_USAGE


def test_outside_a_repository_is_a_git_error_with_a_hint(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError) as info:
        pgit.changed_files(plain, None)
    assert info.value.message == f"{plain}: not a git repository"
    assert info.value.hint == "Run pubflow inside a git checkout (git init)."
    with pytest.raises(GitError, match="not a git repository"):
        pgit.ensure_repository(tmp_path / "missing")
    assert not pgit.is_repository(plain)


def test_a_root_in_a_subfolder_of_the_work_tree(history: Path) -> None:
    project = history / "project"
    (project / "patterns").mkdir(parents=True)
    (project / "pubflow.yaml").write_text("patterns_dir: patterns\n")
    (project / "patterns" / "new.json").write_text("{}")
    assert pgit.is_repository(project)
    assert changed(project) == ["patterns/new.json", "pubflow.yaml"]


# --- commits, configuration, tags -------------------------------------------------------------


def test_commit_paths_commits_exactly_those_paths(history: Path) -> None:
    (history / "patterns" / "mine.json").write_text("{}")
    (history / "patterns" / "theirs.json").write_text("{}")
    git(history, "add", "patterns/theirs.json")  # someone's own staged work
    sha = pgit.commit_paths(history, [history / "patterns" / "mine.json"], "Add mine")
    assert sha == pgit.head_sha(history) == git(history, "rev-parse", "HEAD").strip()
    assert git(history, "show", "--name-only", "--format=%s", "HEAD").split() == [
        "Add", "mine", "patterns/mine.json"]
    assert git(history, "diff", "--cached", "--name-only").split() == ["patterns/theirs.json"]
    (history / "patterns" / "a.json").write_text('{"a": 2}')
    again = pgit.commit_paths(history, [Path("patterns/a.json")], "Relative path")
    assert again != sha
    assert git(history, "diff", "--cached", "--name-only").split() == ["patterns/theirs.json"]


def test_commit_paths_of_a_missing_file_says_what_git_said(history: Path) -> None:
    with pytest.raises(GitError) as info:
        pgit.commit_paths(history, [Path("nope.json")], "message")
    assert info.value.message == (
        "`git add -- nope.json` failed (exit 128): fatal: pathspec 'nope.json' did not match "
        "any files")


def test_configuration_values(history: Path) -> None:
    assert pgit.user_email(history) is None
    assert pgit.get_config(history, "pubflow.unset") is None
    pgit.set_config(history, "user.email", "someone@example.org")
    assert pgit.user_email(history) == "someone@example.org"
    pgit.set_config(history, "merge.pubflow.name", "ticket merge")
    assert pgit.get_config(history, "merge.pubflow.name") == "ticket merge"


def test_tags_and_trailers(history: Path) -> None:
    start = pgit.head_sha(history)
    assert not pgit.tag_exists(history, "v1")
    pgit.create_tag(history, "v1", "first release", start)
    assert pgit.tag_exists(history, "v1")
    assert git(history, "cat-file", "-t", "v1").strip() == "tag"  # annotated
    with pytest.raises(GitError, match=r"^`git tag -a v1 -m again .*` failed \(exit 128\): "
                                       r"fatal: tag 'v1' already exists"):
        pgit.create_tag(history, "v1", "again", start)
    assert pgit.commit_with_trailer(history, start, "Pubflow-Ticket: PUB-1") is None
    (history / "patterns" / "a.json").write_text('{"a": 3}')
    wanted = commit_all(history, "Promote\n\nPubflow-Ticket: PUB-1")
    (history / "patterns" / "a.json").write_text('{"a": 4}')
    commit_all(history, "Unrelated")
    assert pgit.commit_with_trailer(history, start, "Pubflow-Ticket: PUB-1") == wanted
    assert pgit.commit_with_trailer(history, wanted, "Pubflow-Ticket: PUB-1") is None


def test_tracked_and_restore_paths(history: Path) -> None:
    start = pgit.head_sha(history)
    assert pgit.tracked(history, []) == set()
    assert pgit.tracked(history, ["patterns/a.json", "patterns/zzz.json"]) == {"patterns/a.json"}
    (history / "patterns" / "a.json").write_text('{"edited": true}')
    git(history, "add", "patterns/a.json")
    (history / "patterns" / "new.json").write_text("{}")
    git(history, "add", "patterns/new.json")
    pgit.restore_paths(history, start, ["patterns/a.json"], ["patterns/new.json"])
    assert (history / "patterns" / "a.json").read_text() == "{}"
    assert not (history / "patterns" / "new.json").exists()
    assert git(history, "status", "--porcelain") == ""


def test_repository_detection_and_init(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert not pgit.is_repository(fresh)
    pgit.init_repository(fresh)
    assert pgit.is_repository(fresh)
    pgit.ensure_repository(fresh)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(GitError, match=rf"^`git init {blocker}/sub` failed: "):
        pgit.init_repository(blocker / "sub")


# --- merge conflicts --------------------------------------------------------------------------


def test_conflicted_versions_and_staging_the_resolution(history: Path) -> None:
    git(history, "checkout", "-qb", "other")
    (history / "patterns" / "a.json").write_text('{"side": "theirs"}')
    git(history, "rm", "-q", "patterns/b.json")
    commit_all(history, "other side")
    git(history, "checkout", "-q", "main")
    (history / "patterns" / "a.json").write_text('{"side": "ours"}')
    (history / "patterns" / "b.json").write_text('{"b": "ours"}')
    commit_all(history, "our side")
    merge = subprocess.run(["git", "merge", "-q", "other"], cwd=history, capture_output=True,
                           check=False)
    assert merge.returncode != 0
    assert pgit.conflicted_versions(history, "patterns") == {
        "patterns/a.json": (b'{"side": "ours"}', b'{"side": "theirs"}'),
        "patterns/b.json": (b'{"b": "ours"}', None),  # they deleted it
    }
    assert pgit.conflicted_versions(history, "elsewhere") == {}
    (history / "patterns" / "a.json").write_text('{"side": "both"}')
    pgit.stage_paths(history, [history / "patterns" / "a.json", Path("patterns/b.json")])
    assert pgit.conflicted_versions(history, "patterns") == {}


def test_merge_file_text_counts_conflicts(tmp_path: Path) -> None:
    base, ours, theirs = (tmp_path / n for n in ("base", "ours", "theirs"))
    base.write_text("a\nb\nc\nd\ne\nf\n")
    ours.write_text("a\nB\nc\nd\ne\nf\n")
    theirs.write_text("a\nb\nc\nd\ne\nF\n")
    assert pgit.merge_file_text(ours, base, theirs) == 0
    assert ours.read_text() == "a\nB\nc\nd\ne\nF\n"
    theirs.write_text("a\nX\nc\nd\ne\nF\n")
    assert pgit.merge_file_text(ours, base, theirs) == 1
    merged = ours.read_text()
    assert "<<<<<<< ours" in merged and ">>>>>>> theirs" in merged
