"""Validation reports built from real `Finding`s, covering what reporters must survive.

Every format is tested against the same report: several files, errors and warnings, a
marginal score, a file that is not even JSON, and a file whose path and message hold the
characters each format has to escape (`:` `,` `%` newline `|` `<&>`, Unicode, a space).
"""

from __future__ import annotations

import pytest

from pubflow.findings import FileResult, Finding, PatternFacts, Severity, ValidationReport
from pubflow.reporters import ReportOptions

FAILING = "patterns/incident-escalation.json"
MARGINAL = "patterns/handoff-desk.json"
CLEAN = "patterns/clean-pattern.json"
BROKEN = "patterns/broken.json"
TRICKY = "patterns/odd folder/café ünïcode.json"

TRICKY_MESSAGE = "unknown field 'a|b': 50% off, <b>&amp;</b>\nsecond line"
TRICKY_HINT = "Remove it: see schemas/pattern.schema.json, section 7 | 100%"

DIMENSION_MIN = Finding(
    FAILING, 12, 5, "/scorecard/handoffs", "scorecard.dimension-min", Severity.ERROR,
    "scorecard: dimension 'handoffs' scores 2/5 (minimum 3)",
    "Strengthen the pattern's handoffs story until it honestly earns 3/5.",
)
TOTAL_MIN = Finding(
    FAILING, 5, 16, "/scorecard", "scorecard.total-min", Severity.ERROR,
    "scorecard: total 28/40 is below 30 — raise: handoffs (2), visibility (3)",
    "Add 2 point(s) across the weakest dimensions.",
)
ACTOR_BUDGET = Finding(
    FAILING, 20, 25, "/asIsDiagramMermaid", "diagram.actor-budget", Severity.ERROR,
    "As-Is Diagram exceeds actor budget (8/7)",
    "Merge participants that play the same role.",
)
MARGINAL_WARNING = Finding(
    MARGINAL, 14, 16, "/scorecard", "scorecard.marginal", Severity.WARNING,
    "scorecard: total 31/40 is marginal (30–32): flagged for priority review",
    "It passes; a reviewer will look at it first.",
)
SYNTAX_ERROR = Finding(
    BROKEN, 3, 15, "", "json.syntax", Severity.ERROR,
    "expected ',' or '}' after a member, found '\"'",
    "Fix the JSON syntax at this place; JSON allows no comments or trailing commas.",
)
TRICKY_ERROR = Finding(
    TRICKY, 7, 3, "/a|b", "schema.unknown-field", Severity.ERROR, TRICKY_MESSAGE, TRICKY_HINT,
)
TRICKY_NOTE = Finding(TRICKY, 1, 1, "", "repo.style", Severity.NOTE, "name uses “smart quotes”")


def sample_report() -> ValidationReport:
    return ValidationReport((
        FileResult(BROKEN, (SYNTAX_ERROR,)),
        FileResult(CLEAN, (), PatternFacts("clean-pattern", "Clean Pattern", "2.0.0", (), 36)),
        FileResult(MARGINAL, (MARGINAL_WARNING,),
                   PatternFacts("handoff-desk", "Handoff Desk", "1.0.0", (), 31, marginal=True)),
        FileResult(FAILING, (DIMENSION_MIN, TOTAL_MIN, ACTOR_BUDGET),
                   PatternFacts("incident-escalation", "Incident | Escalation", "1.2.0", (), 28)),
        FileResult(TRICKY, (TRICKY_ERROR, TRICKY_NOTE),
                   PatternFacts("cafe", "Café <Ünïcode>", "0.1.0-beta.1", (), 33)),
    ))


def clean_report() -> ValidationReport:
    return ValidationReport((
        FileResult(CLEAN, (), PatternFacts("clean-pattern", "Clean Pattern", "2.0.0", (), 36)),
        FileResult(MARGINAL, (MARGINAL_WARNING,),
                   PatternFacts("handoff-desk", "Handoff Desk", "1.0.0", (), 31, marginal=True)),
    ))


@pytest.fixture
def report() -> ValidationReport:
    return sample_report()


@pytest.fixture
def clean() -> ValidationReport:
    return clean_report()


OPTIONS = ReportOptions(tool_version="9.8.7", generated_at="2026-03-04T05:06:07Z")
