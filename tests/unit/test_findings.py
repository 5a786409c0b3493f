"""Findings as data: records that round-trip exactly, per-file verdicts, and counts that always
equal a recount however they were gathered."""

from __future__ import annotations

import json
import marshal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.findings import (
    CHECK_GROUPS,
    FileResult,
    Finding,
    PatternFacts,
    Severity,
    Summary,
    Tally,
    ValidationReport,
    check_group,
)

FILE = "patterns/incident-escalation.json"


def finding(rule: str = "schema.format", severity: Severity = Severity.ERROR,
            message: str = "bad", hint: str = "fix it") -> Finding:
    return Finding(FILE, 3, 7, "/version", rule, severity, message, hint)


def test_a_finding_round_trips_through_its_dict_and_its_record() -> None:
    original = Finding("patterns/odd é.json", 12, 5, "/a~1b/0", "scorecard.marginal",
                       Severity.WARNING, "line one\nline two \ud800", "hint")
    as_dict = original.to_dict()
    assert as_dict == {"file": "patterns/odd é.json", "line": 12, "column": 5,
                       "pointer": "/a~1b/0", "rule": "scorecard.marginal",
                       "severity": "warning", "message": "line one\nline two \ud800",
                       "hint": "hint"}
    assert Finding.from_dict(as_dict) == original
    assert Finding.from_dict(json.loads(json.dumps(as_dict))) == original
    assert original.to_record() == ("patterns/odd é.json", 12, 5, "/a~1b/0",
                                    "scorecard.marginal", "warning",
                                    "line one\nline two \ud800", "hint")
    without_hint = {k: v for k, v in as_dict.items() if k != "hint"}
    assert Finding.from_dict(without_hint).hint == ""
    with pytest.raises(ValueError):
        Finding.from_dict({**as_dict, "severity": "fatal"})


@pytest.mark.parametrize("result", [
    FileResult(FILE),
    FileResult(FILE, (), PatternFacts("a", None, "1.0.0", ("b", "c"), 31, True)),
    FileResult(FILE, (finding(), finding("diagram.parse-error", Severity.NOTE, "", "")),
               PatternFacts("a", "Name", None, (), None, False)),
])
def test_a_result_round_trips_through_its_record_and_marshal(result: FileResult) -> None:
    record = result.to_record()
    assert FileResult.from_record(record) == result
    assert FileResult.from_record(marshal.loads(marshal.dumps(record))) == result
    again = FileResult.from_record(record)
    assert all(type(f.severity) is Severity for f in again.findings)


@pytest.mark.parametrize(("rule", "group"), [
    ("json.syntax", "schema"), ("file.unreadable", "schema"), ("schema.required", "schema"),
    ("scorecard.total-min", "scorecard"), ("diagram.actor-budget", "diagrams"),
    ("repo.duplicate-id", "repository"), ("ticket.locked", "repository"),
    ("unknown", "repository"),
])
def test_check_group(rule: str, group: str) -> None:
    assert check_group(rule) == group
    assert group in CHECK_GROUPS


def test_per_file_verdicts() -> None:
    clean = FileResult(FILE)
    assert (clean.errors, clean.warnings, clean.ready_for_review) == (0, 0, True)
    assert clean.check_status() == {"schema": "pass", "scorecard": "pass", "diagrams": "pass",
                                    "repository": "pass"}
    mixed = FileResult(FILE, (finding("scorecard.marginal", Severity.WARNING),
                              finding("diagram.step-budget"),
                              finding("diagram.alt-budget", Severity.WARNING),
                              finding("repo.related-missing", Severity.NOTE)))
    assert (mixed.errors, mixed.warnings, mixed.ready_for_review) == (1, 2, False)
    assert mixed.check_status() == {"schema": "pass", "scorecard": "warn", "diagrams": "fail",
                                    "repository": "warn"}
    unparsed = FileResult(FILE, (finding("json.syntax"),))
    assert unparsed.check_status() == {"schema": "fail", "scorecard": "skipped",
                                       "diagrams": "skipped", "repository": "skipped"}
    assert list(unparsed.check_status()) == list(CHECK_GROUPS)


