"""Findings are data: every check returns them, reporters turn them into text.

A finding always knows where it is (file, line, column in the JSON file, JSON pointer), which
rule produced it, and how to fix it, so editors, CI annotations and SARIF viewers can jump to
the exact place.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
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
class PatternFacts:
    """What cross-file checks and reports need to know about a pattern, without its content."""

    id: str | None = None
    name: str | None = None
    version: str | None = None
    related: tuple[str, ...] = ()
    score_total: int | None = None
    marginal: bool = False


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


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Everything one `validate` run found, file by file, in a stable order."""

    files: tuple[FileResult, ...]
    root: str = "."

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.findings]

    @property
    def error_count(self) -> int:
        return sum(r.errors for r in self.files)

    @property
    def warning_count(self) -> int:
        return sum(r.warnings for r in self.files)

    @property
    def passed(self) -> bool:
        return self.error_count == 0
