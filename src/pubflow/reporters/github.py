"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

Escaping follows `@actions/core` (`toCommandValue` / `escapeData` / `escapeProperty`) exactly;
without it a message holding a newline could end the command early and start another one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pubflow.findings import Finding, Severity, ValidationReport
from pubflow.reporters._common import without_surrogates

if TYPE_CHECKING:
    from pubflow.reporters import ReportOptions

COMMAND_BY_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning",
                       Severity.NOTE: "notice"}


def chunks(report: ValidationReport, options: ReportOptions) -> Iterator[str]:
    """One command per finding and nothing else; the job summary is written separately."""
    for result in report.files:
        for finding in result.findings:
            yield annotation(finding) + "\n"


def annotation(finding: Finding) -> str:
    properties = {
        "file": finding.file,
        "line": str(finding.line),
        "col": str(finding.column),
        "title": finding.rule,
    }
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    text = f"{finding.message}\n{finding.hint}" if finding.hint else finding.message
    return f"::{COMMAND_BY_SEVERITY[finding.severity]} {props}::{escape_data(text)}"


def escape_data(value: str) -> str:
    return (without_surrogates(value)
            .replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")
