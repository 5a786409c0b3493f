"""Beat 5: the HQO scorecard, eight dimensions scored 1-5, gated on minimum and total."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pubflow.checks.base import CheckContext
from pubflow.config import ScorecardThresholds
from pubflow.findings import Issue, Severity

DIMENSIONS: tuple[str, ...] = (
    "ownership",
    "timeSla",
    "capacity",
    "visibility",
    "customerLoop",
    "escalation",
    "handoffs",
    "documentation",
)
MAX_PER_DIMENSION = 5
MAX_TOTAL = MAX_PER_DIMENSION * len(DIMENSIONS)


@dataclass(frozen=True, slots=True)
class ScorecardResult:
    """A scorecard measured against the thresholds; shared by `validate` and `score`."""

    scores: dict[str, int]
    total: int
    weak: tuple[str, ...]
    """Dimensions below the per-dimension minimum."""
    passed: bool
    marginal: bool
    thresholds: ScorecardThresholds

    @property
    def raise_first(self) -> list[tuple[str, int]]:
        """Dimensions that still have room, weakest first: where to spend effort."""
        open_dims = [(d, s) for d, s in self.scores.items() if s < MAX_PER_DIMENSION]
        return sorted(open_dims, key=lambda item: (item[1], DIMENSIONS.index(item[0])))


def read_scores(scorecard: Any) -> dict[str, int] | None:
    """The eight scores, or None when the scorecard is malformed (the schema check says how)."""
    if type(scorecard) is not dict and not isinstance(scorecard, Mapping):
        return None
    scores: dict[str, int] = {}
    for dimension in DIMENSIONS:
        value = scorecard.get(dimension)
        if type(value) is int and 1 <= value <= MAX_PER_DIMENSION:  # (nearly always)
            scores[dimension] = value
            continue
        # JSON Schema counts 4.0 as an integer, so the scorecard must too.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if value != int(value) or not 1 <= value <= MAX_PER_DIMENSION:
            return None
        scores[dimension] = int(value)
    return scores


def evaluate(scores: dict[str, int], thresholds: ScorecardThresholds) -> ScorecardResult:
    total = sum(scores.values())
    least = thresholds.dimension_min
    weak = (tuple([d for d in DIMENSIONS if scores[d] < least])
            if min(scores.values()) < least else ())
    passed = not weak and total >= thresholds.total_min
    marginal = passed and total <= thresholds.marginal_max
    return ScorecardResult(scores, total, weak, passed, marginal, thresholds)


class ScorecardCheck:
    name = "scorecard"

    def __call__(self, data: Any, context: CheckContext) -> Iterable[Issue]:
        scores = read_scores(data.get("scorecard") if isinstance(data, dict) else None)
        if scores is None:
            return []
        result = context.derived["scorecard"] = evaluate(scores, context.config.scorecard)
        return list(scorecard_issues(result))


def scorecard_issues(result: ScorecardResult) -> Iterable[Issue]:
    t = result.thresholds
    for dimension in result.weak:
        score = result.scores[dimension]
        yield Issue(
            f"/scorecard/{dimension}",
            "scorecard.dimension-min",
            f"scorecard: dimension '{dimension}' scores {score}/{MAX_PER_DIMENSION} "
            f"(minimum {t.dimension_min})",
            f"Strengthen the pattern's {dimension} story until it honestly earns "
            f"{t.dimension_min}/{MAX_PER_DIMENSION}; every dimension must reach the minimum.",
        )
    if result.total < t.total_min:
        advice = ", ".join(f"{d} ({s})" for d, s in result.raise_first)
        yield Issue(
            "/scorecard",
            "scorecard.total-min",
            f"scorecard: total {result.total}/{MAX_TOTAL} is below {t.total_min} — raise: {advice}",
            f"Add {t.total_min - result.total} point(s) across the weakest dimensions.",
        )
    elif result.marginal:
        yield Issue(
            "/scorecard",
            "scorecard.marginal",
            f"scorecard: total {result.total}/{MAX_TOTAL} is marginal "
            f"({t.total_min}–{t.marginal_max}): flagged for priority review",
            "It passes; a reviewer will look at it first. Raising a dimension takes it out of "
            "the marginal band.",
            severity=Severity.WARNING,
        )
