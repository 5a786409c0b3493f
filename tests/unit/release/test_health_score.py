"""The score a health command prints, and seed 001's gates on it."""

from __future__ import annotations

import pytest

from pubflow.config import HealthScoreGate
from pubflow.release.health_score import gate_problem, parse_score

GATE = HealthScoreGate()


@pytest.mark.parametrize(("output", "score"), [
    ("score: 97", 97.0),
    ("checking db\nok\nScore = 88.5\n", 88.5),
    ("score: 12\nscore: 96/100\n", 96.0),  # the last line counts
    ('{"score": 91, "components": {"infra": 97}}', 91.0),
    ('starting\n{"score": 70}', 70.0),
])
def test_scores_are_read_from_a_line_or_json(output: str, score: float) -> None:
    found = parse_score(output)
    assert found is not None and found.problem is None and found.score == score


def test_no_score_is_none_and_components_are_kept_bounded() -> None:
    assert parse_score("all good\n") is None
    assert parse_score("the score: high") is None
    found = parse_score('{"score": 80, "components": {"a": {"b": 1, "c": {"deep": 2}}, '
                        '"text": "x", "flag": true, "n": 3}}')
    assert found is not None and found.components == {"a": {"b": 1}, "n": 3}


@pytest.mark.parametrize(("output", "problem"), [
    ("score: 101", "outside 0 to 100"),
    ('{"score": "high"}', "must be a number"),
    ('{"score": true}', "must be a number"),
    ('{"score": 50, "components": [1]}', "'components' must be an object"),
])
def test_bad_scores_say_why(output: str, problem: str) -> None:
    found = parse_score(output)
    assert found is not None and found.score is None and problem in (found.problem or "")
    assert "bad score" in (gate_problem(found, GATE, last_environment=False,
                                        canary_step=False) or "")


@pytest.mark.parametrize(("score", "last", "canary", "passes"), [
    (95, True, False, True),
    (94, True, False, False),  # production, all at once: needs a canary
    (94, True, True, True),
    (85, True, True, True),
    (84, True, True, False),  # staging only
    (84, False, False, True),
    (70, False, False, True),
    (69.9, False, True, False),  # development only
])
def test_the_seed_gates(score: float, last: bool, canary: bool, passes: bool) -> None:
    found = parse_score(f"score: {score}")
    problem = gate_problem(found, GATE, last_environment=last, canary_step=canary)
    assert (problem is None) is passes, problem


def test_a_required_score() -> None:
    required = HealthScoreGate(required=True)
    assert "printed no score" in (gate_problem(None, required, last_environment=False,
                                               canary_step=False) or "")
    assert gate_problem(None, GATE, last_environment=True, canary_step=False) is None
