"""Issue 15, item 1: every state has a way forward. Each test drives the real CLI in a real
git repository through a state that used to strand people, and takes the way out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.release_support import (
    PATTERN,
    approved_repo,
    head,
    live_in,
    new_version,
    promote,
    run_pubflow,
    ticket_state,
)
from tests.acceptance.tickets_support import create, in_review, invoke, setup_repo, ticket_json
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
PATTERN_FILE = f"patterns/{PATTERN}.json"


# --- ticket withdraw --------------------------------------------------------------------------

def test_an_approved_ticket_never_promoted_is_withdrawn_and_the_pattern_unlocks(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    # locked: an edit of the approved pattern is refused by validate (the pre-commit hook)
    write_pattern(valid_pattern(version="1.1.0"))
    code, out, _err = invoke("validate", PATTERN_FILE)
    assert code == 1 and "locked" in out
    git(repo, "checkout", "--", PATTERN_FILE)

    code, out, err = invoke("--actor", "jdoe", "ticket", "withdraw", ticket_id, "--reason",
                            "superseded by the 1.1 rewrite")
    assert code == 0, out + err
    assert out == f"{ticket_id}: withdrawn ({PATTERN} is no longer locked)\n"
    data = ticket_json(ticket_id)
    assert data["state"] == "withdrawn" and data["due"] is None
    last = data["history"][-1]
    assert (last["event"], last["from"], last["to"], last["actor"], last["reason"]) == (
        "withdrawn", "approved", "withdrawn", "jdoe", "superseded by the 1.1 rewrite")
    assert data["next"][0].startswith("none: withdrawn is final")
    assert git(repo, "log", "-1", "--format=%s").strip() == f"{ticket_id}: withdrawn by jdoe"
    assert git(repo, "status", "--porcelain") == ""
    # unlocked: the pattern can be edited, committed and submitted again
    write_pattern(valid_pattern(version="1.1.0"))
    assert invoke("validate", PATTERN_FILE)[0] == 0
    git(repo, "commit", "-q", "-am", "1.1.0")
    assert create() != ticket_id
    assert invoke("ticket", "verify")[0] == 0
    assert run_pubflow(repo, "verify").returncode == 0


def test_an_editor_may_withdraw_for_the_author_but_nobody_else_may(
        repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    code, out, err = invoke("--actor", "mallory", "ticket", "withdraw", ticket_id, "--reason",
                            "x")
    assert code == 1
    assert f"{ticket_id}: 'mallory' may not withdraw {PATTERN}" in err
    assert ticket_state(ticket_id) == "in_review"
    code, out, err = invoke("--actor", "editor", "ticket", "withdraw", ticket_id, "--reason",
                            "author left the team")
    assert code == 0, out + err
    assert ticket_state(ticket_id) == "withdrawn"


def test_withdraw_needs_a_reason_and_an_open_ticket(repo: Path,
                                                    write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    code, _out, err = invoke("--actor", "jdoe", "ticket", "withdraw", ticket_id, "--reason",
                             "  ")
    assert code == 2 and "needs a --reason" in err
    assert invoke("--actor", "jdoe", "ticket", "withdraw", ticket_id, "--reason", "no")[0] == 0
    code, _out, err = invoke("--actor", "jdoe", "ticket", "withdraw", ticket_id, "--reason",
                             "again")
    assert code == 1
    assert f"{ticket_id}: a withdrawn ticket cannot be withdrawn; only an open one can" in err
    assert "ticket create incident-escalation" in err  # the hint says what is left to do


def test_a_staged_ticket_withdrawn_says_its_release_stays_staged(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    assert promote(ticket_id, "--to", "staging")[0] == 0
    code, out, err = invoke("--actor", "jdoe", "ticket", "withdraw", ticket_id, "--reason",
                            "not going ahead")
    assert code == 0, out + err
    assert "the release stays in the environments it was staged in" in out
    code, _out, err = promote(ticket_id, "--to", "production")
    assert code == 1 and "the ticket is withdrawn" in err
    assert run_pubflow(repo, "verify").returncode == 0


def test_show_lists_the_ways_forward_of_every_state(repo: Path,
                                                    write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    code, out, _err = invoke("ticket", "show", ticket_id)
    assert code == 0
    after = out.split("next:\n", 1)[1]
    assert f"pubflow promote {ticket_id} --to staging" in after
    assert "takes the approval back" in after
    assert f"pubflow ticket withdraw {ticket_id} --reason TEXT" in after


# --- an approval taken back -------------------------------------------------------------------

def test_the_reviewer_takes_an_approval_back_before_promotion(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    code, out, err = invoke("--actor", "mkhan", "ticket", "review", ticket_id, "--decision",
                            "request-changes", "--comment", "not mine to take back")
    assert code == 1 and "only a reviewer who approved it may take the approval back" in err
    code, out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                            "request-changes", "--comment", "step 3 is wrong after all")
    assert code == 0, out + err
    assert out == f"{ticket_id}: changes_requested\n"
    assert git(repo, "log", "-1", "--format=%s").strip() == (
        f"{ticket_id}: changes_requested by rlee (approval taken back)")
    # the old approval no longer counts: promotion is refused
    code, _out, err = promote(ticket_id, "--to", "staging")
    assert code == 1 and "the ticket is changes_requested" in err
    # the author fixes it; the same reviewer decides again
    write_pattern(valid_pattern(version="1.0.1"))
    git(repo, "commit", "-q", "-am", "fix step 3")
    code, out, err = invoke("--actor", "jdoe", "ticket", "resubmit", ticket_id)
    assert code == 0, out + err
    data = ticket_json(ticket_id)
    assert (data["state"], data["reviewer"]) == ("in_review", "rlee")
    assert invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                  "approve")[0] == 0
    assert promote(ticket_id, "--to", "staging")[0] == 0
    assert invoke("ticket", "verify", ticket_id)[0] == 0
    assert run_pubflow(repo, "verify").returncode == 0


def test_an_approval_cannot_be_taken_back_once_staged(repo: Path,
                                                      write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    assert promote(ticket_id, "--to", "staging")[0] == 0
    code, _out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                             "reject", "--comment", "too late")
    assert code == 1
    assert "cannot move from staged to rejected" in err
    assert f"pubflow rollback {PATTERN} --env ENV --depublish" in err


# --- a failed canary, promoted again ----------------------------------------------------------

def test_a_ticket_whose_canary_failed_is_promoted_again_reusing_its_package(
        repo: Path, write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    for env in ("staging", "production"):
        assert promote(first, "--to", env)[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    done = run_pubflow(repo, "--actor", "releng", "promote", second, "--to", "production",
                       "--canary", "50,100", "--health-cmd", "exit 1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert ticket_state(second) == "rolled_back"
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.0.0"
    package = repo / ".pubflow" / "releases" / PATTERN / "1.1.0"
    manifest = (package / "manifest.json").read_bytes()
    # the cause is fixed (the health check passes now): promote the same ticket again
    before = head(repo)
    done = run_pubflow(repo, "--actor", "releng", "promote", second, "--to", "production",
                       "--canary", "50,100", "--health-cmd", "exit 0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ticket_state(second) == "live"
    live = live_in(repo, "production")
    assert live is not None and (live["version"], live["ticket"]) == ("1.1.0", second)
    assert (package / "manifest.json").read_bytes() == manifest
    changed = git(repo, "diff", "--name-only", before, "HEAD").split()
    assert not [name for name in changed if name.startswith(".pubflow/releases/")]
    assert run_pubflow(repo, "verify").returncode == 0


# --- rollback always knows the previous release -----------------------------------------------

def test_after_rolling_forward_a_plain_rollback_still_knows_the_previous_release(
        repo: Path, write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    for env in ("staging", "production"):
        assert promote(first, "--to", env)[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    for env in ("staging", "production"):
        assert promote(second, "--to", env)[0] == 0

    def rollback(*more: str) -> str:
        code, out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env",
                                "production", *more)
        assert code == 0, out + err
        live = live_in(repo, "production")
        assert live is not None
        return str(live["version"])

    assert rollback() == "1.0.0"
    assert ticket_state(second) == "rolled_back"
    assert rollback("--to", "1.1.0") == "1.1.0"  # forward again: 1.1.0's ticket is live again
    assert ticket_state(second) == "live"
    assert rollback() == "1.0.0"
    assert ticket_state(second) == "rolled_back"
    assert run_pubflow(repo, "verify").returncode == 0
    data = json.loads(run_pubflow(repo, "status", "--format", "json").stdout)
    assert data["tickets"]


def test_a_ticket_create_that_git_refuses_leaves_nothing_behind(
        repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    code, out, err = invoke("--actor", "jdoe", "ticket", "create", PATTERN)
    assert code == 2, out + err
    assert "git refused pubflow's commit" in err and "hook says no" in err
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    hook.unlink()
    ticket_id = create()
    assert ticket_id.endswith("-001")
    assert ticket_state(ticket_id) == "ready_for_review"
