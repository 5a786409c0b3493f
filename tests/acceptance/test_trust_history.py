"""Issue 14, item 1: a ticket's state, author, reviewer, due, pin and priority follow from its
hash-chained history. Hand edits committed past the hooks are reported by `verify` and
refused by `promote`; each test fails on pubflow before the history was replayed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml.comments import CommentedMap

from tests.acceptance.tickets_support import invoke
from tests.acceptance.trust_support import (
    built,
    copy_of,
    ok,
    pinned_digest,
    rehash,
    save_and_commit,
    ticket_doc,
)

APPROVED, IN_REVIEW = "PUB-2026-001", "PUB-2026-002"


def _build(root: Path) -> dict[str, str]:
    ok("--actor", "jdoe", "ticket", "create", "incident-escalation")
    ok("--actor", "editor", "ticket", "route", APPROVED, "--reviewer", "rlee")
    ok("--actor", "rlee", "ticket", "review", APPROVED, "--decision", "approve")
    ok("--actor", "jdoe", "ticket", "create", "second-one")
    ok("--actor", "editor", "ticket", "route", IN_REVIEW, "--reviewer", "mkhan")
    return {}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    for root, _names in built(tmp_path_factory, _build):
        yield root


@pytest.fixture
def root(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return copy_of(source, tmp_path, monkeypatch)


def verify_output() -> tuple[int, str]:
    code, out, err = invoke("ticket", "verify")
    return code, out + err


def promote_staging(ticket_id: str) -> tuple[int, str]:
    code, out, err = invoke("--actor", "releng", "promote", ticket_id, "--to", "staging")
    return code, out + err


def test_the_built_repository_verifies(root: Path) -> None:
    code, out = verify_output()
    assert code == 0, out


def test_a_hand_edited_state_is_reported_and_not_promoted(root: Path) -> None:
    doc = ticket_doc(root, IN_REVIEW)
    doc["state"] = "approved"
    save_and_commit(root, IN_REVIEW, doc, "approve it by hand")
    code, out = verify_output()
    assert code == 1
    assert (f".pubflow/tickets/{IN_REVIEW}.yaml: {IN_REVIEW}: state is approved but the "
            "history ends in in_review") in out
    code, out = promote_staging(IN_REVIEW)
    assert code == 1
    assert "gate 'history' refused promotion to staging" in out
    assert f"pubflow ticket verify {IN_REVIEW}" in out
    assert not (root / ".pubflow" / "environments" / "staging.yaml").exists()


def test_an_edited_author_is_reported_and_not_promoted(root: Path) -> None:
    doc = ticket_doc(root, APPROVED)
    doc["author"]["id"] = "rlee-friend"
    doc["author"]["email"] = "friend@example.org"
    save_and_commit(root, APPROVED, doc, "someone else wrote it")
    code, out = verify_output()
    assert code == 1
    assert f"{APPROVED}.yaml: {APPROVED}: author.id is 'rlee-friend' but the history says " \
           "'jdoe'" in out
    assert "author.email is 'friend@example.org'" in out
    assert promote_staging(APPROVED)[0] == 1


def test_a_hand_edited_due_is_reported(root: Path) -> None:
    doc = ticket_doc(root, IN_REVIEW)
    doc["due"] = "2099-01-01T00:00:00Z"
    save_and_commit(root, IN_REVIEW, doc, "more time")
    code, out = verify_output()
    assert code == 1
    assert f"{IN_REVIEW}: due is '2099-01-01T00:00:00Z' but the history says" in out


@pytest.mark.parametrize("field,value", [("reviewer", "rlee"), ("priority", "high")])
def test_a_hand_edited_reviewer_or_priority_is_reported(root: Path, field: str,
                                                         value: str) -> None:
    doc = ticket_doc(root, IN_REVIEW)
    doc[field] = value
    save_and_commit(root, IN_REVIEW, doc, f"edit {field}")
    code, out = verify_output()
    assert code == 1 and f"{IN_REVIEW}: {field} is '{value}' but the history says" in out


def test_an_edited_pin_is_reported(root: Path) -> None:
    doc = ticket_doc(root, APPROVED)
    doc["pattern"]["version"] = "9.9.9"
    save_and_commit(root, APPROVED, doc, "bump")
    code, out = verify_output()
    assert code == 1 and "pattern.version is '9.9.9' but the history says '1.0.0'" in out


def _forged(root: Path, ticket_id: str, **fields: object) -> None:
    """Append an approval with a correct prev and sha256, as an insider would."""
    doc = ticket_doc(root, ticket_id)
    history = doc["history"]
    event = CommentedMap()
    for key, value in {"at": "2026-12-01T09:00:00Z", "actor": "rlee", "event": "reviewed",
                       "from": "in_review", "to": "approved", "reason": "approved",
                       **fields, "prev": history[-1]["hash"]}.items():
        event[key] = value
    rehash(event)
    history.append(event)
    doc["state"] = "approved"
    doc["due"] = None
    save_and_commit(root, ticket_id, doc, "approved by rlee")


def test_a_forged_approval_by_a_reviewer_who_was_not_routed(root: Path) -> None:
    _forged(root, IN_REVIEW, decision="approve", reviewer="rlee",
            digest=pinned_digest(root, "second-one"))
    code, out = verify_output()
    assert code == 1
    assert "decided by reviewer rlee (rlee), but the ticket was routed to mkhan" in out
    code, out = promote_staging(IN_REVIEW)
    assert code == 1 and "gate 'history'" in out and "routed to mkhan" in out


def test_a_forged_approval_that_is_not_a_review_decision(root: Path) -> None:
    _forged(root, IN_REVIEW, event="approved")
    code, out = verify_output()
    assert code == 1
    assert "in_review -> approved by rlee is not a review decision ('approved' event)" in out
    assert promote_staging(IN_REVIEW)[0] == 1


def test_a_forged_approval_of_other_content(root: Path) -> None:
    _forged(root, IN_REVIEW, decision="approve", reviewer="mkhan", actor="mkhan",
            digest="0" * 64)
    code, out = verify_output()
    assert code == 1 and "mkhan approved content 000000000000, not the pinned" in out
    assert promote_staging(IN_REVIEW)[0] == 1


def test_a_forged_approval_without_the_content_it_approved(root: Path) -> None:
    _forged(root, IN_REVIEW, decision="approve", reviewer="mkhan", actor="mkhan")
    code, out = verify_output()
    assert code == 1 and "does not record the content (sha256) it approved" in out


def test_a_broken_chain_is_refused_by_promote(root: Path) -> None:
    doc = ticket_doc(root, APPROVED)
    doc["history"][2]["reason"] = "routed to whoever"
    save_and_commit(root, APPROVED, doc, "reword")
    code, out = promote_staging(APPROVED)
    assert code == 1
    assert "gate 'history'" in out and "does not match its hash" in out


def test_the_manifest_names_the_approver_from_the_history(root: Path) -> None:
    code, out = promote_staging(APPROVED)
    assert code == 0, out
    manifest = json.loads((root / ".pubflow" / "releases" / "incident-escalation" / "1.0.0" /
                           "manifest.json").read_text())
    assert manifest["approvedBy"] == "rlee"


def test_an_older_ticket_says_what_its_history_lacks(root: Path) -> None:
    doc = ticket_doc(root, APPROVED)
    history = doc["history"]
    for key in ("author", "pattern", "priority"):
        del history[0][key]
    for index, event in enumerate(history):
        for key in ("pattern", "priority"):
            event.pop(key, None)
        if event["event"] == "reviewed":
            del event["digest"]
        event["prev"] = history[index - 1]["hash"] if index else None
        rehash(event)
    save_and_commit(root, APPROVED, doc, "as an older pubflow wrote it")
    code, out = verify_output()
    assert code == 1
    assert (f"{APPROVED}: event 1 does not record the author, the pattern id, path and "
            "version, the priority (the ticket was written by an older pubflow)") in out
    assert "Traceback" not in out
    # what the history does hold still counts: the approval of the pinned digest
    code, out = promote_staging(APPROVED)
    assert code == 0, out
