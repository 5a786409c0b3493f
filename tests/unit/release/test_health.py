"""The health command between canary steps, run for real: it passes, fails, hangs (and its
whole process group is killed), or cannot run at all."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pubflow.release.health import MAX_OUTPUT, HealthResult, run_health


def test_a_passing_command_gets_the_variables_and_runs_in_the_folder(tmp_path: Path) -> None:
    result = run_health('echo "$PUBFLOW_PATTERN $PUBFLOW_WEIGHT"; pwd',
                        {"PUBFLOW_PATTERN": "incident-escalation", "PUBFLOW_WEIGHT": "25"},
                        10, tmp_path)
    assert result == HealthResult(True, 0, f"incident-escalation 25\n{tmp_path}\n")
    assert result.summary() == "exit 0"


def test_the_command_keeps_the_callers_environment(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBFLOW_UNIT_HEALTH_MARK", "from the caller")
    result = run_health('echo "$PUBFLOW_UNIT_HEALTH_MARK / $PUBFLOW_VERSION"',
                        {"PUBFLOW_VERSION": "1.2.0"}, 10, tmp_path)
    assert result.output == "from the caller / 1.2.0\n"


def test_a_failing_command_reports_its_exit_code_and_both_streams(tmp_path: Path) -> None:
    result = run_health("echo 'checking'; echo 'error rate 7%' >&2; exit 3", {}, 10, tmp_path)
    assert not result.ok
    assert (result.exit_code, result.timed_out) == (3, False)
    assert result.output == "checking\nerror rate 7%\n"
    assert result.summary() == "exit 3"


def test_the_command_gets_no_input(tmp_path: Path) -> None:
    # stdin is /dev/null: a check that reads its input ends instead of waiting for a terminal
    result = run_health("cat; echo done", {}, 10, tmp_path)
    assert result == HealthResult(True, 0, "done\n")


def test_a_hanging_command_is_killed_with_its_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "late"
    # a child in the background keeps the output pipe open: only killing the group ends it
    command = f"echo started; (sleep 30; touch {marker}) & echo $! > child.pid; wait"
    started = time.monotonic()
    result = run_health(command, {}, 0.5, tmp_path)
    elapsed = time.monotonic() - started
    assert elapsed < 10
    assert not result.ok and result.timed_out and result.exit_code is None
    assert result.summary() == "timed out"
    # what it printed before it was killed, then why it ended
    assert result.output in ("started\n\n(killed after 0.5 s)", "\n(killed after 0.5 s)")
    child = int((tmp_path / "child.pid").read_text())
    assert _gone(child)
    assert not marker.exists()


def _gone(pid: int) -> bool:
    """True when `pid` no longer runs (it may linger briefly as a zombie until reaped)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.02)
    return False


def test_a_missing_command_fails_with_the_shells_message(tmp_path: Path) -> None:
    result = run_health("./no-such-health-check.sh", {}, 10, tmp_path)
    assert not result.ok and result.exit_code == 127 and not result.timed_out
    assert "no-such-health-check.sh" in result.output
    assert "not found" in result.output or "No such file" in result.output  # dash or bash


def test_a_folder_that_does_not_exist_means_the_command_cannot_run(tmp_path: Path) -> None:
    result = run_health("true", {}, 10, tmp_path / "gone")
    assert not result.ok and result.exit_code is None and not result.timed_out
    assert result.output.startswith("cannot run the health command: ")
    assert "gone" in result.output
    assert result.summary() == "exit None"


def test_long_output_keeps_its_tail(tmp_path: Path) -> None:
    result = run_health(f"head -c {MAX_OUTPUT + 5000} /dev/zero | tr '\\0' x; echo; "
                        "echo 'the real error'; exit 1", {}, 10, tmp_path)
    assert not result.ok and result.exit_code == 1
    assert len(result.output) == MAX_OUTPUT + 3
    assert result.output.startswith("...xxx")
    assert result.output.endswith("x\nthe real error\n")


def test_output_at_the_limit_is_kept_whole(tmp_path: Path) -> None:
    result = run_health(f"head -c {MAX_OUTPUT} /dev/zero | tr '\\0' y", {}, 10, tmp_path)
    assert result.ok and result.output == "y" * MAX_OUTPUT


def test_a_health_command_does_not_inherit_pubflows_process_group(tmp_path: Path) -> None:
    # its own session: a kill of its group never reaches pubflow itself
    result = run_health("echo $$; cut -d' ' -f5 /proc/$$/stat", {}, 10, tmp_path)
    assert result.ok
    shell, group = (int(line) for line in result.output.split())
    assert group == shell != os.getpgrp()


@pytest.mark.parametrize("command", ["setsid sleep {seconds}",
                                     "echo started; setsid sleep {seconds} & echo bg"],
                         ids=["foreground", "backgrounded"])
def test_a_process_escaped_into_its_own_session_is_not_waited_for(tmp_path: Path,
                                                                  command: str) -> None:
    # `setsid` leaves the check's process group, so killing the group does not reach it, and it
    # holds the output pipe open for 20 s: the check ends at its timeout all the same
    seconds = f"20.{os.getpid()}{len(command)}"
    started = time.monotonic()
    result = run_health(command.format(seconds=seconds), {}, 2, tmp_path)
    elapsed = time.monotonic() - started
    assert elapsed < 5
    assert not result.ok and result.timed_out and result.exit_code is None
    assert result.summary() == "timed out"
    assert "after 2 s" in result.output
    assert "it started in another session" in result.output
    assert "held its output open" in result.output
    # and the escaped sleep itself is killed, not left running for 20 s
    assert all(_gone(pid) for pid in _sleeping(seconds))


def _sleeping(seconds: str) -> list[int]:
    """The processes running `sleep SECONDS`."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv[:2] == [b"sleep", seconds.encode()]:
                found.append(int(proc.name))
    return found


def test_without_process_groups_the_shell_is_checked_and_killed_on_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no process groups: the plain path passes, fails and times out too."""
    monkeypatch.delattr(os, "killpg")
    assert run_health("echo up", {}, 10, tmp_path) == HealthResult(True, 0, "up\n")
    failed = run_health("echo down; exit 3", {}, 10, tmp_path)
    assert (failed.ok, failed.exit_code, failed.output) == (False, 3, "down\n")
    started = time.monotonic()
    hung = run_health("sleep 30", {}, 1, tmp_path)
    assert time.monotonic() - started < 10
    assert hung.timed_out and "(killed after 1 s)" in hung.output


def test_without_waitid_or_proc_a_timeout_still_ends(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS has neither os.waitid nor /proc: the group is killed and the check fails."""
    monkeypatch.delattr(os, "waitid")
    started = time.monotonic()
    hung = run_health("sleep 30", {}, 1, tmp_path)
    assert time.monotonic() - started < 10
    assert hung.timed_out and "killed after 1 s" in hung.output
