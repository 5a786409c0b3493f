"""The health command run between canary steps: a shell command, its own process group, a
timeout that kills the whole group (a hanging check must not hang the rollout).

The output is read with a deadline, never with a blocking `communicate()`: a process the
check started in another session (`setsid sleep 600 &`) keeps the output pipe open after the
group is gone, and waiting for that pipe to close would hang the rollout. A check is done when
its shell has exited and its output is closed; at the deadline its process group is killed, so
are the escaped processes still holding the pipe (found through /proc, where there is one),
and the check fails, saying why.

Without process groups (Windows) the check starts in a new process group
(`CREATE_NEW_PROCESS_GROUP`), its output is read by a thread (pipes cannot be selected there),
and at the deadline the shell and every process below it are killed with
`taskkill /T /F /PID <shell>`; a process a finished check left holding its output is not
waited for past the deadline either.
"""

from __future__ import annotations

import contextlib
import locale
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_OUTPUT = 20_000
"""Characters of the check's output kept for the message (the tail, where errors are)."""

_KEEP_BYTES = 4 * MAX_OUTPUT + 4
"""Bytes of output kept while reading: enough for MAX_OUTPUT characters of any encoding."""

_WINDOWS = sys.platform == "win32"
_LAST_OUTPUT_SECONDS = 1.0
"""After a kill without process groups: how long the output of the killed processes is
still read (what they printed before they died)."""


@dataclass(frozen=True, slots=True)
class HealthScore:
    """A score the health command printed, with its named components (numbers, or groups
    of numbers), or why what it printed is not a score."""

    score: float | None
    components: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"score": score_number(self.score), "components": self.components}

    def shown(self) -> str:
        return "no score" if self.score is None else f"score {score_number(self.score)}"


def score_number(value: float | None) -> float | int | None:
    """A score as JSON shows it: 97, not 97.0."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True, slots=True)
class HealthResult:
    ok: bool
    exit_code: int | None
    output: str
    timed_out: bool = False
    score: HealthScore | None = None
    """The score the command printed (`health_score.parse_score`), if any."""
    problem: str | None = None
    """Why a check that exited 0 still failed: its score, by the environment's gates."""

    def summary(self) -> str:
        if self.timed_out:
            return "timed out"
        if self.problem is not None:
            return self.problem
        shown = f"exit {self.exit_code}"
        return shown if self.score is None else f"{shown}, {self.score.shown()}"

    def record(self, at: str, weight: int, phase: str) -> dict[str, object]:
        """What the environment file and the audit log keep of this check."""
        record: dict[str, object] = {"at": at, "phase": phase, "weight": weight,
                                     "ok": self.ok}
        if self.score is not None:
            record.update(self.score.to_json())
        return record


