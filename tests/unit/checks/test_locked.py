"""The ticket lock on real ticket files: a pattern under an open ticket must keep the content
its ticket pinned, in the states where it is locked and only there."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pubflow.checks.base import FolderContext, RepoEntry
from pubflow.checks.locked import Pin, TicketLockCheck, locked_issue, locked_pins
from pubflow.config import Config
from pubflow.records.states import State
from pubflow.records.store import TicketStore, new_document
from pubflow.records.tickets import PinnedPattern, Ticket, append_event
from pubflow.validation.run import ValidateRequest, validate
from tests.conftest import plain_repository, valid_pattern


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return plain_repository(tmp_path, monkeypatch)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PATTERN = "patterns/incident-escalation.json"

# The way each state is reached from submission_received.
ROUTES: dict[State, list[State]] = {
    State.SUBMISSION_RECEIVED: [],
    State.VALIDATION_FAILED: [State.VALIDATION_FAILED],
    State.READY_FOR_REVIEW: [State.READY_FOR_REVIEW],
    State.IN_REVIEW: [State.READY_FOR_REVIEW, State.IN_REVIEW],
    State.CHANGES_REQUESTED: [State.READY_FOR_REVIEW, State.IN_REVIEW, State.CHANGES_REQUESTED],
    State.APPROVED: [State.READY_FOR_REVIEW, State.IN_REVIEW, State.APPROVED],
    State.REJECTED: [State.READY_FOR_REVIEW, State.IN_REVIEW, State.REJECTED],
    State.STAGED: [State.READY_FOR_REVIEW, State.IN_REVIEW, State.APPROVED, State.STAGED],
    State.LIVE: [State.READY_FOR_REVIEW, State.IN_REVIEW, State.APPROVED, State.LIVE],
}
LOCKED = {State.READY_FOR_REVIEW, State.IN_REVIEW, State.APPROVED, State.STAGED}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_pattern(repo: Path, **overrides: object) -> Path:
    path = repo / PATTERN
    path.write_text(json.dumps(valid_pattern(**overrides), indent=2) + "\n")
    return path


def write_ticket(repo: Path, state: State, *, ticket_id: str = "PUB-2026-001",
                 pattern_path: str = PATTERN, digest: str | None = None) -> None:
    """A ticket file as `ticket create` and the review commands leave it."""
    store = TicketStore(repo)
    doc = new_document(ticket_id)
    doc["state"] = "submission_received"
    doc["pattern"] = {}
    doc["author"] = {"id": "jdoe", "email": "jane.doe@example.org"}
    doc["reviewer"] = None
    doc["due"] = None
    ticket = Ticket(doc, store.path_of(ticket_id))
    ticket.pin(PinnedPattern("incident-escalation", pattern_path, "1.0.0",
                             digest or sha256(repo / pattern_path), ("saas",)))
    append_event(doc, actor="jdoe", event="submitted", from_state=None,
                 to=State.SUBMISSION_RECEIVED, now=NOW)
    for step in ROUTES[state]:
        ticket.transition(step, actor="editor", event=step.value, now=NOW)
    store.folder.mkdir(parents=True, exist_ok=True)
    store.save(ticket)


def lock_issues(repo: Path, *files: str) -> list[tuple[str, str]]:
    entries = [RepoEntry(f, "incident-escalation", ()) for f in files or (PATTERN,)]
    return [(file, issue.message)
            for file, issue in TicketLockCheck()(FolderContext(Config(root=repo), entries, True))]


@pytest.mark.parametrize("state", list(ROUTES))
def test_only_the_review_and_release_states_lock(repo: Path, state: State) -> None:
    write_pattern(repo)
    write_ticket(repo, state)
    pins = locked_pins(repo)
    if state in LOCKED:
        assert pins == {PATTERN: Pin("PUB-2026-001", state.value, PATTERN, sha256(repo / PATTERN))}
    else:
        assert pins == {}
    write_pattern(repo, name="Edited after the pin")
    assert bool(lock_issues(repo)) == (state in LOCKED)


def test_unchanged_content_passes(repo: Path) -> None:
    write_pattern(repo)
    write_ticket(repo, State.IN_REVIEW)
    assert lock_issues(repo) == []


def test_an_edit_of_a_locked_pattern_says_which_ticket_and_what_to_do(repo: Path) -> None:
    write_pattern(repo)
    write_ticket(repo, State.IN_REVIEW)
    digest = sha256(repo / PATTERN)
    write_pattern(repo, version="1.0.1")
    pin = locked_pins(repo)[PATTERN]
    issue = locked_issue(repo, PATTERN, pin)
    assert issue is not None
    assert (issue.pointer, issue.rule, issue.whole_file) == ("", "ticket.locked", True)
    assert issue.message == (
        f"pattern is locked by ticket PUB-2026-001 (in_review): its content differs from the "
        f"reviewed version (sha256 {digest[:12]})")
    assert issue.hint == (
        f"Restore the pinned content (`git checkout -- {PATTERN}`), or have the reviewer "
        "request changes and run `pubflow ticket resubmit PUB-2026-001`.")


def test_a_removed_locked_pattern_differs_too(repo: Path) -> None:
    write_pattern(repo)
    pin = Pin("PUB-2026-001", "approved", PATTERN, sha256(repo / PATTERN))
    assert locked_issue(repo, PATTERN, pin) is None
    (repo / PATTERN).unlink()
    issue = locked_issue(repo, PATTERN, pin)
    assert issue is not None and "(approved)" in issue.message


def test_only_files_of_the_run_are_reported(repo: Path) -> None:
    write_pattern(repo)
    write_ticket(repo, State.APPROVED)
    write_pattern(repo, version="2.0.0")
    assert lock_issues(repo, "patterns/other.json") == []
    assert [file for file, _ in lock_issues(repo, "patterns/other.json", PATTERN)] == [PATTERN]


def test_without_tickets_nothing_is_read(repo: Path) -> None:
    write_pattern(repo)
    assert lock_issues(repo) == []
    assert locked_pins(repo) == {}


def test_a_broken_ticket_file_is_skipped_and_the_others_still_lock(repo: Path) -> None:
    write_pattern(repo)
    write_ticket(repo, State.READY_FOR_REVIEW, ticket_id="PUB-2026-002")
    store = TicketStore(repo)
    store.path_of("PUB-2026-001").write_text("a: &x [1]\nb: *x\n")
    store.path_of("PUB-2026-003").write_text("state: [unclosed\n")
    assert list(locked_pins(repo)) == [PATTERN]
    write_pattern(repo, version="3.0.0")
    assert [m.split(":")[0] for _, m in lock_issues(repo)] == [
        "pattern is locked by ticket PUB-2026-002 (ready_for_review)"]


def test_validate_reports_the_lock_at_the_top_of_the_file(repo: Path) -> None:
    write_pattern(repo)
    write_ticket(repo, State.STAGED)
    config = Config(root=repo)
    assert validate(ValidateRequest(config, use_cache=False)).passed
    write_pattern(repo, hookMarkdown="Rewritten after approval.")
    report = validate(ValidateRequest(config))
    (finding,) = report.findings
    assert (finding.file, finding.line, finding.column, finding.rule) == (
        PATTERN, 1, 1, "ticket.locked")
    assert "(staged)" in finding.message
    assert not report.passed and report.summary.ready == 0
    assert TicketLockCheck.name == "ticket-lock"
