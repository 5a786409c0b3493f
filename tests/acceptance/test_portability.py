"""pubflow where POSIX is missing (issue 16, item 2), simulated on this Linux machine.

Every test here runs the real `pubflow` in a child process whose interpreter first loads the
`sitecustomize` below. What it takes away, and what it puts in its place:

- `fcntl` cannot be imported (as on Windows); a stand-in `msvcrt` module (registered after
  `subprocess` is loaded, which takes an importable `msvcrt` for Windows) gives
  `msvcrt.locking` with Windows' semantics (bytes from the file position, `LK_NBLCK` fails at
  once with EACCES while another process holds them, `LK_UNLCK`), built on POSIX record
  locks, and logs each call;
- `os.killpg`, `os.getpgid`, `os.setsid`, `os.setpgid`, `os.getsid`, `os.fork`,
  `os.forkpty`, `os.fchmod`, `os.waitid`, `os.O_NOFOLLOW`, `os.sched_getaffinity` and
  `signal.SIGKILL` do not exist (Windows has none of them), and `Popen.kill` is
  `Popen.terminate` as on Windows;
- with `PUBFLOW_SIM_TASKKILL`, the health check takes its Windows branch
  (`pubflow.release.health._WINDOWS`), and `taskkill` on PATH is a stand-in that kills the
  process tree below `/PID` (through /proc) and logs its arguments.

Not simulated (only a real Windows or macOS runner shows them): `msvcrt` itself, `cmd.exe` as
the health check's shell, `CREATE_NEW_PROCESS_GROUP`, the real `taskkill`, Windows' path
flavour in `os.path`/`pathlib` (see tests/unit/storage/test_discovery_windows_paths.py for
the display names), and macOS's own `spawn` default (here `os.fork` is removed, which makes
pubflow choose `spawn` the same way).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.tickets_support import setup_repo
from tests.conftest import PROJECT, git

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="simulates Windows on Linux (/proc, POSIX locks, sh); "
                                       "the CI matrix runs the real thing")

SITECUSTOMIZE = textwrap.dedent('''\
    """pubflow's portability tests: this interpreter lacks what Windows lacks."""
    import errno
    import os
    import signal
    import sys
    import time
    import types

    import fcntl as _fcntl  # the stand-in msvcrt below is built on it; pubflow never sees it

    _LOG = os.environ.get("PUBFLOW_SIM_LOG")


    def _log(line):
        if _LOG:
            with open(_LOG, "a", encoding="utf-8") as out:
                out.write(f"{os.getpid()} {line}\\n")


    class _NoFcntl:
        def find_spec(self, name, path=None, target=None):
            if name == "fcntl":
                raise ModuleNotFoundError("No module named 'fcntl'", name="fcntl")
            return None


    sys.modules.pop("fcntl", None)
    sys.meta_path.insert(0, _NoFcntl())
    # subprocess decides it runs on Windows when msvcrt imports: load it first, as on Linux
    import subprocess

    msvcrt = types.ModuleType("msvcrt")
    msvcrt.LK_UNLCK, msvcrt.LK_LOCK, msvcrt.LK_NBLCK, msvcrt.LK_RLCK, msvcrt.LK_NBRLCK = range(5)


    def _locking(fd, mode, nbytes):
        start = os.lseek(fd, 0, os.SEEK_CUR)
        _log(f"msvcrt.locking mode={mode} start={start} nbytes={nbytes}")
        if mode == msvcrt.LK_UNLCK:
            _fcntl.lockf(fd, _fcntl.LOCK_UN, nbytes, start, 0)
            return
        for attempt in range(10 if mode in (msvcrt.LK_LOCK, msvcrt.LK_RLCK) else 1):
            try:
                _fcntl.lockf(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB, nbytes, start, 0)
                return
            except OSError:
                if attempt < 9 and mode in (msvcrt.LK_LOCK, msvcrt.LK_RLCK):
                    time.sleep(1)
        raise OSError(errno.EACCES if mode in (msvcrt.LK_NBLCK, msvcrt.LK_NBRLCK)
                      else errno.EDEADLOCK, "Permission denied")


    msvcrt.locking = _locking
    sys.modules["msvcrt"] = msvcrt

    for _name in ("killpg", "getpgid", "setsid", "setpgid", "getsid", "fork", "forkpty",
                  "fchmod", "waitid", "O_NOFOLLOW", "sched_getaffinity"):
        if hasattr(os, _name):
            delattr(os, _name)
    if hasattr(signal, "SIGKILL"):
        del signal.SIGKILL
    # on Windows Popen.kill is Popen.terminate (TerminateProcess); POSIX's needs SIGKILL
    subprocess.Popen.kill = subprocess.Popen.terminate

    if "--multiprocessing-fork" in sys.argv:
        _log("spawned worker")

    if os.environ.get("PUBFLOW_SIM_TASKKILL"):
        import pubflow.release.health as _health

        _health._WINDOWS = True
