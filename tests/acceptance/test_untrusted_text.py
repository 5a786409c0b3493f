"""Untrusted text is shown safely (issue 15, item 6). Identifiers (the actor from --actor,
PUBFLOW_ACTOR or git's user.email; reviewer ids and other names given as options) holding a
control or bidi override character are refused at input (exit 2), naming the option or
variable. Free text (reasons, comments, notes, health-check output, pattern text) reaches the
terminal, the HTML status page, the package page and e-mail only escaped. Each test puts the
hostile text in for real and reads the real output bytes."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from pubflow.cli.app import app
from tests.acceptance.release_support import approved, promote
from tests.acceptance.tickets_support import REVIEWERS, create, invoke, setup_repo
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
ESC = "\x1b[2J\x1b]0;owned\x07"
BIDI = "\u202e"
HOSTILE = f"broken{ESC} step{BIDI}3 <script>alert(1)</script> | x |"


def no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and BIDI not in text, repr(text)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ticket_repo(repo: Path, write_pattern: WritePattern) -> tuple[Path, str]:
    setup_repo(repo, write_pattern)
    return repo, create()


# --- identifiers are refused at input ------------------------------------------------------

@pytest.mark.parametrize("actor", [f"jdoe{BIDI}", "jdoe\u2066x", "jdoe\x1b[31m", "jd\x85oe"])
def test_an_actor_option_with_control_or_bidi_characters(ticket_repo: tuple[Path, str],
                                                          actor: str) -> None:
    root, ticket = ticket_repo
    head = git(root, "rev-parse", "HEAD")
    code, _out, err = invoke("--actor", actor, "ticket", "route", ticket)
    assert code == 2, err
    assert "--actor" in err and "control characters" in err, err
    no_raw_controls(err)
    assert git(root, "rev-parse", "HEAD") == head


def test_the_actor_variable_is_named(ticket_repo: tuple[Path, str]) -> None:
    _root, ticket = ticket_repo
    code, _out, err = run("ticket", "route", ticket, env={"PUBFLOW_ACTOR": f"editor{BIDI}"})
    assert code == 2 and "PUBFLOW_ACTOR" in err, err
    no_raw_controls(err)


def test_git_user_email_is_named(ticket_repo: tuple[Path, str]) -> None:
    root, ticket = ticket_repo
    git(root, "config", "user.email", f"editor{BIDI}@example.org")
    code, _out, err = run("ticket", "route", ticket, env={"PUBFLOW_ACTOR": ""})
    assert code == 2 and "git config user.email" in err, err
    no_raw_controls(err)


@pytest.mark.parametrize("command", [("--actor", "editor", "ticket", "route", "PUB-2026-001"),
                                     ("ticket", "list")])
def test_a_reviewer_option_with_control_characters(ticket_repo: tuple[Path, str],
                                                   command: tuple[str, ...]) -> None:
    root, _ticket = ticket_repo
    head = git(root, "rev-parse", "HEAD")
    code, out, err = invoke(*command, "--reviewer", f"rlee{ESC}")
    assert code == 2, out + err
    assert "--reviewer" in err, err
    no_raw_controls(out + err)
    assert git(root, "rev-parse", "HEAD") == head


def test_an_error_quoting_an_argument_carries_no_escape(ticket_repo: tuple[Path, str]) -> None:
    code, out, err = invoke("--actor", "releng", "rollback", f"evil{ESC}", "--env", "staging",
                            "--reason", "r")
    assert code in (1, 2), err
    no_raw_controls(out + err)


# --- free text is escaped wherever it is shown ------------------------------------------------

@pytest.fixture
def rolled_back(repo: Path, write_pattern: WritePattern) -> Path:
    """A pattern promoted to staging and rolled back with a hostile reason."""
    setup_repo(repo, write_pattern)
    ticket = approved()
    code, _out, err = promote(ticket, "--to", "staging", "--notes", HOSTILE)
    assert code == 0, err
    code, out, err = invoke("--actor", "releng", "rollback", "incident-escalation", "--env",
                            "staging", "--depublish", "--reason", HOSTILE)
    assert code == 0, err
    no_raw_controls(out)
    return repo


def test_the_html_status_page_escapes_a_reason(rolled_back: Path) -> None:
    code, _out, err = invoke("status", "--format", "html", "--output", "status.html")
    assert code == 0, err
    page = (rolled_back / "status.html").read_text(encoding="utf-8")
    no_raw_controls(page)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page and "\\x1b[2J" in page and "\\u202e" in page


def test_the_text_status_escapes_a_reason(rolled_back: Path) -> None:
    code, out, err = invoke("status")
    assert code == 0, err
    no_raw_controls(out)
    assert "\\u202e" in out


def test_json_status_keeps_the_text_as_it_was(rolled_back: Path) -> None:
    import json

    code, out, err = invoke("status", "--format", "json")
    assert code == 0, err
    assert "\x1b" not in out  # JSON's own escapes: \u001b
    assert HOSTILE in strings(json.loads(out))


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return [value] if isinstance(value, str) else []


def test_health_check_output_is_escaped_in_promote(repo: Path,
                                                   write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket = approved()
    code, out, err = promote(ticket, "--to", "staging", "--health-cmd",
                             "printf 'bad\\033[2J\\033]0;owned\\007 news\\n'; exit 1")
    assert code == 1, out + err
    no_raw_controls(out + err)
    assert "bad\\x1b[2J" in out


def test_the_package_page_escapes_pattern_text(repo: Path, write_pattern: WritePattern) -> None:
    data = valid_pattern()
    data["name"] = "Escalation <img src=x onerror=alert(1)> [go](javascript:alert(1))"
    data["author"]["name"] = "Ann | <b>Bob</b>"
    data["hookMarkdown"] = f"Hook{ESC}{BIDI} <script>alert(1)</script> and `a<b` code"
    setup_repo(repo, write_pattern, patterns=(data,))
    ticket = approved()
    code, _out, err = promote(ticket, "--to", "staging")
    assert code == 0, err
    page = next((repo / ".pubflow" / "releases").rglob("page.md")).read_text(encoding="utf-8")
    no_raw_controls(page)
    assert not re.search(r"(?<!\\)<(img|script|b>|/b>)", page), page
    assert "&lt;script>" in page and "\\<img" in page
    assert not re.search(r"(?<!\\)\]\(javascript:", page) and "go\\](javascript:" in page
    assert "`a<b`" in page  # code spans keep their text
    assert "| Author | Ann \\| \\<b\\>Bob\\</b\\>" in page


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def test_a_review_comment_reaches_the_mail_escaped(repo: Path, write_pattern: WritePattern,
                                                   mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    config = (REVIEWERS + "notifications:\n  smtp:\n    host: 127.0.0.1\n"
              f"    port: {port}\n    sender: pubflow@example.org\n")
    setup_repo(repo, write_pattern, config=config)
    ticket = create()
    assert invoke("--actor", "editor", "ticket", "route", ticket, "--reviewer", "rlee")[0] == 0
    code, out, err = invoke("--actor", "rlee", "ticket", "review", ticket, "--decision",
                            "request-changes", "--comment", HOSTILE)
    assert code == 0, out + err
    no_raw_controls(out + err)
    decided = [m for m in box.messages if "changes" in str(m["Subject"])]
    assert decided, [m["Subject"] for m in box.messages]
    body = decided[-1].get_payload(decode=True).decode("utf-8")
    no_raw_controls(body)
    assert "\\x1b[2J" in body
