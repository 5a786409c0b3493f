"""The validation report as versioned JSON, for scripts, dashboards and the ticket workflow.

The shape is a public contract, described by `schemas/validate-report.schema.json` and
`docs/report-formats.md`: adding a field keeps `schemaVersion`; removing or renaming one
bumps it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pubflow.findings import FileResult, ValidationReport
from pubflow.reporters._common import json_chunks, pattern_status

if TYPE_CHECKING:
    from pubflow.reporters import ReportOptions

SCHEMA_VERSION = 1
TOOL_NAME = "pubflow"


def chunks(report: ValidationReport, options: ReportOptions) -> Iterator[str]:
    return json_chunks(report_document(report, options), expand=2)  # a line per pattern


def report_document(report: ValidationReport, options: ReportOptions) -> dict[str, Any]:
    """The report as plain data; key order here is the documented output order.

    `patterns` is an iterator: each pattern's entry is built as it is written."""
    summary = report.summary
    document: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": options.tool_version},
    }
    if options.generated_at:
        document["generatedAt"] = options.generated_at
    document["summary"] = {
        "files": summary.files,
        "errors": summary.errors,
        "warnings": summary.warnings,
        "passed": summary.passed,
        "readyForReview": summary.ready,
        "marginal": summary.marginal,
    }
    if options.shard is not None:
        document["shard"] = dict(options.shard)
    document["patterns"] = (_pattern(result, report.root) for result in report.files)
    return document


METADATA_MAX_BYTES = 5 * 1024 * 1024
"""A file larger than this was not read as a pattern (`file.too-large`): no metadata."""


def _metadata(root: str, file: str) -> dict[str, Any] | None:
    """What a ticket records of the pattern (words per section, broken signals, industries,
    complexity: `checks.metadata`), read again for this report only; None when it cannot
    be read as a pattern."""
    import json
    import os

    from pubflow.checks.metadata import pattern_metadata

    path = os.path.join(root, file)  # noqa: PTH118
    try:
        if os.path.getsize(path) > METADATA_MAX_BYTES:  # noqa: PTH202
            return None
        with open(path, "rb") as handle:  # noqa: PTH123
            data = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return None
    return pattern_metadata(data).to_json() if isinstance(data, dict) else None


def _pattern(result: FileResult, root: str = ".") -> dict[str, Any]:
    facts = result.facts
    return {
        "file": result.file,
        "id": facts.id,
        "name": facts.name,
        "version": facts.version,
        "readyForReview": result.ready_for_review,
        "status": pattern_status(result),
        "marginal": facts.marginal,
        "scoreTotal": facts.score_total,
        "checks": result.check_status(),
        "errors": result.errors,
        "warnings": result.warnings,
        "findings": [finding.to_dict() for finding in result.findings],
        "metadata": _metadata(root, result.file) if result.errors == 0 or facts.id else None,
    }
