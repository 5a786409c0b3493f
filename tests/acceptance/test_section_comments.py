"""Issue 17, item 2: comments on sections. A reviewer comments on named pattern fields, each
with a severity; they show per section in `ticket show` (text and JSON), in the author's
notification and in `resubmit`'s output; the next review resolves them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.tickets_support import in_review, invoke, setup_repo, ticket_json
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
PATTERN_FILE = "patterns/incident-escalation.json"


def test_comments_on_sections_are_kept_shown_and_resolved(repo: Path,
                                                          write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    code, out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                            "request-changes", "--on", "implementationChecklist:major",
                            "Step 4 has no owner", "--on", "hookMarkdown", "Say who is paged",
                            "--severity", "minor")
    assert code == 0, out + err
    assert out.splitlines() == [
        f"{ticket_id}: changes_requested",
        "  C1 [major] on implementationChecklist: Step 4 has no owner",
        "  C2 [minor] on hookMarkdown: Say who is paged"]
    data = ticket_json(ticket_id)
    assert [(c["id"], c["field"], c["severity"], c["open"]) for c in data["comments"]] == [
        ("C1", "implementationChecklist", "major", True), ("C2", "hookMarkdown", "minor", True)]
    last = data["history"][-1]
    assert last["reason"] == "2 section comment(s)"
    # per section in the text view
    code, out, _err = invoke("ticket", "show", ticket_id)
    comments = out.split("comments:\n", 1)[1]
    assert comments.startswith("  implementationChecklist:\n    C1 [major] Step 4 has no owner "
                               "(rlee, open)\n  hookMarkdown:\n    C2 [minor] Say who is paged")
    # the author's notification lists them by section
    [message] = [json.loads(p.read_text()) for p in (repo / ".pubflow" / "outbox").glob("*.json")
                 if "ticket-decision" in p.read_text()]
    body = json.dumps(message)
    assert "Open comments by section" in body and "Step 4 has no owner" in body
    # the author resubmits: the open comments are listed
    write_pattern(valid_pattern(version="1.0.1"))
    git(repo, "commit", "-q", "-am", "owner for step 4")
    code, out, err = invoke("--actor", "jdoe", "ticket", "resubmit", ticket_id)
    assert code == 0, out + err
    assert "2 section comment(s) still open" in out
    assert "C1 [major] on implementationChecklist: Step 4 has no owner" in out
    # the reviewer resolves one and asks again; then approves, which resolves the rest
    code, out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                            "request-changes", "--resolve", "C1", "--on", "name", "Shorter")
    assert code == 0, out + err
    data = ticket_json(ticket_id)
    state = {c["id"]: (c["open"], c["resolvedBy"]) for c in data["comments"]}
    assert state == {"C1": (False, "rlee"), "C2": (True, None), "C3": (True, None)}
    write_pattern(valid_pattern(version="1.0.2"))
    git(repo, "commit", "-q", "-am", "shorter name")
    assert invoke("--actor", "jdoe", "ticket", "resubmit", ticket_id)[0] == 0
    assert invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                  "approve")[0] == 0
    assert all(not c["open"] for c in ticket_json(ticket_id)["comments"])
    assert invoke("ticket", "verify")[0] == 0


def test_bad_section_comments_are_usage_errors(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    cases = [
        (["--on", "nosuchfield", "x"], "'nosuchfield' is not a section of a pattern"),
        (["--on", "name:urgent", "x"], "unknown severity 'urgent'"),
        (["--on", "name", "  "], "--on name: the comment is empty"),
        (["--on", "name"], "--on needs a FIELD and a TEXT"),
        (["--resolve", "C9", "--comment", "x"], "has no comment C9"),
        (["stray"], "unexpected argument 'stray'"),
    ]
    for extra, said in cases:
        code, _out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id,
                                 "--decision", "request-changes", *extra)
        assert code == 2, (extra, err)
        assert said in err, (extra, err)
    assert ticket_json(ticket_id)["state"] == "in_review"


def test_a_submission_that_fails_validation_tells_the_author_what_to_fix(
        repo: Path, write_pattern: WritePattern) -> None:
    """Beat 7: the acknowledgement of a validation_failed ticket carries the Markdown report
    and promises no review."""
    setup_repo(repo, write_pattern, patterns=(valid_pattern(version="one"),))
    code, out, _err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code == 1
    ticket_id = out.splitlines()[-1]
    messages = [json.loads(p.read_text())["message"]
                for p in (repo / ".pubflow" / "outbox").glob("*.json")]
    [message] = [m for m in messages if m["kind"] == "validation-failed"]
    assert message["to"] == ["jane.doe@example.org"]
    body = message["body"]
    assert "not in review yet" in body and "Expected review" not in body
    assert f"pubflow ticket resubmit {ticket_id}" in body
    assert "patterns/incident-escalation.json" in body  # the Markdown report names the file
    assert message["data"]["report"].startswith("#")
