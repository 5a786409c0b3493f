"""JSON: the documented, versioned shape, checked against the schema pubflow ships."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import jsonschema
import pytest

from pubflow.findings import FileResult, Finding, Severity, ValidationReport
from pubflow.reporters import REPORTER_BY_NAME, ReportOptions
from pubflow.storage.schemas import load_schema
from tests.unit.reporters.conftest import BROKEN, FAILING, MARGINAL, OPTIONS, TRICKY

render = REPORTER_BY_NAME["json"]
SCHEMA = load_schema("validate-report.schema.json")
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def document(report: ValidationReport, options: ReportOptions = OPTIONS) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render(report, options))
    return data


def by_file(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["file"]: p for p in data["patterns"]}


def test_the_report_schema_is_valid_draft_07() -> None:
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_output_validates_against_the_report_schema(report: ValidationReport,
                                                   clean: ValidationReport) -> None:
    for options in (OPTIONS, ReportOptions()):
        VALIDATOR.validate(document(report, options))
        VALIDATOR.validate(document(clean, options))
    VALIDATOR.validate(document(ValidationReport(())))


def test_top_level_and_summary(report: ValidationReport) -> None:
    data = document(report)
    assert list(data) == ["schemaVersion", "tool", "generatedAt", "summary", "patterns"]
    assert data["schemaVersion"] == 1
    assert data["tool"] == {"name": "pubflow", "version": "9.8.7"}
    assert datetime.fromisoformat(data["generatedAt"]).utcoffset() is not None
    assert data["summary"] == {"files": 5, "errors": 5, "warnings": 1, "passed": False,
                               "readyForReview": 2, "marginal": 1}


def test_generated_at_is_omitted_when_not_supplied(report: ValidationReport) -> None:
    assert "generatedAt" not in document(report, ReportOptions(tool_version="1"))


def test_pattern_entries(report: ValidationReport) -> None:
    patterns = by_file(document(report))
    assert list(patterns) == [r.file for r in report.files]
    failing = patterns[FAILING]
    assert list(failing) == ["file", "id", "name", "version", "readyForReview", "status",
                             "marginal", "scoreTotal", "checks", "errors", "warnings", "findings",
                             "metadata"]
    assert failing | {"findings": None, "metadata": None} == {
        "file": FAILING, "id": "incident-escalation", "name": "Incident | Escalation",
        "version": "1.2.0", "readyForReview": False, "status": "validation_failed",
        "marginal": False, "scoreTotal": 28,
        "checks": {"schema": "pass", "scorecard": "fail", "diagrams": "fail",
                   "repository": "pass"},
        "errors": 3, "warnings": 0, "findings": None, "metadata": None,
    }
    marginal = patterns[MARGINAL]
    assert (marginal["readyForReview"], marginal["status"], marginal["marginal"]) == (
        True, "ready_for_review", True)
    assert marginal["checks"]["scorecard"] == "warn"
    broken = patterns[BROKEN]
    assert (broken["id"], broken["scoreTotal"], broken["checks"]) == (None, None, {
        "schema": "fail", "scorecard": "skipped", "diagrams": "skipped",
        "repository": "skipped"})


def test_findings_round_trip_exactly(report: ValidationReport) -> None:
    patterns = by_file(document(report))
    for result in report.files:
        back = tuple(Finding.from_dict(f) for f in patterns[result.file]["findings"])
        assert back == result.findings
    tricky = patterns[TRICKY]["findings"][0]
    assert tricky["message"] == "unknown field 'a|b': 50% off, <b>&amp;</b>\nsecond line"


def test_output_is_stable_readable_utf8_with_a_final_newline(report: ValidationReport) -> None:
    output = render(report, OPTIONS)
    assert output == render(report, OPTIONS)
    assert output.endswith("}\n")
    assert '\n  "schemaVersion": 1,' in output  # two-space indent
    assert "café ünïcode" in output  # not \u-escaped
    output.encode("utf-8")


def test_a_lone_surrogate_becomes_a_replacement_character() -> None:
    finding = Finding("a.json", 1, 1, "/\ud800", "schema.unknown-field", Severity.ERROR,
                      "unknown field '\ud800'")
    output = render(ValidationReport((FileResult("a.json", (finding,)),)), ReportOptions())
    output.encode("utf-8")
    assert json.loads(output)["patterns"][0]["findings"][0]["message"] == "unknown field '\ufffd'"


@pytest.mark.parametrize("path", [
    [], ["summary"], ["tool"], ["patterns", 0], ["patterns", 0, "checks"],
    ["patterns", 0, "findings", 0],
])
def test_the_schema_describes_every_key_and_nothing_more(report: ValidationReport,
                                                         path: list[Any]) -> None:
    data = document(report)
    target: Any = data
    for key in path:
        target = target[key]
    target["unexpected"] = 1
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(data)
    del target["unexpected"]
    for key in list(target):
        if key == "generatedAt":
            continue  # the one optional member
        removed = target.pop(key)
        with pytest.raises(jsonschema.ValidationError):
            VALIDATOR.validate(data)
        target[key] = removed


@pytest.mark.parametrize(("index", "changes"), [
    (0, {"status": "ready"}),
    (0, {"status": "ready_for_review"}),
    (0, {"readyForReview": True}),
    (1, {"status": "validation_failed"}),
    (1, {"errors": 1}),
    (1, {"checks": {"schema": "ok", "scorecard": "pass", "diagrams": "pass",
                    "repository": "pass"}}),
])
def test_the_schema_rejects_inconsistent_verdicts(report: ValidationReport, index: int,
                                                  changes: dict[str, Any]) -> None:
    data = document(report)
    data["patterns"][index].update(changes)
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(data)
