"""The health check where there are no process groups (Windows): output read by a thread,
the tree killed with `taskkill /T /F` at the deadline (issue 16, item 2). `os.killpg` is
removed here; the Windows branch runs against a recorded `taskkill`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pubflow.release import health
from pubflow.release.health import run_health

pytestmark = pytest.mark.skipif(sys.platform == "win32",
                                reason="sh commands; on Windows the real branch runs in "
                                       "the other tests")


@pytest.fixture(autouse=True)
def _no_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "killpg")


def test_a_check_that_exits_but_leaves_its_output_open_times_out(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_health("echo bye; sleep 3 &", {}, 1, tmp_path)
    assert time.monotonic() - started < 2.5
    assert result.timed_out and not result.ok and result.exit_code is None
    assert result.output.startswith("bye\n")
    assert ("the command exited 0 but a process it started still held its output open"
            in result.output)


def test_long_output_is_read_whole_and_keeps_its_tail(tmp_path: Path) -> None:
    result = run_health(f"head -c {3 * health.MAX_OUTPUT} /dev/zero | tr '\\0' z; echo end",
                        {}, 10, tmp_path)
    assert result.ok and result.output.endswith("zzend\n")
    assert len(result.output) == health.MAX_OUTPUT + 3


def test_windows_kills_the_tree_with_taskkill(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def run(args: Any, **kwargs: Any) -> Any:
        if isinstance(args, list) and args[:1] == ["taskkill"]:
            calls.append(args)
            return subprocess.CompletedProcess(args, 0)
        return real_run(args, **kwargs)

    monkeypatch.setattr(health, "_WINDOWS", True)
    monkeypatch.setattr(health.subprocess, "run", run)
    result = run_health("echo up; sleep 5", {}, 0.5, tmp_path)
    assert result.timed_out and "(killed after 0.5 s)" in result.output
    assert len(calls) == 1 and calls[0][:4] == ["taskkill", "/T", "/F", "/PID"]
    assert int(calls[0][4]) > 0
