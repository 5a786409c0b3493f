"""`pubflow rollback`, canary rollouts with real health commands, and crash safety under
SIGKILL, in real repositories."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from pubflow.records.transaction import CRASH_POINTS
from tests.acceptance.release_support import (
    PATTERN,
    approved_repo,
    catalog,
    head,
    live_in,
    new_version,
    promote,
    run_pubflow,
    tags,
    ticket_state,
)
from tests.acceptance.tickets_support import invoke
from tests.conftest import git

WritePattern = Callable[..., Path]


def two_versions_live(repo: Path, write_pattern: WritePattern) -> tuple[str, str]:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    assert promote(second, "--to", "production")[0] == 0
    return first, second


def test_rollback_goes_to_the_previous_release(repo: Path, write_pattern: WritePattern) -> None:
    first, second = two_versions_live(repo, write_pattern)
    before = head(repo)
    code, out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "production",
                            "--reason", "step 3 is wrong")
    assert code == 0, out + err
    assert f"{PATTERN} in production: 1.1.0 -> 1.0.0" in out
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert "rollback incident-escalation in production: 1.1.0 -> 1.0.0" in git(
        repo, "log", "-1", "--format=%s")
    live = live_in(repo, "production")
    assert live is not None and (live["version"], live["ticket"]) == ("1.0.0", first)
    assert live["history"][-1]["version"] == "1.1.0"
    assert live["history"][-1]["ended"] == "rolled_back"
    assert live["history"][-1]["reason"] == "step 3 is wrong"
    assert catalog(repo, "production")[PATTERN]["version"] == "1.0.0"
    assert ticket_state(second) == "rolled_back"
    assert git(repo, "status", "--porcelain") == ""
    code, out, _ = invoke("ticket", "verify")
    assert code == 0, out
    code, _out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "production")
    assert code == 1 and "no earlier release" in err


def test_rollback_to_a_named_version_verifies_its_package(repo: Path,
                                                         write_pattern: WritePattern) -> None:
    two_versions_live(repo, write_pattern)
    page = repo / ".pubflow/releases/incident-escalation/1.0.0/page.md"
    page.write_text(page.read_text() + "tampered\n")
    before = head(repo)
    code, _out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "production",
                             "--to", "1.0.0", "--reason", "x")
    assert code == 1
    assert "page.md: sha256" in err and "does not match the manifest" in err
    assert head(repo) == before
    git(repo, "checkout", "--", str(page))
    code, _out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "production",
                             "--to", "0.9.0", "--reason", "x")
    assert code == 1 and "no package for incident-escalation 0.9.0" in err


def test_depublish_takes_the_pattern_out(repo: Path, write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    code, out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "staging",
                            "--depublish", "--reason", "withdrawn")
    assert code == 0, out + err
    assert "was taken out of staging" in out
    assert live_in(repo, "staging") is None
    assert PATTERN not in catalog(repo, "staging")
    assert ticket_state(first) == "depublished"
    code, _out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "staging")
    assert code == 1 and "is not live in staging" in err
    code, _out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "nowhere")
    assert code == 2 and "unknown environment" in err


def test_canary_steps_run_the_health_command_between_steps(
        repo: Path, write_pattern: WritePattern) -> None:
    two_versions_live(repo, write_pattern)
    third = new_version(repo, write_pattern, "1.2.0")
    assert promote(third, "--to", "staging")[0] == 0
    log = repo.parent / "health.log"
    before = head(repo)
    check = f'echo "$PUBFLOW_PATTERN $PUBFLOW_VERSION $PUBFLOW_ENVIRONMENT $PUBFLOW_WEIGHT" >> {log}'
    code, out, err = promote(third, "--to", "production", "--canary", "10,50,100",
                             "--health-cmd", check)
    assert code == 0, out + err
    assert log.read_text().splitlines() == [
        f"{PATTERN} 1.2.0 production 10", f"{PATTERN} 1.2.0 production 50"]
    subjects = git(repo, "log", "--format=%s", f"{before}..HEAD").splitlines()
    assert subjects[::-1] == [
        f"canary {PATTERN} 1.2.0 at 10% in production ({third})",
        f"canary {PATTERN} 1.2.0 at 50% in production ({third})",
        f"canary 10,50,100 {PATTERN} 1.2.0 to production ({third}, minor)"]
    weights = [json.loads(_env_at(repo, sha))["patterns"][PATTERN].get("rollout", {})
               .get("weight") for sha in git(repo, "rev-list", f"{before}..HEAD").split()]
    assert weights[::-1] == [10, 50, None]
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.2.0" and "rollout" not in live
    assert ticket_state(third) == "live"


def _env_at(repo: Path, sha: str) -> str:
    text = git(repo, "show", f"{sha}:.pubflow/environments/production.yaml")
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


def test_failing_health_check_rolls_back_automatically(repo: Path,
                                                       write_pattern: WritePattern) -> None:
    two_versions_live(repo, write_pattern)
    third = new_version(repo, write_pattern, "1.2.0")
    assert promote(third, "--to", "staging")[0] == 0
    code, out, _err = promote(third, "--to", "production", "--canary", "10,25,50,100",
                              "--health-cmd", "echo 'error rate 7%' >&2; exit 3")
    assert code == 1
    assert "health check failed (exit 3)" in out and "error rate 7%" in out
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.1.0" and "rollout" not in live
    assert catalog(repo, "production")[PATTERN]["version"] == "1.1.0"
    assert ticket_state(third) == "rolled_back"
    assert git(repo, "status", "--porcelain") == ""
    assert not any("production" in t and "1.2.0" in t for t in tags(repo))


def test_hanging_health_check_times_out_and_rolls_back(repo: Path,
                                                       write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    done = run_pubflow(repo, "--actor", "releng", "promote", first, "--to", "production",
                       "--canary", "50,100", "--health-cmd", "sleep 30",
                       "--health-timeout", "0.5", timeout=20)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "health check failed (timed out)" in done.stdout
    assert live_in(repo, "production") is None
    assert ticket_state(first) == "rolled_back"


@pytest.mark.parametrize("point", [p for p in CRASH_POINTS if p != "step"])
def test_promotion_killed_at_any_point_is_finished_or_undone(
        repo: Path, write_pattern: WritePattern, point: str) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    before = head(repo)
    done = run_pubflow(repo, "--actor", "releng", "promote", ticket_id, "--to", "staging",
                       env={"PUBFLOW_CRASH_AT": point})
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    again = run_pubflow(repo, "--actor", "releng", "promote", ticket_id, "--to", "staging")
    assert again.returncode == 0, again.stdout + again.stderr
    if point in ("committed", "tagged"):
        assert "finished an interrupted promotion" in again.stdout
        assert "already live in staging: nothing to do" in again.stdout
    else:
        assert "undid an interrupted promotion" in again.stdout
        assert f"{PATTERN} 1.0.0 is live in staging" in again.stdout
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert git(repo, "status", "--porcelain") == ""
    assert tags(repo) == [f"pubflow/staging/{PATTERN}/1.0.0"]
    assert ticket_state(ticket_id) == "staged"
    code, out, _ = invoke("ticket", "verify")
    assert code == 0, out


@pytest.mark.parametrize("point", ["written", "audit", "committed"])
def test_rollback_killed_midway_is_finished_or_undone(repo: Path, write_pattern: WritePattern,
                                                      point: str) -> None:
    two_versions_live(repo, write_pattern)
    before = head(repo)
    done = run_pubflow(repo, "--actor", "releng", "rollback", PATTERN, "--env", "production",
                       "--reason", "bad", env={"PUBFLOW_CRASH_AT": point})
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    code, out, err = invoke("status", "--format", "json")
    assert code == 0, err
    recovered = json.loads(out)["recovered"]
    live = live_in(repo, "production")
    assert live is not None
    if point == "committed":
        assert recovered.startswith("finished an interrupted rollback")
        assert live["version"] == "1.0.0"
        assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    else:
        assert recovered.startswith("undid an interrupted rollback")
        assert live["version"] == "1.1.0" and head(repo) == before
    assert git(repo, "status", "--porcelain") == ""
    assert invoke("audit", "verify")[0] == 0


def test_depublish_with_a_version_is_a_usage_error(repo: Path,
                                                   write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    code, _out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "staging",
                             "--depublish", "--to", "1.0.0")
    assert code == 2 and "cannot be combined with --to" in err
    assert live_in(repo, "staging") is not None
