"""Text: compiler-style lines editors can jump to, a summary line, colour only when asked."""

from __future__ import annotations

import re

import pytest

from pubflow.findings import FileResult, Finding, PatternFacts, Severity, ValidationReport
from pubflow.reporters import REPORTER_BY_NAME, ReportOptions
from tests.unit.reporters.conftest import CLEAN, DIMENSION_MIN, FAILING

render = REPORTER_BY_NAME["text"]
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
COMPILER_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): "
                           r"(?P<severity>error|warning|note)\[(?P<rule>[^\]]+)\] (?P<message>.+)$")

EXPECTED = """\
patterns/broken.json:3:15: error[json.syntax] expected ',' or '}' after a member, found '"'
  hint: Fix the JSON syntax at this place; JSON allows no comments or trailing commas.
patterns/handoff-desk.json:14:16: warning[scorecard.marginal] scorecard: total 31/40 is marginal (30–32): flagged for priority review
  hint: It passes; a reviewer will look at it first.
patterns/incident-escalation.json:12:5: error[scorecard.dimension-min] scorecard: dimension 'handoffs' scores 2/5 (minimum 3)
  hint: Strengthen the pattern's handoffs story until it honestly earns 3/5.
patterns/incident-escalation.json:5:16: error[scorecard.total-min] scorecard: total 28/40 is below 30 — raise: handoffs (2), visibility (3)
  hint: Add 2 point(s) across the weakest dimensions.
patterns/incident-escalation.json:20:25: error[diagram.actor-budget] As-Is Diagram exceeds actor budget (8/7)
  hint: Merge participants that play the same role.
patterns/odd folder/café ünïcode.json:7:3: error[schema.unknown-field] unknown field 'a|b': 50% off, <b>&amp;</b>
  second line
  hint: Remove it: see schemas/pattern.schema.json, section 7 | 100%
patterns/odd folder/café ünïcode.json:1:1: note[repo.style] name uses “smart quotes”
5 errors, 1 warning, 1 note in 4 of 5 files; 2 patterns ready for review, 1 marginal
"""


def test_exact_output(report: ValidationReport) -> None:
    assert render(report, ReportOptions()) == EXPECTED


def test_the_spec_example_line_is_reproduced_exactly() -> None:
    report = ValidationReport((FileResult(FAILING, (DIMENSION_MIN,)),))
    lines = render(report, ReportOptions()).splitlines()
    assert lines[0] == ("patterns/incident-escalation.json:12:5: error[scorecard.dimension-min] "
                        "scorecard: dimension 'handoffs' scores 2/5 (minimum 3)")
    assert lines[1] == ("  hint: Strengthen the pattern's handoffs story until it honestly "
                        "earns 3/5.")


def test_every_finding_starts_exactly_one_parseable_line(report: ValidationReport) -> None:
    lines = render(report, ReportOptions()).splitlines()
    parsed = [m.groupdict() for line in lines if (m := COMPILER_LINE.match(line))]
    expected = [(f.file, str(f.line), str(f.column), f.severity.value, f.rule)
                for f in report.findings]
    assert [(p["file"], p["line"], p["col"], p["severity"], p["rule"]) for p in parsed] == expected
    # Continuation lines (multi-line messages, hints) never look like a finding.
    assert all(line.startswith("  ") for line in lines[:-1] if not COMPILER_LINE.match(line))


def test_no_escape_codes_without_colour(report: ValidationReport) -> None:
    for options in (ReportOptions(), ReportOptions(verbose=True), ReportOptions(quiet=True)):
        assert "\x1b" not in render(report, options)


def test_colour_paints_severity_location_and_hint(report: ValidationReport) -> None:
    output = render(report, ReportOptions(color=True))
    assert "\x1b[1mpatterns/broken.json:3:15:\x1b[0m \x1b[1;31merror\x1b[0m[json.syntax]" in output
    assert "\x1b[1;33mwarning\x1b[0m[scorecard.marginal]" in output
    assert "\x1b[1;36mnote\x1b[0m[repo.style]" in output
    assert "\x1b[2m  hint: It passes; a reviewer will look at it first.\x1b[0m" in output
    assert ANSI_ESCAPE.sub("", output) == EXPECTED


def test_colour_summary_is_green_when_passed(clean: ValidationReport) -> None:
    last = render(clean, ReportOptions(color=True)).splitlines()[-1]
    assert last.startswith("\x1b[1;32m") and last.endswith("\x1b[0m")


