"""Issue 18: health-score gates, several versions live (hold, resume, weight), and the watch
after a release, on real repositories through the real CLI (and real child processes for
the watch, which is killed and signalled)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

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


def _live_then(repo: Path, write_pattern: WritePattern, version: str = "1.1.0") -> str:
    """1.0.0 live in staging and production; a ticket for `version` approved."""
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    return new_version(repo, write_pattern, version)


def _staged(repo: Path, write_pattern: WritePattern) -> str:
    """1.0.0 live everywhere, 1.1.0 staged: ready for production."""
    second = _live_then(repo, write_pattern)
    code, out, err = promote(second, "--to", "staging")
    assert code == 0, out + err
    return second


def _status(repo: Path) -> dict[str, dict[str, object]]:
    code, out, err = invoke("status", "--format", "json")
    assert code == 0, out + err
    return {env["name"]: {row["pattern"]: row for row in env["patterns"]}
            for env in json.loads(out)["environments"]}


# --- several versions live -------------------------------------------------------------


def test_hold_keeps_both_versions_live_until_resumed(repo: Path,
                                                     write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    code, out, err = promote(second, "--to", "production", "--canary", "10,50", "--hold")
    assert code == 0, out + err
    assert f"canary {PATTERN} 1.1.0 held at 50% in production (1.0.0 takes the rest)" in out
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.0.0"
    assert live["rollout"] == {"stable": "1.0.0", "canary": "1.1.0", "weight": 50,
                               "ticket": second, "digest": live["rollout"]["digest"],
                               "held": True}
    assert catalog(repo, "production")[PATTERN]["rollout"] == {
        "canary": "1.1.0", "weight": 50, "stable": "1.0.0", "stableWeight": 50, "held": True}
    assert ticket_state(second) == "staged"  # not live until the rollout ends
    assert not any(t.startswith(f"pubflow/production/{PATTERN}/1.1.0") for t in tags(repo))
    row = _status(repo)["production"][PATTERN]
    assert row["rollout"] == {"stable": "1.0.0", "canary": "1.1.0", "weight": 50,
                              "held": True}
    _code, out, _ = invoke("status")
    assert "1.1.0 held at 50% (stable 1.0.0)" in " ".join(out.split())

    # a new weight, still held; the environment is found from the ticket
    code, out, err = promote(second, "--weight", "30")
    assert code == 0, out + err
    live = live_in(repo, "production")
    assert live is not None and live["rollout"]["weight"] == 30 and live["rollout"]["held"]

    code, out, err = promote(second, "--resume")
    assert code == 0, out + err
    assert f"{PATTERN} 1.1.0 is live in production" in out
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.1.0" and "rollout" not in live
    assert ticket_state(second) == "live"
    assert f"pubflow/production/{PATTERN}/1.1.0" in tags(repo)
    assert invoke("verify")[0] == 0
    assert git(repo, "status", "--porcelain") == ""


def test_rollback_ends_a_held_canary(repo: Path, write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    assert promote(second, "--to", "production", "--canary", "25", "--hold")[0] == 0
    code, out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "production",
                            "--reason", "A/B over: B lost")
    assert code == 0, out + err
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.0.0" and "rollout" not in live
    assert "rollout" not in catalog(repo, "production")[PATTERN]
    assert ticket_state(second) == "rolled_back"
    code, _out, err = promote(second, "--resume")
    assert code == 1 and "under way in no environment" in err


def test_resume_with_the_rest_of_the_steps_runs_their_checks(
        repo: Path, write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    log = repo.parent / "weights.log"
    assert promote(second, "--to", "production", "--canary", "10", "--hold")[0] == 0
    code, out, err = promote(second, "--resume", "--canary", "10,50,100", "--health-cmd",
                             f"echo $PUBFLOW_WEIGHT >> {log}")
    assert code == 0, out + err
    assert log.read_text().split() == ["50"]  # 10 was done before; 100 is the promotion
    assert (live_in(repo, "production") or {})["version"] == "1.1.0"


@pytest.mark.parametrize(("args", "message"), [
    (("--to", "production", "--hold"), "--hold needs --canary"),
    (("--to", "production", "--canary", "10,100", "--hold"), "--hold stops before 100"),
    (("--to", "production", "--canary", "10,50"), "or stop at its last weight with --hold"),
    (("--weight", "100"), "takes 1 to 99"),
    (("--weight", "0"), "takes 1 to 99"),
    (("--weight", "20", "--resume"), "--weight N sets a held canary's weight by itself"),
    (("--resume", "--watch", "5m"), "--watch needs --health-cmd"),
    (("--to", "production", "--health-cmd", "true", "--watch", "ten minutes"),
     "give a duration such as 90s"),
    (("--to", "production", "--health-cmd", "true", "--watch", "0s"), "positive duration"),
    (("--to", "production", "--health-cmd", "true", "--watch", "1m", "--watch-interval", "0"),
     "--watch-interval must be a positive"),
    ((), "--to is needed"),
])
def test_bad_rollout_options_are_usage_errors(repo: Path, write_pattern: WritePattern,
                                              args: tuple[str, ...], message: str) -> None:
    second = _staged(repo, write_pattern)
    before = head(repo)
    code, _out, err = promote(second, *args)
    assert code == 2 and message in err, err
    assert head(repo) == before


def test_resume_or_reweight_without_a_canary_is_refused(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    code, _out, err = promote(second, "--to", "production", "--resume")
    assert code == 1 and "gate 'canary under way'" in err and "nothing to resume" in err
    code, _out, err = promote(second, "--weight", "40")
    assert code == 1 and "under way in no environment" in err


# --- health score gates --------------------------------------------------------------------


def test_a_score_of_97_promotes_and_is_recorded(repo: Path, write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    command = ("echo '{\"score\": 97, \"components\": {\"infrastructure\": {\"database\": 99}, "
               "\"testing\": 95}}'")
    code, out, err = promote(second, "--to", "production", "--health-cmd", command)
    assert code == 0, out + err
    assert "health score 97 at 100%" in out
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.1.0"
    assert live["health"]["score"] == 97
    assert live["health"]["components"] == {"infrastructure": {"database": 99}, "testing": 95}
    audit = [json.loads(line) for line in
             (repo / ".pubflow" / "audit.jsonl").read_text().splitlines()]
    promoted = [e for e in audit if e["kind"] == "promote" and e["environment"] == "production"
                and e["version"] == "1.1.0"]
    assert promoted[0]["health"]["score"] == 97
    assert _status(repo)["production"][PATTERN]["health"]["score"] == 97
    _code, out, _ = invoke("status")
    assert "score 97" in out


def test_a_score_of_90_reaches_production_only_as_a_canary(
        repo: Path, write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    code, out, err = promote(second, "--to", "production", "--health-cmd", "echo score: 90")
    assert code == 1, out + err
    assert "health score 90 is below 95: the last environment takes it only as a canary" in out
    assert "rolled back to 1.0.0" in out
    assert (live_in(repo, "production") or {})["version"] == "1.0.0"
    # the same score between the steps of a canary lets it through
    code, out, err = promote(second, "--to", "production", "--canary", "10,50,100",
                             "--health-cmd", "echo 'score: 90/100'")
    assert code == 0, out + err
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.1.0" and live["health"]["score"] == 90


def test_a_score_of_75_is_for_earlier_environments_only(repo: Path,
                                                       write_pattern: WritePattern) -> None:
    second = _live_then(repo, write_pattern)
    code, out, err = promote(second, "--to", "staging", "--health-cmd", "echo score: 75")
    assert code == 0, out + err
    code, out, err = promote(second, "--to", "production", "--canary", "10,100",
                             "--health-cmd", "echo score: 75")
    assert code == 1, out + err
    assert "health score 75 is below 85: only environments before the last" in out


def test_a_score_below_70_goes_nowhere(repo: Path, write_pattern: WritePattern) -> None:
    second = _live_then(repo, write_pattern)
    code, out, err = promote(second, "--to", "staging", "--health-cmd",
                             "echo checking; echo score: 42; exit 0", "--format", "json")
    assert code == 1, out + err
    result = json.loads(out)
    assert result["healthCheck"]["score"]["score"] == 42
    assert "not fit for any environment" in result["healthCheck"]["problem"]
    assert (live_in(repo, "staging") or {})["version"] == "1.0.0"


def test_a_score_outside_0_to_100_fails_the_check(repo: Path,
                                                 write_pattern: WritePattern) -> None:
    second = _live_then(repo, write_pattern)
    code, out, _err = promote(second, "--to", "staging", "--health-cmd", "echo score: 120")
    assert code == 1 and "printed a bad score: score 120 is outside 0 to 100" in out


def test_thresholds_per_environment_and_a_required_score(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    second = _live_then(repo, write_pattern)
    config = (repo / "pubflow.yaml").read_text()
    config = config.replace("environments: [staging, production]", "")
    (repo / "pubflow.yaml").write_text(
        config + "health_score: {required: true}\nenvironments:\n  - staging\n"
        "  - {name: production, health_score: {promote: 80, canary: 60, earlier: 50}}\n")
    git(repo, "commit", "-qam", "gates")
    code, out, _ = promote(second, "--to", "staging", "--health-cmd", "true")
    assert code == 1 and "printed no score" in out
    code, out, err = promote(second, "--to", "staging", "--health-cmd", "echo score: 96")
    assert code == 0, out + err
    code, out, err = promote(second, "--to", "production", "--health-cmd", "echo score: 81")
    assert code == 0, out + err


def test_crossed_thresholds_are_refused_with_their_place(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    approved_repo(repo, write_pattern)
    with (repo / "pubflow.yaml").open("a") as handle:
        handle.write("health_score:\n  promote: 80\n  canary: 90\n")
    code, _out, err = invoke("status")
    assert code == 2
    assert "pubflow.yaml" in err and "health_score" in err and "must not cross" in err
    (repo / "pubflow.yaml").write_text((repo / "pubflow.yaml").read_text()
                                       .replace("canary: 90", "canary: 101"))
    code, _out, err = invoke("status")
    assert code == 2 and "health_score.canary" in err


# --- the watch after a release ---------------------------------------------------------------


def test_a_watch_that_passes_is_recorded(repo: Path, write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    log = repo.parent / "phases.log"
    code, out, err = promote(second, "--to", "production", "--health-cmd",
                             f"echo $PUBFLOW_PHASE >> {log}; echo score: 99",
                             "--watch", "2s", "--watch-interval", "0.5")
    assert code == 0, out + err
    assert "watch passed:" in out
    phases = log.read_text().split()
    assert phases[0] == "canary" and phases.count("watch") >= 3
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.1.0" and "watch" not in live
    assert live["watched"]["result"] == "passed"
    assert live["watched"]["checks"] == phases.count("watch")
    assert _status(repo)["production"][PATTERN]["watch"]["state"] == "passed"
    assert invoke("verify")[0] == 0
    assert git(repo, "status", "--porcelain") == ""


def test_a_failed_check_during_the_watch_rolls_back(repo: Path,
                                                    write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    flag = repo.parent / "broken"
    # passes until the flag exists: the second watch check fails
    command = (f'if [ "$PUBFLOW_PHASE" = watch ] && [ -e {flag} ]; then echo 500; exit 1; fi; '
               f'[ "$PUBFLOW_PHASE" = watch ] && touch {flag}; echo score: 98')
    start = time.monotonic()
    code, out, err = promote(second, "--to", "production", "--health-cmd", command,
                             "--watch", "30s", "--watch-interval", "0.5")
    assert code == 1, out + err
    assert time.monotonic() - start < 20  # the first failure, not the end of the watch
    assert "watch after release: health check 2 failed (exit 1)" in out
    assert f"{PATTERN} rolled back to 1.0.0" in out
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.0.0"
    assert ticket_state(second) == "rolled_back"
    assert invoke("verify")[0] == 0


def _watching(repo: Path, second: str) -> subprocess.Popen[str]:
    command = "echo score: 99"
    process = subprocess.Popen(
        [sys.executable, "-m", "pubflow", "--actor", "releng", "promote", second, "--to",
         "production", "--health-cmd", command, "--watch", "10m", "--watch-interval", "1"],
        cwd=repo, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # committed, not only written: a kill before the commit undoes the promotion
        shown = subprocess.run(["git", "show", "HEAD:.pubflow/environments/production.yaml"],
                               cwd=repo, capture_output=True, text=True, check=False).stdout
        if '"watch": {' in shown and process.poll() is None:
            time.sleep(0.3)  # the tag follows the commit
            return process
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the watch never started: " + "".join(process.communicate()))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and SIGTERM are POSIX signals")
def test_a_watch_killed_outright_is_shown_as_interrupted(repo: Path,
                                                         write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    process = _watching(repo, second)
    row = _status(repo)["production"][PATTERN]
    assert row["watch"]["state"] == "under way"
    _code, out, _ = invoke("status")
    assert "watching until" in out
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    row = _status(repo)["production"][PATTERN]
    assert row["watch"]["state"] == "interrupted"
    _code, out, _ = invoke("status")
    assert "watch interrupted" in " ".join(out.split())
    assert "passed" not in str(row["watch"])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a POSIX signal")
def test_a_watch_stopped_with_sigterm_records_it_and_fails(repo: Path,
                                                          write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    process = _watching(repo, second)
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, out + err
    assert "watch interrupted after" in out
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.1.0"
    assert live["watched"]["result"] == "interrupted" and "watch" not in live
    assert _status(repo)["production"][PATTERN]["watch"]["state"] == "interrupted"
    assert git(repo, "status", "--porcelain") == ""
    assert run_pubflow(repo, "verify").returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is a POSIX signal")
def test_an_interrupted_watch_can_be_run_again(repo: Path, write_pattern: WritePattern) -> None:
    second = _staged(repo, write_pattern)
    process = _watching(repo, second)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert _status(repo)["production"][PATTERN]["watch"]["state"] == "interrupted"
    code, out, err = promote(second, "--to", "production", "--health-cmd", "echo score: 99",
                             "--watch", "1s", "--watch-interval", "0.4")
    assert code == 0, out + err
    assert "is already live in production: watching it again" in out
    assert "watch passed:" in out
    live = live_in(repo, "production")
    assert live is not None and live["watched"]["result"] == "passed" and "watch" not in live
    assert run_pubflow(repo, "verify").returncode == 0
