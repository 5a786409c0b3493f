"""Locking: `pubflow validate` reports a pattern that differs from its open ticket's pin."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema

from pubflow.storage.schemas import load_schema
from tests.acceptance.tickets_support import create, in_review, invoke, setup_repo
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]


def test_edit_of_a_locked_pattern_is_a_finding(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    code, out, _ = invoke("validate")
    assert code == 0, out
    write_pattern(valid_pattern(name="Edited during review"))
    code, out, _ = invoke("validate")
    assert code == 1
    assert (f"patterns/incident-escalation.json:1:1: error[ticket.locked] pattern is locked "
            f"by ticket {ticket_id} (in_review): its content differs from the reviewed "
            "version") in out
    assert f"pubflow ticket resubmit {ticket_id}" in out
    code, out, _ = invoke("validate", "--format", "json")
    report = json.loads(out)
    jsonschema.Draft7Validator(load_schema("validate-report.schema.json")).validate(report)
    assert "ticket.locked" in out
    code, out, _ = invoke("validate", "--format", "sarif")
    assert code == 1 and '"ruleId": "ticket.locked"' in out


def test_no_lock_while_changes_are_requested(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision", "request-changes",
           "--comment", "Shorter hook")
    write_pattern(valid_pattern(hookMarkdown="Outages drag on."))
    code, out, _ = invoke("validate")
    assert code == 0, out
    git(repo, "commit", "-q", "-am", "shorter hook")
    code, _out, err = invoke("--actor", "jdoe", "ticket", "resubmit", ticket_id)
    assert code == 0, err
    code, out, _ = invoke("validate")
    assert code == 0, out


def test_ready_for_review_is_locked_too(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    create()
    write_pattern(valid_pattern(version="9.9.9"))
    code, out, _ = invoke("validate", "patterns/incident-escalation.json")
    assert code == 1
    assert "(ready_for_review)" in out


def test_a_broken_ticket_file_does_not_stop_validate(repo: Path,
                                                     write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    (repo / ".pubflow/tickets" / f"{ticket_id}.yaml").write_text("a: &x [1]\nb: *x\n")
    code, out, _ = invoke("validate")
    assert code == 0, out