# --- counting ---------------------------------------------------------------------------------

severities = st.sampled_from(list(Severity))
findings_of = st.lists(severities.map(lambda s: finding(severity=s)), max_size=4).map(tuple)
results = st.builds(lambda found, marginal: FileResult(FILE, found, PatternFacts(
    marginal=marginal)), findings_of, st.booleans())


def recount(files: list[FileResult]) -> Summary:
    """The summary by its definition, file by file."""
    return Summary(
        files=len(files),
        errors=sum(r.errors for r in files),
        warnings=sum(r.warnings for r in files),
        notes=sum(1 for r in files for f in r.findings if f.severity is Severity.NOTE),
        files_with_findings=sum(1 for r in files if r.findings),
        ready=sum(1 for r in files if r.ready_for_review),
        marginal=sum(1 for r in files if r.facts.marginal),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(results, max_size=8))
def test_tally_counts_equal_a_recount(files: list[FileResult]) -> None:
    tally = Tally()
    assert [tally.add(r) for r in files] == [r.errors for r in files]
    assert tally.summary() == recount(files)
    assert ValidationReport(tuple(files)).summary == recount(files)



@settings(max_examples=60, deadline=None)
@given(st.lists(results, max_size=8))
def test_a_tally_of_records_equals_a_tally_of_results(files: list[FileResult]) -> None:
    """A big run counts the plain records its workers send (`add_record`), after marshal."""
    tally = Tally()
    records = marshal.loads(marshal.dumps([r.to_record() for r in files]))
    assert [tally.add_record(record) for record in records] == [r.errors for r in files]
    assert tally.summary() == recount(files)

@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(results, findings_of), max_size=8))
def test_joined_findings_count_as_if_they_had_been_there(pairs: list[tuple[FileResult,
                                                                     tuple[Finding, ...]]]) -> None:
    tally = Tally()
    for result, _ in pairs:
        tally.add(result)
    for result, more in pairs:
        if more:
            tally.join(more, had_findings=bool(result.findings), had_errors=result.errors > 0)
    joined = [FileResult(r.file, r.findings + more, r.facts) for r, more in pairs]
    assert tally.summary() == recount(joined)


def test_join_cases_by_hand() -> None:
    tally = Tally()
    tally.add(FileResult(FILE))
    tally.join((finding(),), had_findings=False, had_errors=False)
    assert (tally.with_findings, tally.ready, tally.errors) == (1, 0, 1)
    tally.add(FileResult(FILE, (finding(severity=Severity.WARNING),)))
    tally.join((finding(severity=Severity.NOTE),), had_findings=True, had_errors=False)
    assert (tally.with_findings, tally.ready, tally.notes, tally.warnings) == (2, 1, 1, 1)


def test_a_report_uses_the_producers_counts_or_its_own() -> None:
    files = (FileResult(FILE, (finding(), finding(severity=Severity.WARNING))),
             FileResult("patterns/b.json", (), PatternFacts(marginal=True)))
    report = ValidationReport(files, root="/repo")
    assert report.summary == Summary(2, 1, 1, 0, 1, 1, 1)
    assert (report.error_count, report.warning_count, report.passed) == (1, 1, False)
    assert report.findings == list(files[0].findings)
    counted = Summary(99, 0, 0, 0, 0, 99, 0)
    trusted = ValidationReport(files, counted=counted)
    assert trusted.summary is counted and trusted.passed
    assert trusted == ValidationReport(files)  # the counts are not part of equality
    empty = ValidationReport(())
    assert (empty.summary, empty.passed, empty.findings) == (Summary(0, 0, 0, 0, 0, 0, 0), True,
                                                             [])
    assert not Summary(1, 1, 0, 0, 1, 0, 0).passed
