from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pubflow.errors import InputError
from pubflow.records.chain import chain_breaks
from pubflow.records.states import State
from pubflow.records.store import TicketStore, new_document
from pubflow.records.tickets import PinnedPattern, Ticket, append_event
from pubflow.storage.yaml import dump_yaml

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DIGEST = "a" * 64


def make_ticket(store: TicketStore, ticket_id: str = "PUB-2026-001") -> Ticket:
    doc = new_document(ticket_id)
    doc["state"] = "submission_received"
    doc["pattern"] = {}
    doc["author"] = {"id": "jdoe", "email": "jane.doe@example.org"}
    doc["reviewer"] = None
    doc["due"] = None
    ticket = Ticket(doc, store.path_of(ticket_id))
    ticket.pin(PinnedPattern("incident-escalation", "patterns/incident-escalation.json",
                             "1.0.0", DIGEST, ("saas",)))
    append_event(doc, actor="jdoe", event="submitted", from_state=None,
                 to=State.SUBMISSION_RECEIVED, now=NOW)
    store.folder.mkdir(parents=True, exist_ok=True)
    store.save(ticket)
    return ticket


def test_round_trip_keeps_human_comments(tmp_path: Path) -> None:
    store = TicketStore(tmp_path)
    make_ticket(store)
    path = store.path_of("PUB-2026-001")
    text = path.read_text().replace("state: submission_received",
                                    "# checked with legal\nstate: submission_received")
    path.write_text(text)
    ticket = store.load("PUB-2026-001")
    ticket.transition(State.READY_FOR_REVIEW, actor="bot", event="validated", now=NOW)
    store.save(ticket)
    again = path.read_text()
    assert "# checked with legal" in again
    assert store.load("PUB-2026-001").state is State.READY_FOR_REVIEW


def test_history_is_hash_chained(tmp_path: Path) -> None:
    store = TicketStore(tmp_path)
    ticket = make_ticket(store)
    ticket.transition(State.READY_FOR_REVIEW, actor="bot", event="validated", now=NOW)
    history = list(ticket.doc["history"])
    assert history[1]["prev"] == history[0]["hash"]
    assert history[0]["prev"] is None
    assert chain_breaks(history) == []
    history[0]["reason"] = "edited"
    assert [i for i, _ in chain_breaks(history)] == [0]


def test_timestamps_stay_strings(tmp_path: Path) -> None:
    store = TicketStore(tmp_path)
    make_ticket(store)
    event = store.load("PUB-2026-001").history[0]
    assert event.at == "2026-11-23T10:00:00Z"


def test_next_id_counts_per_year(tmp_path: Path) -> None:
    store = TicketStore(tmp_path)
    assert store.next_id(NOW) == "PUB-2026-001"
    make_ticket(store, "PUB-2026-009")
    assert store.next_id(NOW) == "PUB-2026-010"
    assert store.next_id(datetime(2027, 1, 1, tzinfo=UTC)) == "PUB-2027-001"


@pytest.mark.parametrize(("content", "message"), [
    ("state: [unclosed\n", "invalid YAML"),
    ("- a list\n", "a ticket must be a YAML mapping"),
    ("", "a ticket must be a YAML mapping, not an empty file"),
    ("a: &x [1, 2]\nb: [*x, *x]\n", "YAML aliases (*x) are not allowed in ticket files"),
    ("apiVersion: pubflow.dev/v1\nkind: PublicationTicket\n", "does not follow the ticket schema"),
])
def test_bad_ticket_files_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    store = TicketStore(tmp_path)
    store.folder.mkdir(parents=True)
    store.path_of("PUB-2026-001").write_text(content)
    with pytest.raises(InputError) as info:
        store.load("PUB-2026-001")
    assert info.value.message.startswith(".pubflow/tickets/PUB-2026-001.yaml")
    assert message in info.value.message
    assert info.value.exit_code == 2


def test_pattern_path_outside_the_repo_is_refused(tmp_path: Path) -> None:
    store = TicketStore(tmp_path)
    ticket = make_ticket(store)
    text = dump_yaml(ticket.doc).decode().replace("path: patterns/incident-escalation.json",
                                                  "path: patterns/../../etc/passwd")
    ticket.path.write_text(text)
    with pytest.raises(InputError, match="does not follow the ticket schema"):
        store.load("PUB-2026-001")
    (tmp_path / "patterns").mkdir()
    (tmp_path / "patterns" / "evil.json").symlink_to("/etc/passwd")
    ticket.path.write_text(text.replace("patterns/../../etc/passwd", "patterns/evil.json"))
    with pytest.raises(InputError, match=r"pattern path 'patterns/evil\.json' is outside"):
        store.load("PUB-2026-001")


def test_older_api_version_is_migrated(tmp_path: Path) -> None:
    store = TicketStore(tmp_path)
    ticket = make_ticket(store)
    ticket.path.write_text(ticket.path.read_text().replace("pubflow.dev/v1", "pubflow.dev/v1alpha1"))
    assert store.load("PUB-2026-001").doc["apiVersion"] == "pubflow.dev/v1"


def test_not_a_ticket_id(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"'\.\./x' is not a ticket id"):
        TicketStore(tmp_path).path_of("../x")


@pytest.mark.skipif(sys.platform == "win32", reason="the test probes the lock with fcntl")
def test_worktrees_share_one_lock(tmp_path: Path) -> None:
    """Two worktrees of one repository are serialised by the same lock (issue 15, item 3):
    while a process holds it in one worktree, the other cannot take it."""
    import fcntl
    import os
    import subprocess
    import sys

    from pubflow.records.store import lock_path
    from tests.conftest import PROJECT, git

    main = tmp_path / "main"
    main.mkdir()
    git(main, "init", "-q")
    git(main, "commit", "-q", "--allow-empty", "-m", "start")
    other = tmp_path / "other"
    git(main, "worktree", "add", "-q", str(other))
    assert lock_path(main) == lock_path(other)
    assert not str(lock_path(other)).startswith(str(other))  # not in a work tree
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom pathlib import Path\n"
         "from pubflow.records.store import TicketStore\n"
         f"with TicketStore(Path({str(main)!r})).locked():\n"
         "    print('held', flush=True)\n    sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT / "src")})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        fd = os.open(lock_path(other), os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    finally:
        holder.communicate("\n", timeout=10)
