"""Issue 15, items 3 and 11: every ticket command is all or nothing. A real `pubflow` process
is killed (SIGKILL, by itself: `PUBFLOW_CRASH_AT`) at every point of every writing ticket
command; the next pubflow command finds the journal and leaves the old or the new state, with
`git status` clean, no temporary file anywhere, and `pubflow verify` content."""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from pubflow.records.transaction import CRASH_POINTS
from tests.acceptance.release_support import run_pubflow
from tests.acceptance.tickets_support import create, in_review, invoke, setup_repo
from tests.conftest import git, valid_pattern

TICKET = "PUB-2026-001"
PATTERN_FILE = "patterns/incident-escalation.json"
NOW = {"PUBFLOW_NOW": "2026-03-02T10:00:00Z"}


def _created(repo: Path) -> None:
    create()


def _routed(repo: Path) -> None:
    in_review()


def _changes_requested(repo: Path) -> None:
    in_review()
    code, out, err = invoke("--actor", "rlee", "ticket", "review", TICKET, "--decision",
                            "request-changes", "--comment", "fix step 2")
    assert code == 0, out + err
    (repo / PATTERN_FILE).write_text(json.dumps(valid_pattern(version="1.0.1"), indent=2))
    git(repo, "commit", "-q", "-am", "fix step 2")


COMMANDS: dict[str, tuple[Callable[[Path], None] | None, list[str], str, str]] = {
    # name: (how the repository is prepared, the command, state before, state after)
    "create": (None, ["--actor", "jdoe", "ticket", "create", "incident-escalation"],
               "-", "ready_for_review"),
    "route": (_created, ["--actor", "editor", "ticket", "route", TICKET], "ready_for_review",
              "in_review"),
    "review": (_routed, ["--actor", "rlee", "ticket", "review", TICKET, "--decision",
                         "approve"], "in_review", "approved"),
    "resubmit": (_changes_requested, ["--actor", "jdoe", "ticket", "resubmit", TICKET],
                 "changes_requested", "in_review"),
    "withdraw": (_routed, ["--actor", "jdoe", "ticket", "withdraw", TICKET, "--reason",
                           "not needed"], "in_review", "withdrawn"),
}
CASES = [(name, point) for name in COMMANDS for point in CRASH_POINTS
         if point != "tagged" and (point != "step" or name == "create")]
_templates: dict[str, Path] = {}


def template(name: str, tmp_path_factory: pytest.TempPathFactory,
             write_pattern: Callable[..., Path], repo: Path) -> Path:
    """The repository just before `name` runs, built once per command."""
    if name not in _templates:
        setup_repo(repo, write_pattern)
        prepare = COMMANDS[name][0]
        if prepare is not None:
            prepare(repo)
        saved = tmp_path_factory.mktemp(f"template-{name}") / "repo"
        shutil.copytree(repo, saved, symlinks=True)
        _templates[name] = saved
    return _templates[name]


def state_of(repo: Path) -> str:
    path = repo / ".pubflow" / "tickets" / f"{TICKET}.yaml"
    if not path.exists():
        return "-"
    code, out, err = invoke("ticket", "show", TICKET, "--format", "json")
    assert code == 0, err
    return str(json.loads(out)["state"])


def leftovers(repo: Path) -> list[str]:
    return sorted(str(p.relative_to(repo)) for p in repo.rglob("*.tmp"))


@pytest.mark.parametrize(("name", "point"), CASES)
def test_a_ticket_command_killed_anywhere_leaves_the_old_or_the_new_state(
        name: str, point: str, tmp_path_factory: pytest.TempPathFactory,
        write_pattern: Callable[..., Path], repo: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    saved = template(name, tmp_path_factory, write_pattern, repo)
    work = repo.parent / "crashed"
    shutil.copytree(saved, work, symlinks=True)
    monkeypatch.chdir(work)
    _prepare, args, before, after = COMMANDS[name]
    start = git(work, "rev-parse", "HEAD").strip()
    done = run_pubflow(work, *args, env={"PUBFLOW_CRASH_AT": point})
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    # the next command (one that only reads) finishes or undoes it
    code, out, err = invoke("ticket", "list", "--format", "json")
    assert code == 0, out + err
    finished = point in ("committed", "step")
    expected = after if finished else before
    assert state_of(work) == expected
    said = "finished an interrupted" if finished else "undid an interrupted"
    assert f"pubflow: {said} ticket" in err
    assert git(work, "status", "--porcelain", "--untracked-files=all") == ""
    assert leftovers(work) == []
    if not finished:
        assert git(work, "rev-parse", "HEAD").strip() == start
    else:
        assert git(work, "rev-parse", "HEAD").strip() != start
    code, out, err = invoke("verify")
    assert code == 0, out + err
    # and the command can run (again) without trouble
    if not finished:
        code, out, err = invoke(*args)
        assert code == 0, out + err
        assert state_of(work) == after
    assert os.environ.get("PUBFLOW_CRASH_AT") is None


def test_create_killed_between_its_two_commits_is_finished_not_stranded(
        write_pattern: Callable[..., Path], repo: Path) -> None:
    setup_repo(repo, write_pattern)
    done = run_pubflow(repo, "--actor", "jdoe", "ticket", "create", "incident-escalation",
                       env={"PUBFLOW_CRASH_AT": "step"})
    assert done.returncode == -signal.SIGKILL
    subjects = git(repo, "log", "--format=%s", "-2").splitlines()
    assert subjects[0].startswith(f"{TICKET}: submission_received")  # one commit made
    assert run_pubflow(repo, "status").returncode == 0
    assert state_of(repo) == "ready_for_review"
    subjects = git(repo, "log", "--format=%s", "-2").splitlines()
    assert subjects[0].startswith(f"{TICKET}: ready_for_review")


def test_ticket_ids_are_never_issued_twice(write_pattern: Callable[..., Path],
                                           repo: Path) -> None:
    setup_repo(repo, write_pattern, patterns=(valid_pattern(), valid_pattern(id="second-one")))
    first = create()
    # someone deletes the ticket file and commits: the audit log still knows the id
    git(repo, "rm", "-q", f".pubflow/tickets/{first}.yaml")
    git(repo, "commit", "-q", "-m", "drop a ticket")
    second = create("second-one")
    assert (first, second) == (TICKET, "PUB-2026-002")


def test_an_uncommitted_hand_edit_of_a_ticket_is_refused_not_committed(
        write_pattern: Callable[..., Path], repo: Path) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    path = repo / ".pubflow" / "tickets" / f"{ticket_id}.yaml"
    path.write_text(path.read_text().replace("priority: normal", "priority: high"))
    code, _out, err = invoke("--actor", "editor", "ticket", "route", ticket_id)
    assert code == 1
    assert (f"uncommitted changes in files pubflow is about to write: "
            f".pubflow/tickets/{ticket_id}.yaml (modified)") in err
    assert "git restore" in err
    assert "priority: high" in path.read_text()  # the edit is the user's to keep or drop


def test_no_git_identity_is_said_before_anything_is_written(
        write_pattern: Callable[..., Path], repo: Path) -> None:
    setup_repo(repo, write_pattern)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_AUTHOR", "GIT_COMMITTER")) and k != "EMAIL"}
    home = repo.parent / "home"
    home.mkdir()
    env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / "none"), GIT_CONFIG_NOSYSTEM="1")
    git(repo, "config", "user.useConfigOnly", "true")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pubflow", "--actor", "jdoe", "ticket",
                           "create", "incident-escalation"], cwd=repo, env=env, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "git cannot commit here" in done.stderr
    assert "git config --global user.email" in done.stderr
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
