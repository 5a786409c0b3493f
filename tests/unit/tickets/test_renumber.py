"""After a real `git merge`: two branches that created the same ticket id, resolved."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pubflow.config import Config, load_config
from pubflow.errors import GateRefused
from pubflow.records.chain import chain_breaks
from pubflow.records.states import State
from pubflow.records.store import TicketStore
from pubflow.records.verify import verify
from pubflow.tickets import service
from pubflow.tickets.renumber import Renumbered, resolve_id_conflicts
from tests.conftest import git, valid_pattern

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MERGED_AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PATTERNS = ("incident-escalation", "second-one", "third-one", "fourth-one")
WritePattern = Callable[..., Path]


@pytest.fixture
def config(repo: Path, write_pattern: WritePattern) -> Config:
    (repo / "pubflow.yaml").write_text(
        "reviewers:\n  - {id: rlee, email: r.lee@example.org, industries: [saas]}\n"
        "editors: [editor]\n")
    for pattern_id in PATTERNS:
        write_pattern(valid_pattern(id=pattern_id))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "patterns")
    return load_config(repo)


def create(config: Config, pattern: str, minutes: int = 0) -> str:
    return service.create(config, pattern, "jdoe", NOW + timedelta(minutes=minutes)).ticket.id


def merge(repo: Path, branch: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "merge", "--no-edit", branch], cwd=repo, capture_output=True,
                          text=True, check=False)


def unmerged(repo: Path) -> list[str]:
    return git(repo, "diff", "--name-only", "--diff-filter=U").splitlines()


def pattern_of(repo: Path, ticket_id: str) -> str:
    return TicketStore(repo).load(ticket_id).pattern.id


def test_theirs_gets_the_next_free_id_and_ours_keeps_its_own(config: Config,
                                                             repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    assert create(config, "second-one") == "PUB-2026-001"
    git(repo, "checkout", "-q", "main")
    assert create(config, "incident-escalation", 1) == "PUB-2026-001"
    assert create(config, "third-one", 2) == "PUB-2026-002"
    ours_before = (repo / ".pubflow/tickets/PUB-2026-001.yaml").read_bytes()
    result = merge(repo, "feature")
    assert result.returncode != 0 and "CONFLICT (add/add)" in result.stdout
    assert ".pubflow/tickets/PUB-2026-001.yaml" in unmerged(repo)

    done = resolve_id_conflicts(repo, "editor", MERGED_AT)

    assert done == [Renumbered("PUB-2026-001", "PUB-2026-003")]
    assert not any(name.startswith(".pubflow/tickets/") for name in unmerged(repo))
    assert (repo / ".pubflow/tickets/PUB-2026-001.yaml").read_bytes() == ours_before
    assert {i: pattern_of(repo, i) for i in TicketStore(repo).ids()} == {
        "PUB-2026-001": "incident-escalation", "PUB-2026-002": "third-one",
        "PUB-2026-003": "second-one"}
    theirs = TicketStore(repo).load("PUB-2026-003")
    assert theirs.state is State.READY_FOR_REVIEW
    last = theirs.history[-1]
    assert (last.event, last.actor, last.at) == ("renumbered", "editor", "2026-11-24T09:00:00Z")
    assert (last.from_state, last.to_state) == ("ready_for_review", "ready_for_review")
    assert last.reason == ("renumbered from PUB-2026-001: the id was taken on the other branch "
                           "of a merge")
    assert chain_breaks(list(theirs.doc["history"])) == []
    staged = git(repo, "diff", "--cached", "--name-only").splitlines()
    assert ".pubflow/tickets/PUB-2026-003.yaml" in staged
    git(repo, "commit", "-q", "--no-edit")
    assert git(repo, "status", "--porcelain") == ""
    assert verify(repo).ok


def test_several_colliding_ids_each_get_their_own(config: Config, repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    create(config, "third-one")
    create(config, "fourth-one")
    git(repo, "checkout", "-q", "main")
    create(config, "incident-escalation", 1)
    create(config, "second-one", 1)
    assert merge(repo, "feature").returncode != 0
    done = resolve_id_conflicts(repo, "editor", MERGED_AT)
    assert done == [Renumbered("PUB-2026-001", "PUB-2026-003"),
                    Renumbered("PUB-2026-002", "PUB-2026-004")]
    assert [pattern_of(repo, i) for i in TicketStore(repo).ids()] == list(PATTERNS)
    git(repo, "commit", "-q", "--no-edit")
    assert verify(repo).ok


def test_nothing_to_resolve_changes_nothing(config: Config, repo: Path) -> None:
    create(config, "incident-escalation")
    head = git(repo, "rev-parse", "HEAD")
    assert resolve_id_conflicts(repo, "editor", MERGED_AT) == []
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""


def test_one_ticket_moved_on_both_branches_is_left_to_a_person(config: Config,
                                                               repo: Path) -> None:
    ticket_id = create(config, "incident-escalation")
    service.route(config, ticket_id, "editor", NOW)
    git(repo, "branch", "feature")
    service.review(config, ticket_id, "rlee", NOW + timedelta(hours=1), "reject", "No", None)
    git(repo, "checkout", "-q", "feature")
    service.review(config, ticket_id, "rlee", NOW + timedelta(hours=2), "approve", None, None)
    git(repo, "checkout", "-q", "main")
    assert merge(repo, "feature").returncode != 0
    with pytest.raises(GateRefused) as info:
        resolve_id_conflicts(repo, "editor", MERGED_AT)
    assert info.value.message == (
        f".pubflow/tickets/{ticket_id}.yaml: both branches changed the same ticket (ours: "
        "rejected, theirs: approved); decide which history is right and resolve it by hand")
    assert f".pubflow/tickets/{ticket_id}.yaml" in unmerged(repo)  # still for a person


def test_a_ticket_deleted_on_one_branch_is_left_to_a_person(config: Config,
                                                            repo: Path) -> None:
    ticket_id = create(config, "incident-escalation")
    git(repo, "branch", "feature")
    git(repo, "rm", "-q", f".pubflow/tickets/{ticket_id}.yaml")
    git(repo, "commit", "-q", "-m", "withdrawn")
    git(repo, "checkout", "-q", "feature")
    service.route(config, ticket_id, "editor", NOW)
    git(repo, "checkout", "-q", "main")
    assert merge(repo, "feature").returncode != 0
    with pytest.raises(GateRefused, match=rf"^\.pubflow/tickets/{ticket_id}\.yaml: one branch "
                                          r"deleted this ticket; resolve it by hand$"):
        resolve_id_conflicts(repo, "editor", MERGED_AT)
