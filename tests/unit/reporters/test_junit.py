"""JUnit XML: well-formed, one test case per file, one failure per error, correct counts, and
valid against junit-10.xsd (Jenkins' xUnit plugin): checked in pure Python from the schema
itself (always), and by `xmllint --schema` when it is installed (`.ci/github-tools.sh`)."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

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
    clean_report,
    sample_report,
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
    counts = {"tests": "5", "failures": "3", "errors": "0"}
    assert suite.attrib == {"name": "pubflow validate", **counts, "skipped": "0",
                            "timestamp": "2026-03-04T05:06:07Z"}
    assert root.attrib == {"name": "pubflow", **counts}  # junit-10.xsd: no `skipped` here
    assert child(suite, "properties/property[@name='pubflow.version']").attrib == {
        "name": "pubflow.version", "value": "9.8.7"}


def test_one_testcase_per_file_and_one_failure_per_error(report: ValidationReport) -> None:
    by_name = cases(parse(report))
    assert list(by_name) == [r.file for r in report.files]
    assert all(case.attrib["classname"] == "pubflow" for case in by_name.values())
    assert all(case.attrib["file"] == name for name, case in by_name.items())  # GitLab shows it
    assert {name: case.get("line") for name, case in by_name.items()} == {
        BROKEN: "3", CLEAN: None, MARGINAL: None, FAILING: "12", TRICKY: "7"}
    assert {name: len(case.findall("failure")) for name, case in by_name.items()} == {
        BROKEN: 1, CLEAN: 0, MARGINAL: 0, FAILING: 3, TRICKY: 1}
    assert list(by_name[CLEAN]) == []


def test_failure_carries_message_rule_location_and_hint(report: ValidationReport) -> None:
    failures = cases(parse(report))[FAILING].findall("failure")
    first = failures[0]
    assert first.attrib == {"message": "patterns/incident-escalation.json:12:5: scorecard: "
                                       "dimension 'handoffs' scores 2/5 (minimum 3)",
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
    assert failure.attrib["message"] == f"{TRICKY}:7:3: {TRICKY_MESSAGE}"
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
    assert child(case, "failure").attrib["message"] == r"a\x01.json:1:1: nul\x00 esc\x1b \ud800"


def test_empty_and_clean_reports() -> None:
    empty = parse(ValidationReport(()), ReportOptions())
    assert child(empty, "testsuite").attrib == {
        "name": "pubflow validate", "tests": "0", "failures": "0", "errors": "0",
        "skipped": "0"}
    assert empty.attrib == {"name": "pubflow", "tests": "0", "failures": "0", "errors": "0"}
    clean = parse(ValidationReport((FileResult("a.json"), FileResult("b.json"))))
    assert child(clean, "testsuite").attrib["failures"] == "0"
    assert not list(clean.iter("failure"))


# --- junit-10.xsd ---------------------------------------------------------------------------
# tests/unit/reporters/data/junit-10.xsd is the schema of Jenkins' xUnit plugin (see the
# README beside it for the upstream file and commit).

XSD = Path(__file__).parent / "data" / "junit-10.xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"


def schema_rules() -> dict[str, tuple[set[str], set[str], set[str]]]:
    """Per element of junit-10.xsd: (allowed attributes, required attributes, children)."""
    rules: dict[str, tuple[set[str], set[str], set[str]]] = {}
    for element in ET.parse(XSD).getroot().iter(f"{XS}element"):
        name = element.get("name")
        if name is None:
            continue
        attributes = {a.attrib["name"]: a.get("use") for a in element.iter(f"{XS}attribute")}
        children = {c.attrib["ref"] for c in element.iter(f"{XS}element") if "ref" in c.attrib}
        rules[name] = (set(attributes), {a for a, use in attributes.items() if use == "required"},
                       children)
    return rules


def schema_problems(root: ET.Element) -> list[str]:
    rules = schema_rules()
    problems = [] if root.tag == "testsuites" else [f"root is <{root.tag}>"]
    for element in root.iter():
        allowed, required, children = rules[element.tag]
        problems += [f"<{element.tag}> has no attribute {a}" for a in set(element.attrib) - allowed]
        problems += [f"<{element.tag}> lacks {a}" for a in required - set(element.attrib)]
        problems += [f"<{child.tag}> in <{element.tag}>" for child in element
                     if child.tag not in children]
    return problems


def test_the_schema_reading_finds_what_the_issue_found() -> None:
    rules = schema_rules()
    assert "skipped" not in rules["testsuites"][0] and "skipped" in rules["testsuite"][0]
    assert rules["testcase"][1] == {"name"} and {"file", "line"} <= rules["testcase"][0]
    wrong = ET.fromstring('<testsuites skipped="0"><testsuite name="x"><testcase/></testsuite>'
                          "</testsuites>")
    assert schema_problems(wrong) == ["<testsuites> has no attribute skipped",
                                      "<testsuite> lacks tests", "<testcase> lacks name"]


@pytest.mark.parametrize("options", [OPTIONS, ReportOptions()])
def test_every_report_follows_junit_10_xsd(report: ValidationReport,
                                           options: ReportOptions) -> None:
    for each in (report, ValidationReport(()), ValidationReport((FileResult("a.json"),))):
        assert schema_problems(parse(each, options)) == []


@pytest.mark.skipif(shutil.which("xmllint") is None,
                    reason="xmllint is not installed (apt-get install libxml2-utils, as "
                           ".ci/github-tools.sh does)")
def test_xmllint_validates_the_report_against_junit_10_xsd(report: ValidationReport,
                                                           tmp_path: Path) -> None:
    def xmllint(document: str) -> subprocess.CompletedProcess[str]:
        path = tmp_path / "report.xml"
        path.write_text(document, encoding="utf-8")
        return subprocess.run(["xmllint", "--noout", "--schema", str(XSD), str(path)],
                              capture_output=True, text=True, check=False)

    for each in (report, ValidationReport(())):
        done = xmllint(render(each, OPTIONS))
        assert done.returncode == 0, done.stderr
        assert "validates" in done.stderr
    # The same tool rejects what pubflow wrote before (`skipped` on <testsuites>).
    refused = xmllint(render(report, OPTIONS).replace('<testsuites name="pubflow"',
                                                      '<testsuites name="pubflow" skipped="0"', 1))
    assert refused.returncode != 0 and "skipped" in refused.stderr


def whole_tree(report: ValidationReport, options: ReportOptions) -> str:
    """The document as one ElementTree, written whole (how it was made before issue 19)."""
    from pubflow.reporters import junit

    counts = {"tests": str(len(report.files)),
              "failures": str(sum(1 for r in report.files if not r.ready_for_review)),
              "errors": "0"}
    root = ET.Element("testsuites", {"name": "pubflow", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": junit.SUITE_NAME, **counts,
                                              "skipped": "0"})
    if options.generated_at:
        suite.set("timestamp", options.generated_at)
    if options.tool_version:
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", {"name": "pubflow.version",
                                               "value": options.tool_version})
    for result in report.files:
        suite.append(junit._testcase(result))
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
            + "\n")


@pytest.mark.parametrize("options", [OPTIONS, ReportOptions(),
                                     ReportOptions(generated_at="2026-01-02T03:04:05Z")])
@pytest.mark.parametrize("count", [0, 1, 2, 3, None])
def test_the_document_written_a_case_at_a_time_is_the_whole_trees(
        count: int | None, options: ReportOptions) -> None:
    """Streamed (issue 19: a report of any size is never held), byte for byte the tree."""
    files = tuple(sample_report().files)
    report = ValidationReport(files if count is None else files[:count])
    assert render(report, options) == whole_tree(report, options)
    assert render(clean_report(), options) == whole_tree(clean_report(), options)
