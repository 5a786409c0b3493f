"""Checks that need more than one file: id = file name, unique ids, related patterns exist.

They work on `PatternFacts` (id and related ids) rather than documents, so a cached run can
repeat them over ten thousand files without reading any of them again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pubflow.checks.base import CheckContext, FolderContext, RepoEntry
from pubflow.checks.runindex import RunIndex
from pubflow.findings import Issue


class IdMatchesFileCheck:
    """Per file, because the file name is all it needs."""

    name = "id-filename"

    def __call__(self, data: Any, context: CheckContext) -> Iterable[Issue]:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return []
        if data["id"] != context.file_stem:
            return [Issue("/id", "repo.id-filename",
                          f"id '{data['id']}' does not match the file name "
                          f"'{context.file_stem}.json'",
                          f"Rename the file to '{data['id']}.json' or set id to "
                          f"'{context.file_stem}'.")]
        return []


class CrossFileCheck:
    """Folder-wide: duplicate ids and unresolved links, against the whole patterns folder even
    when the run reads only some of its files (the others are known by their file names).

    A run over some files asks the folder only about the names it needs: each id and related
    id of the run names the one file per folder that may hold it (an id equals its file name),
    found with a stat (`discovery.PatternNames`), never a walk of the folder, so the pre-commit
    hook costs the same in a folder of a hundred patterns or of a hundred thousand. A big run
    keeps its files in a `RunIndex` on disk, and the rules become set queries over it."""

    name = "cross-file"

    def __call__(self, folder: FolderContext) -> Iterator[tuple[str, Issue]]:
        entries = folder.entries
        if not isinstance(entries, RunIndex):
            yield from self._over_list(folder, list(entries))
            return
        others: list[RepoEntry] = []
        known: set[str] = set()
        if not folder.covers_folder:
            others, known = files_by_name(folder, entries.wanted(), entries.holds)
        if entries.on_disk:
            entries.add_others(others)
            for row in entries.cross_file_rows():
                yield row[1], _worded(row)
            return
        entries.add_others(others)
        for file, issue in cross_file_issues(entries.everything(), known):
            if entries.mine(file):
                yield file, issue

    @staticmethod
    def _over_list(folder: FolderContext,
                   entries: list[RepoEntry]) -> Iterator[tuple[str, Issue]]:
        """The rules over a plain list of the run's files (all of them this process's)."""
        if folder.covers_folder:
            yield from cross_file_issues(entries, set())
            return
        in_run = {entry.file for entry in entries}
        wanted: dict[str, None] = {}
        for entry in entries:
            if entry.id is not None:
                wanted[entry.id] = None
            wanted.update(dict.fromkeys(entry.related))
        others, known = files_by_name(folder, wanted, in_run.__contains__)
        for file, issue in cross_file_issues(entries + others, known):
            if file in in_run:
                yield file, issue


def files_by_name(folder: FolderContext, wanted: Iterable[str],
                  in_run: Callable[[str], bool]) -> tuple[list[RepoEntry], set[str]]:
    """The patterns folder's files outside the run that are named after one of `wanted` (the
    ids and related ids of the run), each as an entry holding its file name as its id, in
    walk order per name; and the names found."""
    from pubflow.storage.discovery import PatternNames

    names = PatternNames(folder.config.patterns_path, folder.config.root)
    others: list[RepoEntry] = []
    known: set[str] = set()
    for value in wanted:
        for display in names.files_named(value):
            if not in_run(display):
                others.append(RepoEntry(display, value, ()))
                known.add(value)
    return others, known


def cross_file_issues(entries: list[RepoEntry], known_ids: set[str]) -> Iterator[tuple[str, Issue]]:
    """(file, issue) pairs for duplicate ids and unresolved relatedPatterns.

    `known_ids` holds every id in the patterns folder, including files not being validated
    in this run, so validating one file still checks its links against the whole repository.
    """
    holder: dict[str, str] = {}  # id -> its first file; a list per id only when shared
    shared: dict[str, list[str]] = {}
    for entry in entries:
        if entry.id is not None:
            first = holder.setdefault(entry.id, entry.file)
            if first != entry.file:
                shared.setdefault(entry.id, [first]).append(entry.file)
    for entry in entries:
        if entry.id in shared:
            holders = shared[entry.id]
            yield entry.file, duplicate_issue(entry.id, entry.file, holders[:2], len(holders))
        for index, related in enumerate(entry.related):
            if related == entry.id:
                yield entry.file, related_self_issue(index)
            elif related not in holder and related not in known_ids:
                yield entry.file, related_missing_issue(index, related)


def _worded(row: tuple[Any, ...]) -> Issue:
    """The issue of a row of `RunIndex.cross_file_rows`."""
    if row[0] == "duplicate":
        _, file, pattern_id, first_two, count = row
        return duplicate_issue(pattern_id, file, first_two, count)
    if row[0] == "self":
        return related_self_issue(row[2])
    return related_missing_issue(row[2], row[3])


def duplicate_issue(pattern_id: str, file: str, first_two: list[str], holders: int) -> Issue:
    return Issue("/id", "repo.duplicate-id",
                 _duplicate_wording(pattern_id, file, first_two, holders),
                 "Every pattern needs its own id; rename one of them.")


def related_self_issue(index: int) -> Issue:
    return Issue(f"/relatedPatterns/{index}", "repo.related-self",
                 f"relatedPatterns[{index}] names the pattern itself",
                 "Remove it; a pattern is not related to itself.")


def related_missing_issue(index: int, related: str) -> Issue:
    return Issue(f"/relatedPatterns/{index}", "repo.related-missing",
                 f"relatedPatterns[{index}] '{related}' does not exist in the repository",
                 "Fix the id, or add the related pattern first.")


def duplicate_message(pattern_id: str, file: str, holders: list[str]) -> str:
    """What one of the files sharing `pattern_id` is told: the other file when there is one,
    else how many others there are and the first of them.

    Never the whole list: with thirteen thousand copies of one pattern, each finding naming
    every other copy made a report of gigabytes; the count and one place keep each message
    short, so a report grows with the number of files, not with its square.
    """
    return _duplicate_wording(pattern_id, file, holders[:2], len(holders))


def _duplicate_wording(pattern_id: str, file: str, first_two: list[str], holders: int) -> str:
    first = first_two[1] if first_two[0] == file else first_two[0]
    others = holders - 1
    if others == 1:
        return f"id '{pattern_id}' is also used by {first}"
    return f"id '{pattern_id}' is also used by {others} other files, first {first}"
