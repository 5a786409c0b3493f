"""Topic demand from the platform's events (beat 3): how much readers view each industry.

Each view of a pattern counts for every industry the pattern lists; an industry's weight is
its views divided by those of the most viewed industry (0 to 1), the same scale as `demand`
in pubflow.yaml, which a ticket's priority reads (`checks.metadata.priority`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path


def industries_of_patterns(folder: Path) -> dict[str, list[str]]:
    """Pattern id -> its industries, for every pattern file of the folder that reads."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            continue
        industries = data.get("industries") if isinstance(data, dict) else None
        if isinstance(industries, list):
            found[path.stem] = [i for i in industries if isinstance(i, str)]
    return found


def demand_from_events(lines: Iterable[str], industries: dict[str, list[str]]
                       ) -> dict[str, float]:
    """Industry -> weight (0 to 1) from the view events among `lines`; bad lines are skipped
    (`pubflow monitor` reports them)."""
    views: Counter[str] = Counter()
    for line in lines:
        if '"view"' not in line:
            continue
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(event, dict) or event.get("type") != "view":
            continue
        for industry in industries.get(str(event.get("pattern")), ()):
            views[industry] += 1
    top = max(views.values(), default=0)
    return {industry: round(count / top, 3) for industry, count in views.items()} if top else {}
