"""Ticket commands at scale: `ticket list` over N tickets, `ticket create` beside them.

    PYTHONPATH=src python bench/bench_tickets.py              # 10 000 tickets and commits
    PYTHONPATH=src python bench/bench_tickets.py --tickets 1000

Builds a throw-away git repository with N ticket files added in N commits (through
`git fast-import`, which takes seconds), then runs the real CLI in subprocesses and prints
the median wall time of `ticket list --format json` (cold cache, then warm) and of
`ticket create`. Targets (issue 4): list <= 1 s median, create <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pubflow.records.states import State
from pubflow.records.store import new_document
from pubflow.records.tickets import PinnedPattern, Ticket, append_event
from pubflow.storage.yaml import dump_yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.conftest import valid_pattern  # noqa: E402

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STATES = [State.READY_FOR_REVIEW, State.IN_REVIEW, State.APPROVED, State.REJECTED]


def ticket_bytes(number: int) -> tuple[str, bytes]:
    ticket_id = f"PUB-2026-{number:03d}"
    doc = new_document(ticket_id)
    doc["state"] = "submission_received"
    doc["priority"] = "normal"
    doc["pattern"] = {}
    doc["author"] = {"id": "jdoe", "email": "jane.doe@example.org", "name": "Jane Doe"}
    doc["reviewer"] = None
    doc["due"] = None
    doc["findings"] = []
    ticket = Ticket(doc, Path(ticket_id))
    ticket.pin(PinnedPattern(f"pattern-{number}", f"patterns/pattern-{number}.json", "1.0.0",
                             f"{number:064x}", ("saas",)))
    append_event(doc, actor="jdoe", event="submitted", from_state=None,
                 to=State.SUBMISSION_RECEIVED, now=NOW)
    ticket.transition(State.READY_FOR_REVIEW, actor="jdoe", event="validated", now=NOW)
    target = STATES[number % len(STATES)]
    if target is not State.READY_FOR_REVIEW:
        doc["reviewer"] = "rlee"
        doc["due"] = "2026-01-08T09:00:00Z"
        ticket.transition(State.IN_REVIEW, actor="editor", event="routed", now=NOW)
        if target is not State.IN_REVIEW:
            ticket.transition(target, actor="rlee", event="reviewed", now=NOW,
                              reason="looks good" if target is State.APPROVED else "no")
    return ticket_id, dump_yaml(doc)


def build_repo(folder: Path, count: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    (folder / "patterns").mkdir()
    (folder / "patterns" / "new-pattern.json").write_text(
        json.dumps(valid_pattern(id="new-pattern"), indent=2))
    (folder / "pubflow.yaml").write_text(
        "reviewers:\n  - id: rlee\n    email: r.lee@example.org\n    industries: [saas]\n"
        f"    max_queue: {count}\n")
    stream = []
    for number in range(1, count + 1):
        ticket_id, data = ticket_bytes(number)
        message = f"{ticket_id}: ticket".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(b"committer Bench <bench@example.org> 1700000000 +0000\n")
        stream.append(b"data %d\n%s\n" % (len(message), message))
        stream.append(b"M 100644 inline .pubflow/tickets/%s.yaml\n" % ticket_id.encode())
        stream.append(b"data %d\n%s\n" % (len(data), data))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=folder, input=b"".join(stream),
                   check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=folder, check=True)
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    subprocess.run(["git", "-c", "user.name=B", "-c", "user.email=b@example.org", "commit",
                    "-q", "-m", "pattern"], cwd=folder, check=True)


def timed(folder: Path, *args: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "GIT_AUTHOR_NAME": "B",
           "GIT_AUTHOR_EMAIL": "b@example.org", "GIT_COMMITTER_NAME": "B",
           "GIT_COMMITTER_EMAIL": "b@example.org"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode caches in use
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pubflow", *args], cwd=folder, env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pubflow {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "repo"
        started = time.perf_counter()
        build_repo(folder, options.tickets)
        print(f"built {options.tickets} tickets in {options.tickets} commits "
              f"in {time.perf_counter() - started:.1f} s")
        cold = timed(folder, "ticket", "list", "--format", "json")
        warm = [timed(folder, "ticket", "list", "--format", "json")
                for _ in range(options.repeat)]
        print(f"ticket list (cold cache): {cold:.3f} s")
        print(f"ticket list (median of {options.repeat}): {statistics.median(warm):.3f} s")
        create = timed(folder, "--actor", "jdoe", "ticket", "create", "new-pattern")
        print(f"ticket create: {create:.3f} s")


if __name__ == "__main__":
    main()
