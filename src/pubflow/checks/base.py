"""The interfaces every check implements: per file (`PatternCheck`) and folder-wide (`FolderCheck`).

A per-file check looks at one parsed document; a folder-wide check looks at what the run
kept of every file (`RepoEntry`) and at the repository around it. Both return `Issue`s (in
`pubflow.findings`): what is wrong and at which JSON pointer; the validation run places
them in the file. The registries in `pubflow.checks` list the checks in report order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from pubflow.config import Config

if TYPE_CHECKING:
    from pubflow.findings import Issue


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a per-file check may know besides the document itself."""

    config: Config
    file_stem: str
    derived: dict[str, Any] = field(default_factory=dict)
    """What a check worked out that the runner also reports (the scorecard's total), so it
    is not worked out twice."""


@dataclass(frozen=True, slots=True)
class RepoEntry:
    """One file of the run as the folder-wide checks see it."""

    file: str
    id: str | None
    related: tuple[str, ...]
    may_link: bool = True
    """Its bytes may hold a Markdown link (`PatternFacts.may_link`); when False, the link
    check need not read the file again."""


class FolderContext(NamedTuple):
    """What a folder-wide check may know: every file of the run, in order, and the folder.
    A NamedTuple, not a dataclass: made at every start, where a dataclass costs ~0.4 ms."""

    config: Config
    entries: Iterable[RepoEntry]
    """The files this run checks, in the run's order (display names sorted), as often as
    iterated: a list, or a `RunIndex` (`checks.runindex`) that may be on disk. A check yields
    its pairs in this order."""
    covers_folder: bool
    """The run reads every file of the patterns folder (no other file needs a look)."""
    online: float = 0.0
    """`validate --online`: fetch http(s) links, each within this many seconds (0: never)."""


if TYPE_CHECKING:  # a Protocol class costs a millisecond to create at every start
    from typing import Protocol

    class PatternCheck(Protocol):
        """A check of one pattern document; `name` shows up in `--verbose` output."""

        name: str

        def __call__(self, data: Any, context: CheckContext) -> Iterable[Issue]: ...

    class FolderCheck(Protocol):
        """A check across the files of a run: (file, issue) pairs for files of the run."""

        name: str

        def __call__(self, folder: FolderContext) -> Iterable[tuple[str, Issue]]: ...
