"""Budget findings point at the statement that breaks the budget (issue 17, item 6): the first
actor or step beyond it, the first alt beyond it, the inner alt of a nested pair; at its line
and column in the JSON file (escapes inside the string counted as what they stand for) and
with the diagram line in the message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pubflow.config import Config, DiagramBudgets
from pubflow.findings import Finding
from pubflow.validation.run import check_bytes
from tests.conftest import valid_pattern


def findings(diagram: str, *, ensure_ascii: bool = True, indent: int | None = 2,
             budgets: DiagramBudgets | None = None) -> tuple[str, list[Finding]]:
    raw = json.dumps(valid_pattern(asIsDiagramMermaid=diagram), indent=indent,
                     ensure_ascii=ensure_ascii)
    result = check_bytes(raw.encode(), "patterns/incident-escalation.json",
                         Config(diagrams=budgets or DiagramBudgets()), stem="incident-escalation")
    return raw, [f for f in result.findings if f.pointer == "/asIsDiagramMermaid"]


def at(raw: str, finding: Finding) -> str:
    """The file's text from the finding's line and column on."""
    line = raw.split("\n")[finding.line - 1]
    return line[finding.column - 1:]


def diagram(*lines: str) -> str:
    return "\n".join(["sequenceDiagram", *lines])


def test_an_actor_finding_points_at_the_first_actor_beyond_the_budget() -> None:
    text = diagram(*(f"  participant P{i}" for i in range(7)),
                   "  P0->>P1: hello",
                   '  Note over P1: a "quoted" caf\u00e9 \U0001f600 note',
                   "  P1->>Audit: logged",
                   "  P2->>Billing: later")
    for ensure_ascii in (True, False):
        raw, (finding,) = findings(text, ensure_ascii=ensure_ascii)
        assert finding.rule == "diagram.actor-budget"
        assert finding.message == ("As-Is Diagram exceeds actor budget (9/7): actor 'Audit', "
                                   "the 8th, first appears on diagram line 11")
        assert at(raw, finding).startswith("Audit: logged")
        assert finding.pointer == "/asIsDiagramMermaid"


def test_an_actor_named_first_in_a_declaration_or_a_note() -> None:
    text = diagram(*(f"  participant P{i}" for i in range(7)),
                   "  participant A as P0 alias",
                   "  Note over P0,Zed: zed appears here too")
    raw, (finding,) = findings(text)
    assert "actor 'A', the 8th" in finding.message
    assert at(raw, finding).startswith("A as P0 alias")
    tight = DiagramBudgets(max_actors=8)
    raw, (finding,) = findings(text, budgets=tight)
    assert finding.message.endswith("actor 'Zed', the 9th, first appears on diagram line 10")
    assert at(raw, finding).startswith("Zed: zed")


def test_a_step_finding_points_at_the_first_step_beyond_the_budget() -> None:
    text = diagram("  participant A", "  participant B", "  Note over A: \t\"tab\"",
                   *(f"  A->>B: step {i}" for i in range(1, 20)))
    raw, (finding,) = findings(text)
    assert finding.message == ("As-Is Diagram exceeds step budget (19/18): step 19 is on "
                               "diagram line 23")
    assert at(raw, finding).startswith("A->>B: step 19")


def test_an_alt_budget_finding_points_at_the_first_alt_beyond_it() -> None:
    blocks = [line for i in range(3) for line in
              (f"  alt case {i}", "    A->>B: yes", "  else no", "    B->>A: no", "  end")]
    raw, (finding,) = findings(diagram("  participant A", "  participant B", *blocks))
    assert finding.message == ("As-Is Diagram exceeds alt block budget (3/2): alt block 3 "
                               "opens on diagram line 14")
    assert at(raw, finding).startswith("alt case 2")


@pytest.mark.parametrize("between", [[], ["    loop every minute"]])
def test_nested_alt_points_at_the_inner_alt(between: list[str]) -> None:
    closing = ["    end"] if between else []
    text = diagram("  A->>B: hi", "  alt outer", "    A->>B: first", *between,
                   "    alt inner", "      B->>A: yes", "    end", *closing, "  end")
    raw, (finding,) = findings(text)
    inner = 5 + len(between)
    assert finding.message == ("Diagrams cannot contain nested alt blocks: the alt on As-Is "
                               f"Diagram line {inner} is inside the alt of line 3")
    assert at(raw, finding).startswith("alt inner")


def test_diagram_lines_count_front_matter_and_comments() -> None:
    text = "\n".join(["---", "title: Escalation", "---", "sequenceDiagram", "%% a comment",
                      *(f"  A->>B: step {i}" for i in range(1, 20))])
    raw, (finding,) = findings(text, indent=None)
    assert finding.message.endswith("step 19 is on diagram line 24")
    assert at(raw, finding).startswith("A->>B: step 19")
    assert finding.line == 1  # the whole file on one line: the column does the work


def test_every_budget_finding_of_one_diagram_has_its_own_place() -> None:
    text = diagram("  A->>B: one", "  alt outer", "    alt inner", "      B->>C: two",
                   "    end", "  end")
    tight = DiagramBudgets(max_actors=2, max_steps=1, max_alt_blocks=1)
    raw, found = findings(text, budgets=tight)
    assert [(f.rule, at(raw, f)[:9]) for f in found] == [
        ("diagram.actor-budget", "C: two\\n "),
        ("diagram.step-budget", "B->>C: tw"),
        ("diagram.alt-budget", "alt inner"),
        ("diagram.nested-alt", "alt inner"),
    ]


def test_a_diagram_within_its_budgets_never_builds_the_model(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import pubflow.diagrams.mermaid as mermaid

    def refuse(text: str) -> Any:
        raise AssertionError("the whole model was built")

    monkeypatch.setattr(mermaid, "parse_sequence_diagram", refuse)
    text = diagram("  participant A", "  participant B", "  A->>B: hello", "  B-->>A: done")
    assert findings(text)[1] == []