def test_escape_sequences_inside_messages_are_neutralised() -> None:
    hostile = Finding("p.json", 1, 1, "", "schema.type", Severity.ERROR,
                      "field '\x1b[2J\x1b]0;pwned\x07' \x9b31m \ud800", "fix\x1b[0m it")
    output = render(ValidationReport((FileResult("p.json", (hostile,)),)), ReportOptions())
    assert "\x1b" not in output and "\x07" not in output and "\x9b" not in output
    assert r"field '\x1b[2J\x1b]0;pwned\x07' \x9b31m \ud800" in output
    output.encode("utf-8")  # a lone surrogate would make saving the report fail


def test_a_newline_in_a_file_name_cannot_fake_a_finding() -> None:
    finding = Finding("a\nb.json:1:1: error[x.y] fake", 2, 3, "", "schema.type", Severity.ERROR,
                      "real")
    output = render(ValidationReport((FileResult(finding.file, (finding,)),)), ReportOptions())
    assert output.splitlines()[0] == r"a\x0ab.json:1:1: error[x.y] fake:2:3: error[schema.type] real"


def test_quiet_keeps_problems_and_the_failing_summary(report: ValidationReport) -> None:
    lines = render(report, ReportOptions(quiet=True)).splitlines()
    assert "note[repo.style]" not in "\n".join(lines)
    assert lines == [line for line in EXPECTED.splitlines() if "note[repo.style]" not in line]


def test_quiet_prints_warnings_but_no_summary_when_clean(clean: ValidationReport) -> None:
    assert render(clean, ReportOptions(quiet=True)) == (
        "patterns/handoff-desk.json:14:16: warning[scorecard.marginal] scorecard: total 31/40 "
        "is marginal (30–32): flagged for priority review\n"
        "  hint: It passes; a reviewer will look at it first.\n"
    )


def test_quiet_prints_nothing_at_all_when_there_is_nothing_to_say() -> None:
    report = ValidationReport((FileResult(CLEAN, (), PatternFacts("clean-pattern")),))
    assert render(report, ReportOptions(quiet=True)) == ""


def test_verbose_lists_every_file_with_its_check_status(report: ValidationReport) -> None:
    lines = render(report, ReportOptions(verbose=True)).splitlines()
    assert lines[0] == ("patterns/broken.json: validation failed; schema: fail, "
                        "scorecard: skipped, diagrams: skipped, repository: skipped")
    assert ("patterns/clean-pattern.json: ready for review; schema: pass, scorecard: pass, "
            "diagrams: pass, repository: pass; score 36/40") in lines
    assert ("patterns/handoff-desk.json: ready for review; schema: pass, scorecard: warn, "
            "diagrams: pass, repository: pass; score 31/40 (marginal: priority review)") in lines
    # Each file's findings follow its own status line.
    status = lines.index("patterns/incident-escalation.json: validation failed; schema: pass, "
                         "scorecard: fail, diagrams: fail, repository: pass; score 28/40")
    assert lines[status + 1].startswith("patterns/incident-escalation.json:12:5: error")
    assert lines[-1] == EXPECTED.splitlines()[-1]


def _result(file: str, *severities: Severity, marginal: bool = False) -> FileResult:
    findings = tuple(Finding(file, 1, 1, "", "schema.type", s, "m") for s in severities)
    return FileResult(file, findings, PatternFacts(marginal=marginal))


E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE


@pytest.mark.parametrize(("results", "summary"), [
    ((), "no files checked"),
    ((_result("a"),), "1 file checked: all passed; 1 ready for review"),
    ((_result("a"), _result("b"), _result("c", W, marginal=True)),
     "3 files checked: all passed with 1 warning; 3 ready for review, 1 marginal"),
    ((_result("a", W, W, N),), "1 file checked: all passed with 2 warnings, 1 note; 1 ready for review"),
    ((_result("a", E, E, W), _result("b"), _result("c")),
     "2 errors, 1 warning in 1 of 3 files; 2 patterns ready for review"),
    ((_result("a", E),), "1 error in 1 of 1 file; 0 patterns ready for review"),
    ((_result("a", E), _result("b", W, marginal=True)),
     "1 error, 1 warning in 2 of 2 files; 1 pattern ready for review, 1 marginal"),
])
def test_summary_line(results: tuple[FileResult, ...], summary: str) -> None:
    output = render(ValidationReport(results), ReportOptions())
    assert output.splitlines()[-1] == summary
