"""Findings are data: every check returns them, reporters turn them into text.

A finding always knows where it is (file, line, column in the JSON file, JSON pointer), which
rule produced it, and how to fix it, so editors, CI annotations and SARIF viewers can jump to
the exact place.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


class Severity(enum.StrEnum):
    """How much a finding matters; only errors block publication."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or remark) about one place in one file."""

    file: str
    line: int
    column: int
    pointer: str
    rule: str
    severity: Severity
    message: str
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            file=data["file"],
            line=data["line"],
            column=data["column"],
            pointer=data["pointer"],
            rule=data["rule"],
            severity=Severity(data["severity"]),
            message=data["message"],
            hint=data.get("hint", ""),
        )

    def to_record(self) -> FindingRecord:
        return (self.file, self.line, self.column, self.pointer, self.rule,
                self.severity.value, self.message, self.hint)


FindingRecord = tuple[str, int, int, str, str, str, str, str]
"""A finding as plain values (`marshal`-able): how results travel between processes and sit in
a spool file. Pickling the dataclasses cost a worker run more than checking the file."""
_SEVERITY_BY_VALUE = {severity.value: severity for severity in Severity}


CHECK_GROUPS: tuple[str, ...] = ("schema", "scorecard", "diagrams", "repository")
"""The checks a validation report lists per pattern (Beat 7), in report order."""

_GROUP_BY_PREFIX = {
    "json": "schema",
    "file": "schema",
    "schema": "schema",
    "scorecard": "scorecard",
    "diagram": "diagrams",
    "repo": "repository",
}


def check_group(rule: str) -> str:
    """Which report section a rule belongs to (`scorecard.total-min` -> `scorecard`)."""
    return _GROUP_BY_PREFIX.get(rule.split(".", 1)[0], "repository")


@dataclass(frozen=True, slots=True)
class Issue:
    """A finding that does not yet know its line and column: what a check returns.

    Turning a JSON pointer into a line and column is the validation run's job, and it only
    does it when there is something to report, so files that pass never pay for positions.
    """

    pointer: str
    rule: str
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR
    at_key: bool = False
    """Point at the member name rather than its value (unknown fields)."""
    line_in_string: int | None = None
    """A 1-based line inside the string value at `pointer` (diagram errors)."""
    whole_file: bool = False
    """About the file's bytes as a whole (a ticket lock): placed at 1:1, the file unread."""


@dataclass(frozen=True, slots=True)
class PatternFacts:
    """What cross-file checks and reports need to know about a pattern, without its content."""

    id: str | None = None
    name: str | None = None
    version: str | None = None
    related: tuple[str, ...] = ()
    score_total: int | None = None
    marginal: bool = False
    may_link: bool = field(default=True, compare=False)
    """The file's bytes may hold a Markdown link (`checks.links.may_hold_link`): only such
    files are read again by the folder-wide link check. A hint for the run, not a fact of
    the pattern: reports leave it out, and results compare equal without it."""


@dataclass(frozen=True, slots=True)
class FileResult:
    """The outcome of checking one pattern file."""

    file: str
    findings: tuple[Finding, ...] = ()
    facts: PatternFacts = field(default_factory=PatternFacts)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ready_for_review(self) -> bool:
        """Beat 7: a pattern with no error-level finding may go to an editor."""
        return self.errors == 0

    def check_status(self) -> dict[str, str]:
        """`pass`, `warn` or `fail` for each check group: Beat 7's per-check verdicts.

        A file that could not be parsed was never scored or diagram-checked: those groups
        are `skipped` rather than a misleading `pass`.
        """
        status = dict.fromkeys(CHECK_GROUPS, "pass")
        unparsed = any(f.rule.startswith(("json.", "file.")) for f in self.findings)
        if unparsed:
            status.update(scorecard="skipped", diagrams="skipped", repository="skipped")
        for finding in self.findings:
            group = check_group(finding.rule)
            if finding.severity is Severity.ERROR:
                status[group] = "fail"
            elif status[group] == "pass":
                status[group] = "warn"
        return status


    def to_record(self) -> ResultRecord:
        facts = self.facts
        findings = tuple(f.to_record() for f in self.findings)
        return (self.file, findings, (facts.id, facts.name, facts.version, facts.related,
                                      facts.score_total, facts.marginal, facts.may_link))

    @classmethod
    def from_record(cls, record: ResultRecord) -> FileResult:
        file, findings, facts = record
        if findings:
            severity = _SEVERITY_BY_VALUE
            return cls(file, tuple(Finding(f, line, col, ptr, rule, severity[sev], msg, hint)
                                   for f, line, col, ptr, rule, sev, msg, hint in findings),
                       PatternFacts(*facts))
        return cls(file, (), PatternFacts(*facts))


