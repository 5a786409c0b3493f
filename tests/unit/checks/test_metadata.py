"""Issue 17, item 4: what a submission records about its pattern, and its priority."""

from __future__ import annotations

import pytest

from pubflow.checks.metadata import complexity, count_words, pattern_metadata, priority
from tests.conftest import valid_pattern


def test_words_count_prose_not_markdown_marks_or_link_targets() -> None:
    assert count_words("**Pager** fatigue: the on-call [runbook](docs/run-book.md) isn't "
                       "read.") == 7
    assert count_words("") == 0


def test_the_valid_pattern_has_words_per_section_signals_and_a_level() -> None:
    data = valid_pattern()
    found = pattern_metadata(data).to_json()
    assert set(found["words"]) >= {"hookMarkdown", "problemMarkdown", "orchestratedMarkdown",
                                   "implementationChecklist"}
    assert all(n > 0 for n in found["words"].values())
    assert found["totalWords"] == sum(found["words"].values())
    assert found["brokenSignals"] == len(data["brokenSignals"])
    assert found["industries"] == data["industries"]
    assert found["complexity"] in ("low", "medium", "high")
    assert found["diagramSteps"] is not None and found["diagramParticipants"] is not None


@pytest.mark.parametrize(("items", "steps", "participants", "level"), [
    (5, 8, 3, "low"), (6, 8, 3, "medium"), (5, 9, 3, "medium"), (11, 1, 1, "high"),
    (1, 15, 1, "high"), (1, 1, 6, "high"), (10, 14, 5, "medium")])
def test_complexity_follows_the_documented_rule(items: int, steps: int, participants: int,
                                                level: str) -> None:
    assert complexity(items, steps, participants) == level


def test_a_diagram_that_does_not_parse_counts_as_no_diagram() -> None:
    found = pattern_metadata(valid_pattern(orchestratedDiagramMermaid="not a diagram"))
    assert (found.diagram_steps, found.diagram_participants) == (None, None)


def test_priority_combines_the_marginal_flag_and_topic_demand() -> None:
    data = {"industries": ["saas"], "tags": ["incident"]}
    assert priority(True, data, None) == "high"
    assert priority(False, data, None) == "normal"
    assert priority(False, data, {"incident": 0.9}) == "high"
    assert priority(False, data, {"saas": 0.5}) == "normal"
    assert priority(False, data, {"mining": 1.0}) == "low"
    assert priority(True, data, {"mining": 1.0}) == "high"
