"""Issue 14, item 4: who may do what, per environment. Each refusal exits 1 with the ticket or
file and what to do; an actor with control characters is a usage error (exit 2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.tickets_support import invoke, ticket_json
from tests.acceptance.trust_support import built, copy_of, ok

APPROVED, IN_REVIEW, READY = "PUB-2026-001", "PUB-2026-002", "PUB-2026-003"
CANARY = ("--canary", "100", "--health-cmd", "true")


def _build(root: Path) -> dict[str, str]:
    ok("--actor", "jdoe", "ticket", "create", "incident-escalation")
    ok("--actor", "editor", "ticket", "route", APPROVED, "--reviewer", "rlee")
    ok("--actor", "rlee", "ticket", "review", APPROVED, "--decision", "approve")
    ok("--actor", "jane.doe@example.org", "ticket", "create", "second-one")
    ok("--actor", "editor", "ticket", "route", IN_REVIEW, "--reviewer", "rlee")
    ok("--actor", "jdoe", "ticket", "create", "third-one")
    ok("--actor", "releng", "promote", APPROVED, "--to", "staging")
    return {}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    for root, _names in built(tmp_path_factory, _build):
        yield root


@pytest.fixture
def root(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return copy_of(source, tmp_path, monkeypatch)


def run(*args: str) -> tuple[int, str]:
    code, out, err = invoke(*args)
    return code, out + err


def test_mallory_can_decide_nothing(root: Path) -> None:
    code, out = run("--actor", "mallory", "ticket", "route", READY)
    assert code == 1 and f"{READY}: 'mallory' may not route tickets" in out
    code, out = run("--actor", "mallory", "ticket", "review", IN_REVIEW, "--decision",
                    "approve")
    assert code == 1 and "'mallory' is not a configured reviewer" in out
    code, out = run("--actor", "mallory", "promote", APPROVED, "--to", "production", *CANARY)
    assert code == 1 and "gate 'promoter'" in out and "'mallory' is not configured" in out
    code, out = run("--actor", "mallory", "rollback", "incident-escalation", "--env",
                    "staging", "--depublish")
    assert code == 1 and "rollback in staging refused: 'mallory' is not configured" in out
    code, out = run("--actor", "mallory", "ticket", "create", "incident-escalation")
    assert code == 1 and "'mallory' is not the author of incident-escalation" in out
    assert ticket_json(READY)["state"] == "ready_for_review"


def test_only_the_author_or_an_editor_submits(root: Path) -> None:
    code, out = run("--actor", "mkhan", "ticket", "create", "second-one")
    assert code == 1 and "'mkhan' is not the author of second-one (jdoe)" in out
    assert "hint:" in out


def test_an_editor_submits_on_the_authors_behalf(root: Path) -> None:
    ok("--actor", "rlee", "ticket", "review", IN_REVIEW, "--decision", "reject",
       "--comment", "no")
    code, out = run("--actor", "editor", "ticket", "create", "second-one")
    assert code == 0, out
    ticket = ticket_json(out.strip().splitlines()[-1])
    first = ticket["history"][0]
    assert (first["actor"], first["on_behalf_of"]) == ("editor", "jdoe")
    assert first["author"]["id"] == "jdoe"
    assert run("ticket", "verify")[0] == 0


def test_a_reviewer_with_a_padded_email_cannot_review_their_own_pattern(root: Path) -> None:
    # jane's reviewer entry has the author's email with a trailing space and other case
    code, out = run("--actor", "jane", "ticket", "review", IN_REVIEW, "--decision", "approve")
    assert code == 1 and "jane is the author of second-one" in out
    code, out = run("--actor", "editor", "ticket", "route", READY, "--reviewer", "jane")
    assert code == 1 and "jane is the author" in out
    code, out = run("--actor", "jane", "ticket", "review", APPROVED, "--decision", "approve")
    assert code == 1 and "cannot review their own pattern" in out


def test_control_characters_in_the_actor_are_a_usage_error(root: Path) -> None:
    code, out = run("--actor", "rlee\x1b[2K", "ticket", "review", IN_REVIEW, "--decision",
                    "approve")
    assert code == 2 and "contains control characters" in out
    code, out = run("--actor", "releng\nrlee", "promote", APPROVED, "--to", "production")
    assert code == 2 and "contains control characters" in out


def test_production_requires_a_canary(root: Path) -> None:
    code, out = run("--actor", "releng", "promote", APPROVED, "--to", "production")
    assert code == 1 and "gate 'canary' refused promotion to production" in out
    assert "--canary" in out


def test_two_approvals_by_distinct_reviewers(root: Path) -> None:
    code, out = run("--actor", "releng", "promote", APPROVED, "--to", "production", *CANARY)
    assert code == 1 and "gate 'approvals'" in out and "needs 2 approval(s)" in out
    assert "holds 1 (rlee)" in out
    # the same reviewer twice is one approval
    code, out = run("--actor", "r.lee@example.org", "ticket", "review", APPROVED,
                    "--decision", "approve")
    assert code == 1 and "rlee has already approved this content" in out
    ok("--actor", "mkhan", "ticket", "review", APPROVED, "--decision", "approve")
    assert run("ticket", "verify")[0] == 0
    code, out = run("--actor", "releng", "promote", APPROVED, "--to", "production", *CANARY)
    assert code == 0, out
    assert ticket_json(APPROVED)["state"] == "live"


def test_only_the_environments_promoters(root: Path) -> None:
    ok("--actor", "mkhan", "ticket", "review", APPROVED, "--decision", "approve")
    # relops promotes to staging (top-level promoters) but production lists only releng
    code, out = run("--actor", "relops", "promote", APPROVED, "--to", "production", *CANARY)
    assert code == 1 and "'relops' is not a promoter of production" in out
    assert "only releng may promote to production" in out
    code, out = run("--actor", "rlee", "rollback", "incident-escalation", "--env", "staging",
                    "--depublish")
    assert code == 1 and "'rlee' is not a promoter of staging" in out
    code, out = run("--actor", "relops", "rollback", "incident-escalation", "--env", "staging",
                    "--depublish")
    assert code == 0, out
