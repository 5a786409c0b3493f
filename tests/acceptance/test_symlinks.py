"""Nothing outside the repository (issue 15, item 4): a link under `.pubflow/` (the folder
itself, a state folder, a state file, the outbox), in or out of the repository, makes every
writing command refuse (exit 2, naming the link) before anything is written; reading commands
refuse a link that leads outside the repository. Every attack is made for real: the link
exists, the command runs, and the target outside is compared byte for byte afterwards."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.release_support import approved, promote
from tests.acceptance.tickets_support import REVIEWERS, create, invoke, setup_repo
from tests.conftest import git

WritePattern = Callable[..., Path]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below `folder` (not following links) with its sha256."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(folder).as_posix()] = hashlib.sha256(
                path.read_bytes()).hexdigest()
    return found


def move_out(path: Path, outside: Path) -> None:
    """Replace `path` (a file or folder) by a link to the same content at `outside`."""
    outside.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), str(outside))
    path.symlink_to(outside, target_is_directory=outside.is_dir())


@pytest.fixture
def ticket_repo(repo: Path, write_pattern: WritePattern) -> tuple[Path, str]:
    setup_repo(repo, write_pattern)
    return repo, create()


def route(ticket: str) -> tuple[int, str, str]:
    return invoke("--actor", "editor", "ticket", "route", ticket, "--reviewer", "rlee")


def refused(code: int, err: str, name: str) -> None:
    assert code == 2, err
    assert name in err and "symbolic link" in err, err


STATE_PARTS = [".pubflow", ".pubflow/tickets", ".pubflow/audit.jsonl",
               ".pubflow/tickets/PUB-2026-001.yaml", ".pubflow/.gitignore"]


@pytest.mark.parametrize("part", STATE_PARTS)
def test_a_link_out_of_the_repository_stops_a_ticket_command(
        ticket_repo: tuple[Path, str], tmp_path: Path, part: str) -> None:
    """The audit log through a link was appended outside the repository with exit 0."""
    root, ticket = ticket_repo
    outside = tmp_path / "outside" / Path(part).name
    move_out(root / part, outside)
    before_out, before_in = snapshot(tmp_path / "outside"), snapshot(root)
    head = git(root, "rev-parse", "HEAD")
    code, _out, err = route(ticket)
    refused(code, err, part)
    assert snapshot(tmp_path / "outside") == before_out
    assert snapshot(root) == before_in
    assert git(root, "rev-parse", "HEAD") == head


@pytest.mark.parametrize("part", [".pubflow/tickets", ".pubflow/audit.jsonl"])
def test_a_link_inside_the_repository_is_refused_too(
        ticket_repo: tuple[Path, str], part: str) -> None:
    """Even a link that stays in the repository: a write through it lands in a file git
    tracks under another name, and a commit could swap its target."""
    root, ticket = ticket_repo
    move_out(root / part, root / "kept" / Path(part).name)
    before = snapshot(root)
    code, _out, err = route(ticket)
    refused(code, err, part)
    assert snapshot(root) == before


def test_ticket_create_stops_before_making_any_folder(repo: Path, write_pattern: WritePattern,
                                                      tmp_path: Path) -> None:
    setup_repo(repo, write_pattern)
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / ".pubflow").symlink_to(outside, target_is_directory=True)
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    refused(code, err, ".pubflow")
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("part", [".pubflow/environments", ".pubflow/catalog",
                                  ".pubflow/releases", ".pubflow/audit.jsonl"])
def test_promote_refuses_a_linked_state_folder(repo: Path, write_pattern: WritePattern,
                                               tmp_path: Path, part: str) -> None:
    setup_repo(repo, write_pattern)
    ticket = approved()
    assert promote(ticket, "--to", "staging")[0] == 0
    outside = tmp_path / "outside" / Path(part).name
    move_out(repo / part, outside)
    before_out, head = snapshot(tmp_path / "outside"), git(repo, "rev-parse", "HEAD")
    code, _out, err = promote(ticket, "--to", "production")
    refused(code, err, part)
    assert snapshot(tmp_path / "outside") == before_out
    assert git(repo, "rev-parse", "HEAD") == head


def test_rollback_refuses_a_linked_environment_file(repo: Path, write_pattern: WritePattern,
                                                    tmp_path: Path) -> None:
    setup_repo(repo, write_pattern)
    ticket = approved()
    assert promote(ticket, "--to", "staging")[0] == 0
    env_file = next((repo / ".pubflow" / "environments").iterdir())
    move_out(env_file, tmp_path / "outside" / env_file.name)
    before = snapshot(tmp_path / "outside")
    code, _out, err = invoke("--actor", "releng", "rollback", "incident-escalation", "--env",
                             "staging", "--depublish", "--reason", "test")
    refused(code, err, f".pubflow/environments/{env_file.name}")
    assert snapshot(tmp_path / "outside") == before


def test_a_linked_outbox_is_refused(repo: Path, write_pattern: WritePattern,
                                    tmp_path: Path) -> None:
    setup_repo(repo, write_pattern, config=REVIEWERS + "notifications:\n  outbox: queue\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "queue").symlink_to(outside, target_is_directory=True)
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code == 2, err
    # the configuration check sees it first: the folder resolves outside the repository
    assert "notifications.outbox" in err and "outside the repository" in err
    assert list(outside.iterdir()) == []
    (repo / "queue").unlink()
    (repo / "inside").mkdir()
    (repo / "queue").symlink_to(repo / "inside", target_is_directory=True)
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    refused(code, err, "queue")
    assert list((repo / "inside").iterdir()) == []
    code, _out, err = invoke("notify", "flush")
    refused(code, err, "queue")


@pytest.mark.parametrize("command", [("status",), ("verify",), ("ticket", "list"),
                                     ("audit", "verify")])
def test_reading_commands_refuse_state_from_outside(ticket_repo: tuple[Path, str],
                                                    tmp_path: Path,
                                                    command: tuple[str, ...]) -> None:
    root, _ticket = ticket_repo
    move_out(root / ".pubflow", tmp_path / "outside" / ".pubflow")
    code, _out, err = invoke(*command)
    assert code == 2, err
    assert ".pubflow" in err and "leading outside the repository" in err, err


def test_reading_commands_refuse_a_ticket_file_from_outside(ticket_repo: tuple[Path, str],
                                                            tmp_path: Path) -> None:
    root, ticket = ticket_repo
    part = f".pubflow/tickets/{ticket}.yaml"
    move_out(root / part, tmp_path / "elsewhere.yaml")
    for command in (("status",), ("verify",), ("ticket", "list"), ("ticket", "show", ticket)):
        code, _out, err = invoke(*command)
        assert code == 2 and part in err, (command, err)


def test_reading_through_a_link_inside_the_repository_still_works(
        ticket_repo: tuple[Path, str]) -> None:
    root, _ticket = ticket_repo
    move_out(root / ".pubflow" / "tickets", root / "kept" / "tickets")
    code, out, err = invoke("ticket", "list")
    assert code == 0, err
    assert "PUB-2026-001" in out


def test_a_cached_configuration_is_checked_again(repo: Path, write_pattern: WritePattern,
                                                 tmp_path: Path) -> None:
    """The verdict on pubflow.yaml is remembered by its bytes; a folder that became a link
    out of the repository since then is still refused."""
    setup_repo(repo, write_pattern, config=REVIEWERS + "notifications:\n  outbox: queue\n")
    assert invoke("ticket", "list")[0] == 0  # the configuration is now cached
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "queue").symlink_to(outside, target_is_directory=True)
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code == 2, err
    assert "pubflow.yaml:" in err and "notifications.outbox" in err, err
    assert list(outside.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="no O_NOFOLLOW on this OS")
def test_the_audit_log_is_opened_without_following_a_link(tmp_path: Path) -> None:
    """The last gap: a link made between the check and the open is not followed either."""
    from pubflow.records import audit as audit_module

    root = tmp_path / "repo"
    (root / ".pubflow").mkdir(parents=True)
    outside = tmp_path / "outside.jsonl"
    outside.write_bytes(b"")
    (root / ".pubflow" / "audit.jsonl").symlink_to(outside)
    log = audit_module.AuditLog(root)
    with pytest.raises(OSError):
        os.open(log.path, audit_module._APPEND_FLAGS, 0o666)
    assert outside.read_bytes() == b""
