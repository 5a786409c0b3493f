"""GitHub annotations: one workflow command per finding, escaped exactly like @actions/core."""

from __future__ import annotations

import pytest

from pubflow.findings import FileResult, Finding, Severity, ValidationReport
from pubflow.reporters import REPORTER_BY_NAME, ReportOptions
from pubflow.reporters.github import escape_data, escape_property

render = REPORTER_BY_NAME["github"]


def one(finding: Finding) -> str:
    return render(ValidationReport((FileResult(finding.file, (finding,)),)), ReportOptions())


def test_exact_commands(report: ValidationReport) -> None:
    assert render(report, ReportOptions()).splitlines() == [
        "::error file=patterns/broken.json,line=3,col=15,title=json.syntax::expected ',' or '}' "
        "after a member, found '\"'%0AFix the JSON syntax at this place; JSON allows no comments "
        "or trailing commas.",
        "::warning file=patterns/handoff-desk.json,line=14,col=16,title=scorecard.marginal::"
        "scorecard: total 31/40 is marginal (30–32): flagged for priority review%0AIt passes; a "
        "reviewer will look at it first.",
        "::error file=patterns/incident-escalation.json,line=12,col=5,"
        "title=scorecard.dimension-min::scorecard: dimension 'handoffs' scores 2/5 (minimum 3)"
        "%0AStrengthen the pattern's handoffs story until it honestly earns 3/5.",
        "::error file=patterns/incident-escalation.json,line=5,col=16,title=scorecard.total-min::"
        "scorecard: total 28/40 is below 30 — raise: handoffs (2), visibility (3)%0AAdd 2 point(s) "
        "across the weakest dimensions.",
        "::error file=patterns/incident-escalation.json,line=20,col=25,"
        "title=diagram.actor-budget::As-Is Diagram exceeds actor budget (8/7)%0AMerge "
        "participants that play the same role.",
        "::error file=patterns/odd folder/café ünïcode.json,line=7,col=3,"
        "title=schema.unknown-field::unknown field 'a|b': 50%25 off, <b>&amp;</b>%0Asecond line"
        "%0ARemove it: see schemas/pattern.schema.json, section 7 | 100%25",
        "::notice file=patterns/odd folder/café ünïcode.json,line=1,col=1,title=repo.style::"
        "name uses “smart quotes”",
    ]


def test_output_is_one_line_per_finding_and_nothing_else(report: ValidationReport) -> None:
    output = render(report, ReportOptions(verbose=True, tool_version="1.0"))
    assert output.endswith("\n")
    assert output.count("\n") == len(report.findings)


def test_nothing_at_all_when_there_are_no_findings() -> None:
    assert render(ValidationReport((FileResult("a.json"),)), ReportOptions()) == ""


@pytest.mark.parametrize(("severity", "command"), [
    (Severity.ERROR, "::error "), (Severity.WARNING, "::warning "), (Severity.NOTE, "::notice "),
])
def test_severity_to_command(severity: Severity, command: str) -> None:
    assert one(Finding("a.json", 1, 2, "", "x.y", severity, "m")).startswith(command)


def test_no_hint_means_no_second_line() -> None:
    assert one(Finding("a.json", 1, 2, "", "x.y", Severity.ERROR, "just this")) == (
        "::error file=a.json,line=1,col=2,title=x.y::just this\n")


def test_properties_escape_colon_comma_percent_and_line_breaks() -> None:
    finding = Finding("dir:x/a,b 100%.json", 4, 2, "", "x.y", Severity.ERROR, "m")
    assert one(finding) == "::error file=dir%3Ax/a%2Cb 100%25.json,line=4,col=2,title=x.y::m\n"


@pytest.mark.parametrize(("raw", "data", "prop"), [
    ("50%", "50%25", "50%25"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("a: b, c", "a: b, c", "a%3A b%2C c"),
    ("%0A", "%250A", "%250A"),
    ("\ud800", "\ufffd", "\ufffd"),
])
def test_escaping_matches_the_actions_toolkit(raw: str, data: str, prop: str) -> None:
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


def test_a_message_cannot_smuggle_in_another_workflow_command() -> None:
    output = one(Finding("a.json", 1, 1, "", "x.y", Severity.WARNING,
                         "x\n::add-mask::secret\r\n::error::fake", "hint"))
    assert output.count("\n") == 1
    assert output == ("::warning file=a.json,line=1,col=1,title=x.y::x%0A::add-mask::secret%0D%0A"
                      "::error::fake%0Ahint\n")
