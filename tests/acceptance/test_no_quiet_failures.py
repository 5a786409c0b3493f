"""No quiet failures (issue 15, item 8): a broken ticket file is never hidden behind wrong
counts, and outside a git repository the commands that need one say so."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.tickets_support import create, invoke, setup_repo


def test_status_stops_on_a_broken_ticket_file(repo: Path,
                                              write_pattern: Callable[..., Path]) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    ticket = repo / ".pubflow" / "tickets" / f"{ticket_id}.yaml"
    ticket.write_text(ticket.read_text().replace("history:", "history: [unclosed\n"))
    for args in (["status"], ["status", "--format", "json"], ["ticket", "list"]):
        code, out, err = invoke(*args)
        assert code == 2, (args, out, err)
        assert f"{ticket_id}.yaml" in err


@pytest.mark.parametrize("args", [
    ["status"], ["ticket", "list"], ["ticket", "show", "PUB-2026-001"],
    ["ticket", "history", "PUB-2026-001"], ["ticket", "create", "incident-escalation"],
    ["ticket", "route", "PUB-2026-001"], ["ticket", "withdraw", "PUB-2026-001", "--reason", "x"],
    ["ticket", "verify"], ["verify"], ["audit", "verify"],
    ["promote", "PUB-2026-001", "--to", "staging"], ["rollback", "x", "--env", "staging"],
    ["monitor", "--events", "events.jsonl"]])
def test_outside_a_git_repository_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          args: list[str]) -> None:
    folder = tmp_path / "not-a-repo"
    folder.mkdir()
    (folder / "pubflow.yaml").write_text("reviewers: [{id: rlee}]\n")
    monkeypatch.chdir(folder)
    code, out, err = invoke(*args)
    assert code == 2, out + err
    assert "not a git repository" in err


@pytest.mark.parametrize(("text", "key"), [
    ("patterns_dir: ../..\n", "patterns_dir"),
    ("patterns_dir: /etc\n", "patterns_dir"),
    ("notifications:\n  outbox: ../../x\n", "notifications.outbox"),
])
def test_configured_folders_stay_inside_the_repository(repo: Path, text: str, key: str) -> None:
    (repo / "pubflow.yaml").write_text(text)
    code, out, err = invoke("validate")
    assert code == 2, out + err
    assert f"key '{key}'" in err and "leads outside the repository" in err
    assert "pubflow.yaml:" in err


def test_rollback_to_takes_a_version_not_a_path(repo: Path,
                                                write_pattern: Callable[..., Path]) -> None:
    setup_repo(repo, write_pattern)
    code, out, err = invoke("--actor", "releng", "rollback", "incident-escalation", "--env",
                            "staging", "--to", "../../../evil")
    assert code == 2, out + err
    assert "'../../../evil' is not a version" in err
    assert not (repo / ".pubflow" / "environments").exists()


def test_untrusted_text_is_shown_escaped(repo: Path, write_pattern: Callable[..., Path]) -> None:
    """A comment with a terminal escape, a newline that fakes a table row and rich markup is
    shown as text, piped and with NO_COLOR too (issue 15, item 6)."""
    from tests.acceptance.tickets_support import in_review

    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    nasty = "fine\x1b[2J\x1b[31m\n2026-01-01 | mallory | approved | [bold red]ok[/]"
    code, out, err = invoke("--actor", "jdoe", "ticket", "review", ticket_id, "--decision",
                            "request-changes", "--comment", nasty)
    if code != 0:  # the author may not review: have the routed reviewer do it
        reviewer = json.loads(invoke("ticket", "show", ticket_id, "--format", "json")[1])
        code, out, err = invoke("--actor", reviewer["reviewer"], "ticket", "review", ticket_id,
                                "--decision", "request-changes", "--comment", nasty)
    assert code == 0, out + err
    for args in (["ticket", "history", ticket_id], ["ticket", "show", ticket_id]):
        code, out, err = invoke(*args)
        assert code == 0, out + err
        assert "\x1b" not in out
        assert "\\x1b[2J" in out
        assert "[bold red]ok[/]" in out


def test_status_never_prints_none_for_a_first_event(repo: Path,
                                                    write_pattern: Callable[..., Path]) -> None:
    setup_repo(repo, write_pattern)
    create()
    code, out, err = invoke("status")
    assert code == 0, out + err
    assert "submitted" in out and "None" not in out
