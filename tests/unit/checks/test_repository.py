"""Checks across files: the id names the file, ids are unique, relatedPatterns resolve (against
the whole patterns folder, even when the run reads only some of it)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

import pytest

from pubflow.checks.base import CheckContext, FolderContext, RepoEntry
from pubflow.checks.repository import CrossFileCheck, IdMatchesFileCheck, cross_file_issues
from pubflow.checks.runindex import RunIndex
from pubflow.config import Config
from pubflow.findings import Issue, Severity


def entry(file: str, pattern_id: str | None, *related: str) -> RepoEntry:
    return RepoEntry(f"patterns/{file}.json", pattern_id, related)


def found(pairs: Iterable[tuple[str, Issue]]) -> list[tuple[str, str, str, str]]:
    return [(file, issue.pointer, issue.rule, issue.message) for file, issue in pairs]


def test_the_id_must_name_the_file() -> None:
    check = IdMatchesFileCheck()
    context = CheckContext(config=Config(), file_stem="incident-escalation")
    assert list(check({"id": "incident-escalation"}, context)) == []
    (issue,) = check({"id": "other-name"}, context)
    assert issue == Issue(
        "/id", "repo.id-filename",
        "id 'other-name' does not match the file name 'incident-escalation.json'",
        "Rename the file to 'other-name.json' or set id to 'incident-escalation'.")
    assert issue.severity is Severity.ERROR
    for not_checked in ({}, {"id": 5}, {"id": None}, [], "id"):
        assert list(check(not_checked, context)) == []  # the schema check reports these


def test_a_shared_id_is_reported_on_every_file_naming_the_others() -> None:
    entries = [entry("a", "same"), entry("b", "same"), entry("c", "unique"), entry("d", "same"),
               entry("e", None)]
    assert found(cross_file_issues(entries, set())) == [
        ("patterns/a.json", "/id", "repo.duplicate-id",
         "id 'same' is also used by 2 other files, first patterns/b.json"),
        ("patterns/b.json", "/id", "repo.duplicate-id",
         "id 'same' is also used by 2 other files, first patterns/a.json"),
        ("patterns/d.json", "/id", "repo.duplicate-id",
         "id 'same' is also used by 2 other files, first patterns/a.json"),
    ]


def test_related_patterns_must_resolve_and_not_name_the_pattern_itself() -> None:
    entries = [entry("a", "a", "b", "a", "missing", "known-elsewhere"), entry("b", "b", "a"),
               entry("c", None, "c")]
    pairs = list(cross_file_issues(entries, {"known-elsewhere"}))
    assert found(pairs) == [
        ("patterns/a.json", "/relatedPatterns/1", "repo.related-self",
         "relatedPatterns[1] names the pattern itself"),
        ("patterns/a.json", "/relatedPatterns/2", "repo.related-missing",
         "relatedPatterns[2] 'missing' does not exist in the repository"),
        ("patterns/c.json", "/relatedPatterns/0", "repo.related-missing",
         "relatedPatterns[0] 'c' does not exist in the repository"),
    ]
    assert pairs[0][1].hint == "Remove it; a pattern is not related to itself."
    assert pairs[1][1].hint == "Fix the id, or add the related pattern first."


def test_per_file_the_duplicate_comes_before_the_links() -> None:
    entries = [entry("a", "x", "nowhere"), entry("b", "x")]
    assert [rule for _, _, rule, _ in found(cross_file_issues(entries, set()))] == [
        "repo.duplicate-id", "repo.related-missing", "repo.duplicate-id"]


def folder_with(tmp_path: Path, *stems: str) -> Config:
    (tmp_path / "patterns").mkdir(exist_ok=True)
    for stem in stems:
        (tmp_path / "patterns" / f"{stem}.json").write_text("{not even read")
    return Config(root=tmp_path)


def test_a_run_over_the_whole_folder_needs_no_look_at_the_disk(tmp_path: Path) -> None:
    config = folder_with(tmp_path, "on-disk-only")
    entries = [entry("a", "a", "on-disk-only")]
    pairs = found(CrossFileCheck()(FolderContext(config, entries, covers_folder=True)))
    assert pairs == [("patterns/a.json", "/relatedPatterns/0", "repo.related-missing",
                      "relatedPatterns[0] 'on-disk-only' does not exist in the repository")]


def test_a_partial_run_knows_the_other_files_by_their_names(tmp_path: Path) -> None:
    config = folder_with(tmp_path, "a", "b", "taken")
    entries = [entry("a", "a", "b", "gone"), entry("x", "taken")]
    pairs = found(CrossFileCheck()(FolderContext(config, entries, covers_folder=False)))
    assert pairs == [
        ("patterns/a.json", "/relatedPatterns/1", "repo.related-missing",
         "relatedPatterns[1] 'gone' does not exist in the repository"),
        ("patterns/x.json", "/id", "repo.duplicate-id",
         "id 'taken' is also used by patterns/taken.json"),
    ]  # files outside the run get no findings of their own


def test_a_partial_run_without_a_patterns_folder(tmp_path: Path) -> None:
    entries = [entry("a", "a", "b")]
    pairs = found(CrossFileCheck()(FolderContext(Config(root=tmp_path), entries, False)))
    assert [rule for _, _, rule, _ in pairs] == ["repo.related-missing"]


def test_the_checks_have_names() -> None:
    assert IdMatchesFileCheck.name == "id-filename"
    assert CrossFileCheck.name == "cross-file"


# --- a partial run answers from stats exactly as from a walk (issue 19) ------------------------


def walked_issues(folder: FolderContext) -> list[tuple[str, str, str, str]]:
    """The check as it was before issue 19: every file of the patterns folder walked and
    known by its name (the reference the stat lookups must equal)."""
    from pubflow.storage.discovery import pattern_stems

    config = folder.config
    in_run = {entry.file for entry in folder.entries}
    stems = pattern_stems(config.patterns_path, config.root)
    others = {d: s for d, s in stems.items() if d not in in_run}
    entries = list(folder.entries) + [RepoEntry(d, s, ()) for d, s in others.items()]
    return found((file, issue) for file, issue in cross_file_issues(entries, set(others.values()))
                 if file in in_run)


@pytest.mark.parametrize("seed", range(12))
def test_a_partial_run_finds_what_a_walk_of_the_folder_finds(tmp_path: Path, seed: int) -> None:
    """Random folders (subfolders, hidden and tool folders, a folder named like a pattern,
    the same name in several folders) and random runs over some of their files and others
    outside the folder: the same findings, in the same order, as the walk."""
    rng = random.Random(seed)
    names = [f"p{i}" for i in range(8)] + ["dup", ".hidden", "odd"]
    folders = ["", "sub/", "sub/deeper/", "z/", ".cache/", "node_modules/", "x.json/"]
    root = tmp_path / "repo"
    files: list[str] = []
    for _ in range(rng.randint(3, 14)):
        display = f"patterns/{rng.choice(folders)}{rng.choice(names)}.json"
        path = root / display
        if not path.parent.is_dir() and path.parent.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text("{}")
            files.append(display)
    (root / "elsewhere").mkdir(parents=True)
    ids = [*names, "missing", "", "sub/p1", None]
    entries = []
    for display in [*rng.sample(files, rng.randint(0, len(files))), "elsewhere/e.json"]:
        related = tuple(str(x) for x in rng.sample(ids, 3) if x is not None)
        entries.append(RepoEntry(display, rng.choice(ids), related))
    entries.sort(key=lambda e: e.file)
    context = FolderContext(Config(root=root), entries, covers_folder=False)
    assert found(CrossFileCheck()(context)) == walked_issues(context)


# --- the run's index: in memory or on disk, the same findings (issue 19) ----------------------


def indexed(entries: list[tuple[RepoEntry, bool]], spill_from: int) -> RunIndex:
    index = RunIndex(spill_from)
    for item, mine in entries:
        index.add(item, mine=mine)
    return index


@pytest.mark.parametrize("seed", range(16))
def test_the_index_on_disk_finds_what_the_list_finds(tmp_path: Path, seed: int) -> None:
    """Random runs (shared ids, missing and self links, files of other slices, files outside
    the run named like ids, odd text): the SQLite index gives the list's findings, in order."""
    rng = random.Random(seed)
    root = tmp_path / "repo"
    names = ["a", "b", "c", "dup", "caf\u00e9", "odd\ud800", ""]
    for name in rng.sample(names[:5], 3):  # files outside the run, known by name
        (root / "patterns" / "more").mkdir(parents=True, exist_ok=True)
        (root / "patterns" / "more" / f"{name}.json").write_text("{}")
    (root / "patterns").mkdir(parents=True, exist_ok=True)
    entries = []
    for number in range(rng.randint(1, 30)):
        pattern_id = rng.choice([*names, None])
        related = tuple(rng.choice(names) for _ in range(rng.randint(0, 3)))
        mine = rng.random() < 0.7
        entries.append((RepoEntry(f"patterns/p{number:02d}.json", pattern_id,
                                  related if mine else ()), mine))
    covers = rng.random() < 0.5
    config = Config(root=root)
    everything = [item for item, _ in entries]
    expected = found(CrossFileCheck()(FolderContext(config, everything, covers)))
    mine_files = {item.file for item, mine in entries if mine}
    expected = [row for row in expected if row[0] in mine_files]
    for spill_from in (1000, 0):
        index = indexed(entries, spill_from)
        assert index.on_disk == (spill_from == 0)
        assert list(index) == [item for item, mine in entries if mine]
        assert found(CrossFileCheck()(FolderContext(config, index, covers))) == expected
        index.close()


def test_the_index_moves_to_disk_at_its_threshold() -> None:
    entries = [(RepoEntry(f"p{i}.json", f"id-{i % 3}", ("x",)), i % 2 == 0) for i in range(7)]
    index = indexed(entries, 5)
    assert index.on_disk and index.files == 7 and len(index) == 4
    assert list(index) == [item for item, mine in entries if mine]
    assert list(index) == [item for item, mine in entries if mine]  # as often as asked
    assert list(index.flags()) == [(item.file, 0) for item, mine in entries if mine]
    assert index.holds("p1.json") and not index.holds("p9.json")
    assert sorted(index.wanted()) == ["id-0", "id-1", "id-2", "x"]
