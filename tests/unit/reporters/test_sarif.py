"""SARIF: valid against the OASIS 2.1.0 schema, with the fields GitHub code scanning reads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from pubflow.findings import FileResult, Finding, Severity, ValidationReport
from pubflow.reporters import REPORTER_BY_NAME, ReportOptions
from pubflow.reporters.sarif import artifact_location
from tests.unit.reporters.conftest import OPTIONS, TRICKY

render = REPORTER_BY_NAME["sarif"]
OASIS_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json")
                          .read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft7Validator(OASIS_SCHEMA, format_checker=jsonschema.FormatChecker())
URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*")


def sarif(report: ValidationReport, options: ReportOptions = OPTIONS) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render(report, options))
    return data


def single(finding: Finding) -> dict[str, Any]:
    result: dict[str, Any] = sarif(ValidationReport((FileResult(finding.file, (finding,)),)))
    return result


@pytest.mark.parametrize("options", [OPTIONS, ReportOptions()])
def test_validates_against_the_oasis_schema(report: ValidationReport, clean: ValidationReport,
                                            options: ReportOptions) -> None:
    VALIDATOR.validate(sarif(report, options))
    VALIDATOR.validate(sarif(clean, options))
    VALIDATOR.validate(sarif(ValidationReport(()), options))


def test_the_schema_check_can_fail(report: ValidationReport) -> None:
    log = sarif(report)
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(log)


def test_log_and_driver(report: ValidationReport) -> None:
    log = sarif(report)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["informationUri"]) == (
        "pubflow", "9.8.7", "https://github.com/pubflow/pubflow")
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"] == [{"executionSuccessful": True,
                                   "endTimeUtc": "2026-03-04T05:06:07Z"}]


def test_one_rule_per_rule_id_with_help_from_the_hint(report: ValidationReport) -> None:
    rules = sarif(report)["runs"][0]["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert ids == sorted({f.rule for f in report.findings})
    by_id = {rule["id"]: rule for rule in rules}
    assert by_id["scorecard.dimension-min"]["help"] == {
        "text": "Strengthen the pattern's handoffs story until it honestly earns 3/5."}
    assert by_id["scorecard.dimension-min"]["shortDescription"] == {
        "text": "An HQO scorecard dimension is below the minimum."}
    assert by_id["json.syntax"]["shortDescription"] == {"text": "The file is not well-formed JSON."}
    # A rule pubflow does not describe still gets a headline naming its check.
    assert by_id["repo.style"]["shortDescription"] == {"text": "Repository check: repo.style"}
    assert by_id["json.syntax"]["properties"] == {"tags": ["schema"]}
    assert "help" not in by_id["repo.style"]  # its only finding has no hint


def test_results_point_at_file_line_column_and_pointer(report: ValidationReport) -> None:
    run = sarif(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(report.findings)
    for result, finding in zip(run["results"], report.findings, strict=True):
        assert result["ruleId"] == finding.rule
        assert rules[result["ruleIndex"]]["id"] == finding.rule
        assert result["level"] == finding.severity.value
        assert result["message"] == {"text": finding.message}
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert unquote(physical["artifactLocation"]["uri"]) == finding.file
        assert physical["region"] == {"startLine": finding.line, "startColumn": finding.column}
        assert result["properties"]["pointer"] == finding.pointer
        assert result["properties"].get("hint", "") == finding.hint


def test_uris_are_percent_encoded_references(report: ValidationReport) -> None:
    results = sarif(report)["runs"][0]["results"]
    tricky = next(r for r in results
                  if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                  .startswith("patterns/odd"))
    uri = tricky["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "patterns/odd%20folder/caf%C3%A9%20%C3%BCn%C3%AFcode.json"
    assert unquote(uri) == TRICKY


@pytest.mark.parametrize(("path", "uri"), [
    ("patterns/a.json", "patterns/a.json"),
    ("patterns/a b#1?.json", "patterns/a%20b%231%3F.json"),
    ("c:odd/x.json", "c%3Aodd/x.json"),  # would otherwise read as the scheme "c:"
    ("patterns/100%.json", "patterns/100%25.json"),
    ("patterns/back\\slash.json", "patterns/back%5Cslash.json"),  # a legal POSIX file name
    ("patterns/bad-\udcff.json", "patterns/bad-%FF.json"),  # undecodable byte on disk
])
def test_relative_paths_become_uri_references(path: str, uri: str) -> None:
    location = artifact_location(path)
    assert location == {"uri": uri, "uriBaseId": "%SRCROOT%"}
    assert URI_REFERENCE.fullmatch(location["uri"])


@pytest.mark.parametrize(("path", "uri"), [
    ("/home/me/other repo/p.json", "file:///home/me/other%20repo/p.json"),
    ("C:/work/p.json", "file:///C:/work/p.json"),
])
def test_absolute_paths_become_file_uris_without_a_base(path: str, uri: str) -> None:
    assert artifact_location(path) == {"uri": uri}
    log = single(Finding(path, 1, 1, "", "file.outside-repo", Severity.ERROR, "outside"))
    VALIDATOR.validate(log)


def test_fingerprints_follow_rule_file_and_pointer_but_not_the_line() -> None:
    base = Finding("p.json", 3, 4, "/scorecard/handoffs", "scorecard.dimension-min",
                   Severity.ERROR, "m")

    def fingerprint(finding: Finding) -> str:
        value: str = single(finding)["runs"][0]["results"][0]["partialFingerprints"][
            "pubflowFinding/v1"]
        return value

    original = fingerprint(base)
    assert re.fullmatch(r"[0-9a-f]{64}", original)
    moved = Finding(base.file, 40, 1, base.pointer, base.rule, base.severity, "other words")
    assert fingerprint(moved) == original
    for changed in (
        Finding("q.json", 3, 4, base.pointer, base.rule, base.severity, "m"),
        Finding(base.file, 3, 4, "/scorecard/visibility", base.rule, base.severity, "m"),
        Finding(base.file, 3, 4, base.pointer, "scorecard.total-min", base.severity, "m"),
    ):
        assert fingerprint(changed) != original


def test_version_and_invocation_are_left_out_when_unknown(report: ValidationReport) -> None:
    run = sarif(report, ReportOptions())["runs"][0]
    assert "version" not in run["tool"]["driver"]
    assert "invocations" not in run


def test_a_clean_run_reports_an_empty_result_list(clean: ValidationReport) -> None:
    passing = ValidationReport(tuple(FileResult(r.file) for r in clean.files))
    run = sarif(passing)["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
