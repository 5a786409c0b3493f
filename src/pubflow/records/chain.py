"""The tamper-evident history: each event carries the sha256 of the event before it.

An event's hash covers every field of the event except `hash` itself, serialised as canonical
JSON (sorted keys, no spaces), so reformatting the YAML changes nothing but editing any value
of any past event breaks the chain from that event on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pubflow.storage.yaml import to_plain


def event_hash(event: Mapping[str, Any]) -> str:
    body = {str(k): to_plain(v) for k, v in event.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chain_breaks(history: list[Mapping[str, Any]]) -> list[tuple[int, str]]:
    """(index, problem) for every event whose `prev` or `hash` does not match."""
    problems: list[tuple[int, str]] = []
    previous: str | None = None
    for index, event in enumerate(history):
        if event.get("prev") != previous:
            problems.append((index, "its prev does not match the hash of the event before it"))
        actual = event_hash(event)
        if event.get("hash") != actual:
            problems.append((index, "its content does not match its hash (edited after the fact)"))
        previous = str(event.get("hash"))
    return problems
