"""The health command run between canary steps: a shell command, its own process group, a
timeout that kills the whole group (a hanging check must not hang the rollout)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

MAX_OUTPUT = 20_000
"""Characters of the check's output kept for the message (the tail, where errors are)."""


@dataclass(frozen=True, slots=True)
class HealthResult:
    ok: bool
    exit_code: int | None
    output: str
    timed_out: bool = False

    def summary(self) -> str:
        if self.timed_out:
            return "timed out"
        return f"exit {self.exit_code}"


def run_health(command: str, variables: dict[str, str], timeout: float, cwd: Path) -> HealthResult:
    """Run `command` with `variables` added to the environment; stdout and stderr together."""
    env = {**os.environ, **variables}
    try:
        process = subprocess.Popen(command, shell=True, cwd=cwd, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        return HealthResult(False, None, f"cannot run the health command: {exc}")
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return HealthResult(False, None, _tail(output) + f"\n(killed after {timeout:g} s)",
                            timed_out=True)
    return HealthResult(process.returncode == 0, process.returncode, _tail(output))


def _tail(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= MAX_OUTPUT else "..." + text[-MAX_OUTPUT:]
