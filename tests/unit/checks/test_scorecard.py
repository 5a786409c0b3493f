"""Beat 5: thresholds, marginal band, and messages that name the weak dimensions."""

from __future__ import annotations

from typing import Any

import pytest

from pubflow.checks.base import CheckContext
from pubflow.checks.scorecard import DIMENSIONS, ScorecardCheck, evaluate, read_scores
from pubflow.config import Config, ScorecardThresholds
from pubflow.findings import Severity


def card(**scores: int) -> dict[str, int]:
    base = dict.fromkeys(DIMENSIONS, 4)
    base.update(scores)
    return base


def run(scorecard: Any, config: Config | None = None) -> list[tuple[str, str, str, Severity]]:
    context = CheckContext(config=config or Config(), file_stem="x")
    return [(i.pointer, i.rule, i.message, i.severity)
            for i in ScorecardCheck()({"scorecard": scorecard}, context)]


def test_passing_scorecard_has_no_issue() -> None:
    assert run(card(ownership=5, timeSla=5)) == []  # 34/40


def test_weak_dimension_is_named_in_the_spec_format() -> None:
    assert run(card(handoffs=2, ownership=5, timeSla=5, capacity=5, visibility=5)) == [
        ("/scorecard/handoffs", "scorecard.dimension-min",
         "scorecard: dimension 'handoffs' scores 2/5 (minimum 3)", Severity.ERROR),
    ]


def test_low_total_lists_dimensions_to_raise_weakest_first() -> None:
    scores = card(ownership=3, timeSla=3, capacity=4, visibility=3, customerLoop=4,
                  escalation=4, handoffs=3, documentation=4)
    assert sum(scores.values()) == 28
    assert run(scores) == [
        ("/scorecard", "scorecard.total-min",
         "scorecard: total 28/40 is below 30 — raise: ownership (3), timeSla (3), "
         "visibility (3), handoffs (3), capacity (4), customerLoop (4), escalation (4), "
         "documentation (4)", Severity.ERROR),
    ]


def test_both_rules_can_fail_together() -> None:
    rules = [r[1] for r in run(card(handoffs=1, visibility=2, ownership=3, timeSla=3))]
    assert rules == ["scorecard.dimension-min", "scorecard.dimension-min", "scorecard.total-min"]


@pytest.mark.parametrize(("total", "marginal"), [(29, None), (30, True), (32, True), (33, False)])
def test_marginal_band(total: int, marginal: bool | None) -> None:
    scores = dict.fromkeys(DIMENSIONS, 3)
    for dimension in DIMENSIONS[: total - 24]:
        scores[dimension] = 4
    if total - 24 > len(DIMENSIONS):
        scores["ownership"] = 5
    found = run(scores)
    result = evaluate(scores, ScorecardThresholds())
    assert result.total == total
    if marginal is None:
        assert not result.passed
    else:
        assert result.marginal is marginal
        expected = [("/scorecard", "scorecard.marginal",
                     f"scorecard: total {total}/40 is marginal (30–32): flagged for priority review",
                     Severity.WARNING)] if marginal else []
        assert found == expected


def test_thresholds_come_from_configuration() -> None:
    config = Config(scorecard=ScorecardThresholds(dimension_min=2, total_min=20, marginal_max=21))
    assert run(card(handoffs=2), config) == []
    assert [r[1] for r in run(card(handoffs=1), config)] == ["scorecard.dimension-min"]


@pytest.mark.parametrize("bad", [None, [], {"ownership": 5}, card(handoffs=0), card(handoffs=6),
                                 card(handoffs=True), card(handoffs="4"), card(handoffs=3.5)])
def test_malformed_scorecards_are_left_to_the_schema_check(bad: Any) -> None:
    assert read_scores(bad) is None
    assert run(bad) == []


def test_integral_floats_count_as_integers_like_json_schema_says() -> None:
    assert read_scores(card(handoffs=4.0)) == card()
