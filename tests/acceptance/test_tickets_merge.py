"""Tickets from two branches meet in a real `git merge`.

Nothing may be lost silently: tickets made on one branch merge cleanly; the same id made on
two branches is a git conflict that `pubflow ticket resolve-ids` settles (theirs gets the next
free id); the same ticket moved on two branches is a conflict left for a person to decide.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.tickets_support import create, in_review, invoke, setup_repo
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]


def merge(repo: Path, branch: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "merge", "--no-edit", branch], cwd=repo, capture_output=True,
                          text=True)


def two_decisions(repo: Path) -> str:
    """A ticket in review, rejected on `main` first and then approved on branch `feature`
    (so main's decision is never the later one, whatever second the clock shows)."""
    ticket_id = in_review()
    git(repo, "branch", "feature")
    invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision", "reject",
           "--comment", "No")
    git(repo, "checkout", "-q", "feature")
    invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision", "approve")
    git(repo, "checkout", "-q", "main")
    return ticket_id


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
    two_decisions(repo)
    result = merge(repo, "feature")
    assert result.returncode != 0
    assert "CONFLICT" in result.stdout


def test_resolve_ids_renumbers_their_ticket(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern, (valid_pattern(), valid_pattern(id="second-one")))
    git(repo, "checkout", "-q", "-b", "feature")
    theirs = create("second-one")
    git(repo, "checkout", "-q", "main")
    ours = create("incident-escalation")
    assert merge(repo, "feature").returncode != 0
    code, out, err = invoke("--actor", "editor", "ticket", "resolve-ids")
    assert code == 0, err
    number = int(ours.rsplit("-", 1)[1]) + 1
    new_id = f"{ours.rsplit('-', 1)[0]}-{number:03d}"
    assert out.strip() == f"{theirs} (theirs) -> {new_id}"
    git(repo, "commit", "-q", "--no-edit")
    assert git(repo, "status", "--porcelain") == ""
    code, out, _ = invoke("ticket", "verify")
    assert code == 0, out
    assert out.strip() == "2 ticket(s) verified"
    code, out, _ = invoke("ticket", "list", "--format", "json")
    rows = {t["id"]: t["pattern"]["id"] for t in json.loads(out)["tickets"]}
    assert rows == {ours: "incident-escalation", new_id: "second-one"}
    code, out, _ = invoke("ticket", "history", new_id, "--format", "json")
    last = json.loads(out)["history"][-1]
    assert (last["event"], last["from"], last["to"]) == ("renumbered", "ready_for_review",
                                                         "ready_for_review")
    assert f"renumbered from {theirs}" in last["reason"]


