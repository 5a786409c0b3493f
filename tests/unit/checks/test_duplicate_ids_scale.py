"""A duplicate id is one finding per file that names the others by count and the first of them:
thirteen thousand copies make thirteen thousand short messages (issue 16: each message used to
list every other copy, 4.4 GB of SARIF)."""

from __future__ import annotations

from pubflow.checks.base import RepoEntry
from pubflow.checks.repository import cross_file_issues, duplicate_message


def test_thirteen_thousand_copies_make_one_short_finding_each() -> None:
    entries = [RepoEntry(f"patterns/copy-{i:05d}.json", "same", ()) for i in range(13_000)]
    found = list(cross_file_issues(entries, set()))
    assert len(found) == 13_000
    assert {file for file, _ in found} == {entry.file for entry in entries}
    assert max(len(issue.message) for _, issue in found) < 100
    assert found[0][1].message == ("id 'same' is also used by 12999 other files, first "
                                   "patterns/copy-00001.json")
    assert found[5][1].message == ("id 'same' is also used by 12999 other files, first "
                                   "patterns/copy-00000.json")


def test_two_files_name_each_other() -> None:
    holders = ["patterns/a.json", "patterns/b.json"]
    assert duplicate_message("x", "patterns/a.json", holders) == (
        "id 'x' is also used by patterns/b.json")
    assert duplicate_message("x", "patterns/b.json", holders) == (
        "id 'x' is also used by patterns/a.json")
