"""What git does today with tickets from two branches (no merge driver yet).

These tests pin the current behaviour so that it never becomes *silent* loss: tickets made on
one branch merge cleanly; the same id made on two branches, or the same ticket moved on two
branches, is a git conflict that the user sees, never a quiet overwrite.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.tickets_support import create, in_review, invoke, setup_repo
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]


def merge(repo: Path, branch: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "merge", "--no-edit", branch], cwd=repo, capture_output=True,
                          text=True)


def test_tickets_from_one_branch_merge_cleanly(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern, (valid_pattern(), valid_pattern(id="second-one")))
    first = create("incident-escalation")
    git(repo, "checkout", "-q", "-b", "feature")
    second = create("second-one")
    git(repo, "checkout", "-q", "main")
    invoke("--actor", "editor", "ticket", "route", first)
    assert merge(repo, "feature").returncode == 0
    code, out, _ = invoke("ticket", "verify")
    assert code == 0, out
    assert out.strip() == "2 ticket(s) verified"
    code, out, _ = invoke("ticket", "list")
    assert first in out and second in out


def test_same_id_on_two_branches_is_a_visible_conflict(repo: Path,
                                                      write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern, (valid_pattern(), valid_pattern(id="second-one")))
    git(repo, "checkout", "-q", "-b", "feature")
    on_feature = create("second-one")
    git(repo, "checkout", "-q", "main")
    on_main = create("incident-escalation")
    assert on_main == on_feature
    result = merge(repo, "feature")
    assert result.returncode != 0
    assert "CONFLICT" in result.stdout
    assert f".pubflow/tickets/{on_main}.yaml" in result.stdout


def test_same_ticket_moved_on_two_branches_is_a_visible_conflict(
        repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    git(repo, "checkout", "-q", "-b", "feature")
    invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision", "approve")
    git(repo, "checkout", "-q", "main")
    invoke("--actor", "mkhan", "ticket", "review", ticket_id, "--decision", "reject",
           "--comment", "No")
    result = merge(repo, "feature")
    assert result.returncode != 0
    assert "CONFLICT" in result.stdout
