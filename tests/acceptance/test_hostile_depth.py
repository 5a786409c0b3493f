"""Hostile nesting (issue 15, item 5): deep JSON and YAML are refused before any recursive code
sees them, naming the file and the limit, with exit 1 or 2; never a RecursionError (exit 3),
never a crash signal. The real CLI runs in a subprocess: a SIGSEGV is only visible from outside."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.tickets_support import create, setup_repo
from tests.conftest import git, run_cli, valid_pattern

WritePattern = Callable[..., Path]

DEEP = 100_000
BROKEN_TICKET = ".pubflow/tickets/PUB-2026-002.yaml"


def _deep_ticket(repo: Path) -> None:
    """A second ticket file whose value nests 100 000 flow collections deep."""
    path = repo / BROKEN_TICKET
    path.write_text("apiVersion: pubflow.dev/v1\nkind: PublicationTicket\n"
                    "id: PUB-2026-002\nstate: " + "[" * DEEP + "]" * DEEP + "\n")


@pytest.fixture
def deep_ticket_repo(repo: Path, write_pattern: WritePattern) -> Path:
    setup_repo(repo, write_pattern)
    create()
    _deep_ticket(repo)
    return repo


def _no_crash(done: object) -> None:
    code = done.returncode
    assert code >= 0, f"killed by signal {-code}"
    assert code != 3, done.stderr


@pytest.mark.parametrize("command", [("verify",), ("ticket", "list")])
def test_a_deep_ticket_is_reported_by_verify_and_list(deep_ticket_repo: Path,
                                                      command: tuple[str, ...]) -> None:
    done = run_cli(*command, cwd=deep_ticket_repo)
    _no_crash(done)
    assert done.returncode in (1, 2), done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert BROKEN_TICKET in said or "PUB-2026-002.yaml" in said
    assert "nested more than 64 levels" in said


def test_validate_skips_a_deep_ticket_in_the_lock_check(deep_ticket_repo: Path) -> None:
    done = run_cli("validate", cwd=deep_ticket_repo)
    _no_crash(done)
    assert done.returncode == 0, done.stdout + done.stderr


def test_status_does_not_crash_on_a_deep_ticket(deep_ticket_repo: Path) -> None:
    done = run_cli("status", cwd=deep_ticket_repo)
    _no_crash(done)
    assert done.returncode in (0, 1, 2), done.stdout + done.stderr


def test_ticket_create_on_a_deep_pattern(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    text = json.dumps(valid_pattern(tags="DEEP"), indent=2)
    write_pattern(text.replace('"DEEP"', "[" * 1_000 + "]" * 1_000), name="incident-escalation")
    git(repo, "commit", "-qam", "deep")
    done = run_cli("--actor", "jdoe", "ticket", "create", "incident-escalation", cwd=repo)
    _no_crash(done)
    assert done.returncode in (1, 2), done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert "patterns/incident-escalation.json" in said
    assert "nested more than 64 levels" in said


def test_a_deep_configuration_is_an_error(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    (repo / "pubflow.yaml").write_text("reviewers:\n" + "  - " * 500 + "x\n")
    done = run_cli("validate", cwd=repo)
    _no_crash(done)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "pubflow.yaml" in done.stderr and "nested more than 64 levels" in done.stderr


@pytest.mark.parametrize("body", [
    "name: production\nlive: " + "[" * 500 + "]" * 500 + "\n",
    "name: production\nlive:\n" + "".join("  " * i + "- \n" for i in range(1, 200)),
    json.dumps({"name": "production", "live": "x"})[:-1] + ', "x": ' + "[" * 5_000
    + "]" * 5_000 + "}\n",
], ids=["flow", "block", "json"])
def test_a_deep_environment_file_is_an_error(repo: Path, write_pattern: WritePattern,
                                             body: str) -> None:
    setup_repo(repo, write_pattern)
    envs = repo / ".pubflow" / "environments"
    envs.mkdir(parents=True)
    (envs / "production.yaml").write_text(body)
    done = run_cli("status", cwd=repo)
    _no_crash(done)
    assert done.returncode == 2, done.stdout + done.stderr
    assert ".pubflow/environments/production.yaml" in done.stderr
    assert "nested more than 64 levels" in done.stderr
