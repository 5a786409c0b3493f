"""`pubflow metrics` over a big history: time and peak memory, against the floor of reading.

    PYTHONPATH=src python bench/bench_metrics.py              # 10 000 tickets, ~100 000
                                                              # audit entries, 1 000 000 events
    PYTHONPATH=src python bench/bench_metrics.py --tickets 1000 --events 100000

Builds a throw-away repository (in a temp folder) with a hash-chained audit log of N tickets
over 26 weeks (submissions, validations, some failing and resubmitted, routing, reviews with
changes requested, rejections and withdrawals, promotions to staging and production, canary
steps, rollbacks and escalations), a ticket file per ticket (JSON, which YAML reads; metrics
reads only the escalated ones) and an events file of the last 30 days (views, downloads,
ratings, reports; 50 000 visitors; 0.1 % bad lines). Then runs the real CLI in subprocesses
and prints wall time and the peak RSS of each: `metrics` without and with the events, and
the floor: a Python process that only reads and `json.loads` every line of the same audit
log and events file; and, to show that memory does not grow with the events, `metrics` over
the first half of them (as many visitors a week: memory grows with distinct visitors, up to
65 536 held exactly per counter, never with events). Target (issue 18, item 8): a few seconds, with flat memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
VISITORS = 50_000
FLOOR = """
import json, sys
loads = json.loads
count = 0
for name in sys.argv[1:]:
    with open(name, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            try:
                loads(line)
            except ValueError:
                pass
            count += 1
print(count)
"""


def utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def pattern_of(number: int) -> tuple[str, str]:
    """Five tickets (versions) per pattern, one after the other: patterns are first
    published all along the 26 weeks, so some are new in the last 30 days."""
    return f"bench-pattern-{(number - 1) // 5:04d}", f"1.{(number - 1) % 5}.0"


def ticket_story(rng: random.Random, number: int, start: datetime
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(audit records, ticket history) of one ticket, as pubflow would have written them."""
    ticket = f"PUB-2030-{number:05d}"
    pattern, version = pattern_of(number)
    audit: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    state: str | None = None

    def event(at: datetime, name: str, to: str, **extra: Any) -> None:
        nonlocal state
        if at > NOW:
            return
        record = {"at": utc(at), "actor": "bench", "kind": "ticket", "ticket": ticket,
                  "pattern": pattern, "event": name, "from": state, "to": to,
                  "eventHash": f"{number:08x}{len(history):056x}"}
        audit.append(record)
        history.append({"at": utc(at), "actor": "bench", "event": name, "from": state,
                        "to": to, **extra})
        state = to

    def entry(at: datetime, kind: str, **fields: Any) -> None:
        if at <= NOW:
            audit.append({"at": utc(at), "actor": "bench", "kind": kind, "ticket": ticket,
                          "pattern": pattern, **fields})

    t = start
    event(t, "submitted", "submission_received")
    t += timedelta(minutes=1)
    if rng.random() < 0.12:
        event(t, "validated", "validation_failed")
        t += timedelta(hours=rng.uniform(1, 48))
        event(t, "resubmitted", "ready_for_review")
    else:
        event(t, "validated", "ready_for_review")
    t += timedelta(hours=rng.uniform(0.2, 6))
    event(t, "routed", "in_review")
    t += timedelta(hours=rng.expovariate(1 / 24))
    roll = rng.random()
    if roll < 0.05:
        event(t, "reviewed", "rejected")
        return audit, history
    if roll < 0.08:
        event(t, "withdrawn", "withdrawn")
        return audit, history
    if roll < 0.38:
        event(t, "reviewed", "changes_requested")
        t += timedelta(hours=rng.uniform(2, 72))
        event(t, "resubmitted", "in_review")
        t += timedelta(hours=rng.expovariate(1 / 12))
    event(t, "reviewed", "approved")
    if rng.random() < 0.85:  # a second approval (production asks for two)
        t += timedelta(hours=rng.uniform(0.5, 8))
        event(t, "reviewed", "approved")
    t += timedelta(hours=rng.uniform(0.5, 24))
    entry(t, "promote", version=version, environment="staging", release="minor")
    t += timedelta(hours=rng.uniform(1, 72))
    for weight in (10, 25, 50):  # canary steps before the full release
        entry(t, "canary", version=version, environment="production", weight=weight,
              stable=None)
        t += timedelta(minutes=rng.uniform(10, 120))
    entry(t, "promote", version=version, environment="production", release="minor")
    went_live = t
    if rng.random() < 0.03:
        t += timedelta(hours=rng.uniform(0.5, 48))
        entry(t, "rollback", environment="production", **{"from": version, "to": None},
              reason="bench")
    elif rng.random() < 0.015:
        began = went_live + timedelta(hours=rng.uniform(0.5, 30))
        t = began + timedelta(hours=1)
        event(t, "escalated", state or "live", incident=f"{pattern}-{number}",
              environment="production", reportedVersion=version,
              reportsFrom=utc(began), reportsUntil=utc(t))
    return audit, history


def build_repo(folder: Path, tickets: int) -> tuple[int, int]:
    """(audit entries, escalated tickets)."""
    from pubflow.records.audit import entry_hash

    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    (folder / "pubflow.yaml").write_text("environments: [staging, production]\n")
    rng = random.Random(18)
    first = NOW - timedelta(weeks=26)
    spread = (NOW - first).total_seconds()
    records: list[dict[str, Any]] = []
    folder_tickets = folder / ".pubflow" / "tickets"
    folder_tickets.mkdir(parents=True)
    escalated = 0
    for number in range(1, tickets + 1):
        start = first + timedelta(seconds=spread * (number - 1) / tickets)
        audit, history = ticket_story(rng, number, start)
        records += audit
        escalated += any(e["event"] == "escalated" for e in history)
        ticket_id = f"PUB-2030-{number:05d}"
        pattern, version = pattern_of(number)
        doc = {"apiVersion": "pubflow.dev/v1", "kind": "PublicationTicket", "id": ticket_id,
               "state": history[-1]["to"],
               "pattern": {"id": pattern, "path": f"patterns/{pattern}.json",
                           "version": version, "digest": "a" * 64},
               "author": {"id": "jdoe", "email": "jane.doe@example.org"},
               "reviewer": "rlee", "due": None, "history": history}
        (folder_tickets / f"{ticket_id}.yaml").write_text(json.dumps(doc))
    records.sort(key=lambda record: record["at"])
    with (folder / ".pubflow" / "audit.jsonl").open("w", encoding="utf-8") as out:
        prev = None
        for seq, record in enumerate(records, start=1):
            entry = {"seq": seq, **record, "prev": prev}
            entry["hash"] = prev = entry_hash(entry)
            out.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(records), escalated


def write_events(path: Path, count: int, patterns: int) -> None:
    rng = random.Random(7)
    kinds = ["view"] * 80 + ["download"] * 12 + ["rating"] * 7 + ["report"]
    start = NOW - timedelta(days=30)
    step = timedelta(days=30).total_seconds() / count
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            if n % 1000 == 999:
                out.write("{broken line\n")
                continue
            kind = rng.choice(kinds)
            event: dict[str, Any] = {
                "type": kind, "pattern": f"bench-pattern-{rng.randrange(patterns):04d}",
                "version": "1.0.0", "visitor": f"visitor-{rng.randrange(VISITORS)}",
                "at": utc(start + timedelta(seconds=int(n * step)))}
            if kind == "rating":
                event["rating"] = rng.randint(1, 5)
                event["comment"] = "useful"
            out.write(json.dumps(event) + "\n")


def measure(folder: Path, args: list[str], output: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode caches in use
    started = time.perf_counter()
    with output.open("w") as out:
        child = subprocess.Popen([sys.executable, *args], cwd=folder, env=env, stdout=out,
                                 stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{output.read_text()}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--build-into", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.build_into is not None:
        entries, escalated = build_repo(options.build_into / "repo", options.tickets)
        write_events(options.build_into / "events.jsonl", options.events,
                     (options.tickets + 4) // 5)
        print(f"built {options.tickets} tickets ({escalated} escalated), {entries} audit "
              f"entries, {options.events} events", end="")
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "repo"
        events = Path(tmp) / "events.jsonl"
        started = time.perf_counter()
        # built in a child process: a child's peak RSS starts at its parent's, so the
        # parent stays small
        built = subprocess.run([sys.executable, __file__, "--tickets", str(options.tickets),
                                "--events", str(options.events), "--build-into", tmp],
                               check=True, capture_output=True, text=True)
        print(f"{built.stdout} in {time.perf_counter() - started:.1f} s")
        half = Path(tmp) / "events-half.jsonl"
        with events.open(encoding="utf-8") as source, half.open("w", encoding="utf-8") as out_:
            for _n, line in zip(range(options.events // 2), source, strict=False):
                out_.write(line)
        out = Path(tmp) / "out.txt"
        audit = folder / ".pubflow" / "audit.jsonl"
        now = ["--now", utc(NOW)]
        runs = [
            ("floor: read + json.loads the audit log", ["-c", FLOOR, str(audit)]),
            ("metrics --since 30d (no events)",
             ["-m", "pubflow", "metrics", "--since", "30d", *now, "--format", "json"]),
            ("metrics --since 26w (no events)",
             ["-m", "pubflow", "metrics", "--since", "26w", *now, "--format", "json"]),
            ("floor: read + json.loads audit log and events",
             ["-c", FLOOR, str(audit), str(events)]),
            ("metrics --since 30d --events (the first half of them)",
             ["-m", "pubflow", "metrics", "--since", "30d", "--events", str(half), *now,
              "--format", "json"]),
            ("metrics --since 30d --events",
             ["-m", "pubflow", "metrics", "--since", "30d", "--events", str(events), *now,
              "--format", "json"]),
        ]
        for label, args in runs:
            elapsed, peak = measure(folder, args, out)
            print(f"{label}: {elapsed:.2f} s, peak RSS {peak:.0f} MiB")
            if "metrics" in args and "--events" in args:
                data = json.loads(out.read_text())
                adoption = data["metrics"]["adoptionRate"]
                print(f"  {data['events']['events']} events in the window, "
                      f"{data['events']['badEvents']} bad; adoption {adoption['count']} of "
                      f"{adoption['total']} users")
            elif "metrics" in args:
                data = json.loads(out.read_text())
                success = data["metrics"]["publicationSuccessRate"]
                review = data["metrics"]["reviewCycleTime"]
                print(f"  success {success['count']} of {success['total']}; review cycle "
                      f"median {review['median']} h over {review['count']}")


if __name__ == "__main__":
    main()
