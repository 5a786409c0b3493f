"""A pattern under an open ticket is locked: what is reviewed is what gets promoted.

This cross-file check compares each validated file with the sha256 pinned by a ticket in a
locked state. A repository without `.pubflow/tickets/` pays one `stat` for it; ticket files
are only read when the folder exists, and without the schema check (`ticket verify` reports
broken ticket files; here they are skipped so validate never stops on them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pubflow.checks.base import Issue

TICKETS_DIR = ".pubflow/tickets"


@dataclass(frozen=True, slots=True)
class Pin:
    ticket: str
    state: str
    path: str
    digest: str


def has_tickets(root: Path) -> bool:
    return (root / TICKETS_DIR).is_dir()


def locked_pins(root: Path) -> dict[str, Pin]:
    """Pattern path (repo-relative) -> the pin of the ticket that locks it."""
    from pubflow.errors import PubflowError
    from pubflow.tickets.states import LOCKED_STATES
    from pubflow.tickets.store import read_ticket_document

    pins: dict[str, Pin] = {}
    for path in sorted((root / TICKETS_DIR).glob("PUB-*.yaml")):
        try:
            doc = read_ticket_document(path, f"{TICKETS_DIR}/{path.name}")
            state = str(doc.get("state"))
            pattern = doc.get("pattern") or {}
            pin = Pin(str(doc.get("id")), state, str(pattern.get("path")),
                      str(pattern.get("digest")))
        except (PubflowError, AttributeError, TypeError):
            continue
        if state in LOCKED_STATES:
            pins[pin.path] = pin
    return pins


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
                 f"reviewer request changes and run `pubflow ticket resubmit {pin.ticket}`.")
