"""The real `pre-commit` tool runs pubflow's hooks from this checkout (`pre-commit try-repo`)
in a temporary pattern repository: a good pattern commits, a bad one is refused with the
finding on screen, and a hand-edited ticket is caught.

pre-commit builds pubflow into its own virtualenv once per test session (that needs the
package index, like `pip install`); the tests share that environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.acceptance.release_support import approved
from tests.acceptance.tickets_support import setup_repo
from tests.conftest import PROJECT, git, valid_pattern

PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or "pre-commit"


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def hook_env(pre_commit_home: Path) -> Iterator[dict[str, str]]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "NO_COLOR": "1"}
    env.pop("PUBFLOW_ACTOR", None)
    yield env


def try_repo(repo: Path, hook: str, env: dict[str, str],
             *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PRE_COMMIT, "try-repo", str(PROJECT), hook, *extra], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=600)


def test_good_pattern_commits_bad_one_is_refused(repo: Path, hook_env: dict[str, str]) -> None:
    good = repo / "patterns" / "incident-escalation.json"
    good.write_text(json.dumps(valid_pattern(), indent=2) + "\n")
    git(repo, "add", "-A")
    done = try_repo(repo, "pubflow-validate", hook_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pubflow validate" in done.stdout and "Passed" in done.stdout
    git(repo, "commit", "-q", "-m", "a good pattern")

    bad = valid_pattern(id="weak-handoffs")
    bad["scorecard"]["handoffs"] = 2
    (repo / "patterns" / "weak-handoffs.json").write_text(json.dumps(bad, indent=2) + "\n")
    git(repo, "add", "-A")
    done = try_repo(repo, "pubflow-validate", hook_env)
    assert done.returncode == 1
    assert "Failed" in done.stdout
    assert ("patterns/weak-handoffs.json:" in done.stdout
            and "error[scorecard.dimension-min] scorecard: dimension 'handoffs' scores 2/5"
            in done.stdout)


def test_duplicate_id_is_caught_when_only_one_file_is_staged(
        repo: Path, hook_env: dict[str, str]) -> None:
    (repo / "patterns" / "incident-escalation.json").write_text(
        json.dumps(valid_pattern(), indent=2) + "\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    copy = repo / "patterns" / "copy-of-incident.json"
    copy.write_text(json.dumps(valid_pattern(), indent=2) + "\n")  # id still incident-escalation
    git(repo, "add", str(copy))
    done = try_repo(repo, "pubflow-validate", hook_env)
    assert done.returncode == 1
    assert "patterns/copy-of-incident.json" in done.stdout
    assert "incident-escalation" in done.stdout


def test_tickets_hook_catches_a_hand_edited_ticket(repo: Path,
                                                   write_pattern: Callable[..., Path],
                                                   hook_env: dict[str, str]) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = approved()
    done = try_repo(repo, "pubflow-tickets", hook_env, "--all-files")
    assert done.returncode == 0, done.stdout + done.stderr
    ticket = repo / ".pubflow" / "tickets" / f"{ticket_id}.yaml"
    ticket.write_text(ticket.read_text().replace("actor: rlee", "actor: jdoe"))
    git(repo, "add", "-A")
    done = try_repo(repo, "pubflow-tickets", hook_env)
    assert done.returncode == 1
    assert f".pubflow/tickets/{ticket_id}.yaml: {ticket_id}: event" in done.stdout
    assert "edited after the fact" in done.stdout
