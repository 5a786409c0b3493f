"""Checks that need more than one file: id = file name, unique ids, related patterns exist.

They work on `PatternFacts` (id and related ids) rather than documents, so a cached run can
repeat them over ten thousand files without reading any of them again.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from typing import Any

from pubflow.checks.base import CheckContext, FolderContext, RepoEntry
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
    hook costs the same in a folder of a hundred patterns or of a hundred thousand."""

    name = "cross-file"

    def __call__(self, folder: FolderContext) -> Iterator[tuple[str, Issue]]:
        entries = list(folder.entries)
        if folder.covers_folder:
            yield from cross_file_issues(entries, set())
            return
        in_run = {entry.file for entry in entries}
        others, known = files_by_name(folder, entries, in_run)
        for file, issue in cross_file_issues(entries + others, known):
            if file in in_run:
                yield file, issue


def files_by_name(folder: FolderContext, entries: Iterable[RepoEntry],
                  in_run: Container[str]) -> tuple[list[RepoEntry], set[str]]:
    """The patterns folder's files outside the run that are named after an id or a related id
    of `entries` (each as an entry holding its file name as its id, in walk order per name),
    and the names found."""
    from pubflow.storage.discovery import PatternNames

    names = PatternNames(folder.config.patterns_path, folder.config.root)
    wanted: dict[str, None] = {}
    for entry in entries:
        if entry.id is not None:
            wanted[entry.id] = None
        wanted.update(dict.fromkeys(entry.related))
    others: list[RepoEntry] = []
    known: set[str] = set()
    for value in wanted:
        for display in names.files_named(value):
            if display not in in_run:
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
            yield entry.file, Issue("/id", "repo.duplicate-id",
                                    duplicate_message(entry.id, entry.file, shared[entry.id]),
                                    "Every pattern needs its own id; rename one of them.")
        for index, related in enumerate(entry.related):
            if related == entry.id:
                yield entry.file, Issue(f"/relatedPatterns/{index}", "repo.related-self",
                                        f"relatedPatterns[{index}] names the pattern itself",
                                        "Remove it; a pattern is not related to itself.")
            elif related not in holder and related not in known_ids:
                yield entry.file, Issue(f"/relatedPatterns/{index}", "repo.related-missing",
                                        f"relatedPatterns[{index}] '{related}' does not exist "
                                        "in the repository",
                                        "Fix the id, or add the related pattern first.")


def duplicate_message(pattern_id: str, file: str, holders: list[str]) -> str:
    """What one of the files sharing `pattern_id` is told: the other file when there is one,
    else how many others there are and the first of them.

    Never the whole list: with thirteen thousand copies of one pattern, each finding naming
    every other copy made a report of gigabytes; the count and one place keep each message
    short, so a report grows with the number of files, not with its square.
    """
    first = holders[1] if holders[0] == file else holders[0]
    others = len(holders) - 1
    if others == 1:
        return f"id '{pattern_id}' is also used by {first}"
    return f"id '{pattern_id}' is also used by {others} other files, first {first}"
