"""`pubflow status`: what runs where, the tickets by state, overdue reviews, recent events.

Everything comes from the repository's own files (environment files, package manifests, the
ticket index, the audit log's tail), so the dashboard is as true as `git log`.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from datetime import datetime
from pathlib import Path
from typing import Any

from pubflow.config import Config
from pubflow.records.environments import load_environment
from pubflow.release import package as pkg

RECENT_EVENTS = 10


def collect_status(config: Config, now: datetime) -> dict[str, Any]:
    """The dashboard as data (the `--format json` shape); recovers an interrupted operation."""
    from pubflow.records.audit import AuditLog
    from pubflow.records.index import summaries
    from pubflow.records.store import TicketStore
    from pubflow.release.operation import recover

    root = config.root
    store = TicketStore(root)
    recovered = None
    if (root / ".pubflow").is_dir():
        with store.locked():
            recovered = recover(root)
    environments = []
    for name in config.environments:
        env = load_environment(root, name)
        rows = []
        for pattern_id in sorted(env.patterns):
            live = env.patterns[pattern_id]
            rollout = live.rollout
            rows.append({
                "pattern": pattern_id, "version": live.version,
                "ticket": live.ticket, "release": live.release,
                "by": live.by, "at": live.at,
                "rollout": None if rollout is None else {
                    "stable": rollout.stable, "canary": rollout.canary,
                    "weight": rollout.weight},
                "notes": _notes(root, pattern_id, str(live.version)),
                "earlierVersions": len(live.history),
            })
        environments.append({"name": name, "patterns": rows})
    tickets = summaries(store, skip_invalid=True)
    states = Counter(t.state for t in tickets)
    overdue = [{"id": t.id, "pattern": t.pattern_id, "reviewer": t.reviewer, "due": t.due}
               for t in tickets if t.is_overdue(now)]
    audit = AuditLog(root)
    recent: deque[dict[str, Any]] = deque(maxlen=RECENT_EVENTS)
    days: dict[str, dict[str, int]] = {}
    last_env = config.environments[-1] if config.environments else None
    for entry in audit.entries() if audit.path.exists() else ():
        recent.append(entry)
        day = str(entry.get("at", ""))[:10]
        kind = entry.get("kind")
        if kind == "promote" and entry.get("environment") == last_env:
            days.setdefault(day, {"published": 0, "rolledBack": 0})["published"] += 1
        elif kind in ("rollback", "depublish"):
            days.setdefault(day, {"published": 0, "rolledBack": 0})["rolledBack"] += 1
    return {
        "environments": environments,
        "tickets": {"total": len(tickets), "byState": dict(sorted(states.items())),
                    "overdue": overdue},
        "recentEvents": list(recent),
        "timeline": [{"day": day, **counts} for day, counts in sorted(days.items())],
        "recovered": recovered,
    }


def _notes(root: Path, pattern_id: str, version: str) -> str | None:
    try:
        manifest = json.loads((pkg.package_dir(root, pattern_id, version) / pkg.MANIFEST_FILE)
                              .read_bytes())
    except (OSError, ValueError):
        return None
    notes = manifest.get("notes") if isinstance(manifest, dict) else None
    return str(notes) if notes else None
