"""SARIF: valid against the OASIS 2.1.0 schema, with the fields GitHub code scanning reads."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from pubflow.findings import FileResult, Finding, Severity, ValidationReport
from pubflow.reporters import REPORTER_BY_NAME, ReportOptions
from pubflow.reporters import sarif as sarif_module
from pubflow.reporters.sarif import MAX_GZIP_BYTES, artifact_location, select
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
    # GitHub requires a full description and help for every rule (sarif-multitool's GH2012).
    for rule in rules:
        assert rule["fullDescription"]["text"].startswith(rule["shortDescription"]["text"])
        assert rule["help"]["text"]
    assert by_id["repo.style"]["help"] == {  # its only finding has no hint
        "text": "Repository check: repo.style See the result's message for the place."}
    assert by_id["scorecard.marginal"]["defaultConfiguration"] == {"level": "warning"}


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


# --- GitHub's limits: 25 000 results per run, 10 MB gzipped ------------------------------------


def _many(count: int, severity: Severity = Severity.ERROR, *, prefix: str = "p",
          message: Callable[[int], str] = lambda i: "m") -> list[FileResult]:
    return [FileResult(f"patterns/{prefix}{i:06d}.json",
                       (Finding(f"patterns/{prefix}{i:06d}.json", 1, 1, "/id", "repo.duplicate-id",
                                severity, message(i)),))
            for i in range(count)]


def test_within_the_limits_nothing_is_left_out(report: ValidationReport) -> None:
    run = sarif(report)["runs"][0]
    assert "properties" not in run
    assert "toolExecutionNotifications" not in run["invocations"][0]
    assert select(report.findings).left_out == 0


def test_past_25000_results_the_least_important_are_left_out_and_the_run_says_so() -> None:
    files = [*_many(100, Severity.NOTE, prefix="n"), *_many(24_950, prefix="e"),
             *_many(100, Severity.WARNING, prefix="w")]
    log = sarif(ValidationReport(tuple(files)))
    run = log["runs"][0]
    results = run["results"]
    VALIDATOR.validate({**log, "runs": [{**run, "results": results[:10]}]})  # quicker whole
    assert len(results) == 25_000
    levels = [r["level"] for r in results]
    assert levels.count("error") == 24_950 and levels.count("warning") == 50
    assert "note" not in levels
    # The kept warnings are the first ones, and the results keep the report's order.
    warnings = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in results if r["level"] == "warning"]
    assert warnings == [f"patterns/w{i:06d}.json" for i in range(50)]
    assert run["properties"]["pubflow"] == {
        "resultsLeftOut": 150, "resultsTotal": 25_150,
        "leftOutByLevel": {"error": 0, "warning": 50, "note": 100},
        "fullReport": "the output of `pubflow validate --format json` (the GitHub Action prints "
                      "them all in its job log)"}
    [notification] = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    assert notification["message"]["text"].startswith(
        "150 of 25150 results were left out (50 warning(s), 100 note(s)) to stay within GitHub "
        "code scanning's limits (25000 results per run, 10 MB gzipped)")
    assert run["invocations"][0]["executionSuccessful"] is True


def test_the_full_report_can_be_named_by_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif_module, "MAX_RESULTS", 10)
    options = ReportOptions(full_report="the job log of run 42")
    run = sarif(ValidationReport(tuple(_many(11))), options)["runs"][0]
    assert len(run["results"]) == 10
    assert run["properties"]["pubflow"]["fullReport"] == "the job log of run 42"
    assert run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"].endswith(
        "Every finding is in the job log of run 42.")


def test_past_10_mb_gzipped_results_are_left_out_until_the_log_fits() -> None:
    # 24 000 results of 1 KB of hex noise each: 13 MB gzipped, under the count limit.
    def noise(i: int) -> str:
        return "".join(hashlib.sha512(f"{i}.{j}".encode()).hexdigest() for j in range(8))

    files = tuple(_many(24_000, message=noise))
    text = render(ValidationReport(files), OPTIONS)
    packed = len(gzip.compress(text.encode("utf-8")))
    run = json.loads(text)["runs"][0]
    left_out = run["properties"]["pubflow"]["resultsLeftOut"]
    assert 8_000_000 < packed <= MAX_GZIP_BYTES
    assert 0 < left_out < 24_000 and len(run["results"]) == 24_000 - left_out


def test_selection_keeps_errors_before_warnings_before_notes() -> None:
    findings = [f for r in (*_many(5, Severity.NOTE), *_many(5, Severity.WARNING), *_many(5))
                for f in r.findings]
    chosen = select(findings, max_results=7)
    assert chosen.kept == {Severity.ERROR: 5, Severity.WARNING: 2, Severity.NOTE: 0}
    assert chosen.left_out == 8
    small = select(findings, budget=0)
    assert small.kept == {Severity.ERROR: 0, Severity.WARNING: 0, Severity.NOTE: 0}
