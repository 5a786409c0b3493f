"""`pubflow score` through the CLI: the table, JSON, thresholds and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from pubflow.cli.app import app
from tests.conftest import valid_pattern

runner = CliRunner()
WritePattern = Callable[..., Path]
DIMS = ["ownership", "timeSla", "capacity", "visibility", "customerLoop", "escalation",
        "handoffs", "documentation"]


def test_table_lists_every_dimension_and_verdict(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern()
    write_pattern(valid_pattern(id="marginal-one", scorecard=dict.fromkeys(DIMS, 4)))
    result = runner.invoke(app, ["score"])
    assert result.exit_code == 0, result.stdout
    for dimension in DIMS:
        assert dimension in result.stdout
    assert "35/40" in result.stdout and "pass" in result.stdout
    assert "32/40" in result.stdout and "marginal" in result.stdout
    assert "\x1b[" not in result.stdout


def test_failing_scorecard_exits_1_and_json_names_weak_dimensions(
        repo: Path, write_pattern: WritePattern) -> None:
    card = {**dict.fromkeys(DIMS, 3), "handoffs": 2, "visibility": 3}
    write_pattern(valid_pattern(scorecard=card))
    result = runner.invoke(app, ["score", "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["thresholds"] == {"dimensionMin": 3, "totalMin": 30, "marginalMax": 32}
    (pattern,) = data["patterns"]
    assert pattern["total"] == 23
    assert pattern["weak"] == ["handoffs"]
    assert "scorecard: dimension 'handoffs' scores 2/5 (minimum 3)" in pattern["messages"]
    assert any(m.startswith("scorecard: total 23/40 is below 30 — raise: handoffs (2)")
               for m in pattern["messages"])


def test_unreadable_or_malformed_scorecards_are_reported_not_crashed(
        repo: Path, write_pattern: WritePattern) -> None:
    write_pattern(b'{"id": "x",}', name="broken")
    write_pattern(valid_pattern(scorecard={"ownership": 9}))
    result = runner.invoke(app, ["score", "--format", "json"])
    assert result.exit_code == 1
    problems = {p["file"]: p["problem"] for p in json.loads(result.stdout)["patterns"]}
    assert problems["patterns/broken.json"] == "1:12: trailing comma before '}'"
    assert "no valid scorecard" in problems["patterns/incident-escalation.json"]


def test_thresholds_from_configuration(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern()
    (repo / "pubflow.yaml").write_text("scorecard:\n  total_min: 36\n")
    result = runner.invoke(app, ["score", "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["patterns"][0]["passed"] is False


def test_quiet_hides_passing_patterns(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern()
    result = runner.invoke(app, ["score", "--quiet"])
    assert (result.exit_code, result.stdout) == (0, "")
