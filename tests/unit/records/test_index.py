from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pubflow.errors import InputError
from pubflow.records.index import summaries
from pubflow.records.states import State
from pubflow.records.store import TicketStore
from tests.unit.records.test_store import make_ticket


def test_index_follows_every_change(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    store = TicketStore(tmp_path)
    make_ticket(store)
    assert [s.state for s in summaries(store)] == ["submission_received"]
    assert (tmp_path / ".git/pubflow/tickets-index.json").is_file()
    ticket = store.load("PUB-2026-001")
    ticket.transition(State.READY_FOR_REVIEW, actor="bot", event="validated",
                      now=datetime(2026, 11, 23, tzinfo=UTC))
    store.save(ticket)
    assert [s.state for s in summaries(store)] == ["ready_for_review"]
    make_ticket(store, "PUB-2026-002")
    assert [s.id for s in summaries(store)] == ["PUB-2026-001", "PUB-2026-002"]
    store.path_of("PUB-2026-002").unlink()
    assert [s.id for s in summaries(store)] == ["PUB-2026-001"]


def test_old_entry_with_same_stat_is_reused_only_when_not_racy(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    store = TicketStore(tmp_path)
    make_ticket(store)
    path = store.path_of("PUB-2026-001")
    old = 1_600_000_000_000_000_000
    os.utime(path, ns=(old, old))
    assert summaries(store)[0].state == "submission_received"
    # an edit that keeps size and mtime (a clock set back) is not noticed for an old file:
    # git behaves the same; a fresh mtime is always re-checked
    text = path.read_text().replace("submission_received", "ready_for_reviewxxx", 1)
    path.write_text(text)
    assert summaries(store, skip_invalid=True) == []  # fresh mtime: re-read, now invalid


def test_broken_file_raises_or_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    store = TicketStore(tmp_path)
    make_ticket(store)
    make_ticket(store, "PUB-2026-002")
    summaries(store)
    store.path_of("PUB-2026-002").write_text("kind: [\n")
    with pytest.raises(InputError, match=r"PUB-2026-002\.yaml"):
        summaries(store)
    assert [s.id for s in summaries(store, skip_invalid=True)] == ["PUB-2026-001"]
