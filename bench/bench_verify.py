"""`pubflow verify` on a big history: 10 000 tickets, 50 000 commits.

    PYTHONPATH=src python bench/bench_verify.py                   # 10 000 tickets, 50 000 commits
    PYTHONPATH=src python bench/bench_verify.py --tickets 1000 --commits 5000
    PYTHONPATH=src python bench/bench_verify.py --reuse /tmp/verify-bench --only-since

Builds a throw-away repository with `git fast-import`: one commit of the pattern files, then
one commit per ticket event (five per ticket: submitted, validated, routed, approved, a
bookkeeping `escalated`), each appending to its ticket's hash-chained history as pubflow
writes it. The audit log gets every event's entry (a real chain), appended every
`--audit-every` commits: a log that changes in each of 50 000 commits is 400 GB of versions,
which fast-import cannot be fed in a benchmark (and which `verify` only compares by size past
its read budget). Then it times the real CLI in subprocesses: `pubflow verify` (the whole
history) and `pubflow verify --since HEAD~20` (a 20-commit pull request). Prints figures; no
assertions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pubflow.records.audit import entry_hash
from pubflow.records.chain import event_hash

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STEPS = (("submitted", None, "submission_received", "jdoe"),
         ("validated", "submission_received", "ready_for_review", "jdoe"),
         ("routed", "ready_for_review", "in_review", "editor"),
         ("reviewed", "in_review", "approved", "rlee"),
         ("escalated", "approved", "approved", "monitor"))


def _yaml_value(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return f"'{text}'" if ":" in text or text[:1].isdigit() else text


def _event_text(event: dict[str, Any]) -> str:
    lines = []
    for index, (key, value) in enumerate(event.items()):
        prefix = "  - " if index == 0 else "    "
        lines += _field(prefix, key, value, "    ")
    return "\n".join(lines) + "\n"


def _field(prefix: str, key: str, value: Any, indent: str) -> list[str]:
    """`key: value` as pubflow writes it; mappings and lists of scalars nested below."""
    if isinstance(value, dict):
        lines = [f"{prefix}{key}:"]
        for inner, item in value.items():
            lines += _field(indent + "  ", inner, item, indent + "  ")
        return lines
    if isinstance(value, list):
        return [f"{prefix}{key}:", *(f"{indent}  - {_yaml_value(item)}" for item in value)]
    rendered = _yaml_value(value)
    return [f"{prefix}{key}:{' ' + rendered if rendered else ''}"]


def _header(ticket_id: str, pattern: str, digest: str) -> str:
    return (f"apiVersion: pubflow.dev/v1\nkind: PublicationTicket\nid: {ticket_id}\n"
            f"state: STATE\npriority: normal\npattern:\n  id: {pattern}\n"
            f"  path: patterns/{pattern}.json\n  version: 1.0.0\n  digest: {digest}\n"
            f"  industries:\n    - saas\nauthor:\n  id: jdoe\n  email: jane.doe@example.org\n"
            f"  name: Jane Doe\nreviewer: rlee\ndue:\nfindings: []\nhistory:\n")


def _recorded(name: str, n: int, digest: str) -> dict[str, Any]:
    """What pubflow records in an event beyond its transition: the submitter as author and
    the pin (the first event), the reviewer routed to, the approved content."""
    if name == "submitted":
        return {"digest": digest,
                "author": {"id": "jdoe", "email": "jane.doe@example.org", "name": "Jane Doe"},
                "pattern": {"id": f"p-{n}", "path": f"patterns/p-{n}.json", "version": "1.0.0",
                            "digest": digest, "industries": ["saas"]},
                "priority": "normal"}
    if name == "routed":
        return {"reviewer": "rlee"}
    if name == "reviewed":
        return {"decision": "approve", "reviewer": "rlee", "digest": digest}
    return {}


def build(root: Path, tickets: int, commits: int, audit_every: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    (root / "pubflow.yaml").write_text("reviewers:\n  - id: rlee\n    email: r.lee@example.org\n"
                                       "    industries: [saas]\n")
    feed = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=root, stdin=subprocess.PIPE)
    assert feed.stdin is not None
    out = feed.stdin
    clock = [0]

    def commit(message: str, files: dict[str, bytes]) -> None:
        clock[0] += 1
        out.write(f"commit refs/heads/main\ncommitter B <b@example.org> "
                  f"{1767600000 + clock[0]} +0000\ndata {len(message)}\n{message}\n".encode())
        for path, data in files.items():
            out.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    patterns: dict[str, bytes] = {}
    digests = []
    for n in range(tickets):
        data = json.dumps({"id": f"p-{n}", "version": "1.0.0"}).encode()
        patterns[f"patterns/p-{n}.json"] = data
        digests.append(hashlib.sha256(data).hexdigest())
    attributes = b"audit.jsonl merge=union\n"
    commit("patterns", {**patterns, "pubflow.yaml": (root / "pubflow.yaml").read_bytes(),
                        ".pubflow/.gitattributes": attributes,
                        ".pubflow/.gitignore": b"tickets.lock\n"})
    texts = [_header(f"PUB-2026-{n + 1:05d}", f"p-{n}", digests[n]) for n in range(tickets)]
    last_hash: list[str | None] = [None] * tickets
    audit = bytearray()
    audit_head: dict[str, Any] | None = None
    done = 0
    steps_per_ticket = max(1, commits // tickets)
    for step in range(steps_per_ticket):
        name, source, target, actor = STEPS[step % len(STEPS)]
        for n in range(tickets):
            if done >= commits:
                break
            at = (START + timedelta(seconds=done)).strftime("%Y-%m-%dT%H:%M:%SZ")
            event: dict[str, Any] = {"at": at, "actor": actor, "event": name,
                                     "from": source if step else None, "to": target,
                                     "reason": name, **_recorded(name, n, digests[n]),
                                     "prev": last_hash[n]}
            event["hash"] = event_hash(event)
            last_hash[n] = event["hash"]
            texts[n] += _event_text(event)
            ticket_id = f"PUB-2026-{n + 1:05d}"
            record = {"seq": 1 if audit_head is None else audit_head["seq"] + 1, "at": at,
                      "actor": actor, "kind": "ticket", "ticket": ticket_id,
                      "pattern": f"p-{n}", "event": name, "from": event["from"], "to": target,
                      "eventHash": event["hash"],
                      "prev": None if audit_head is None else audit_head["hash"]}
            record["hash"] = entry_hash(record)
            audit_head = record
            audit += json.dumps(record, separators=(",", ":")).encode() + b"\n"
            done += 1
            files = {f".pubflow/tickets/{ticket_id}.yaml":
                     texts[n].replace("state: STATE", f"state: {target}").encode()}
            if done % audit_every == 0 or done == commits:
                files[".pubflow/audit.jsonl"] = bytes(audit)
            commit(f"{ticket_id}: {target} ({name})", files)
    out.close()
    if feed.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True)


def timed(root: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pubflow", "verify", *args], cwd=root,
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    elapsed = time.perf_counter() - started
    last = (done.stdout.strip().splitlines() or [""])[-1]
    return elapsed, f"exit {done.returncode}; {last[:100]}; stderr {done.stderr.strip()[:200]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=50_000)
    parser.add_argument("--audit-every", type=int, default=500)
    parser.add_argument("--reuse", type=Path, metavar="DIR",
                        help="keep the repository in DIR: build it there when DIR does not "
                             "exist yet, else time the one already there (building takes "
                             "minutes)")
    parser.add_argument("--only-since", action="store_true",
                        help="time only `verify --since HEAD~20`")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (median shown)")
    args = parser.parse_args()
    if args.reuse is not None:
        root = args.reuse.resolve()
        if not (root / ".git").exists():
            _build_timed(root, args)
        _time_all(root, args)
        return
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "repo"
        _build_timed(root, args)
        _time_all(root, args)


def _build_timed(root: Path, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    build(root, args.tickets, args.commits, args.audit_every)
    print(f"built {args.tickets} tickets, {args.commits} commits in "
          f"{time.perf_counter() - started:.1f} s", flush=True)


def _time_all(root: Path, args: argparse.Namespace) -> None:
    cases: list[tuple[str, tuple[str, ...]]] = [("verify", ()),
                                                ("verify --since HEAD~20",
                                                 ("--since", "HEAD~20"))]
    for label, extra in cases[1:] if args.only_since else cases:
        runs = [timed(root, *extra) for _ in range(max(1, args.runs))]
        times = sorted(t for t, _ in runs)
        print(f"pubflow {label}: median {times[len(times) // 2]:.2f} s (min {times[0]:.2f}, "
              f"max {times[-1]:.2f}); {runs[0][1]}", flush=True)


if __name__ == "__main__":
    main()
