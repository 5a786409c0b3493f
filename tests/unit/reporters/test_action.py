"""Annotations in order of importance within GitHub's limits; a summary under 1 MiB."""

from __future__ import annotations

from pathlib import Path

from pubflow.findings import FileResult, Finding, Severity, ValidationReport
from pubflow.reporters import ReportOptions
from pubflow.reporters.action import SUMMARY_LIMIT, append_outputs, build


def report_with(files: int, per_file: int, severity: Severity = Severity.ERROR) -> ValidationReport:
    results = []
    for n in range(files):
        name = f"patterns/pattern-{n:05d}.json"
        findings = tuple(Finding(name, line + 1, 5, "/scorecard/handoffs", "scorecard.dimension-min",
                                 severity, "scorecard: dimension 'handoffs' scores 2/5 (minimum 3) "
                                 + "x" * 80, "Raise the score.") for line in range(per_file))
        results.append(FileResult(name, findings))
    return ValidationReport(tuple(results))


def test_errors_come_first_and_each_kind_is_capped() -> None:
    warnings = report_with(3, 5, Severity.WARNING).files
    errors = report_with(2, 8).files
    report = ValidationReport(warnings + errors)
    out = build(report, ReportOptions())
    lines = out.commands.splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines]
    assert kinds == ["::error"] * 10 + ["::warning"] * 10 + ["::notice"]
    assert (out.shown, out.total) == (20, 31)
    assert "20 of 31 finding(s) annotated" in lines[-1]


def test_summary_stays_under_one_mebibyte() -> None:
    report = report_with(2000, 20)
    out = build(report, ReportOptions())
    size = len(out.summary.encode("utf-8"))
    assert SUMMARY_LIMIT - 64 * 1024 < size < SUMMARY_LIMIT
    assert "cut here to stay under GitHub's 1 MiB summary limit" in out.summary
    assert "40000 error(s)" in out.summary


def test_outputs_survive_newlines(tmp_path: Path) -> None:
    target = tmp_path / "out"
    append_outputs(target, {"sarif-file": "a b.sarif", "note": "two\nlines"})
    text = target.read_text()
    assert text.startswith("sarif-file<<pubflow_") and "\ntwo\nlines\n" in text
