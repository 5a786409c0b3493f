"""`score`'s core on real files: each pattern's scorecard against the thresholds, or why there
is none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pubflow.config import Config, ScorecardThresholds
from pubflow.storage.discovery import collect_targets
from pubflow.validation.scoring import PatternScore, score_target, score_targets
from tests.conftest import plain_repository, valid_pattern


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return plain_repository(tmp_path, monkeypatch)

CARD = valid_pattern()["scorecard"]  # 35/40


def write(repo: Path, name: str, data: dict[str, Any] | str) -> Path:
    path = repo / "patterns" / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


def score(repo: Path, name: str, config: Config | None = None) -> PatternScore:
    (target,) = collect_targets([repo / "patterns" / name], repo)
    return score_target(target, config or Config(root=repo))


def test_a_passing_scorecard(repo: Path) -> None:
    write(repo, "incident-escalation.json", valid_pattern())
    result = score(repo, "incident-escalation.json")
    assert result == PatternScore("patterns/incident-escalation.json", "incident-escalation",
                                  CARD, 35, True, False, (), (), None)
    assert result.label == "incident-escalation"
    assert result.to_dict() == {
        "file": "patterns/incident-escalation.json", "id": "incident-escalation",
        "scores": CARD, "total": 35, "passed": True, "marginal": False, "weak": [],
        "messages": [], "problem": None}
    assert json.loads(json.dumps(result.to_dict())) == result.to_dict()


def test_a_marginal_scorecard_passes_with_a_message(repo: Path) -> None:
    write(repo, "m.json", valid_pattern(id="m", scorecard=dict.fromkeys(CARD, 4)))
    result = score(repo, "m.json")
    assert (result.total, result.passed, result.marginal, result.weak) == (32, True, True, ())
    assert result.messages == (
        "scorecard: total 32/40 is marginal (30–32): flagged for priority review",)


def test_a_failing_scorecard_names_what_to_raise(repo: Path) -> None:
    card = {**CARD, "handoffs": 2, "capacity": 2}
    write(repo, "weak.json", valid_pattern(id="weak", scorecard=card))
    result = score(repo, "weak.json")
    assert (result.total, result.passed, result.marginal) == (31, False, False)
    assert result.weak == ("capacity", "handoffs")
    assert result.messages == (
        "scorecard: dimension 'capacity' scores 2/5 (minimum 3)",
        "scorecard: dimension 'handoffs' scores 2/5 (minimum 3)",
    )
    assert result.to_dict()["weak"] == ["capacity", "handoffs"]


def test_the_configured_thresholds_apply(repo: Path) -> None:
    write(repo, "incident-escalation.json", valid_pattern())
    strict = Config(root=repo, scorecard=ScorecardThresholds(total_min=36, marginal_max=37))
    result = score(repo, "incident-escalation.json", strict)
    assert (result.passed, result.marginal) == (False, False)
    assert result.messages[0].startswith("scorecard: total 35/40 is below 36 — raise: ")


@pytest.mark.parametrize("scorecard", [
    None, "high", {**CARD, "handoffs": 6}, {**CARD, "handoffs": True},
    {**CARD, "handoffs": 3.5}, {k: v for k, v in CARD.items() if k != "handoffs"},
])
def test_no_valid_scorecard_is_a_problem_not_a_score(repo: Path, scorecard: Any) -> None:
    write(repo, "p.json", valid_pattern(id="p", scorecard=scorecard))
    result = score(repo, "p.json")
    assert result == PatternScore("patterns/p.json", "p", None, None, False, False, (), (),
                                  "no valid scorecard (run pubflow validate for details)")
    assert result.label == "p"


def test_a_float_score_that_is_whole_counts(repo: Path) -> None:
    write(repo, "p.json", valid_pattern(id="p", scorecard={**CARD, "handoffs": 4.0}))
    result = score(repo, "p.json")
    assert result.scores == CARD and result.total == 35 and result.passed


def test_unreadable_json_is_a_placed_problem(repo: Path) -> None:
    write(repo, "broken.json", '{"id": "broken",\n  "scorecard": }\n')
    result = score(repo, "broken.json")
    assert (result.id, result.total, result.passed) == (None, None, False)
    assert result.problem == "2:16: expecting value, found '}'"
    assert result.label == "patterns/broken.json"
    write(repo, "listed.json", "[1]")
    assert score(repo, "listed.json").problem == (
        "no valid scorecard (run pubflow validate for details)")
    write(repo, "numbered.json", valid_pattern(id=7))
    assert score(repo, "numbered.json").id is None


def test_too_large_and_outside_files_are_not_scored(repo: Path, tmp_path: Path) -> None:
    path = write(repo, "incident-escalation.json", valid_pattern())
    small = Config(root=repo, max_file_bytes=path.stat().st_size - 1)
    result = score(repo, "incident-escalation.json", small)
    assert result.scores is None and "larger than" in (result.problem or "")
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps(valid_pattern()))
    (repo / "patterns" / "linked.json").symlink_to(outside)
    linked = score(repo, "linked.json")
    assert (linked.problem, linked.scores, linked.passed) == (
        "file is outside the repository", None, False)


def test_score_targets_keeps_the_order(repo: Path) -> None:
    for name in ("b-one", "a-one", "c-one"):
        write(repo, f"{name}.json", valid_pattern(id=name))
    targets = collect_targets([repo / "patterns"], repo)
    results = score_targets(targets, Config(root=repo))
    assert [r.id for r in results] == ["a-one", "b-one", "c-one"]
    assert score_targets([], Config(root=repo)) == []
