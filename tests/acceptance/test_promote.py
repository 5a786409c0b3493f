"""`pubflow promote` in real repositories: gates, packages, environments, commits and tags."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.release_support import (
    PATTERN,
    approved,
    approved_repo,
    catalog,
    head,
    live_in,
    new_version,
    promote,
    tags,
    ticket_state,
)
from tests.acceptance.tickets_support import create, invoke, setup_repo
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
PACKAGE = Path(".pubflow/releases/incident-escalation/1.0.0")


def test_staging_builds_package_environment_catalog_commit_and_tag(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    before = head(repo)
    code, out, err = promote(ticket_id, "--to", "staging", "--notes", "First release")
    assert code == 0, out + err
    assert f"{PATTERN} 1.0.0 is live in staging" in out
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert git(repo, "status", "--porcelain") == ""
    manifest = json.loads((repo / PACKAGE / "manifest.json").read_text())
    assert (manifest["pattern"], manifest["version"], manifest["ticket"]) == (
        PATTERN, "1.0.0", ticket_id)
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((repo / PACKAGE / name).read_bytes()).hexdigest() == digest
    assert set(manifest["files"]) == {"pattern.json", "page.md", "RELEASE_NOTES.md"}
    page = (repo / PACKAGE / "page.md").read_text()
    assert page.count("```mermaid") == 2 and "## 9. Implementation checklist" in page
    assert "First release" in (repo / PACKAGE / "RELEASE_NOTES.md").read_text()
    live = live_in(repo, "staging")
    assert live is not None
    assert (live["version"], live["ticket"], live["by"]) == ("1.0.0", ticket_id, "releng")
    assert catalog(repo, "staging")[PATTERN]["version"] == "1.0.0"
    assert ticket_state(ticket_id) == "staged"
    assert tags(repo) == [f"pubflow/staging/{PATTERN}/1.0.0"]
    assert git(repo, "cat-file", "-t", f"pubflow/staging/{PATTERN}/1.0.0").strip() == "tag"


def test_production_needs_staging_first(repo: Path, write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    code, _out, err = promote(ticket_id, "--to", "production")
    assert code == 1
    assert "gate 'ticket state' refused promotion to production" in err
    assert promote(ticket_id, "--to", "staging")[0] == 0
    code, out, err = promote(ticket_id, "--to", "production")
    assert code == 0, out + err
    assert ticket_state(ticket_id) == "live"
    assert live_in(repo, "production") is not None
    assert f"pubflow/production/{PATTERN}/1.0.0" in tags(repo)
    code, out, _ = invoke("ticket", "verify")
    assert code == 0, out


def test_dry_run_prints_the_plan_and_writes_nothing(repo: Path,
                                                    write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    before = head(repo)
    code, out, err = promote(ticket_id, "--to", "staging", "--dry-run")
    assert code == 0, out + err
    assert "gate pinned content: ok" in out and "gate checks: ok" in out
    assert f"write {PACKAGE.as_posix()}/manifest.json" in out
    assert "dry run: nothing was written" in out
    assert head(repo) == before and git(repo, "status", "--porcelain") == ""
    assert not (repo / ".pubflow" / "releases").exists() and tags(repo) == []


def test_each_refusal_names_its_gate(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    code, _out, err = promote(ticket_id, "--to", "staging")
    assert code == 1 and "gate 'ticket state'" in err and "ready_for_review" in err
    code, _out, err = promote(ticket_id, "--to", "moon")
    assert code == 2 and "unknown environment 'moon'" in err


def test_changed_content_is_refused(repo: Path, write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    write_pattern(valid_pattern(name="Edited after the review"))
    code, _out, err = promote(ticket_id, "--to", "staging")
    assert code == 1
    assert "gate 'pinned content'" in err and "differs from the reviewed content" in err
    assert not (repo / ".pubflow" / "releases").exists()


def test_rerunning_a_finished_promotion_is_a_noop(repo: Path,
                                                  write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    assert promote(ticket_id, "--to", "staging")[0] == 0
    before = head(repo)
    code, out, _ = promote(ticket_id, "--to", "staging")
    assert code == 0
    assert "is already live in staging: nothing to do" in out
    assert head(repo) == before


def test_package_is_byte_identical_when_built_again(repo: Path,
                                                    write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    assert promote(ticket_id, "--to", "staging", "--notes", "n")[0] == 0
    first = {p.name: p.read_bytes() for p in (repo / PACKAGE).iterdir()}
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    git(repo, "tag", "-d", f"pubflow/staging/{PATTERN}/1.0.0")
    shutil.rmtree(repo / ".pubflow" / "releases", ignore_errors=True)
    assert promote(ticket_id, "--to", "staging", "--notes", "n", actor="relops")[0] == 0
    again = {p.name: p.read_bytes() for p in (repo / PACKAGE).iterdir()}
    assert again == first


def test_release_types_and_versions(repo: Path, write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    code, _out, err = promote(second, "--to", "staging", "--release", "patch")
    assert code == 1 and "gate 'version'" in err and "1.0.0 -> 1.1.0 is a minor bump" in err
    code, out, err = promote(second, "--to", "staging", "--release", "minor")
    assert code == 0, out + err
    assert promote(second, "--to", "production", "--release", "minor")[0] == 0
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.1.0" and live["release"] == "minor"
    assert [h["version"] for h in live["history"]] == ["1.0.0"]
    assert live["history"][0]["ended"] == "superseded"
    lower = new_version(repo, write_pattern, "1.0.5")
    code, _out, err = promote(lower, "--to", "staging")
    assert code == 1 and "1.0.5 is not higher than 1.1.0" in err


def test_hotfix_goes_straight_to_production_with_notes(repo: Path,
                                                       write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    fix = new_version(repo, write_pattern, "1.0.1")
    code, _out, err = promote(fix, "--to", "production", "--release", "hotfix")
    assert code == 1 and "gate 'release notes'" in err
    code, out, err = promote(fix, "--to", "production", "--release", "hotfix", "--notes",
                             "Fixes the escalation owner")
    assert code == 0, out + err
    assert ticket_state(fix) == "live"
    notes = (repo / ".pubflow/releases/incident-escalation/1.0.1/RELEASE_NOTES.md").read_text()
    assert "Release type: hotfix" in notes and "Fixes the escalation owner" in notes


def test_failed_smoke_check_undoes_everything(repo: Path, write_pattern: WritePattern,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    before = head(repo)
    monkeypatch.setenv("PUBFLOW_TEST_FAIL_SMOKE", "catalog")
    code, _out, err = promote(ticket_id, "--to", "staging")
    assert code == 1
    assert "smoke check 'catalog' failed" in err and "the promotion was undone" in err
    assert head(repo) == before and git(repo, "status", "--porcelain") == ""
    assert not (repo / ".pubflow" / "releases").exists()
    assert ticket_state(ticket_id) == "approved" and tags(repo) == []


def test_environment_file_edited_into_nonsense(repo: Path, write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    assert promote(ticket_id, "--to", "staging")[0] == 0
    env_file = repo / ".pubflow" / "environments" / "staging.yaml"
    env_file.write_text("patterns: [1, 2\n")
    code, _out, err = promote(ticket_id, "--to", "production")
    assert code == 2
    assert ".pubflow/environments/staging.yaml" in err and "invalid YAML" in err
    env_file.write_text("apiVersion: pubflow.dev/v1\nkind: Environment\nname: staging\n"
                        "patterns: {incident-escalation: {version: 1}}\n")
    code, _out, err = promote(ticket_id, "--to", "production")
    assert code == 2 and "does not follow the environment schema" in err


def test_second_pattern_keeps_the_first_in_the_catalog(repo: Path,
                                                       write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern, (valid_pattern(), valid_pattern(id="second-one",
                                                                    name="Second one")))
    first, second = approved(), approved("second-one")
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(second, "--to", "staging")[0] == 0
    rows = catalog(repo, "staging")
    assert sorted(rows) == [PATTERN, "second-one"]
    assert rows["second-one"]["name"] == "Second one"
    assert rows[PATTERN]["industries"] == valid_pattern()["industries"]


def test_promotion_commits_housekeeping_files_an_older_pubflow_did_not(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    git(repo, "rm", "-q", ".pubflow/.gitattributes")
    git(repo, "commit", "-q", "-m", "as an older pubflow left it")
    assert promote(ticket_id, "--to", "staging")[0] == 0
    assert git(repo, "status", "--porcelain") == ""
    assert ".pubflow/.gitattributes" in git(repo, "ls-files", ".pubflow")


@pytest.mark.parametrize(("args", "message"), [
    (("--canary", "10,5,100", "--health-cmd", "true"), "weights must rise strictly"),
    (("--canary", "10,50", "--health-cmd", "true"), "--canary must end at 100"),
    (("--canary", "10,100"), "--canary needs --health-cmd"),
    (("--canary", "ten"), "give percentages separated by commas"),
    (("--canary", "50,100", "--health-cmd", "true", "--health-timeout", "0"),
     "--health-timeout must be a positive number"),
])
def test_bad_promotion_options_are_usage_errors(repo: Path, write_pattern: WritePattern,
                                                args: tuple[str, ...], message: str) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    before = head(repo)
    code, _out, err = promote(ticket_id, "--to", "staging", *args)
    assert code == 2 and message in err
    assert head(repo) == before


def _first_live_then_second(repo: Path, write_pattern: WritePattern) -> str:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    return new_version(repo, write_pattern, "1.1.0")


def test_a_health_check_without_canary_that_fails_rolls_back(
        repo: Path, write_pattern: WritePattern) -> None:
    second = _first_live_then_second(repo, write_pattern)
    code, out, err = promote(second, "--to", "staging", "--health-cmd", "echo down; false")
    assert code == 1, out + err
    assert (f"health check failed (exit 1) after switching to {PATTERN} 1.1.0 in staging"
            in out)
    assert "down" in out and f"rolled back to 1.0.0; {second} is rolled_back" in out
    live = live_in(repo, "staging")
    assert live is not None and live["version"] == "1.0.0" and "rollout" not in live
    assert catalog(repo, "staging")[PATTERN]["version"] == "1.0.0"
    assert ticket_state(second) == "rolled_back"
    assert not any("1.1.0" in tag for tag in tags(repo))
    assert git(repo, "status", "--porcelain") == ""
    assert "rollback" in git(repo, "log", "-1", "--format=%s")


def test_canary_100_alone_runs_the_health_check_once(repo: Path,
                                                      write_pattern: WritePattern) -> None:
    """`--canary 100` is the one-step canary: its health check is never skipped."""
    second = _first_live_then_second(repo, write_pattern)
    code, out, err = promote(second, "--to", "staging", "--canary", "100", "--health-cmd",
                             "echo down; false")
    assert code == 1, out + err
    assert f"rolled back to 1.0.0; {second} is rolled_back" in out
    live = live_in(repo, "staging")
    assert live is not None and live["version"] == "1.0.0"


def test_a_health_check_without_canary_that_passes_promotes(
        repo: Path, write_pattern: WritePattern) -> None:
    second = _first_live_then_second(repo, write_pattern)
    log = repo.parent / "health.log"
    code, out, err = promote(second, "--to", "staging", "--health-cmd",
                             f'echo "$PUBFLOW_VERSION $PUBFLOW_WEIGHT $PUBFLOW_STABLE_VERSION" '
                             f'>> {log}; true')
    assert code == 0, out + err
    assert log.read_text() == "1.1.0 100 1.0.0\n"  # once, after the switch
    assert f"{PATTERN} 1.1.0 is live in staging" in out
    live = live_in(repo, "staging")
    assert live is not None and live["version"] == "1.1.0" and "rollout" not in live
    assert ticket_state(second) == "staged"
    assert f"pubflow/staging/{PATTERN}/1.1.0" in tags(repo)
    assert git(repo, "status", "--porcelain") == ""


def test_a_new_pattern_whose_check_fails_is_taken_out_again(
        repo: Path, write_pattern: WritePattern) -> None:
    """There is no stable version to name: the message says what happened instead."""
    first = approved_repo(repo, write_pattern)
    code, out, err = promote(first, "--to", "staging", "--health-cmd", "false")
    assert code == 1, out + err
    assert f"{PATTERN} taken out of staging again (no earlier version); {first} is rolled_back" in out
    assert "stable version" not in out
    assert live_in(repo, "staging") is None


def test_two_worktrees_promoting_at_once_are_serialised(repo: Path,
                                                         write_pattern: WritePattern) -> None:
    """The lock lives in git's common directory: a second worktree waits for the first, and
    every tag either run prints exists and marks that run's commit."""
    import re
    import subprocess
    import sys

    first = approved_repo(repo, write_pattern)
    other = repo.parent / "other-worktree"
    git(repo, "worktree", "add", "-q", str(other), "-b", "other")
    runs = [subprocess.Popen([sys.executable, "-m", "pubflow", "--actor", "releng", "promote",
                              first, "--to", "staging", "--format", "json"], cwd=where,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for where in (repo, other)]
    outputs = [(run.communicate(timeout=120), run.returncode) for run in runs]
    printed = []
    for ((out, err), code), where in zip(outputs, (repo, other), strict=True):
        assert code == 0, out + err
        tag = json.loads(out)["plan"]["tag"]
        assert re.fullmatch(rf"pubflow/staging/{PATTERN}/1\.0\.0(-2)?", tag)
        assert git(where, "rev-list", "-n", "1", tag).strip() == git(where, "rev-parse",
                                                                     "HEAD").strip()
        printed.append(tag)
    assert len(set(printed)) == 2
    for where in (repo, other):
        assert git(where, "status", "--porcelain") == ""