''')

TASKKILL = textwrap.dedent('''\
    #!{python}
    """Stand-in for Windows' taskkill: /T /F /PID n kills n and every process below it."""
    import os, sys
    from pathlib import Path

    args = sys.argv[1:]
    with open(os.environ["PUBFLOW_SIM_LOG"], "a", encoding="utf-8") as out:
        out.write("taskkill " + " ".join(args) + "\\n")
    root = int(args[args.index("/PID") + 1])
    children = {{}}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(proc.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    for pid in tree:
        try:
            os.kill(pid, 9)  # this interpreter loads the sitecustomize too: no SIGKILL
        except OSError:
            pass
''')


@pytest.fixture
def simulated(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """The environment of a child interpreter without fcntl, process groups or fork."""
    site = tmp_path / "sim-site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    bin_dir = tmp_path / "sim-bin"
    bin_dir.mkdir()
    taskkill = bin_dir / "taskkill"
    taskkill.write_text(TASKKILL.format(python=sys.executable), encoding="utf-8")
    taskkill.chmod(0o755)
    log = tmp_path / "sim.log"

    def env(**extra: str) -> dict[str, str]:
        return {**os.environ,
                "PYTHONPATH": os.pathsep.join([str(site), str(PROJECT / "src"), str(PROJECT)]),
                "PATH": str(bin_dir) + os.pathsep + os.environ["PATH"],
                "PUBFLOW_SIM_LOG": str(log), **extra}

    return env


def sim_log(tmp_path: Path) -> list[str]:
    log = tmp_path / "sim.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def pubflow(env: dict[str, str], *args: str, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pubflow", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_the_simulation_takes_away_what_windows_lacks(
        tmp_path: Path, simulated: Callable[..., dict[str, str]]) -> None:
    probe = ("import os, signal, msvcrt\n"
             "try:\n    import fcntl\nexcept ImportError:\n    print('no fcntl')\n"
             "print(hasattr(os, 'killpg'), hasattr(os, 'fork'), hasattr(signal, 'SIGKILL'))\n"
             "from pubflow.storage.parallel import start_method\nprint(start_method())\n")
    done = subprocess.run([sys.executable, "-c", probe], env=simulated(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["no fcntl", "False False False", "spawn"]


def test_ticket_commands_init_verify_status_and_validate_run_without_fcntl(
        repo: Path, write_pattern: Callable[..., Path], tmp_path: Path,
        simulated: Callable[..., dict[str, str]]) -> None:
    setup_repo(repo, write_pattern)
    env = simulated()
    steps = [
        ("--actor", "jdoe", "ticket", "create", "incident-escalation"),
        ("--actor", "editor", "ticket", "route", "PUB-{year}-001", "--reviewer", "rlee"),
        ("--actor", "rlee", "ticket", "review", "PUB-{year}-001", "--decision", "approve"),
        ("ticket", "list"),
        ("ticket", "show", "PUB-{year}-001"),
        ("verify",),
        ("status",),
        ("validate",),
        ("--actor", "releng", "promote", "PUB-{year}-001", "--to", "staging"),
    ]
    year = time.gmtime().tm_year
    for step in steps:
        args = [a.format(year=year) for a in step]
        done = pubflow(env, *args, cwd=repo)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert git(repo, "status", "--porcelain") == ""
    locks = [line for line in sim_log(tmp_path) if "msvcrt.locking" in line]
    # every writing command took the Windows lock: one byte at 0, released the same way
    assert any("mode=2 start=0 nbytes=1" in line for line in locks)
    assert any("mode=0 start=0 nbytes=1" in line for line in locks)
    # pubflow init in a new repository, too
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    git(fresh, "init", "-q", "-b", "main")
    done = pubflow(env, "init", cwd=fresh)
    assert done.returncode == 0, done.stdout + done.stderr


def test_two_processes_are_serialised_by_the_windows_lock(
        repo: Path, write_pattern: Callable[..., Path], tmp_path: Path,
        simulated: Callable[..., dict[str, str]]) -> None:
    """A process holding pubflow's lock (through msvcrt) makes a ticket command wait until
    it lets go; the command then does its work."""
    setup_repo(repo, write_pattern)
    env = simulated()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom pathlib import Path\n"
         "from pubflow.records.store import TicketStore\n"
         f"with TicketStore(Path({str(repo)!r})).locked():\n"
         "    print('held', flush=True)\n    sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    waiting: subprocess.Popen[str] | None = None
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        waiting = subprocess.Popen(
            [sys.executable, "-m", "pubflow", "--actor", "jdoe", "ticket", "create",
             "incident-escalation"], cwd=repo, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert waiting.poll() is None  # still waiting for the lock
        assert not (repo / ".pubflow" / "tickets").exists()
        tries = [line for line in sim_log(tmp_path)
                 if line.startswith(f"{waiting.pid} msvcrt.locking mode=2")]
        assert len(tries) > 5  # it polls, it does not give up
        holder.communicate("\n", timeout=30)
        out, err = waiting.communicate(timeout=60)
        assert waiting.returncode == 0, out + err
        assert len(list((repo / ".pubflow" / "tickets").glob("PUB-*.yaml"))) == 1
    finally:
        for process in (holder, waiting):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _gone_soon(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not _running(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("taskkill", [False, True], ids=["no-killpg", "windows-taskkill"])
def test_a_hanging_health_check_times_out_without_process_groups(
        repo: Path, write_pattern: Callable[..., Path], tmp_path: Path,
        simulated: Callable[..., dict[str, str]], taskkill: bool) -> None:
    """`promote --health-cmd` whose check hangs: without os.killpg the check still ends at
    its timeout and the release is rolled back; on the Windows branch `taskkill /T /F` kills
    the shell and the process it left in the background."""
    from tests.acceptance.release_support import approved

    setup_repo(repo, write_pattern)
    env = simulated(**({"PUBFLOW_SIM_TASKKILL": "1"} if taskkill else {}))
    ticket = approved()
    pid_file = tmp_path / "child.pid"
    command = f"echo started; sleep 30 & echo $! > {pid_file}; wait"
    started = time.monotonic()
    done = pubflow(env, "--actor", "releng", "promote", ticket, "--to", "staging",
                   "--health-cmd", command, "--health-timeout", "1", cwd=repo)
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    assert "health check failed (timed out)" in done.stdout
    assert "killed after 1 s" in done.stdout
    assert elapsed < 25
    assert git(repo, "status", "--porcelain") == ""
    child = int(pid_file.read_text())
    kills = [line for line in sim_log(tmp_path) if line.startswith("taskkill")]
    if taskkill:
        assert len(kills) == 1 and kills[0].startswith("taskkill /T /F /PID ")
        assert _gone_soon(child)  # the whole tree, not only the shell
    else:
        assert kills == []
        os.kill(child, 9)  # without groups or taskkill only the shell was killed


def test_parallel_validation_with_spawned_workers_reports_as_a_serial_run(
        tmp_path: Path, simulated: Callable[..., dict[str, str]]) -> None:
    """No fork: the workers are spawned (they log it) and the JSON report is byte for byte
    the serial one, on a generated corpus with every kind of defect and examples/."""
    sys.path.insert(0, str(PROJECT / "bench"))
    try:
        from gen_patterns import generate
    finally:
        sys.path.remove(str(PROJECT / "bench"))
    corpus = tmp_path / "corpus"
    summary = generate(corpus, 420, invalid_ratio=0.25, seed=16)
    for example in sorted((PROJECT / "examples" / "invalid").glob("*.json")):
        (corpus / "patterns" / f"zz-{example.name}").write_bytes(example.read_bytes())
    git(corpus, "init", "-q", "-b", "main")
    env = simulated()

    def run(jobs: str, form: str) -> subprocess.CompletedProcess[str]:
        return pubflow(env, "validate", "--no-cache", "--jobs", jobs, "--format", form,
                       cwd=corpus)

    serial, serial_text = run("1", "json"), run("1", "text")
    assert not any("spawned worker" in line for line in sim_log(tmp_path))
    parallel, parallel_text = run("2", "json"), run("2", "text")
    assert parallel.returncode == serial.returncode == 1, parallel.stderr + serial.stderr
    assert len([line for line in sim_log(tmp_path) if "spawned worker" in line]) == 4
    assert parallel_text.stdout == serial_text.stdout
    report, spawned = json.loads(serial.stdout), json.loads(parallel.stdout)
    del report["generatedAt"], spawned["generatedAt"]
    assert spawned == report
    assert report["summary"]["files"] == 420 + len(list((PROJECT / "examples" / "invalid")
                                                        .glob("*.json")))
    assert report["summary"]["errors"] >= summary["invalid"]
