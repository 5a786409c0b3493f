"""records.history on real git histories built with plain git commits: appends, merges of
two appending branches, and each way of rewriting history, found with the commit."""

from __future__ import annotations

from pathlib import Path

from pubflow.records.history import check_history, compare_histories, compare_logs, from_git
from pubflow.storage import git as gitrepo
from tests.conftest import git

AUDIT = ".pubflow/audit.jsonl"


def event(n: int, **extra: object) -> dict[str, object]:
    return {"at": f"2026-01-0{n}T00:00:00Z", "event": f"e{n}", "hash": f"h{n}", **extra}


def walk(root: Path, since: str | None = None) -> list[str]:
    commits = from_git(gitrepo.commits_changing(root, [".pubflow"], since))
    result = check_history(commits, lambda s: gitrepo.read_blobs(root, s),
                           lambda s: gitrepo.blob_sizes(root, s))
    return [str(p) for p in result.problems]


def write_log(root: Path, lines: list[str], message: str) -> str:
    path = root / AUDIT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "--short=7", "HEAD").strip()


def test_histories_that_only_grow() -> None:
    assert compare_histories([event(1)], [event(1), event(2)]) is None
    assert compare_histories([event(1), event(2)], [event(1), event(2)]) is None


def test_a_fork_the_merge_driver_made_keeps_every_event() -> None:
    ours = [event(1), event(2)]
    moved = {**event(3), "hash": "x3", "prev": "h2", "merged_from": "h3"}
    assert compare_histories([event(1), event(3)], [*ours, moved]) is None
    merged = {"event": "merged", "superseded": [event(3)], "hash": "m"}
    assert compare_histories([event(1), event(3)], [*ours, merged]) is None


def test_each_way_of_rewriting_a_history_is_named() -> None:
    old = [event(1), event(2), event(3)]
    assert compare_histories(old, old[:1]) == "history truncated: events 2-3 removed"
    assert compare_histories(old, [event(1), event(3), event(2)]) == (
        "history reordered: event 3 (e3 at 2026-01-03T00:00:00Z) is now event 2")
    assert compare_histories(old, [event(1), {**event(2), "actor": "x"}, event(3)]) == (
        "event 2 (e2 at 2026-01-02T00:00:00Z) was rewritten or removed")
    assert compare_histories(old, [event(5)]).startswith("history replaced")
    moved = {**event(2), "actor": "forged", "merged_from": "h2", "hash": "y"}
    assert compare_histories(old[:2], [event(1), event(9), moved]) is not None


def test_logs_that_only_grow_and_union_merges() -> None:
    assert compare_logs(b"a\nb\n", b"a\nb\nc\n", merge=False) is None
    assert compare_logs(b"a\nb\n", b"a\nc\nb\n", merge=True) is None
    assert compare_logs(b"a\nb\n", b"a\nc\nb\n", merge=False) == (
        "the log was reordered: line 2 is now line 3")
    assert compare_logs(b"a\nb\nc\n", b"a\n", merge=False) == (
        "the log was truncated: 2 entries cut off after line 1")
    assert compare_logs(b"a\n{\"seq\":", b"a\nb\n", merge=False) is None  # a torn write


def test_a_real_history_with_a_merge_and_a_truncation(repo: Path) -> None:
    write_log(repo, ["1"], "one")
    git(repo, "checkout", "-q", "-b", "side")
    write_log(repo, ["1", "2b"], "side")
    git(repo, "checkout", "-q", "main")
    write_log(repo, ["1", "2a"], "main")
    (repo / ".gitattributes").write_text(f"{AUDIT} merge=union\n")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-q", "-m", "attributes")
    git(repo, "merge", "-q", "--no-edit", "side")
    assert walk(repo) == []
    base = git(repo, "rev-parse", "HEAD").strip()
    bad = write_log(repo, ["1"], "cut")
    write_log(repo, ["1", "3"], "more")
    assert walk(repo) == [f'{AUDIT}: the log was truncated: 2 entries cut off after line 1 '
                          f'(commit {bad} "cut")']
    assert walk(repo, since="HEAD~1") == []
    assert walk(repo, since=base) == walk(repo)
