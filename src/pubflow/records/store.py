"""Ticket files under `.pubflow/tickets/`: read (checked), written (atomically, under a lock).

Every load parses with ruamel's round-trip loader (comments survive), refuses YAML aliases
(an alias bomb can expand to gigabytes), migrates older `apiVersion`s and checks the result
against `schemas/ticket.schema.json`. A bad file stops the command with its name; nothing is
overwritten.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pubflow.errors import InputError
from pubflow.records.paths import PUBFLOW_DIR, TICKETS_DIR
from pubflow.records.tickets import API_VERSION, KIND, TICKET_ID, Ticket
from pubflow.storage import schemas
from pubflow.storage.files import atomic_write_bytes, exclusive_lock
from pubflow.storage.yaml import dump_yaml, load_yaml, to_plain

LOCK_NAME = "tickets.lock"
MAX_TICKET_BYTES = 2 * 1024 * 1024
HOUSEKEEPING = {
    ".gitignore": f"# pubflow's lock file is not history\n{LOCK_NAME}\n",
    ".gitattributes": "# two branches' audit entries both stay; `pubflow audit verify` accepts "
                      "the fork\naudit.jsonl merge=union\n",
}
"""Files pubflow keeps in `.pubflow/` and commits with its first change."""
MIGRATIONS: dict[str, str] = {"pubflow.dev/v1alpha1": API_VERSION}
"""Older apiVersions that read as the current one (the fields did not change)."""


def lock_path(root: Path) -> Path:
    """Where the lock of a read-change-write-commit cycle lives: in git's common directory,
    so every worktree of the repository is serialised by the same lock (outside git, in
    `.pubflow/`)."""
    from pubflow.storage.statefile import shared_folder

    if not (root / ".git").exists():
        return root / PUBFLOW_DIR / LOCK_NAME
    folder = Path(shared_folder(str(root)))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / LOCK_NAME


class TicketStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / TICKETS_DIR

    def path_of(self, ticket_id: str) -> Path:
        if not TICKET_ID.match(ticket_id):
            raise InputError(f"'{ticket_id}' is not a ticket id",
                             hint="Ticket ids look like PUB-2026-001; see `pubflow ticket list`.")
        return self.folder / f"{ticket_id}.yaml"

    def display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """An exclusive lock for a whole read-change-write-commit cycle. Taking it writes
        nothing in the work tree (the housekeeping files come with the first commit,
        `records.transaction`)."""
        with exclusive_lock(lock_path(self.root)):  # flock, or msvcrt on Windows
            yield

    def ids(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        found = [p.name[:-5] for p in self.folder.iterdir() if p.name.endswith(".yaml")]
        return sorted((i for i in found if TICKET_ID.match(i)), key=_id_key)

    def exists(self, ticket_id: str) -> bool:
        return self.path_of(ticket_id).is_file()

    def load(self, ticket_id: str) -> Ticket:
        path = self.path_of(ticket_id)
        if not path.is_file():
            raise InputError(f"{self.display(path)}: no ticket {ticket_id}",
                             hint="See `pubflow ticket list` for the tickets in this repository.")
        return self.load_path(path)

    def load_path(self, path: Path, *, for_reading_only: bool = False) -> Ticket:
        """The checked ticket. `for_reading_only` parses with the C loader (about 7x faster)
        into plain dicts: right for summaries, wrong for a ticket that will be written back."""
        shown = self.display(path)
        doc = read_ticket_document(path, shown, round_trip=not for_reading_only)
        check_schema(doc, shown)
        ticket = Ticket(doc, path)
        if ticket.id != path.name[:-5]:
            raise InputError(f"{shown}: id '{ticket.id}' does not match the file name",
                             hint="A ticket file is named after its id.")
        self.check_pattern_path(ticket.pattern.path, shown)
        return ticket

    def check_pattern_path(self, pattern_path: str, shown: str) -> Path:
        """The pinned path, refused when it leads outside the repository (even via symlink)."""
        full = self.root / pattern_path
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(full)
        if Path(pattern_path).is_absolute() or not (real == real_root or
                                                    real.startswith(real_root + os.sep)):
            raise InputError(f"{shown}: pattern path '{pattern_path}' is outside the repository",
                             hint="A ticket can only pin a pattern inside this repository.")
        return full

    def next_id(self, now: datetime) -> str:
        """The next id of `now`'s year: past every ticket file and every id the audit log
        has ever recorded, so an id is never issued twice, even after a ticket file was
        deleted (or a crash left one uncommitted)."""
        import re

        from pubflow.records.audit import AUDIT_FILE

        year = f"{now.year:04d}"
        numbers = [int(m.group(2)) for i in self.ids()
                   if (m := TICKET_ID.match(i)) and m.group(1) == year]
        try:
            log = (self.root / AUDIT_FILE).read_bytes()
        except OSError:
            log = b""
        # pubflow writes the log compactly (`"ticket":"PUB-..."`); a scan of the bytes reads
        # 50 000 entries in milliseconds, where parsing each would take a second
        issued = re.findall(rb'"ticket": ?"PUB-' + year.encode() + rb'-(\d{3,})"', log)
        numbers += [int(n) for n in issued]
        return f"PUB-{year}-{max(numbers, default=0) + 1:03d}"

    def save(self, ticket: Ticket) -> None:
        check_schema(ticket.doc, self.display(ticket.path))
        atomic_write_bytes(ticket.path, dump_yaml(ticket.doc))


def new_document(ticket_id: str) -> Any:
    from ruamel.yaml.comments import CommentedMap

    doc = CommentedMap()
    doc["apiVersion"] = API_VERSION
    doc["kind"] = KIND
    doc["id"] = ticket_id
    return doc


def read_ticket_document(path: Path, shown: str, *, round_trip: bool = True) -> Any:
    try:
        if path.stat().st_size > MAX_TICKET_BYTES:
            raise InputError(f"{shown}: ticket file is larger than {MAX_TICKET_BYTES} bytes")
        content = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from exc
    return parse_ticket_bytes(content, shown, round_trip=round_trip)


def parse_ticket_bytes(content: bytes, shown: str, *, round_trip: bool = True) -> Any:
    """A ticket document from raw bytes (a file, or one side of a git merge): UTF-8, YAML
    without aliases, a mapping, older apiVersions migrated. Not yet schema-checked."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown}: not valid UTF-8 (byte offset {exc.start})") from exc
    doc = load_yaml(text, shown, round_trip=round_trip)
    if not isinstance(doc, dict):
        raise InputError(f"{shown}:1:1: a ticket must be a YAML mapping, "
                         f"not {'an empty file' if doc is None else type(doc).__name__}")
    old = doc.get("apiVersion")
    if isinstance(old, str) and old in MIGRATIONS:
        doc["apiVersion"] = MIGRATIONS[old]
    return doc


def schema_problems(doc: Any) -> list[str]:
    return schemas.schema_problems("ticket.schema.json", to_plain(doc))


def check_schema(doc: Any, shown: str) -> None:
    """Stop with every schema problem of a ticket document about to be written or read."""
    problems = schema_problems(doc)
    if problems:
        raise InputError(f"{shown}: does not follow the ticket schema:\n" + "\n".join(problems),
                         hint="See schemas/ticket.schema.json; `git diff` shows hand edits.")


def _id_key(ticket_id: str) -> tuple[int, int]:
    match = TICKET_ID.match(ticket_id)
    assert match is not None
    return int(match.group(1)), int(match.group(2))