def run_health(command: str, variables: dict[str, str], timeout: float, cwd: Path) -> HealthResult:
    """Run `command` with `variables` added to the environment; stdout and stderr together."""
    env = {**os.environ, **variables}
    groups = hasattr(os, "killpg")  # POSIX; Windows has neither killpg nor selectable pipes
    try:
        process = subprocess.Popen(command, shell=True, cwd=cwd, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=groups,
                                   creationflags=0 if groups else _NEW_PROCESS_GROUP)
    except OSError as exc:
        return HealthResult(False, None, f"cannot run the health command: {exc}")
    assert process.stdout is not None
    if not groups:
        return _run_plain(process, timeout)
    deadline = time.monotonic() + timeout
    pipe = process.stdout
    try:
        output, closed = _read_until(pipe.fileno(), deadline)
        if closed:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = process.wait(timeout=max(0.0, deadline - time.monotonic()))
                return HealthResult(code == 0, code, _tail(output))
        exited = _exit_status(process.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        escaped = 0 if closed else _kill_pipe_holders(pipe.fileno(), process.pid)
    finally:
        pipe.close()
        process.wait()  # the shell itself: killed with its group, or already gone
    held = (f"{escaped} process(es) it started in another session"
            if escaped else "a process it started")
    if exited is None:
        why = f"killed after {timeout:g} s"
        if escaped:
            why += f", with {held} that still held its output open"
    else:
        why = (f"timed out after {timeout:g} s: the command exited {exited} but {held} still "
               "held its output open; killed")
    return HealthResult(False, None, _tail(output) + f"\n({why})", timed_out=True)


_NEW_PROCESS_GROUP: int = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
"""Windows: the check's own process group (a console Ctrl+C meant for it spares pubflow)."""


def _run_plain(process: subprocess.Popen[bytes], timeout: float) -> HealthResult:
    """The check where there are no process groups (Windows): a thread reads the output, the
    shell is waited for until the deadline, then the shell and its descendants are killed."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    # the thread reads its own copy of the descriptor and closes it at the end of the output:
    # a process the check started may hold the pipe open for ever, and closing a descriptor
    # under a thread reading it could close another file that takes its number
    output = _Drain(os.dup(process.stdout.fileno()))
    process.stdout.close()
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(process)
        process.wait()
        output.finished(_LAST_OUTPUT_SECONDS)  # what they printed before they died
        return HealthResult(False, None, _tail(output.data()) + f"\n(killed after {timeout:g} s)",
                            timed_out=True)
    if not output.finished(max(0.0, deadline - time.monotonic())):
        _kill_tree(process)  # whatever of the tree can still be found from the shell
        return HealthResult(False, None, _tail(output.data()) + (
            f"\n(timed out after {timeout:g} s: the command exited {code} but a process it "
            "started still held its output open)"), timed_out=True)
    return HealthResult(code == 0, code, _tail(output.data()))


class _Drain:
    """Reads `fd` to its end in a daemon thread, keeping the tail, then closes it."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._data = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="pubflow-health-output",
                                        daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while chunk := os.read(self._fd, 65536):
                with self._lock:
                    self._data += chunk
                    if len(self._data) > 2 * _KEEP_BYTES:
                        del self._data[:-_KEEP_BYTES]
        except OSError:
            pass
        finally:
            os.close(self._fd)

    def finished(self, wait: float) -> bool:
        """True once the output is closed (waiting up to `wait` seconds for it)."""
        self._thread.join(wait)
        return not self._thread.is_alive()

    def data(self) -> bytes:
        with self._lock:
            return bytes(self._data)


def _kill_tree(process: subprocess.Popen[bytes]) -> None:
    """Kill the shell and every process below it: `taskkill /T /F` on Windows (it walks the
    tree by parent process id), else the shell alone (no process groups to kill)."""
    if _WINDOWS:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["taskkill", "/T", "/F", "/PID", str(process.pid)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30, check=False)
    with contextlib.suppress(OSError):
        process.kill()  # taskkill missing or refused: the shell at least


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    """What `fd` gives until it is closed (True) or the deadline passes (False); the tail."""
    data = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                return bytes(data), False
            chunk = os.read(fd, 65536)
            if not chunk:
                return bytes(data), True
            data += chunk
            if len(data) > 2 * _KEEP_BYTES:
                del data[:-_KEEP_BYTES]


def _exit_status(pid: int) -> int | None:
    """The exit code of the (unreaped) shell if it has ended, without reaping it: its pid, the
    group id, stays ours until `wait`, so the kill of the group cannot reach anyone else."""
    if not hasattr(os, "waitid"):  # macOS: the shell's status is only known once reaped
        return None
    try:
        status = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return None
    if status is None:
        return None
    return status.si_status if status.si_code == os.CLD_EXITED else -status.si_status


def _kill_pipe_holders(fd: int, group: int) -> int:
    """SIGKILL every process outside `group` (already killed) holding the pipe `fd` reads,
    but this one: the check's escaped descendants, nobody else was given it. How many; best
    effort, Linux's /proc only."""
    proc_root = Path("/proc")
    if not proc_root.is_dir():  # macOS, BSD: no way to find them; the group was killed
        return 0
    target = Path(f"pipe:[{os.fstat(fd).st_ino}]")
    killed = 0
    with contextlib.suppress(OSError):
        for proc in proc_root.iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                if os.getpgid(int(proc.name)) == group:
                    continue
                if any(_link(link) == target for link in (proc / "fd").iterdir()):
                    os.kill(int(proc.name), signal.SIGKILL)
                    killed += 1
    return killed


def _link(path: Path) -> Path | None:
    try:
        return path.readlink()
    except OSError:
        return None


def _tail(data: bytes) -> str:
    text = data.decode(locale.getpreferredencoding(False), errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if len(text) <= MAX_OUTPUT else "..." + text[-MAX_OUTPUT:]
