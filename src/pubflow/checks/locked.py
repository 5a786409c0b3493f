"""A pattern under an open ticket is locked: what is reviewed is what gets promoted.

This folder-wide check compares each validated file with the sha256 pinned by a ticket in a
locked state. A repository without `.pubflow/tickets/` pays one `stat` for it; ticket files
are only read when the folder exists, through the ticket index (`records/index.py`), and a
broken ticket file is skipped here so validate never stops on it (`ticket verify` reports it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pubflow.findings import Issue

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pubflow.checks.base import FolderContext


class Pin(NamedTuple):
    """A ticket's pin on a pattern. A NamedTuple, not a dataclass: this module is imported on
    every run, and creating a dataclass costs about half a millisecond at each start."""

    ticket: str
    state: str
    path: str
    digest: str


class TicketLockCheck:
    """Folder-wide: a `ticket.locked` finding for each file of the run that differs from the
    pin of the ticket locking it. Without `.pubflow/tickets/` it costs one `stat`."""

    name = "ticket-lock"

    def __call__(self, folder: FolderContext) -> Iterator[tuple[str, Issue]]:
        from pubflow.records.paths import has_tickets

        root = folder.config.root
        pins = locked_pins(root) if has_tickets(root) else {}
        for entry in folder.entries if pins else ():
            pin = pins.get(entry.file)
            issue = locked_issue(root, entry.file, pin) if pin else None
            if issue is not None:
                yield entry.file, issue


def locked_pins(root: Path) -> dict[str, Pin]:
    """Pattern path (repo-relative) -> the pin of the ticket that locks it."""
    from pubflow.records.index import summaries
    from pubflow.records.states import LOCKED_STATES
    from pubflow.records.store import TicketStore

    return {s.pattern_path: Pin(s.id, s.state, s.pattern_path, s.digest)
            for s in summaries(TicketStore(root), skip_invalid=True)
            if s.state in LOCKED_STATES}


def locked_issue(root: Path, display: str, pin: Pin) -> Issue | None:
    try:
        digest = hashlib.sha256((root / display).read_bytes()).hexdigest()
    except OSError:
        digest = ""
    if digest == pin.digest:
        return None
    return Issue("", "ticket.locked",
                 f"pattern is locked by ticket {pin.ticket} ({pin.state}): its content differs "
                 f"from the reviewed version (sha256 {pin.digest[:12]})",
                 f"Restore the pinned content (`git checkout -- {display}`), or have the "
                 f"reviewer request changes and run `pubflow ticket resubmit {pin.ticket}`.",
                 whole_file=True)
