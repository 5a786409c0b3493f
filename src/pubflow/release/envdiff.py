"""`pubflow env diff A B`: what differs between two environments, pattern by pattern.

For each pattern live in either: the release each runs (version, digest, ticket, a canary
under way and its weight, a release name when there is one), whether it is only in one of
them, and whether B is behind A (an older version than A runs, or missing while A has it):
what a release engineer checks before promoting on, and what a script checks with the exit
status (1 when they differ).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pubflow.records.environments import LiveEntry, load_environment


@dataclass(frozen=True, slots=True)
class Side:
    version: str
    digest: str | None
    ticket: str | None
    name: str | None
    canary: str | None
    weight: int | None

    @classmethod
    def of(cls, entry: LiveEntry) -> Side:
        rollout = entry.rollout
        name = entry.document.get("name")
        return cls(str(entry.version), None if entry.digest is None else str(entry.digest),
                   None if entry.ticket is None else str(entry.ticket),
                   None if name is None else str(name),
                   None if rollout is None else str(rollout.canary),
                   None if rollout is None else int(rollout.weight))

    def shown(self) -> str:
        text = self.version + (f" ({self.name})" if self.name else "")
        if self.canary is not None:
            text += f", canary {self.canary} at {self.weight}%"
        return text

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "digest": self.digest, "ticket": self.ticket,
                "name": self.name, "canary": self.canary, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class PatternDiff:
    pattern: str
    a: Side | None
    b: Side | None
    status: str
    """`same`, `differs`, `only in A`, `only in B`; `b behind` when B runs an older
    version than A (or nothing of it), `b ahead` when a newer one."""

    @property
    def same(self) -> bool:
        return self.status == "same"

    def to_json(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "status": self.status,
                "a": None if self.a is None else self.a.to_json(),
                "b": None if self.b is None else self.b.to_json()}


def env_diff(root: Path, a: str, b: str) -> list[PatternDiff]:
    """Every pattern live in `a` or `b`, sorted by id, with how they compare."""
    from pubflow.release.versions import bump_kind

    left, right = load_environment(root, a), load_environment(root, b)
    found = []
    for pattern in sorted(set(left.patterns) | set(right.patterns)):
        one = Side.of(left.patterns[pattern]) if pattern in left.patterns else None
        two = Side.of(right.patterns[pattern]) if pattern in right.patterns else None
        if one is None:
            status = "only in B"
        elif two is None:
            status = "only in A (B behind)"
        elif one == two:
            status = "same"
        elif one.version == two.version:
            status = "differs"
        elif _newer(bump_kind, two.version, one.version):
            status = "B behind"
        elif _newer(bump_kind, one.version, two.version):
            status = "B ahead"
        else:
            status = "differs"
        found.append(PatternDiff(pattern, one, two, status))
    return found


def _newer(bump_kind: Any, old: str, new: str) -> bool:
    from pubflow.errors import InputError

    try:
        return bump_kind(old, new) is not None
    except InputError:  # a hand-written version that is not semantic: no order to tell
        return False
