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
from tests.conftest import PROJECT, git, run_cli, valid_pattern

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


# --- The hooks follow patterns_dir (issue 16, item 6) ---

EIGHT_ACTORS = "sequenceDiagram\n" + "".join(f"  A{i}->>A{i + 1}: step {i}\n" for i in range(8))


@pytest.fixture
def catalog_repo(repo: Path) -> Path:
    """A repository whose patterns live in catalog/ (patterns_dir), with a package.json and
    a stray, invalid JSON file in the default patterns/ folder that is not a pattern here."""
    (repo / "pubflow.yaml").write_text("patterns_dir: catalog\n")
    (repo / "catalog").mkdir()
    (repo / "catalog" / "incident-escalation.json").write_text(
        json.dumps(valid_pattern(), indent=2) + "\n")
    (repo / "package.json").write_text('{"name": "site", "version": "1.0.0"}\n')
    (repo / "patterns" / "fixture.json").write_text('{"not": "a pattern"}\n')
    (repo / "docs").mkdir()
    (repo / "docs" / "architecture.mmd").write_text("flowchart LR\n  a --> b\n")
    return repo


def test_validate_hook_checks_the_configured_patterns_dir_and_skips_other_json(
        catalog_repo: Path, hook_env: dict[str, str]) -> None:
    git(catalog_repo, "add", "-A")
    done = try_repo(catalog_repo, "pubflow-validate", hook_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pubflow validate" in done.stdout and "Passed" in done.stdout
    assert "package.json" not in done.stdout and "fixture.json" not in done.stdout
    git(catalog_repo, "commit", "-q", "-m", "a catalog")

    bad = valid_pattern(id="weak-handoffs")
    bad["scorecard"]["handoffs"] = 2
    (catalog_repo / "catalog" / "weak-handoffs.json").write_text(json.dumps(bad, indent=2) + "\n")
    (catalog_repo / "package.json").write_text('{"name": "site", "version": "1.0.1"}\n')
    git(catalog_repo, "add", "-A")
    done = try_repo(catalog_repo, "pubflow-validate", hook_env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("catalog/weak-handoffs.json:34:17: error[scorecard.dimension-min] scorecard: "
            "dimension 'handoffs' scores 2/5" in done.stdout)
    assert "package.json" not in done.stdout
    # --all-files passes every JSON file of the repository; only catalog/ is read.
    done = try_repo(catalog_repo, "pubflow-validate", hook_env, "--all-files")
    assert done.returncode == 1
    assert "1 error in 1 of 2 files" in done.stdout
    assert "fixture.json" not in done.stdout and "package.json" not in done.stdout


def test_diagrams_hook_checks_mmd_files_in_the_patterns_dir_only(
        catalog_repo: Path, hook_env: dict[str, str]) -> None:
    (catalog_repo / "catalog" / "escalation-draft.mmd").write_text(EIGHT_ACTORS)
    git(catalog_repo, "add", "-A")
    done = try_repo(catalog_repo, "pubflow-diagrams", hook_env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "escalation-draft.mmd exceeds actor budget (9/7)" in done.stdout
    assert "architecture.mmd" not in done.stdout  # a flowchart outside the patterns folder

    git(catalog_repo, "rm", "-q", "--cached", "catalog/escalation-draft.mmd")
    done = try_repo(catalog_repo, "pubflow-diagrams", hook_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_tickets_hook_runs_when_a_pattern_in_the_patterns_dir_changes(
        catalog_repo: Path, hook_env: dict[str, str]) -> None:
    git(catalog_repo, "add", "-A")
    git(catalog_repo, "commit", "-q", "-m", "a catalog")
    pattern = catalog_repo / "catalog" / "incident-escalation.json"
    pattern.write_text(json.dumps(valid_pattern(version="1.1.0"), indent=2) + "\n")
    git(catalog_repo, "add", "-A")
    done = try_repo(catalog_repo, "pubflow-tickets", hook_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pubflow tickets and environments" in done.stdout and "Passed" in done.stdout
    assert "Skipped" not in done.stdout


def test_patterns_dir_only_picks_files_as_the_folder_walk_would(catalog_repo: Path) -> None:
    """What the hooks pass through `--patterns-dir-only`, without pre-commit (fast)."""
    hidden = catalog_repo / "catalog" / ".drafts"
    hidden.mkdir()
    (hidden / "half-done.json").write_text("{")
    outside = ["package.json", "patterns/fixture.json", "catalog/.drafts/half-done.json"]
    done = run_cli("validate", "--quiet", "--patterns-dir-only", *outside, cwd=catalog_repo)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    done = run_cli("validate", "--patterns-dir-only", *outside, cwd=catalog_repo)
    assert done.returncode == 0 and done.stdout == ""
    assert ("none of the 3 file(s) given is in the patterns folder (catalog); nothing to "
            "check") in done.stderr
    done = run_cli("validate", "--patterns-dir-only", "package.json",
                   "catalog/incident-escalation.json", cwd=catalog_repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 file checked" in done.stdout
    # From a subfolder, and with the folder itself: paths are the shell's, as always.
    done = run_cli("validate", "--patterns-dir-only", "incident-escalation.json", "../package.json",
                   cwd=catalog_repo / "catalog")
    assert done.returncode == 0 and "1 file checked" in done.stdout, done.stdout + done.stderr
    done = run_cli("validate", "--patterns-dir-only", "catalog", cwd=catalog_repo)
    assert done.returncode == 0 and "1 file checked" in done.stdout, done.stdout + done.stderr
    # Without the option a file named on the command line is checked, wherever it is.
    done = run_cli("validate", "package.json", cwd=catalog_repo)
    assert done.returncode == 1
    assert "package.json:" in done.stdout
    done = run_cli("diagrams", "--quiet", "--patterns-dir-only", "docs/architecture.mmd",
                   cwd=catalog_repo)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