def test_resolve_ids_refuses_two_decisions(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = two_decisions(repo)
    assert merge(repo, "feature").returncode != 0
    code, _out, err = invoke("--actor", "editor", "ticket", "resolve-ids")
    assert code == 1
    assert (f".pubflow/tickets/{ticket_id}.yaml: both branches changed the same ticket "
            "(ours: rejected, theirs: approved)") in err


def test_resolve_ids_with_nothing_to_do(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    code, _out, err = invoke("--actor", "editor", "ticket", "resolve-ids")
    assert code == 0
    assert "no conflicting ticket files" in err


# --- with pubflow's merge driver registered (`pubflow ticket setup-merge`) -----------------

def setup_merge(repo: Path) -> None:
    code, out, err = invoke("ticket", "setup-merge")
    assert code == 0, out + err
    assert ".gitattributes: ticket files merge with pubflow-ticket" in out
    assert "merge.pubflow-ticket.driver" in out


def test_setup_merge_commits_attributes_and_is_idempotent(repo: Path,
                                                          write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    setup_merge(repo)
    assert ".pubflow/tickets/*.yaml merge=pubflow-ticket" in (repo / ".gitattributes").read_text()
    assert git(repo, "status", "--porcelain") == ""
    assert "merge driver" in git(repo, "log", "-1", "--format=%s")
    assert "ticket merge-driver %O %A %B %P" in git(repo, "config", "merge.pubflow-ticket.driver")
    code, out, _ = invoke("ticket", "setup-merge")
    assert (code, out.strip()) == (0, "the merge driver is already set up")
    assert (repo / ".gitattributes").read_text().count("merge=pubflow-ticket") == 1


def test_driver_keeps_both_decisions_without_a_conflict(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    setup_merge(repo)
    ticket_id = two_decisions(repo)
    result = merge(repo, "feature")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"both branches moved ticket {ticket_id}" in result.stderr
    assert "superseded" in result.stderr
    code, out, _ = invoke("ticket", "verify")
    assert code == 0, out
    history = json.loads(invoke("ticket", "history", ticket_id, "--format", "json")[1])["history"]
    merged = history[-1]
    assert (merged["event"], merged["from"], merged["to"]) == ("merged", "rejected", "rejected")
    assert [(e["actor"], e["to"]) for e in merged["superseded"]] == [("rlee", "approved")]
    assert [e["to"] for e in history[:-1]][-1] == "rejected"


def test_driver_unites_histories_that_follow_each_other(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    bad = valid_pattern()
    bad["scorecard"]["handoffs"] = 2
    setup_repo(repo, write_pattern, (bad,))
    setup_merge(repo)
    code, out, _ = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code == 1
    ticket_id = out.strip().splitlines()[-1]
    git(repo, "checkout", "-q", "-b", "feature")
    code, _, _ = invoke("--actor", "jdoe", "ticket", "resubmit", ticket_id)  # still failing
    assert code == 1
    git(repo, "checkout", "-q", "main")
    write_pattern(valid_pattern())
    git(repo, "commit", "-q", "-am", "fix handoffs")
    code, out, err = invoke("--actor", "jdoe", "ticket", "resubmit", ticket_id)
    assert code == 0, out + err
    result = merge(repo, "feature")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "united the histories of both branches" in result.stderr
    assert git(repo, "status", "--porcelain") == ""
    code, out, _ = invoke("ticket", "verify")
    assert code == 0, out
    data = json.loads(invoke("ticket", "show", ticket_id, "--format", "json")[1])
    assert data["state"] == "ready_for_review"
    history = json.loads(invoke("ticket", "history", ticket_id, "--format", "json")[1])["history"]
    assert [(e["from"], e["to"]) for e in history] == [
        (None, "submission_received"), ("submission_received", "validation_failed"),
        ("validation_failed", "validation_failed"), ("validation_failed", "ready_for_review")]
    assert "merged_from" in history[-1] and history[-1]["merged_from"] != history[-1]["hash"]


def test_driver_leaves_two_new_tickets_to_resolve_ids(repo: Path,
                                                      write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern, (valid_pattern(), valid_pattern(id="second-one")))
    setup_merge(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    theirs = create("second-one")
    git(repo, "checkout", "-q", "main")
    ours = create("incident-escalation")
    result = merge(repo, "feature")
    assert result.returncode != 0
    assert f"both branches created a ticket with id {ours}" in result.stderr
    assert "pubflow ticket resolve-ids" in result.stderr
    code, out, err = invoke("--actor", "editor", "ticket", "resolve-ids")
    assert code == 0, err
    assert out.startswith(f"{theirs} (theirs) -> ")


def test_driver_names_the_side_that_is_not_a_ticket(tmp_path: Path) -> None:
    base, ours, theirs = (tmp_path / n for n in ("base", "ours", "theirs"))
    base.write_text("")
    ours.write_text("apiVersion: pubflow.dev/v1\nhistory: [\n")
    theirs.write_text("a: &x [1]\nb: *x\n")
    code, _out, err = invoke("ticket", "merge-driver", str(base), str(ours), str(theirs),
                             ".pubflow/tickets/PUB-2026-001.yaml")
    assert code == 2
    assert ".pubflow/tickets/PUB-2026-001.yaml (ours):" in err and "invalid YAML" in err
    assert ours.read_text() == "apiVersion: pubflow.dev/v1\nhistory: [\n"  # nothing written
    code, _out, err = invoke("ticket", "merge-driver", str(base), str(tmp_path / "gone"),
                             str(theirs), "x.yaml")
    assert code == 2 and "x.yaml: cannot read a side of the merge" in err
