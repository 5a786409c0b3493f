"""`pubflow rollback` on a big repository: 1 000 live patterns, 10 000 releases.

    PYTHONPATH=src python bench/bench_rollback.py                  # 1 000 patterns x 10 versions
    PYTHONPATH=src python bench/bench_rollback.py --patterns 100 --versions 5

Builds a throw-away git repository through `git fast-import`: every release has a real
package (built by pubflow's own package code, so the checksums verify), production has every
pattern live at its newest version with the earlier ones in its history, each live version
has a ticket in state `live`. Then it runs the real CLI in subprocesses, rolling back a
different pattern each time, and prints the median wall time (the whole process: start-up,
checks, writes, the git commit). Target (issue 5): <= 0.5 s.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pubflow.records.environments import Environment, catalog_entry, serialize_catalog
from pubflow.records.states import State
from pubflow.records.store import new_document
from pubflow.records.tickets import PinnedPattern, Ticket, append_event, utc_text
from pubflow.release import package as pkg
from pubflow.storage.yaml import dump_yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_tickets import timed  # noqa: E402
from tests.conftest import valid_pattern  # noqa: E402

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def ticket_bytes(number: int, pattern_id: str, version: str, digest: str) -> tuple[str, bytes]:
    ticket_id = f"PUB-2026-{number:03d}"
    doc = new_document(ticket_id)
    doc["state"] = "submission_received"
    doc["priority"] = "normal"
    doc["pattern"] = {}
    doc["author"] = {"id": "jdoe", "email": "jane.doe@example.org", "name": "Jane Doe"}
    doc["reviewer"] = "rlee"
    doc["due"] = None
    doc["findings"] = []
    ticket = Ticket(doc, Path(ticket_id))
    ticket.pin(PinnedPattern(pattern_id, f"patterns/{pattern_id}.json", version, digest,
                             ("saas",)))
    append_event(doc, actor="jdoe", event="submitted", from_state=None,
                 to=State.SUBMISSION_RECEIVED, now=START)
    for target in (State.READY_FOR_REVIEW, State.IN_REVIEW, State.APPROVED, State.STAGED,
                   State.LIVE):
        ticket.transition(target, actor="bench", event="bench", now=START)
    return ticket_id, dump_yaml(doc)


def build_repo(folder: Path, patterns: int, versions: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    blobs: dict[str, bytes] = {}
    environment: dict[str, Any] = {"apiVersion": "pubflow.dev/v1", "kind": "Environment",
                                   "name": "production", "patterns": {}}
    rows = []
    number = 0
    for p in range(patterns):
        pattern_id = f"bench-pattern-{p:04d}"
        history = []
        for v in range(versions):
            number += 1
            version = f"1.{v}.0"
            document = valid_pattern(id=pattern_id, version=version)
            source = (json.dumps(document, indent=2) + "\n").encode()
            digest = pkg.hashlib.sha256(source).hexdigest()
            ticket_id = f"PUB-2026-{number:03d}"
            info = pkg.ReleaseInfo(pattern_id, version, ticket_id, "minor" if v else "initial",
                                   digest, "rlee", utc_text(START), f"release {version}")
            for name, data in pkg.build_files(document, info).items():
                blobs[f"{pkg.package_rel(pattern_id, version)}/{name}"] = data
            at = utc_text(START + timedelta(days=v))
            entry = {"version": version, "digest": digest, "ticket": ticket_id,
                     "release": info.release, "by": "releng", "at": at,
                     "package": pkg.package_rel(pattern_id, version)}
            if v < versions - 1:
                history.append({**entry, "until": utc_text(START + timedelta(days=v + 1)),
                                "ended": "superseded"})
            else:
                blobs[f"patterns/{pattern_id}.json"] = source
                tid, tbytes = ticket_bytes(number, pattern_id, version, digest)
                blobs[f".pubflow/tickets/{tid}.yaml"] = tbytes
                environment["patterns"][pattern_id] = {**entry, "history": history}
                rows.append(catalog_entry(document, entry))
    env_path = folder / ".pubflow" / "environments" / "production.yaml"
    blobs[".pubflow/environments/production.yaml"] = Environment(
        "production", environment, env_path).serialize()
    blobs[".pubflow/catalog/production.json"] = serialize_catalog(
        {"environment": "production", "patterns": rows})
    blobs["pubflow.yaml"] = b"environments: [staging, production]\n"
    stream = [b"commit refs/heads/main\n",
              b"committer Bench <bench@example.org> 1700000000 +0000\n",
              b"data 5\nbench\n"]
    for name, data in blobs.items():
        stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(data), data))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=folder, input=b"".join(stream),
                   check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=folder, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patterns", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "repo"
        started = time.perf_counter()
        build_repo(folder, options.patterns, options.versions)
        releases = options.patterns * options.versions
        print(f"built {options.patterns} live patterns, {releases} releases "
              f"in {time.perf_counter() - started:.1f} s")
        timed(folder, "--actor", "releng", "status", "--format", "json")  # warm the ticket index, as a user would
        times, own = [], []
        trace = Path(tmp) / "git-trace.json"
        os.environ["GIT_TRACE2_EVENT"] = str(trace)
        for i in range(options.repeat):
            trace.unlink(missing_ok=True)
            total = timed(folder, "--actor", "releng", "rollback", f"bench-pattern-{i:04d}",
                          "--env", "production", "--reason", "bench")
            times.append(total)
            own.append(total - git_seconds(trace))
        del os.environ["GIT_TRACE2_EVENT"]
        print(f"rollback (median of {options.repeat}): {statistics.median(times):.3f} s wall "
              f"(min {min(times):.3f}, max {max(times):.3f}); pubflow's own (wall minus the "
              f"git processes it runs): {statistics.median(own):.3f} s")


def git_seconds(trace: Path) -> float:
    """Time spent inside git processes, from git's own trace2 `exit` events."""
    if not trace.exists():
        return 0.0
    spent = 0.0
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        if event.get("event") == "exit" and event.get("thread") == "main":
            spent += float(event.get("t_abs", 0.0))
    return spent


if __name__ == "__main__":
    main()
