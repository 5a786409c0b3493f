"""Checks across files: the id names the file, ids are unique, relatedPatterns resolve (against
the whole patterns folder, even when the run reads only some of it)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pubflow.checks.base import CheckContext, FolderContext, RepoEntry
from pubflow.checks.repository import CrossFileCheck, IdMatchesFileCheck, cross_file_issues
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
