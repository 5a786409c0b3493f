"""Whether a repository has tickets at all, answered without loading the ticket store."""

from __future__ import annotations

from pathlib import Path

from pubflow.records.paths import PUBFLOW_DIR, TICKETS_DIR, has_tickets
from pubflow.records.store import TicketStore


def test_the_ticket_folder_is_inside_the_pubflow_folder() -> None:
    assert PUBFLOW_DIR == ".pubflow"
    assert TICKETS_DIR == ".pubflow/tickets"


def test_no_pubflow_folder_means_no_tickets(tmp_path: Path) -> None:
    assert not has_tickets(tmp_path)
    assert not has_tickets(str(tmp_path))
    (tmp_path / ".pubflow").mkdir()
    assert not has_tickets(tmp_path)


def test_the_tickets_folder_means_tickets(tmp_path: Path) -> None:
    (tmp_path / ".pubflow" / "tickets").mkdir(parents=True)
    assert has_tickets(tmp_path)
    assert has_tickets(str(tmp_path))


def test_a_file_named_like_the_folder_is_not_tickets(tmp_path: Path) -> None:
    (tmp_path / ".pubflow").mkdir()
    (tmp_path / ".pubflow" / "tickets").write_text("not a folder\n")
    assert not has_tickets(tmp_path)


def test_the_store_writes_where_has_tickets_looks(tmp_path: Path) -> None:
    store = TicketStore(tmp_path)
    assert not has_tickets(tmp_path)
    with store.locked():
        pass
    assert not has_tickets(tmp_path)  # taking the lock writes nothing in the work tree
    assert store.folder == tmp_path / TICKETS_DIR


def test_a_symlinked_tickets_folder_counts(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "repo"
    (root / ".pubflow").mkdir(parents=True)
    (root / ".pubflow" / "tickets").symlink_to(elsewhere, target_is_directory=True)
    assert has_tickets(root)
