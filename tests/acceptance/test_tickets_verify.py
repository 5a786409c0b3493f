"""`pubflow ticket verify`: tamper evidence and consistency of ticket files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.tickets_support import create, in_review, invoke, setup_repo
from tests.conftest import valid_pattern

WritePattern = Callable[..., Path]


def ticket_file(repo: Path, ticket_id: str) -> Path:
    return repo / ".pubflow/tickets" / f"{ticket_id}.yaml"


def test_clean_tickets_verify(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    code, out, err = invoke("ticket", "verify")
    assert code == 0, out + err
    assert out.strip() == "1 ticket(s) verified"
    code, out, _ = invoke("ticket", "verify", ticket_id)
    assert code == 0


def test_no_tickets_at_all(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    code, out, _ = invoke("ticket", "verify")
    assert code == 0
    assert "0 ticket(s) verified" in out


def test_hand_edited_past_event_is_detected(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    path = ticket_file(repo, ticket_id)
    path.write_text(path.read_text().replace("actor: jdoe", "actor: someone-else", 1))
    code, out, _ = invoke("ticket", "verify")
    assert code == 1
    assert (f".pubflow/tickets/{ticket_id}.yaml: {ticket_id}: event 1 (submitted at ") in out
    assert "its content does not match its hash (edited after the fact)" in out


def test_deleted_event_breaks_the_chain(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    path = ticket_file(repo, ticket_id)
    lines = path.read_text().split("\n  - at:")
    path.write_text("\n  - at:".join([lines[0], *lines[2:]]))  # drop event 1
    code, out, _ = invoke("ticket", "verify", ticket_id)
    assert code == 1
    assert "event 1 (validated at" in out
    assert "its prev does not match the hash of the event before it" in out


def test_state_that_does_not_follow_from_history(repo: Path,
                                                 write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    path = ticket_file(repo, ticket_id)
    path.write_text(path.read_text().replace("state: in_review", "state: approved"))
    code, out, _ = invoke("ticket", "verify")
    assert code == 1
    assert f"{ticket_id}: state is approved but the history ends in in_review" in out


def test_pinned_digest_mismatch(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    write_pattern(valid_pattern(name="Changed after submission"))
    code, out, _ = invoke("ticket", "verify")
    assert code == 1
    assert (f"{ticket_id}: patterns/incident-escalation.json differs from the pinned sha256"
            in out)


def test_duplicate_open_tickets_and_bad_files(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    copy = ticket_file(repo, "PUB-2099-001")
    shutil.copy(ticket_file(repo, ticket_id), copy)
    code, out, _ = invoke("ticket", "verify")
    assert code == 1
    assert "PUB-2099-001.yaml: id" in out and "does not match the file name" in out
    copy.write_text(ticket_file(repo, ticket_id).read_text().replace(ticket_id, "PUB-2099-001"))
    code, out, _ = invoke("ticket", "verify")
    assert code == 1
    assert f"pattern incident-escalation has more than one open ticket: {ticket_id}, " \
           "PUB-2099-001" in out
    copy.write_text("not: [yaml\n")
    code, out, _ = invoke("ticket", "verify")
    assert code == 1
    assert ".pubflow/tickets/PUB-2099-001.yaml:2:1: invalid YAML" in out


def test_verify_unknown_ticket(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    code, _out, err = invoke("ticket", "verify", "PUB-2026-999")
    assert code == 2
    assert "no ticket PUB-2026-999" in err
