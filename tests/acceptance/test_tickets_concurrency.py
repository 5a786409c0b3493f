"""Several real pubflow processes at once: no lost event, no shared id, no broken chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.tickets_support import in_review, invoke, setup_repo
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
PROJECT_SRC = str(Path(__file__).resolve().parents[2] / "src")


def spawn(repo: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": PROJECT_SRC}
    return subprocess.Popen([sys.executable, "-m", "pubflow", *args], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_parallel_creates_get_distinct_ids(repo: Path, write_pattern: WritePattern) -> None:
    patterns = tuple(valid_pattern(id=f"pattern-{n}") for n in range(6))
    setup_repo(repo, write_pattern, patterns)
    procs = [spawn(repo, "--actor", "jdoe", "ticket", "create", f"pattern-{n}") for n in range(6)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    ids = {out.strip().splitlines()[-1] for out, _err in outputs}
    assert len(ids) == 6
    code, out, _ = invoke("ticket", "verify")
    assert code == 0, out
    assert out.strip() == "6 ticket(s) verified"
    subjects = git(repo, "log", "--format=%s").splitlines()
    assert sum(s.endswith("(validated pattern-0 1.0.0)") for s in subjects) == 1
    assert len([s for s in subjects if s.startswith("PUB-")]) == 12
    assert git(repo, "status", "--porcelain") == ""


def test_two_decisions_at_once_only_one_wins(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = in_review()
    # (not approve: an approval may be taken back by a later request-changes, so both would
    # succeed in that order)
    first = spawn(repo, "--actor", "rlee", "ticket", "review", ticket_id, "--decision", "reject",
                  "--comment", "Out of scope")
    second = spawn(repo, "--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                   "request-changes", "--comment", "Needs an owner")
    results = [(p, *p.communicate(timeout=120)) for p in (first, second)]
    codes = sorted(p.returncode for p, _out, _err in results)
    assert codes == [0, 1], results
    loser_err = next(err for p, _out, err in results if p.returncode == 1)
    assert "cannot move from" in loser_err
    code, out, _ = invoke("ticket", "show", ticket_id, "--format", "json")
    history = json.loads(out)["history"]
    assert [e["event"] for e in history].count("reviewed") == 1
    code, out, _ = invoke("ticket", "verify")
    assert code == 0, out