ResultRecord = tuple[str, tuple[FindingRecord, ...],
                     tuple[str | None, str | None, str | None, tuple[str, ...], int | None, bool,
                           bool]]
"""A `FileResult` as plain values (see `FindingRecord`)."""


@dataclass(frozen=True, slots=True)
class Summary:
    """The counts every format reports, computed in one place so they always agree."""

    files: int
    errors: int
    warnings: int
    notes: int
    files_with_findings: int
    ready: int
    marginal: int

    @property
    def passed(self) -> bool:
        return self.errors == 0


@dataclass(slots=True)
class Tally:
    """The summary counts, gathered one result at a time (while a run checks its files, so a
    report read back from disk needs no extra pass for them)."""

    files: int = 0
    errors: int = 0
    warnings: int = 0
    notes: int = 0
    with_findings: int = 0
    ready: int = 0
    marginal: int = 0

    def add(self, result: FileResult) -> int:
        """Count one file; returns how many errors it has."""
        self.files += 1
        self.marginal += result.facts.marginal
        errors = self.add_findings(result.findings) if result.findings else 0
        self.with_findings += bool(result.findings)
        self.ready += errors == 0
        return errors

    def add_record(self, record: ResultRecord) -> int:
        """`add` for a result still in its plain form (`FileResult.to_record`): a big run
        counts, indexes and spools what its workers send without making the objects."""
        self.files += 1
        findings = record[1]
        self.marginal += record[2][5]
        errors = self._count([finding[5] for finding in findings]) if findings else 0
        self.with_findings += bool(findings)
        self.ready += errors == 0
        return errors

    def add_findings(self, findings: tuple[Finding, ...]) -> int:
        """Count `findings` of one file by severity; returns how many are errors."""
        return self._count([finding.severity.value for finding in findings])

    def _count(self, severities: list[str]) -> int:
        """Count one file's findings by severity value; returns how many are errors."""
        errors = severities.count(Severity.ERROR.value)
        warnings = severities.count(Severity.WARNING.value)
        self.errors += errors
        self.warnings += warnings
        self.notes += len(severities) - errors - warnings
        return errors

    def join(self, more: tuple[Finding, ...], *, had_findings: bool, had_errors: bool) -> None:
        """Findings joined afterwards to a file already counted."""
        errors = self.add_findings(more)
        self.with_findings += not had_findings and bool(more)
        self.ready -= not had_errors and errors > 0

    def summary(self) -> Summary:
        return Summary(self.files, self.errors, self.warnings, self.notes, self.with_findings,
                       self.ready, self.marginal)


@dataclass(frozen=True)
class ValidationReport:
    """Everything one `validate` run found, file by file, in a stable order.

    `files` is any sequence: a tuple, or for big runs a spool on disk (`pubflow.validation.spool`) that
    is read back file by file, so memory does not grow with the number of patterns. Readers
    should iterate it (each pass reads the spool again) and use `summary` for the counts.
    """

    files: Sequence[FileResult]
    root: str = "."
    counted: Summary | None = field(default=None, compare=False, repr=False)
    """The summary when the producer already counted it."""

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.findings]

    @cached_property
    def summary(self) -> Summary:
        """The counts: as counted by the producer, or from one pass over the files."""
        if self.counted is not None:
            return self.counted
        tally = Tally()
        for result in self.files:
            tally.add(result)
        return tally.summary()

    @property
    def error_count(self) -> int:
        return self.summary.errors

    @property
    def warning_count(self) -> int:
        return self.summary.warnings

    @property
    def passed(self) -> bool:
        return self.summary.errors == 0
