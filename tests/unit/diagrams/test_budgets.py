"""The diagram budgets and their messages, worded exactly as the specification words them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pubflow.config import DiagramBudgets
from pubflow.diagrams.budgets import DIAGRAM_FIELDS, budget_issues
from pubflow.diagrams.mermaid import sequence_diagram_counts
from pubflow.findings import Issue, Severity
from tests.conftest import AS_IS


@dataclass(frozen=True)
class Counts:
    actor_count: int = 3
    step_count: int = 6
    alt_blocks: int = 1
    nested_alt: bool = False


DEFAULT = DiagramBudgets()


def issues(counts: Counts, budgets: DiagramBudgets = DEFAULT,
           title: str = "As-Is Diagram") -> list[Issue]:
    return list(budget_issues(counts, title, "/asIsDiagramMermaid", budgets))


def test_the_diagram_fields_and_their_titles() -> None:
    assert DIAGRAM_FIELDS == {"asIsDiagramMermaid": "As-Is Diagram",
                              "orchestratedDiagramMermaid": "Orchestrated Diagram"}
    assert (DEFAULT.max_actors, DEFAULT.max_steps, DEFAULT.max_alt_blocks,
            DEFAULT.allow_nested_alt) == (7, 18, 2, False)


def test_at_the_limits_there_is_no_issue() -> None:
    assert issues(Counts(actor_count=7, step_count=18, alt_blocks=2)) == []


@pytest.mark.parametrize(("counts", "rule", "message", "hint"), [
    (Counts(actor_count=8), "diagram.actor-budget", "As-Is Diagram exceeds actor budget (8/7)",
     "Merge participants that play the same role, or split the story into two patterns."),
    (Counts(step_count=19), "diagram.step-budget", "As-Is Diagram exceeds step budget (19/18)",
     "Keep the messages that carry the story; fold routine exchanges into one step."),
    (Counts(alt_blocks=3), "diagram.alt-budget", "As-Is Diagram exceeds alt block budget (3/2)",
     "Show the main path; describe rare branches in the Markdown instead."),
    (Counts(nested_alt=True), "diagram.nested-alt", "Diagrams cannot contain nested alt blocks",
     "Flatten the inner alt into the outer one's branches, or move it to a separate diagram."),
])
def test_each_budget_has_its_spec_message(counts: Counts, rule: str, message: str,
                                          hint: str) -> None:
    assert issues(counts) == [Issue("/asIsDiagramMermaid", rule, message, hint, Severity.ERROR)]


def test_every_exceeded_budget_is_reported_in_order() -> None:
    found = issues(Counts(actor_count=9, step_count=40, alt_blocks=4, nested_alt=True),
                   title="Orchestrated Diagram")
    assert [i.message for i in found] == [
        "Orchestrated Diagram exceeds actor budget (9/7)",
        "Orchestrated Diagram exceeds step budget (40/18)",
        "Orchestrated Diagram exceeds alt block budget (4/2)",
        "Diagrams cannot contain nested alt blocks",
    ]


def test_configured_budgets_are_named_in_the_message() -> None:
    tight = DiagramBudgets(max_actors=2, max_steps=5, max_alt_blocks=0, allow_nested_alt=True)
    assert [i.message for i in issues(Counts(nested_alt=True), tight)] == [
        "As-Is Diagram exceeds actor budget (3/2)",
        "As-Is Diagram exceeds step budget (6/5)",
        "As-Is Diagram exceeds alt block budget (1/0)",
    ]


def test_budgets_read_the_parser_counts() -> None:
    counts = sequence_diagram_counts(AS_IS)
    tight = DiagramBudgets(max_actors=2, max_steps=5, max_alt_blocks=0)
    assert [i.message for i in issues(counts, tight)] == [
        "As-Is Diagram exceeds actor budget (3/2)",
        "As-Is Diagram exceeds step budget (6/5)",
        "As-Is Diagram exceeds alt block budget (1/0)",
    ]
