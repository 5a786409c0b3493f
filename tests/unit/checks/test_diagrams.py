"""The diagram check: both diagram fields parse as Mermaid sequence diagrams and stay within
the budgets, each problem pointing at its field and, for parse errors, the line in it."""

from __future__ import annotations

from typing import Any

import pytest

from pubflow.checks.base import CheckContext
from pubflow.checks.diagrams import DiagramCheck
from pubflow.config import Config, DiagramBudgets
from pubflow.findings import Issue, Severity
from tests.conftest import AS_IS, ORCHESTRATED, valid_pattern

PARSE_HINT = "Mermaid must accept the diagram; try it in the Mermaid live editor."


def check(data: Any, budgets: DiagramBudgets | None = None) -> list[Issue]:
    config = Config(diagrams=budgets or DiagramBudgets())
    return list(DiagramCheck()(data, CheckContext(config=config, file_stem="x")))


def actors(count: int) -> str:
    lines = ["sequenceDiagram"] + [f"  participant P{i}" for i in range(count)]
    return "\n".join([*lines, "  P0->>P1: hello"])


def steps(count: int) -> str:
    return "\n".join(["sequenceDiagram", "  participant A", "  participant B",
                      *(f"  A->>B: step {i}" for i in range(count))])


NESTED = """sequenceDiagram
  A->>B: hi
  alt outer
    alt inner
      B->>A: yes
    end
  end"""


def test_the_valid_pattern_has_no_diagram_issue() -> None:
    assert check(valid_pattern()) == []


def test_a_parse_error_points_at_its_line_in_the_field() -> None:
    broken = "sequenceDiagram\n  participant A\n  A->>B hello"
    (issue,) = check(valid_pattern(orchestratedDiagramMermaid=broken))
    assert issue == Issue(
        "/orchestratedDiagramMermaid", "diagram.parse-error",
        "Orchestrated Diagram does not parse: line 3: unexpected end of line after "
        "'A->>B hello' (expected ':' and a message text, e.g. 'A->>B hello: hello')",
        PARSE_HINT, Severity.ERROR, line_in_string=3)


def test_the_error_kind_becomes_the_rule() -> None:
    (issue,) = check({"asIsDiagramMermaid": "flowchart TD\n  A-->B"})
    assert (issue.rule, issue.line_in_string) == ("diagram.wrong-diagram-type", 1)
    assert issue.message.startswith("As-Is Diagram does not parse: line 1: this is a flowchart")


def test_both_fields_are_checked_in_order() -> None:
    issues = check({"asIsDiagramMermaid": actors(8), "orchestratedDiagramMermaid": "nonsense"})
    assert [(i.pointer, i.rule) for i in issues] == [
        ("/asIsDiagramMermaid", "diagram.actor-budget"),
        ("/orchestratedDiagramMermaid", "diagram.no-diagram-type")]


@pytest.mark.parametrize("value", [None, "", "   \n", 5, ["sequenceDiagram"]])
def test_missing_or_empty_diagrams_are_left_to_the_schema(value: Any) -> None:
    data = valid_pattern()
    data["asIsDiagramMermaid"] = value
    assert check(data) == []
    del data["asIsDiagramMermaid"]
    assert check(data) == []


def test_a_document_that_is_not_an_object_has_no_diagram_issue() -> None:
    assert check([AS_IS]) == []
    assert check(AS_IS) == []


def test_the_budgets_come_from_the_configuration() -> None:
    data = {"asIsDiagramMermaid": actors(8), "orchestratedDiagramMermaid": NESTED}
    assert [i.rule for i in check(data)] == ["diagram.actor-budget", "diagram.nested-alt"]
    roomy = DiagramBudgets(max_actors=8, allow_nested_alt=True)
    assert check(data, roomy) == []
    tight = DiagramBudgets(max_steps=3)
    (issue,) = check({"asIsDiagramMermaid": ORCHESTRATED}, tight)
    assert (issue.rule, issue.message) == (
        "diagram.step-budget",
        "As-Is Diagram exceeds step budget (5/3): step 4 is on diagram line 10")


def test_budget_issues_point_at_the_statement_that_breaks_the_budget() -> None:
    (issue,) = check({"asIsDiagramMermaid": steps(19)})
    assert (issue.pointer, issue.line_in_string, issue.at_key) == (
        "/asIsDiagramMermaid", 22, False)
    assert getattr(issue.line_in_string, "column", None) == 3
    assert issue.message == "As-Is Diagram exceeds step budget (19/18): step 19 is on diagram line 22"
    assert DiagramCheck.name == "diagrams"
