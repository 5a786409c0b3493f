"""A depth-1 clone (what GitHub's actions/checkout makes by default) cannot compare with a
base it never fetched: `validate --changed --base` and `verify --since` say so and what to
do (exit 2), and work once enough history is fetched. Real `git clone --depth 1 file://...`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, run_cli, valid_pattern

ADVICE = ("shallow clone", "fetch-depth: 0", "git fetch --deepen=", "git fetch --unshallow")


@pytest.fixture
def origin(repo: Path) -> Path:
    """Five commits: a pattern, then four edits; the last edit breaks the scorecard."""
    (repo / "pubflow.yaml").write_text("patterns_dir: patterns\n")
    path = repo / "patterns" / "incident-escalation.json"
    for minor in range(4):
        path.write_text(json.dumps(valid_pattern(version=f"1.{minor}.0"), indent=2) + "\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"1.{minor}.0")
    weak = valid_pattern(id="weak-handoffs")
    weak["scorecard"]["handoffs"] = 2
    (repo / "patterns" / "weak-handoffs.json").write_text(json.dumps(weak, indent=2) + "\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a weak pattern")
    return repo


def shallow_clone(origin: Path, tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(clone)],
                   check=True, capture_output=True)
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    return clone


def assert_advice(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    for words in ADVICE:
        assert words in done.stderr, done.stderr
    assert "failed (exit" not in done.stderr
    assert "Traceback" not in done.stderr


def test_changed_base_in_a_depth_1_clone_says_to_fetch_more(origin: Path,
                                                              tmp_path: Path) -> None:
    base = git(origin, "rev-parse", "HEAD~2").strip()
    clone = shallow_clone(origin, tmp_path)
    done = run_cli("validate", "--changed", "--base", base, cwd=clone)
    assert_advice(done)
    assert f"--base {base}: no such commit in this shallow clone" in done.stderr

    # The action's own way: the base sha of the pull request (GitHub fetches it at depth 1
    # when asked): present, but the history between it and HEAD is not.
    git(origin, "branch", "base", base)
    git(clone, "fetch", "-q", "--depth", "1", "origin", "base:refs/remotes/origin/base")
    done = run_cli("validate", "--changed", "--base", "origin/base", cwd=clone)
    assert_advice(done)
    assert "does not reach the commit where origin/base and HEAD meet" in done.stderr

    git(clone, "fetch", "-q", "--deepen=2")  # enough to reach the merge base
    done = run_cli("validate", "--changed", "--base", "origin/base", cwd=clone)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "patterns/weak-handoffs.json" in done.stdout
    assert "scores 2/5" in done.stdout


def test_verify_since_in_a_depth_1_clone_says_to_fetch_more(origin: Path,
                                                            tmp_path: Path) -> None:
    base = git(origin, "rev-parse", "HEAD~3").strip()
    clone = shallow_clone(origin, tmp_path)
    done = run_cli("verify", "--since", base, cwd=clone)
    assert_advice(done)
    git(origin, "branch", "base", base)
    git(clone, "fetch", "-q", "--depth", "1", "origin", "base:refs/remotes/origin/base")
    assert_advice(run_cli("verify", "--since", "origin/base", cwd=clone))
    # The pre-commit hook's `--since HEAD` needs no more history.
    done = run_cli("verify", "--since", "HEAD", cwd=clone)
    assert done.returncode == 0, done.stdout + done.stderr

    git(clone, "fetch", "-q", "--unshallow")
    done = run_cli("verify", "--since", "origin/base", cwd=clone)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("verified ")


def test_a_full_clone_names_a_missing_or_unrelated_base_plainly(origin: Path) -> None:
    done = run_cli("validate", "--changed", "--base", "no-such-branch", cwd=origin)
    assert done.returncode == 2
    assert "--base no-such-branch: no such commit in this repository" in done.stderr
    assert "shallow" not in done.stderr and "failed (exit" not in done.stderr

    git(origin, "checkout", "-q", "--orphan", "other")
    git(origin, "commit", "-q", "-m", "unrelated")
    git(origin, "checkout", "-q", "main")
    done = run_cli("validate", "--changed", "--base", "other", cwd=origin)
    assert done.returncode == 2
    assert "--base other: other and HEAD share no history" in done.stderr
    assert "failed (exit" not in done.stderr
