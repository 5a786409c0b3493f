"""`pubflow monitor` over a big event stream: time and peak memory at two sizes.

    PYTHONPATH=src python bench/bench_monitor.py                 # 100 000 and 1 000 000 events
    PYTHONPATH=src python bench/bench_monitor.py --events 200000

Builds a repository with 500 patterns live in production (an environment file and catalog
as pubflow writes them), writes JSON Lines events (views, downloads, ratings, a few reports;
50 000 visitors; 0.1 % bad lines), runs the real CLI in a subprocess and prints wall time
and peak RSS. Target (issue 7): 1 000 000 events in <= 10 s with flat memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pubflow.records.environments import Environment, serialize_catalog

ROOT = Path(__file__).resolve().parents[1]
PATTERNS = 500
START = datetime(2030, 1, 1, tzinfo=UTC)


def build_repo(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    patterns = {}
    rows = []
    for n in range(PATTERNS):
        pid = f"bench-pattern-{n:04d}"
        patterns[pid] = {"version": "1.0.0", "digest": "a" * 64, "ticket": f"PUB-2030-{n + 1:03d}",
                         "release": "initial", "by": "bench", "at": "2029-12-01T00:00:00Z",
                         "history": []}
        rows.append({"id": pid, "name": pid, "version": "1.0.0",
                     "industries": [["saas", "telecom", "healthcare"][n % 3]], "tags": []})
    env_path = folder / ".pubflow" / "environments" / "production.yaml"
    env_path.parent.mkdir(parents=True)
    doc = {"apiVersion": "pubflow.dev/v1", "kind": "Environment", "name": "production",
           "patterns": patterns}
    env_path.write_bytes(Environment("production", doc, env_path).serialize())
    catalog = folder / ".pubflow" / "catalog" / "production.json"
    catalog.parent.mkdir(parents=True)
    catalog.write_bytes(serialize_catalog({"environment": "production", "patterns": rows}))


def write_events(path: Path, count: int) -> None:
    rng = random.Random(7)
    kinds = ["view"] * 80 + ["download"] * 12 + ["rating"] * 7 + ["report"]
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            if n % 1000 == 999:
                out.write("{broken line\n")
                continue
            kind = rng.choice(kinds)
            event = {"type": kind, "pattern": f"bench-pattern-{rng.randrange(PATTERNS):04d}",
                     "version": "1.0.0", "visitor": f"visitor-{rng.randrange(50_000)}",
                     "at": (START + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")}
            if kind == "rating":
                event["rating"] = rng.randint(1, 5)
                event["comment"] = "useful"
            out.write(json.dumps(event) + "\n")


def measure(folder: Path, events: Path) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PUBFLOW_ACTOR": "bench"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pubflow", "monitor", "--events", str(events),
                           "--format", "json"], cwd=folder, env=env, capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(done.stdout + done.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    summary = json.loads(done.stdout)
    print(f"  {summary['events']} good and {summary['badEvents']} bad events, "
          f"{len(summary['escalations'])} escalation(s)")
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="*", default=[100_000, 1_000_000])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "repo"
        build_repo(folder)
        for count in sorted(options.events):
            events = Path(tmp) / f"events-{count}.jsonl"
            write_events(events, count)
            elapsed, peak = measure(folder, events)
            print(f"monitor {count} events: {elapsed:.2f} s, {count / elapsed:,.0f} events/s, "
                  f"peak RSS so far {peak:.0f} MiB")


if __name__ == "__main__":
    main()
