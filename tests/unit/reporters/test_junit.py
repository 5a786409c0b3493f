"""JUnit XML: well-formed, one test case per file, one failure per error, correct counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pubflow.findings import FileResult, Finding, Severity, ValidationReport
from pubflow.reporters import REPORTER_BY_NAME, ReportOptions
from tests.unit.reporters.conftest import (
    BROKEN,
    CLEAN,
    FAILING,
    MARGINAL,
    OPTIONS,
    TRICKY,
    TRICKY_HINT,
    TRICKY_MESSAGE,
)

render = REPORTER_BY_NAME["junit"]


def parse(report: ValidationReport, options: ReportOptions = OPTIONS) -> ET.Element:
    output = render(report, options)
    assert output.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert output.endswith("\n")
    return ET.fromstring(output.encode("utf-8"))


def child(element: ET.Element, path: str) -> ET.Element:
    found = element.find(path)
    assert found is not None, path
    return found


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.attrib["name"]: case for case in root.iter("testcase")}


def test_one_suite_with_correct_counts(report: ValidationReport) -> None:
    root = parse(report)
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    counts = {"tests": "5", "failures": "3", "errors": "0", "skipped": "0"}
    assert suite.attrib == {"name": "pubflow validate", **counts,
                            "timestamp": "2026-03-04T05:06:07Z"}
    assert {k: root.attrib[k] for k in counts} == counts
    assert child(suite, "properties/property[@name='pubflow.version']").attrib == {
        "name": "pubflow.version", "value": "9.8.7"}


def test_one_testcase_per_file_and_one_failure_per_error(report: ValidationReport) -> None:
    by_name = cases(parse(report))
    assert list(by_name) == [r.file for r in report.files]
    assert all(case.attrib["classname"] == "pubflow" for case in by_name.values())
    assert {name: len(case.findall("failure")) for name, case in by_name.items()} == {
        BROKEN: 1, CLEAN: 0, MARGINAL: 0, FAILING: 3, TRICKY: 1}
    assert list(by_name[CLEAN]) == []


def test_failure_carries_message_rule_location_and_hint(report: ValidationReport) -> None:
    failures = cases(parse(report))[FAILING].findall("failure")
    first = failures[0]
    assert first.attrib == {"message": "scorecard: dimension 'handoffs' scores 2/5 (minimum 3)",
                            "type": "scorecard.dimension-min"}
    assert first.text == (
        "patterns/incident-escalation.json:12:5: error[scorecard.dimension-min] scorecard: "
        "dimension 'handoffs' scores 2/5 (minimum 3)\n"
        "  hint: Strengthen the pattern's handoffs story until it honestly earns 3/5.")
    assert [f.attrib["type"] for f in failures] == [
        "scorecard.dimension-min", "scorecard.total-min", "diagram.actor-budget"]


def test_special_characters_survive_the_round_trip(report: ValidationReport) -> None:
    case = cases(parse(report))[TRICKY]
    [failure] = case.findall("failure")
    assert failure.attrib["message"] == TRICKY_MESSAGE
    assert failure.text is not None
    assert TRICKY_HINT in failure.text and "<b>&amp;</b>" in failure.text


def test_warnings_and_notes_go_to_system_out(report: ValidationReport) -> None:
    by_name = cases(parse(report))
    marginal_out = by_name[MARGINAL].findtext("system-out")
    assert marginal_out is not None
    assert marginal_out.startswith(
        "patterns/handoff-desk.json:14:16: warning[scorecard.marginal] scorecard: total 31/40")
    assert by_name[TRICKY].findtext("system-out") == (
        f"{TRICKY}:1:1: note[repo.style] name uses “smart quotes”")
    assert by_name[FAILING].find("system-out") is None


def test_characters_xml_cannot_hold_do_not_break_the_document() -> None:
    finding = Finding("a\x01.json", 1, 1, "", "x.y", Severity.ERROR, "nul\x00 esc\x1b \ud800")
    root = parse(ValidationReport((FileResult(finding.file, (finding,)),)))
    case = next(root.iter("testcase"))
    assert case.attrib["name"] == r"a\x01.json"
    assert child(case, "failure").attrib["message"] == r"nul\x00 esc\x1b \ud800"


def test_empty_and_clean_reports() -> None:
    empty = parse(ValidationReport(()), ReportOptions())
    assert child(empty, "testsuite").attrib == {
        "name": "pubflow validate", "tests": "0", "failures": "0", "errors": "0",
        "skipped": "0"}
    clean = parse(ValidationReport((FileResult("a.json"), FileResult("b.json"))))
    assert child(clean, "testsuite").attrib["failures"] == "0"
    assert not list(clean.iter("failure"))
